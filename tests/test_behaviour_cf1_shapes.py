"""The CF1 shapes of issue 15's review set, judged on a real event loop: for each fixture of
ours, what the original does, what the fix (or, where there is none, a naive `raise`) does,
on the cancellation path and on the paths a fix must leave alone.

1. teardown after the `try` that the swallow exists to run: CF105, reported only;
4. a tuple handler that turns the cancellation into a library error: reported only, as a
   split-out `raise` would bypass the callers' handlers;
5. swallow-then-end shapes (a flag that ends the loop, a guard that raises another error, a
   wrapper whose failures end in `None`): CF105 with an unsafe fix that re-raises after the
   handler's work;
and the shapes that are no finding: a cancellation translated on purpose, and the result of
a future the class cancels itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, task_end
from tests.conftest import FIXTURES

CF1 = ("CF101", "CF102", "CF103", "CF105")
SETTLE = 0.02
WAIT = 0.5


def _fixture(folder: str, name: str) -> str:
    (path,) = FIXTURES.glob(f"{folder}-*/{name}.py")
    return path.read_text()


def _findings(source: str, *, unsafe: bool) -> list[tuple[str, FixSafety | None, bool]]:
    return [(f.code, f.fix, f.fixed) for f in fixed(source, CF1, unsafe=unsafe).findings]


def _fixed_source(source: str) -> str:
    outcome = fixed(source, CF1, unsafe=True)
    assert outcome.new_source is not None
    return outcome.new_source.decode()


async def _cancel_after_settling(coroutine: Awaitable[Any], *, cancel: bool = True) -> Any:
    task = asyncio.ensure_future(coroutine)
    await asyncio.sleep(SETTLE)
    if cancel:
        task.cancel()
    await asyncio.wait({task}, timeout=WAIT)
    return task_end(task, error_name=True) if task.done() else "still running"


# 1. teardown after the `try` ----------------------------------------------------------------


class FakeLink:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        self.sent.append(message)


async def _stop_reporter(ns: Namespace) -> Any:
    link = FakeLink()
    reporter = ns["StatsReporter"](link, interval=0.001)
    reporter._task = asyncio.ensure_future(reporter._report())
    await asyncio.sleep(SETTLE)
    try:
        await asyncio.wait_for(reporter.stop(), WAIT)
    except TimeoutError:
        return {"stop": "hung", "bye": {"type": "bye"} in link.sent}
    return {"stop": "returned", "bye": {"type": "bye"} in link.sent}


@pytest.mark.parametrize("unsafe", [False, True])
def test_teardown_after_the_loop_is_cf105_reported_only(unsafe: bool) -> None:
    source = _fixture("CF105", "goodbye_and_exit_event_after_loop")
    assert _findings(source, unsafe=unsafe) == [("CF105", None, False)]
    assert fixed(source, CF1, unsafe=unsafe).new_source is None


def test_teardown_after_the_loop_is_what_stop_waits_for() -> None:
    source = _fixture("CF105", "goodbye_and_exit_event_after_loop")
    assert asyncio.run(_stop_reporter(load(source))) == {"stop": "returned", "bye": True}
    # Why no fix: a `raise` in the handler skips the goodbye and the event; stop() hangs.
    naive = source.replace("        except asyncio.CancelledError:\n            pass\n", "")
    naive = naive.replace(
        "        try:\n            while True:", "        if True:\n            while True:"
    )
    assert naive != source
    assert asyncio.run(_stop_reporter(load(naive))) == {"stop": "hung", "bye": False}


# 4. a cancellation translated into the library's error ---------------------------------------


async def _poll_then_close(ns: Namespace, *, split: bool) -> Any:
    socket = ns["Socket"](timeout=WAIT)
    closed: list[str] = []

    async def writer() -> None:
        try:
            await socket.poll()
        except ns["QueueEmpty"]:
            closed.append("closed")

    end = await _cancel_after_settling(writer())
    return {"end": end, "closed": closed, "split": split}


def test_translated_cancellation_is_reported_only() -> None:
    source = _fixture("CF102", "tuple_translates_to_library_error_report_only")
    for unsafe in (False, True):
        assert _findings(source, unsafe=unsafe) == [("CF102", None, False)]
        assert fixed(source, CF1, unsafe=unsafe).new_source is None
    # The caller closes the socket on QueueEmpty, the cancellation included.
    original = asyncio.run(_poll_then_close(load(source), split=False))
    assert original == {"end": ("returned", None), "closed": ["closed"], "split": False}
    # A split-out `except CancelledError: raise` bypasses that: the socket stays open.
    split = source.replace(
        "        except (asyncio.TimeoutError, asyncio.CancelledError):",
        "        except asyncio.CancelledError:\n            raise\n"
        "        except asyncio.TimeoutError:",
    )
    assert split != source
    assert asyncio.run(_poll_then_close(load(split), split=True)) == {
        "end": "cancelled",
        "closed": [],
        "split": True,
    }


# 5. swallow-then-end shapes that CF105 fixes -------------------------------------------------


class FakeReader:
    def __init__(self, lines: list[bytes]) -> None:
        self.lines = lines

    async def readline(self) -> bytes:
        await asyncio.sleep(0)
        return self.lines.pop(0) if self.lines else b""


class FakeWriter:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


async def _serve(ns: Namespace, *, cancel: bool) -> Any:
    writer = FakeWriter()
    connection = ns["Connection"](FakeReader([b"GET /a", b"GET /b"]), writer)

    async def handle(request: bytes, out: FakeWriter) -> None:
        if cancel:
            await asyncio.sleep(1)
        if request == b"GET /b":
            raise ValueError("bad request")
        out.write(b"200 " + request)

    end = await _cancel_after_settling(connection.serve(handle), cancel=cancel)
    return {"end": end, "written": writer.written, "keep_alive": connection.keep_alive}


def test_loop_flag_cleared_in_the_handler_ends_cancelled_after_the_fix() -> None:
    source = _fixture("CF105", "keep_alive_flag_cleared_in_handler")
    assert _findings(source, unsafe=False) == [("CF105", FixSafety.UNSAFE, False)]
    original, fixed_ns = load(source), load(_fixed_source(source))
    cancelled = {"written": [b"503 shutting down\n"], "keep_alive": False}
    assert asyncio.run(_serve(original, cancel=True)) == {"end": ("returned", None), **cancelled}
    assert asyncio.run(_serve(fixed_ns, cancel=True)) == {"end": "cancelled", **cancelled}
    # Not cancelled: the second request fails in both, after the first one's reply.
    for ns in (original, fixed_ns):
        assert asyncio.run(_serve(ns, cancel=False)) == {
            "end": ("raised", "ValueError"),
            "written": [b"200 GET /a"],
            "keep_alive": True,
        }


class FakeServer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def start(self) -> None:
        self.calls.append("start")

    async def serve_forever(self) -> None:
        await asyncio.sleep(1)

    async def before_stop(self) -> None:
        await asyncio.sleep(0)
        self.calls.append("before_stop")

    async def close(self) -> None:
        self.calls.append("close")


async def _run_server(ns: Namespace) -> Any:
    runner, server = ns["ServerRunner"](), FakeServer()
    end = await _cancel_after_settling(runner.run(server))
    return {"end": end, "calls": server.calls, "stage": runner.stage}


def test_graceful_shutdown_then_reraise() -> None:
    source = _fixture("CF105", "guard_raise_then_graceful_shutdown")
    assert _findings(source, unsafe=False) == [("CF105", FixSafety.UNSAFE, False)]
    shutdown = {"calls": ["start", "before_stop", "close"], "stage": "stopped"}
    assert asyncio.run(_run_server(load(source))) == {"end": ("returned", None), **shutdown}
    fixed_ns = load(_fixed_source(source))
    assert asyncio.run(_run_server(fixed_ns)) == {"end": "cancelled", **shutdown}


async def _guarded(ns: Namespace, job: Any, *, cancel: bool, timeout: float = WAIT) -> Any:
    return await _cancel_after_settling(ns["JobRunner"]().guarded(job, timeout), cancel=cancel)


async def _slow_job() -> str:
    await asyncio.sleep(1)
    return "late"


async def _quick_job() -> str:
    await asyncio.sleep(0)
    return "done"


def test_wrapper_ends_cancelled_and_keeps_its_other_results() -> None:
    source = _fixture("CF105", "wrapper_returns_none_like_on_errors")
    assert _findings(source, unsafe=False) == [("CF105", FixSafety.UNSAFE, False)]
    original, fixed_ns = load(source), load(_fixed_source(source))
    assert asyncio.run(_guarded(original, _slow_job, cancel=True)) == ("returned", None)
    assert asyncio.run(_guarded(fixed_ns, _slow_job, cancel=True)) == "cancelled"
    for ns in (original, fixed_ns):
        assert asyncio.run(_guarded(ns, _quick_job, cancel=False)) == ("returned", "done")
        timed_out = asyncio.run(_guarded(ns, _slow_job, cancel=False, timeout=0.001))
        assert timed_out == ("returned", None)


# shapes that are no finding ---------------------------------------------------------------


async def _next_message(ns: Namespace, *, closed: bool) -> Any:
    class Conn:
        is_closed = closed

    subscription = ns["Subscription"](Conn())
    return await _cancel_after_settling(subscription.next_message(timeout=WAIT))


def test_translation_when_closed_is_no_finding() -> None:
    source = _fixture("CF102", "ok_translated_when_closed")
    assert _findings(source, unsafe=True) == []
    ns = load(source)
    assert asyncio.run(_next_message(ns, closed=False)) == "cancelled"
    assert asyncio.run(_next_message(ns, closed=True)) == ("raised", "ConnectionClosedError")


class FakeTransport:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def write_eof(self) -> None:
        self.calls.append("write_eof")

    def close(self) -> None:
        self.calls.append("close")


async def _session_fails(ns: Namespace) -> Any:
    transport = FakeTransport()
    session = ns["Session"](transport)
    task = asyncio.ensure_future(session.close_when_done())
    await asyncio.sleep(SETTLE)
    session.fail()  # the class cancels its own future: the data phase was cut short
    await asyncio.wait({task}, timeout=WAIT)
    return {"end": task_end(task), "calls": transport.calls}


def test_future_the_class_cancels_is_no_finding() -> None:
    source = _fixture("CF102", "ok_awaits_future_the_class_cancels")
    assert _findings(source, unsafe=True) == []
    # The CancelledError is the future's: the session closes its transport and ends normally.
    assert asyncio.run(_session_fails(load(source))) == {
        "end": ("returned", None),
        "calls": ["write_eof", "close"],
    }


class FakeSendTransport:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write(self, batch: bytes) -> None:
        await asyncio.sleep(0)
        self.written.append(batch)


async def _start_and_close(ns: Namespace) -> Any:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    queue.put_nowait(b"batch")
    sender = ns["Sender"](queue, FakeSendTransport())
    sender.start()
    closing = asyncio.ensure_future(sender.close_after_settling())
    await asyncio.wait({closing}, timeout=WAIT)
    return task_end(closing, error_name=True)


def test_owner_awaiting_unguarded_keeps_the_finding_report_only() -> None:
    source = _fixture("CF105", "owner_awaits_after_cancel_report_only")
    assert ("CF105", None, False) in _findings(source, unsafe=True)
    settling = (
        "\n    async def close_after_settling(self) -> None:\n"
        f"        await asyncio.sleep({SETTLE})\n"
        "        await self.close()\n"
    )
    # close() returns once the task has ended normally ...
    assert asyncio.run(_start_and_close(load(source + settling))) == ("returned", None)
    # ... and a `raise` in the task alone would make close() itself end cancelled.
    naive = source.replace(
        'log.debug("sender stopped")', 'log.debug("sender stopped")\n            raise'
    )
    assert naive != source
    assert asyncio.run(_start_and_close(load(naive + settling))) == "cancelled"
