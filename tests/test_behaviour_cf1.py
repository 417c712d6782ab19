"""CF1 fixes, judged by what the code does on a real event loop, not by how the diff looks.

Each test takes realistic asyncio code that swallows cancellation, lets the engine fix it,
executes BOTH the original and the fixed source into fresh namespaces, and runs the same
scenario against each with `asyncio.run`. It asserts the original's buggy outcome (so the
scenario really exercises the bug) and the fixed outcome (so the fix really cures it), and that
every path not involving cancellation behaves exactly as before.

Timing: waits are bounded (0.15 s at most for "is it still running?"), the swallowing originals
are always stopped by a bound the test controls, and nothing touches the network.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, squash, task_end

RULES = ("CF101", "CF102")
STILL_RUNNING_WAIT = 0.15
"""How long a cancelled task may take to end before we call it 'still running'."""
CLEANUP_WAIT = 1.0
"""Generous bound for a task we expect to end; never reached when the code is correct."""


# --------------------------------------------------------------------------------------------
# helpers: fix + exec, run a scenario
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Versions:
    original: Namespace
    fixed: Namespace
    fixed_source: str


def fix_and_load(
    source: str, *, code: str, safety: FixSafety, expect: str, unsafe: bool = False
) -> Versions:
    """Fix `source`, check it was fixed by `code` with a fix of kind `safety` whose result
    contains `expect`, and load both versions."""
    source = textwrap.dedent(source)
    outcome = fixed(source, RULES, unsafe=unsafe)
    assert outcome.new_source is not None, f"expected a {code} fix, got {outcome.findings}"
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [(code, safety, True)]
    fixed_source = outcome.new_source.decode()
    assert squash(expect) in squash(fixed_source), fixed_source
    assert squash(expect) not in squash(source)
    return Versions(load(source), load(fixed_source), fixed_source)


class Log(list[str]):
    """A logger that keeps what it is told, so scenarios can assert on it."""

    def warning(self, message: str) -> None:
        self.append(message)


def run(scenario: Callable[..., Awaitable[Any]], namespace: Namespace, *args: Any) -> Any:
    """Run `scenario(namespace, *args)` on a fresh event loop; an exception escaping the loop
    (CancelledError, TimeoutError, [Base]ExceptionGroup...) is returned, not raised."""
    try:
        return asyncio.run(scenario(namespace, *args))
    except (Exception, asyncio.CancelledError, BaseExceptionGroup) as error:
        return error


def settle() -> Awaitable[None]:
    """Let every task that is ready run until it blocks."""
    return asyncio.sleep(0.01)


async def cancel_and_wait(task: asyncio.Task[Any]) -> bool:
    """Cancel `task`; whether it ended within STILL_RUNNING_WAIT."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=STILL_RUNNING_WAIT)
    return task in done


HANG = object()
"""A reply that never comes: the read blocks until cancelled."""


class FakeConn:
    """A connection stand-in that records what is done to it, in order, into `record`."""

    def __init__(self, record: list[Any], reply: Any = HANG, fail_after: float | None = None):
        self.record = record
        self.reply = reply
        self.fail_after = fail_after
        self.is_open = True
        self.close_calls = 0

    async def send(self, payload: str) -> None:
        await asyncio.sleep(0)
        self.record.append(("send", payload))

    async def read_reply(self) -> Any:
        if self.reply is HANG:
            await asyncio.Event().wait()
        await asyncio.sleep(0)
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply

    async def ping(self) -> None:
        await asyncio.sleep(0)

    async def serve_requests(self) -> None:
        assert self.fail_after is not None
        await asyncio.sleep(self.fail_after)
        raise ConnectionError("peer reset the connection")

    async def close(self) -> None:
        await asyncio.sleep(0)  # an awaited cleanup: must still complete under cancellation
        self.close_calls += 1
        self.is_open = False
        self.record.append("close")


# --------------------------------------------------------------------------------------------
# 1. worker loops that cannot be stopped
# --------------------------------------------------------------------------------------------

