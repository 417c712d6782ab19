"""The byte prefilter's tests: never a miss (a False must mean the shape is absent), and
few false alarms on the common shapes that are not it."""

from __future__ import annotations

import pytest

from codemods.analysis.vocabulary import DEFAULT_CLEANUP_NAMES
from codemods.prefilter.source_text import (
    awaits_name,
    calls_as_statement,
    calls_cancel,
    catches_cancellation,
    cleanup_calls,
    cleanup_statement,
    imported_as,
)

CLEANUP_STATEMENTS = [
    b"async def f():\n    await self._conn.close()\n",
    b"    conn.async_close()\n",
    b"    else: conn.close()\n",
    b"    x = 1; pool.release(conn)\n",
    b"    await \\\n        conn.\\\n        close()\n",
    b"    (conn\n     .close())\n",
    b"x = 1\r    conn.close()\r",
    b"x = 1\r\n    conn.Close()\r\n",
    b"    self.pools[0].close()\n",
    b"    self . pools [0] . releaseConn ()\n",
    b"    await asyncio.get_running_loop().shutdown_default_executor()\n",
    "    conexión.close()\n".encode(),
    b"    await conn.close\\\n()\n",
    b"    await (stream.aclose)()\n",
    b"    (conn.close\n    )()\n",
]


@pytest.mark.parametrize("source", CLEANUP_STATEMENTS)
def test_a_cleanup_statement_is_never_missed(source: bytes) -> None:
    assert cleanup_statement(source, DEFAULT_CLEANUP_NAMES)
    assert cleanup_calls(source, DEFAULT_CLEANUP_NAMES)


@pytest.mark.parametrize(
    "source",
    [
        b"y = conn.close()\n",
        b"foo(conn.close())\n",
        b"return conn.close()\n",
        b"x: T = conn.close()\n",
        b"a, conn.close()\n",
        b"conn.closed\n",
    ],
)
def test_a_cleanup_call_inside_an_expression_is_not_a_statement(source: bytes) -> None:
    assert not cleanup_statement(source, DEFAULT_CLEANUP_NAMES)


def test_cleanup_calls_are_counted() -> None:
    once = b"try:\n    conn.close()\nexcept Exception:\n    pass\n"
    twice = once.replace(b"pass", b"conn.close()")
    assert cleanup_calls(once, DEFAULT_CLEANUP_NAMES, at_least=1)
    assert not cleanup_calls(once, DEFAULT_CLEANUP_NAMES, at_least=2)
    assert cleanup_calls(twice, DEFAULT_CLEANUP_NAMES, at_least=2)
    # Each call once, however its name is spelled; both of these are seen.
    aclose = b"try:\n    await s.aclose()\nexcept Exception:\n    await (s.aclose)()\n"
    assert not cleanup_calls(aclose.split(b"except")[0], DEFAULT_CLEANUP_NAMES, at_least=2)
    assert cleanup_calls(aclose, DEFAULT_CLEANUP_NAMES, at_least=2)
    assert not cleanup_calls(b"closed = True\n", DEFAULT_CLEANUP_NAMES)


SPAWNERS = (b"create_task", b"ensure_future")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"    asyncio.create_task(f())\n", True),
        (b"    asyncio.get_running_loop().create_task(f())\n", True),
        (b"    self._loop.create_task(f())\n", True),
        (b"    await asyncio.ensure_future(f())\n", True),
        (b"    if x: create_task(f())\n", True),
        (b"    (asyncio.create_task)(f())\n", True),
        (b"    hass.async_create_task(f())\n", False),
        (b"    task = asyncio.create_task(f())\n", False),
        (b"    tasks.append(asyncio.create_task(f()))\n", False),
    ],
)
def test_spawning_statements(source: bytes, expected: bool) -> None:
    assert calls_as_statement(source, SPAWNERS, whole=True) is expected


def test_spawner_imported_under_another_name() -> None:
    assert imported_as(b"from asyncio import (\n    create_task\n    as spawn)\n", SPAWNERS)
    assert not imported_as(b"from asyncio import create_task\n", SPAWNERS)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"except:\n", True),
        (b"except \\\n :\n", True),
        (b"except asyncio.CancelledError:\n", True),
        (b"except trio.Cancelled:\n", True),
        (b"except anyio.get_cancelled_exc_class():\n", True),
        (b"except BaseException:\n", True),
        (b"except Exception:\n", False),
    ],
)
def test_handlers_that_may_catch_cancellation(source: bytes, expected: bool) -> None:
    assert catches_cancellation(source, ("BaseException",)) is expected


def test_exception_is_broad_when_the_caller_says_so() -> None:
    assert catches_cancellation(b"except Exception:\n", ("BaseException", "Exception"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (b"await task\n", True),
        (b"x = await self._task\n", True),
        (b"await (task)\n", True),
        (b"await t, 1\n", True),
        (b"await asyncio.sleep(1)\n", False),
        (b"await tasks[0]\n", False),
    ],
)
def test_awaited_names(source: bytes, expected: bool) -> None:
    assert awaits_name(source) is expected


def test_cancel_calls() -> None:
    assert calls_cancel(b"task.cancel()\n")
    assert calls_cancel(b"cancel ()\n")
    assert not calls_cancel(b"self._cancel_listener()\n" + b"task.cancelled()\n")
