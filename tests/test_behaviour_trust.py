"""The trust patterns (issue 15), judged on a real event loop: each test fixes a fixture of
ours, runs the original and the fixed code against the same fakes, and asserts what each
does, on the cancellation path and on the paths the fix must leave alone.

1. code after the `try` that the swallowing path runs moves into `finally` (or the finding
   stays report-only, and the naive re-raise would lose that code);
4. a split tuple handler keeps its state changes;
5. swallow-then-end (CF105): the task now ends cancelled, and a timeout around it fires.
"""

from __future__ import annotations

import asyncio
import unittest
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, task_end
from tests.conftest import FIXTURES

CF1 = ("CF101", "CF102", "CF105")
SETTLE = 0.01
WAIT = 1.0


def _fixture(folder: str, name: str) -> str:
    (path,) = FIXTURES.glob(f"{folder}-*/{name}.py")
    return path.read_text()


def _versions(source: str, *, unsafe: bool) -> tuple[Namespace, Namespace, list[Any]]:
    outcome = fixed(source, CF1, unsafe=unsafe)
    assert outcome.new_source is not None, outcome.findings
    kinds = [(f.code, f.fix, f.fixed) for f in outcome.findings]
    return load(source), load(outcome.new_source.decode()), kinds


def _run(scenario: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    return asyncio.run(scenario(*args))


async def _start_then_cancel(coroutine: Awaitable[Any], *, cancel: bool = True) -> Any:
    """Run `coroutine` as a task until it blocks, cancel it (if asked), and say how it ended."""
    task = asyncio.ensure_future(coroutine)
    await asyncio.sleep(SETTLE)
    if cancel:
        task.cancel()
    await asyncio.wait({task}, timeout=WAIT)
    return task_end(task, error_name=True)


# --------------------------------------------------------------------------------------------
# 1. code after the `try` moves into `finally`
# --------------------------------------------------------------------------------------------


class FakeTransport:
    def __init__(self) -> None:
        self.aborted = 0

    def abort(self) -> None:
        self.aborted += 1


async def _serve(ns: Namespace, data: list[bytes], cancel: bool, fail: bool) -> Any:
    reader = asyncio.StreamReader()
    for chunk in data:
        reader.feed_data(chunk)
    if not cancel:
        reader.feed_eof()
    transport, handled = FakeTransport(), []

    def handle(chunk: bytes) -> None:
        if fail:
            raise ValueError("bad frame")
        handled.append(chunk)

    end = await _start_then_cancel(ns["serve_connection"](transport, reader, handle), cancel=cancel)
    return {"end": end, "aborted": transport.aborted, "handled": handled}


def test_trailing_abort_runs_in_finally_on_every_path() -> None:
    source = _fixture("CF105", "trailing_abort_moves_into_finally")
    assert fixed(source, CF1, unsafe=False).new_source is None  # the coroutine ends: unsafe
    original, fixed_ns, kinds = _versions(source, unsafe=True)
    assert kinds == [("CF105", FixSafety.UNSAFE, True)]

    # Cancelled while reading: both abort the transport once; only the fixed one ends cancelled.
    assert _run(_serve, original, [b"a"], True, False) == {
        "end": ("returned", None),
        "aborted": 1,
        "handled": [b"a"],
    }
    assert _run(_serve, fixed_ns, [b"a"], True, False) == {
        "end": "cancelled",
        "aborted": 1,
        "handled": [b"a"],
    }
    # End of stream, and a failing handler: unchanged.
    for fail in (False, True):
        expected = {"end": ("returned", None), "aborted": 1, "handled": [] if fail else [b"a"]}
        assert _run(_serve, original, [b"a"], False, fail) == expected
        assert _run(_serve, fixed_ns, [b"a"], False, fail) == expected


class FakeSink:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write_many(self, items: list[bytes]) -> None:
        await asyncio.sleep(0)
        self.written += items


async def _pump(ns: Namespace) -> Any:
    sink = FakeSink()
    batcher = ns["Batcher"](sink)
    batcher._queue.put_nowait(b"x")
    end = await _start_then_cancel(batcher._pump())
    return {"end": end, "written": sink.written}


def test_flush_after_the_try_keeps_the_finding_report_only() -> None:
    source = _fixture("CF105", "flush_after_try_report_only")
    for unsafe in (False, True):
        outcome = fixed(source, CF1, unsafe=unsafe)
        assert outcome.new_source is None
        assert [(f.code, f.fix) for f in outcome.findings] == [("CF105", None)]
    # Why: the swallowing path flushes; a `raise` in the handler would lose the data.
    assert _run(_pump, load(source)) == {"end": ("returned", None), "written": [b"x"]}
    naive = source.replace("pass  # stop() cancels us so that we flush", "raise")
    assert naive != source
    assert _run(_pump, load(naive)) == {"end": "cancelled", "written": []}


# --------------------------------------------------------------------------------------------
# 4. a split tuple handler keeps its state changes
# --------------------------------------------------------------------------------------------


class ConnectionClosedFake(Exception):
    pass


class FakeWebSocket:
    def __init__(self, messages: list[str], closed_error: type[Exception] | None) -> None:
        self.messages = messages
        self.closed_error = closed_error

    async def recv(self) -> str:
        await asyncio.sleep(0)
        if self.messages:
            return self.messages.pop(0)
        if self.closed_error is not None:
            raise self.closed_error()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


class FakeRegistry:
    def __init__(self) -> None:
        self.forgotten: list[str] = []

    def forget(self, ws: object, reason: str) -> None:
        self.forgotten.append(reason)


async def _session(ns: Namespace, closed: bool) -> Any:
    ws = FakeWebSocket(["a", "b"], ns["ConnectionClosed"] if closed else None)
    registry, handled = FakeRegistry(), []

    async def handle(message: str) -> None:
        handled.append(message)

    end = await _start_then_cancel(ns["serve"](ws, handle, registry), cancel=not closed)
    return {"end": end, "forgotten": registry.forgotten, "handled": handled}


def test_split_tuple_handler_keeps_the_flag_the_finally_reads() -> None:
    source = _fixture("CF102", "tuple_split_keeps_flag_read_in_finally")
    original, fixed_ns, kinds = _versions(source, unsafe=True)
    assert kinds == [("CF102", FixSafety.UNSAFE, True)]

    # Cancelled: both record "cancelled" (the flag was set); only the fixed one ends cancelled.
    assert _run(_session, original, False) == {
        "end": ("returned", 2),
        "forgotten": ["cancelled"],
        "handled": ["a", "b"],
    }
    assert _run(_session, fixed_ns, False) == {
        "end": "cancelled",
        "forgotten": ["cancelled"],
        "handled": ["a", "b"],
    }
    # The other exception of the tuple: handled as before.
    expected = {"end": ("returned", 2), "forgotten": ["cancelled"], "handled": ["a", "b"]}
    assert _run(_session, original, True) == expected
    assert _run(_session, fixed_ns, True) == expected


# --------------------------------------------------------------------------------------------
# 5. swallow-then-end: CF105
# --------------------------------------------------------------------------------------------


class FakeConn:
    def __init__(self, fail: bool = False) -> None:
        self.pings = 0
        self.fail = fail

    async def ping(self) -> None:
        await asyncio.sleep(0)
        if self.fail:
            raise ConnectionError("peer gone")
        self.pings += 1


async def _heartbeat(ns: Namespace, fail: bool) -> Any:
    beat = ns["Heartbeat"](FakeConn(fail), interval=0.005)
    return await _start_then_cancel(beat._run(), cancel=not fail)


async def _heartbeat_under_timeout(ns: Namespace) -> str:
    beat = ns["Heartbeat"](FakeConn(), interval=0.005)
    try:
        async with asyncio.timeout(0.03):
            await beat._run()
    except TimeoutError:
        return "TimeoutError"
    return "returned"


def test_background_loop_ends_cancelled_after_the_unsafe_fix() -> None:
    source = _fixture("CF105", "background_loop_pass_at_end")
    assert fixed(source, CF1, unsafe=False).new_source is None  # the fix is unsafe
    original, fixed_ns, kinds = _versions(source, unsafe=True)
    assert kinds == [("CF105", FixSafety.UNSAFE, True)]

    assert _run(_heartbeat, original, False) == ("returned", None)
    assert _run(_heartbeat, fixed_ns, False) == "cancelled"
    # asyncio.timeout() could not tell that it expired; now it raises TimeoutError.
    assert _run(_heartbeat_under_timeout, original) == "returned"
    assert _run(_heartbeat_under_timeout, fixed_ns) == "TimeoutError"
    # A failing ping propagates as before.
    assert _run(_heartbeat, original, True) == ("raised", "ConnectionError")
    assert _run(_heartbeat, fixed_ns, True) == ("raised", "ConnectionError")


@pytest.mark.parametrize("unsafe", [False, True])
def test_break_to_the_end_of_a_listener_is_cf105(unsafe: bool) -> None:
    source = _fixture("CF105", "background_loop_break_at_end")
    outcome = fixed(source, CF1, unsafe=unsafe)
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [
        ("CF105", FixSafety.UNSAFE, unsafe)
    ]


# --------------------------------------------------------------------------------------------
# 6. CF301 follows paths, and leaves alone an `await` meant to raise
# --------------------------------------------------------------------------------------------


async def _request(ns: Namespace, send_error: BaseException | None, cancel: bool) -> Any:
    client = ns["Client"]()
    replies: list[asyncio.Future[Any]] = []

    async def reply_after(request_id: int) -> dict[str, int]:
        await asyncio.sleep(0.1 if cancel else 0)  # still pending when the caller is cancelled
        return {"id": request_id}

    async def send(payload: dict[str, Any]) -> None:
        await asyncio.sleep(0.05 if cancel else 0)
        if send_error is not None:
            raise send_error

    def wait_reply(request_id: int) -> Awaitable[Any]:
        replies.append(asyncio.ensure_future(reply_after(request_id)))
        return replies[-1]

    client._send, client._wait_reply = send, wait_reply
    end = await _start_then_cancel(client.request({"id": 7}), cancel=cancel)
    await asyncio.sleep(SETTLE)
    return {"end": end, "reply_cancelled": replies[0].cancelled()}


def test_cancel_on_a_raising_path_is_no_cf301_finding() -> None:
    source = _fixture("CF301", "ok_cancel_only_on_raising_path")
    outcome = fixed(source, ("CF301",), unsafe=True)
    assert (outcome.findings, outcome.new_source) == ((), None)
    ns = load(source)
    # What the code does, and why the `await reply` is right as it stands: it waits on a task
    # nobody cancelled on that path; only the raising paths cancel the reply.
    assert _run(_request, ns, None, False) == {
        "end": ("returned", {"id": 7}),
        "reply_cancelled": False,
    }
    assert _run(_request, ns, ConnectionError("down"), False) == {
        "end": ("raised", "ConnectionError"),
        "reply_cancelled": True,
    }
    assert _run(_request, ns, None, True) == {"end": "cancelled", "reply_cancelled": True}


def test_await_meant_to_raise_in_a_test_is_left_alone() -> None:
    source = _fixture("CF301", "ok_await_meant_to_raise_in_assert_raises")
    outcome = fixed(source, ("CF301",), unsafe=True)
    assert (outcome.findings, outcome.new_source) == ((), None)
    # The test passes as written: its `await task` raises the CancelledError it asserts.
    result = unittest.TestResult()
    load(source)["WorkerTest"]("test_cancel_stops_worker").run(result)
    assert (result.testsRun, result.failures, result.errors) == (1, [], [])