WORKER_CF101 = """
    import asyncio

    async def worker(queue, processed, log):
        while True:
            try:
                item = await queue.get()
                if item is None:
                    return "stopped"
                processed.append(item)
            except BaseException as exc:
                log.warning(f"worker error: {type(exc).__name__}")
"""

WORKER_CF102_PASS = """
    import asyncio

    async def worker(queue, processed, log):
        while True:
            try:
                item = await queue.get()
                if item is None:
                    return "stopped"
                processed.append(item)
            except asyncio.CancelledError:
                pass
"""

WORKER_CF102_CONTINUE = """
    import asyncio

    async def worker(queue, processed, log):
        while True:
            try:
                item = await queue.get()
            except asyncio.CancelledError:
                log.warning("ignoring cancel")
                continue
            if item is None:
                return "stopped"
            processed.append(item)
"""


async def worker_scenario(ns: Namespace) -> dict[str, Any]:
    """Start a worker, feed it a job, cancel it; if it survives, prove it still works and
    stop it with the sentinel so the test never hangs."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    processed: list[str] = []
    log = Log()
    task = asyncio.create_task(ns["worker"](queue, processed, log))
    await queue.put("job-1")
    await settle()
    ended_on_cancel = await cancel_and_wait(task)
    if not task.done():
        await queue.put("job-2")  # the "cancelled" worker still takes jobs
        await queue.put(None)
        await asyncio.wait({task}, timeout=CLEANUP_WAIT)
    return {
        "ended_on_cancel": ended_on_cancel,
        "end": task_end(task),
        "processed": processed,
        "log": log,
    }


@pytest.mark.parametrize(
    ("source", "code", "safety", "unsafe", "expect", "log_on_cancel"),
    [
        pytest.param(
            WORKER_CF101,
            "CF101",
            FixSafety.SAFE,
            False,
            """
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
            """,
            ["worker error: CancelledError"],
            id="CF101-except-BaseException-log",
        ),
        pytest.param(
            WORKER_CF102_PASS,
            "CF102",
            FixSafety.SAFE,
            False,
            """
            except asyncio.CancelledError:
                raise
            """,
            [],
            id="CF102-except-CancelledError-pass",
        ),
        pytest.param(
            WORKER_CF102_CONTINUE,
            "CF102",
            FixSafety.UNSAFE,
            True,
            """
            log.warning("ignoring cancel")
            raise
            """,
            ["ignoring cancel"],
            id="CF102-except-CancelledError-continue",
        ),
    ],
)
def test_cancelled_worker_loop_stops_only_after_fix(
    source: str,
    code: str,
    safety: FixSafety,
    unsafe: bool,
    expect: str,
    log_on_cancel: list[str],
) -> None:
    versions = fix_and_load(source, code=code, safety=safety, expect=expect, unsafe=unsafe)

    original = run(worker_scenario, versions.original)
    assert original == {
        "ended_on_cancel": False,  # task.cancel() did nothing visible
        "end": ("returned", "stopped"),  # only the sentinel stopped it
        "processed": ["job-1", "job-2"],  # and it kept working after the cancel
        "log": log_on_cancel,
    }

    fixed = run(worker_scenario, versions.fixed)
    assert fixed == {
        "ended_on_cancel": True,
        "end": "cancelled",
        "processed": ["job-1"],
        # the CF101 clause does not log cancellation as an error; CF102 keeps its handler's log
        "log": [] if code == "CF101" else log_on_cancel,
    }


# --------------------------------------------------------------------------------------------
# 2. asyncio.timeout() around a swallowing coroutine
# --------------------------------------------------------------------------------------------

FALLBACK_CF101 = """
    import asyncio

    async def fetch_with_fallback(conn, log):
        try:
            return await conn.read_reply()
        except BaseException:
            log.warning("read failed, serving cached value")
            return "cached"
"""

FALLBACK_CF102 = """
    import asyncio

    async def fetch_with_fallback(conn, log):
        try:
            return await conn.read_reply()
        except asyncio.CancelledError:
            log.warning("read cancelled")
        return "cached"
"""


async def timeout_scenario(ns: Namespace) -> dict[str, Any]:
    log = Log()
    conn = FakeConn(log)  # the reply never comes
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        async with asyncio.timeout(0.05):
            value = await ns["fetch_with_fallback"](conn, log)
    except TimeoutError:
        outcome: Any = "TimeoutError"
    else:
        outcome = ("returned", value)
    return {"outcome": outcome, "log": log, "prompt": loop.time() - start < STILL_RUNNING_WAIT}


@pytest.mark.parametrize(
    ("source", "code", "expect", "log_on_timeout"),
    [
        pytest.param(
            FALLBACK_CF101,
            "CF101",
            """
            except asyncio.CancelledError:
                raise
            except BaseException:
            """,
            ["read failed, serving cached value"],
            id="CF101",
        ),
        pytest.param(
            FALLBACK_CF102,
            "CF102",
            """
            log.warning("read cancelled")
            raise
            """,
            ["read cancelled"],
            id="CF102",
        ),
    ],
)
def test_enclosing_timeout_fires_only_after_fix(
    source: str, code: str, expect: str, log_on_timeout: list[str]
) -> None:
    # CF102's fix skips the `return "cached"` after the `try` that the swallowing path ran:
    # unsafe (CF101's handler returns inside it, which its clause is meant to bypass).
    safety, unsafe = (FixSafety.SAFE, False) if code == "CF101" else (FixSafety.UNSAFE, True)
    versions = fix_and_load(source, code=code, safety=safety, expect=expect, unsafe=unsafe)

    # Original: the timeout's cancellation is eaten, the block "succeeds" with stale data.
    assert run(timeout_scenario, versions.original) == {
        "outcome": ("returned", "cached"),
        "log": log_on_timeout,
        "prompt": True,
    }
    # Fixed: the caller learns that it timed out.
    assert run(timeout_scenario, versions.fixed) == {
        "outcome": "TimeoutError",
        "log": [] if code == "CF101" else log_on_timeout,
        "prompt": True,
    }


def test_timeout_fallback_without_cancellation_is_unchanged() -> None:
    """The same two functions, on paths where no cancellation happens."""
    for source, code in ((FALLBACK_CF101, "CF101"), (FALLBACK_CF102, "CF102")):
        safety, unsafe = (FixSafety.SAFE, False) if code == "CF101" else (FixSafety.UNSAFE, True)
        versions = fix_and_load(source, code=code, safety=safety, expect="raise", unsafe=unsafe)
        for ns in (versions.original, versions.fixed):
            log = Log()
            assert run(_call, ns, "fetch_with_fallback", FakeConn(log, reply="fresh")) == "fresh"
            assert log == []
        if code == "CF101":  # the broad handler also served other errors: still does
            for ns in (versions.original, versions.fixed):
                log = Log()
                conn = FakeConn(log, reply=ConnectionError("reset"))
                assert run(_call, ns, "fetch_with_fallback", conn) == "cached"
                assert log == ["read failed, serving cached value"]


async def _call(ns: Namespace, function: str, conn: FakeConn) -> Any:
    return await ns[function](conn, conn.record)


# --------------------------------------------------------------------------------------------
# 3 + 4. cleanup in the broad handler still runs, exactly once; other paths unchanged
# --------------------------------------------------------------------------------------------

REQUEST_CF101 = """
    import asyncio

    async def request(conn, payload, events):
        try:
            await conn.send(payload)
            return await conn.read_reply()
        except BaseException as exc:
            events.append(("failed", type(exc).__name__))
            await conn.close()
            return None
"""

REQUEST_FIX = """
    except asyncio.CancelledError as exc:
        events.append(("failed", type(exc).__name__))
        await conn.close()
        raise
    except BaseException as exc:
"""


async def request_scenario(ns: Namespace, reply: Any, cancel: bool) -> dict[str, Any]:
    events: list[Any] = []
    conn = FakeConn(events, reply=reply)
    task = asyncio.create_task(ns["request"](conn, "GET key", events))
    await settle()
    if cancel:
        await cancel_and_wait(task)
    await asyncio.wait({task}, timeout=CLEANUP_WAIT)
    return {"end": task_end(task), "events": events, "close_calls": conn.close_calls}


def assert_cleanup_then_cancelled(versions: Versions) -> None:
    """Cancelled mid-request, both versions close the connection once; the original then
    "returns None" (the cancellation is lost), the fixed one ends cancelled."""
    cleanup = [("send", "GET key"), ("failed", "CancelledError"), "close"]
    assert run(request_scenario, versions.original, HANG, True) == {
        "end": ("returned", None),
        "events": cleanup,
        "close_calls": 1,
    }
    assert run(request_scenario, versions.fixed, HANG, True) == {
        "end": "cancelled",
        "events": cleanup,
        "close_calls": 1,
    }


def test_cleanup_of_broad_handler_runs_exactly_once_on_cancellation() -> None:
    versions = fix_and_load(REQUEST_CF101, code="CF101", safety=FixSafety.SAFE, expect=REQUEST_FIX)
    assert_cleanup_then_cancelled(versions)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            "PONG",
            {"end": ("returned", "PONG"), "events": [("send", "GET key")], "close_calls": 0},
            id="success",
        ),
        pytest.param(
            ConnectionError("reset by peer"),
            {
                "end": ("returned", None),
                "events": [("send", "GET key"), ("failed", "ConnectionError"), "close"],
                "close_calls": 1,
            },
            id="ConnectionError",
        ),
    ],
)
def test_broad_handler_non_cancellation_paths_unchanged(reply: Any, expected: Any) -> None:
    versions = fix_and_load(REQUEST_CF101, code="CF101", safety=FixSafety.SAFE, expect=REQUEST_FIX)
    original = run(request_scenario, versions.original, reply, False)
    fixed = run(request_scenario, versions.fixed, reply, False)
    assert original == expected
    assert fixed == expected


# --------------------------------------------------------------------------------------------
# 5. CF102 `break` -> `raise` (unsafe), and no fix when cleanup follows the loop
# --------------------------------------------------------------------------------------------

CONSUMER_BREAK = """
    import asyncio

    async def consume(queue, handled, log):
        while True:
            try:
                item = await queue.get()
            except asyncio.CancelledError:
                log.warning("consumer stopping")
                break
            handled.append(item)
        log.warning("after loop")
        return len(handled)
"""


async def consumer_scenario(ns: Namespace, function: str, *extra: Any) -> dict[str, Any]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    handled: list[str] = []
    log = Log()
    for item in ("a", "b"):
        queue.put_nowait(item)
    if extra:  # a subscription object that records into the same log
        extra[0].record = log
    task = asyncio.create_task(ns[function](*extra, queue, handled, log))
    await settle()
    ended_on_cancel = await cancel_and_wait(task)
    return {
        "ended_on_cancel": ended_on_cancel,
        "end": task_end(task),
        "handled": handled,
        "log": log,
    }


def test_break_on_cancel_becomes_raise_with_unsafe_fixes() -> None:
    safe_only = fixed(textwrap.dedent(CONSUMER_BREAK), RULES, unsafe=False)
    assert safe_only.new_source is None  # replacing `break` is not a safe fix
    assert [(f.code, f.fix, f.fixed) for f in safe_only.findings] == [
        ("CF102", FixSafety.UNSAFE, False)
    ]

    versions = fix_and_load(
        CONSUMER_BREAK,
        code="CF102",
        safety=FixSafety.UNSAFE,
        unsafe=True,
        expect="""
        log.warning("consumer stopping")
        raise
        """,
    )
    assert "break" not in versions.fixed_source

    # Original: cancel ends the loop as if the queue were finished; the function returns.
    assert run(consumer_scenario, versions.original, "consume") == {
        "ended_on_cancel": True,
        "end": ("returned", 2),
        "handled": ["a", "b"],
        "log": ["consumer stopping", "after loop"],
    }
    # Fixed: the task ends cancelled; the code after the loop is skipped (the intended change).
    assert run(consumer_scenario, versions.fixed, "consume") == {
        "ended_on_cancel": True,
        "end": "cancelled",
        "handled": ["a", "b"],
        "log": ["consumer stopping"],
    }


LISTENER_BREAK_THEN_CLEANUP = """
    import asyncio

    async def listen(sub, queue, received, log):
        while True:
            try:
                message = await queue.get()
            except asyncio.CancelledError:
                log.warning("listener stopping")
                break
            received.append(message)
        await sub.unsubscribe()
        return len(received)
"""


class FakeSubscription:
    def __init__(self) -> None:
        self.record: list[Any] = []

    async def unsubscribe(self) -> None:
        await asyncio.sleep(0)
        self.record.append("unsubscribe")


def test_break_followed_by_cleanup_is_reported_but_not_fixed() -> None:
    source = textwrap.dedent(LISTENER_BREAK_THEN_CLEANUP)
    outcome = fixed(source, RULES, unsafe=True)
    assert outcome.new_source is None
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [("CF102", None, False)]

    # Why no fix: the original relies on the `break` to reach `unsubscribe()`...
    original = run(consumer_scenario, load(source), "listen", FakeSubscription())
    assert original == {
        "ended_on_cancel": True,
        "end": ("returned", 2),
        "handled": ["a", "b"],
        "log": ["listener stopping", "unsubscribe"],
    }
    # ...and the naive `break` -> `raise` rewrite would leak the subscription on cancellation.
    naive = source.replace("            break\n", "            raise\n")
    assert naive != source
    naive_run = run(consumer_scenario, load(naive), "listen", FakeSubscription())
    assert naive_run == {
        "ended_on_cancel": True,
        "end": "cancelled",
        "handled": ["a", "b"],
        "log": ["listener stopping"],  # no "unsubscribe"
    }


# --------------------------------------------------------------------------------------------
# 6. CF102 tuple split (unsafe)
# --------------------------------------------------------------------------------------------

FETCH_TUPLE = """
    import asyncio

    async def request(conn, payload, events):
        try:
            await conn.send(payload)
            return await conn.read_reply()
        except (asyncio.CancelledError, ConnectionError) as exc:
            events.append(("failed", type(exc).__name__))
            await conn.close()
            return None
"""


def test_tuple_handler_split_propagates_cancellation_only() -> None:
    assert fixed(textwrap.dedent(FETCH_TUPLE), RULES, unsafe=False).new_source is None
    versions = fix_and_load(
        FETCH_TUPLE,
        code="CF102",
        safety=FixSafety.UNSAFE,
        unsafe=True,
        expect="""
        except asyncio.CancelledError as exc:
            events.append(("failed", type(exc).__name__))
            await conn.close()
            raise
        except ConnectionError as exc:
        """,
    )

    # ConnectionError: handled exactly as before by both versions.
    connection_error = {
        "end": ("returned", None),
        "events": [("send", "GET key"), ("failed", "ConnectionError"), "close"],
        "close_calls": 1,
    }
    reset = ConnectionError("reset by peer")
    assert run(request_scenario, versions.original, reset, False) == connection_error
    assert run(request_scenario, versions.fixed, reset, False) == connection_error

    # Success: unchanged.
    success = {"end": ("returned", "PONG"), "events": [("send", "GET key")], "close_calls": 0}
    assert run(request_scenario, versions.original, "PONG", False) == success
    assert run(request_scenario, versions.fixed, "PONG", False) == success

    # Cancellation: same cleanup, but now the task ends cancelled instead of returning None.
    assert_cleanup_then_cancelled(versions)


# --------------------------------------------------------------------------------------------
# 7. TaskGroup: a swallowing child holds the group open after a sibling failed
# --------------------------------------------------------------------------------------------

SESSION_TASKGROUP = """
    import asyncio

    async def heartbeat(conn, log):
        while conn.is_open:
            try:
                await conn.ping()
                await asyncio.sleep(0.01)
            except BaseException as exc:
                log.warning(f"heartbeat hiccup: {type(exc).__name__}")
        log.warning("heartbeat exiting")

    async def session(conn, log):
        async with asyncio.TaskGroup() as tg:
            tg.create_task(heartbeat(conn, log))
            tg.create_task(conn.serve_requests())
"""


async def session_scenario(ns: Namespace) -> dict[str, Any]:
    log = Log()
    conn = FakeConn(log, fail_after=0.02)  # the request server fails after 20 ms
    task = asyncio.create_task(ns["session"](conn, log))
    done, _ = await asyncio.wait({task}, timeout=STILL_RUNNING_WAIT)
    ended_promptly = task in done
    if not task.done():
        conn.is_open = False  # the bound we control: let the stubborn heartbeat exit
        await asyncio.wait({task}, timeout=CLEANUP_WAIT)
    error = task.exception()
    assert isinstance(error, ExceptionGroup), task_end(task)
    return {
        "ended_promptly": ended_promptly,
        "group": [(type(e).__name__, str(e)) for e in error.exceptions],
        "log": log,
    }


def test_taskgroup_sibling_failure_propagates_only_after_fix() -> None:
    # Unsafe: the clause also skips the `log.warning("heartbeat exiting")` after the loop.
    versions = fix_and_load(
        SESSION_TASKGROUP,
        code="CF101",
        safety=FixSafety.UNSAFE,
        unsafe=True,
        expect="""
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
        """,
    )
    group = [("ConnectionError", "peer reset the connection")]

    # Original: the TaskGroup cancels the heartbeat, which shrugs it off; the group (and the
    # failure) stays stuck until the test flips the connection closed.
    assert run(session_scenario, versions.original) == {
        "ended_promptly": False,
        "group": group,
        "log": ["heartbeat hiccup: CancelledError", "heartbeat exiting"],
    }
    # Fixed: the heartbeat stops at once and the sibling's error surfaces promptly.
    assert run(session_scenario, versions.fixed) == {
        "ended_promptly": True,
        "group": group,
        "log": [],
    }


# --------------------------------------------------------------------------------------------
# except*: the inserted `except* CancelledError: raise` does not propagate *cancellation*
# --------------------------------------------------------------------------------------------

FALLBACK_TRYSTAR = """
    import asyncio

    async def fetch_with_fallback(conn, log):
        try:
            return await conn.read_reply()
        except* BaseException:
            log.warning("read failed, serving cached value")
        return "cached"
"""

WORKER_TRYSTAR = """
    import asyncio

    async def worker(queue, processed, log):
        while True:
            try:
                item = await queue.get()
                if item is None:
                    return "stopped"
                processed.append(item)
            except* BaseException:
                log.warning("worker error")
"""


def test_except_star_fix_propagates_cancellation() -> None:
    # A bare `raise` in `except*` would re-raise BaseExceptionGroup([CancelledError()]), which
    # asyncio treats as an error: the fix re-raises the group's member instead.
    expect = """
    except* asyncio.CancelledError as cancelled:
        raise cancelled.exceptions[0] from None
    except* BaseException:
    """
    # The fallback's fix skips the `return "cached"` after the `try`: unsafe.
    fallback = fix_and_load(
        FALLBACK_TRYSTAR, code="CF101", safety=FixSafety.UNSAFE, expect=expect, unsafe=True
    )
    worker = fix_and_load(WORKER_TRYSTAR, code="CF101", safety=FixSafety.SAFE, expect=expect)

    # Original: swallows, like the plain `except BaseException` cases above.
    assert run(timeout_scenario, fallback.original) == {
        "outcome": ("returned", "cached"),
        "log": ["read failed, serving cached value"],
        "prompt": True,
    }
    original_worker = run(worker_scenario, worker.original)
    assert original_worker["ended_on_cancel"] is False
    assert original_worker["end"] == ("returned", "stopped")

    # Fixed: a real cancellation, which asyncio.timeout() turns into TimeoutError.
    fixed_worker = run(worker_scenario, worker.fixed)
    fixed_timeout = run(timeout_scenario, fallback.fixed)
    assert {"worker": fixed_worker["end"], "timeout": fixed_timeout} == {
        "worker": "cancelled",
        "timeout": {"outcome": "TimeoutError", "log": [], "prompt": True},
    }
