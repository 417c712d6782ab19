"""A CF101/CF102 fix whose `raise` skips code after the `try` that the swallowing path ran
(issue 15, pattern 1; Home Assistant's `APIEventStream.get`): on a real event loop, the
original hands its caller a value when cancelled and the fixed code raises instead. That is
the point of the fix, but it is code the original ran, so the fix is unsafe: `fix` leaves it
alone, `fix --unsafe-fixes` applies it, and every path without a cancellation is unchanged.

The sources are the rules' own fixtures, so what the snapshots show is what runs here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, task_end

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STREAM = FIXTURES / "CF102-cancelled-error-not-reraised/stream_handler_returns_response_unsafe.py"
BATCH = FIXTURES / "CF102-cancelled-error-not-reraised/worker_returns_partial_result_unsafe.py"
PROXY = FIXTURES / "CF101-broad-except-swallows-cancel/request_handler_returns_response_unsafe.py"


@dataclass(frozen=True)
class Versions:
    original: Namespace
    fixed: Namespace


def versions(case: Path, code: str, skipped: str) -> Versions:
    """The case fixed by `code` with `--unsafe-fixes`, after checking that plain `fix` only
    reports it as unsafe, naming the `skipped` line."""
    source = case.read_text()
    safe_only = fixed(source, (code,), unsafe=False)
    assert safe_only.new_source is None
    [finding] = safe_only.findings
    assert (finding.code, finding.fix, finding.fixed) == (code, FixSafety.UNSAFE, False)
    assert finding.message.endswith(
        "(unsafe fix: re-raising would skip the code after the `try` that the swallowing "
        f"path runs (line `{skipped}`))"
    )
    outcome = fixed(source, (code,), unsafe=True)
    assert outcome.new_source is not None
    assert [(f.code, f.fixed) for f in outcome.findings] == [(code, True)]
    return Versions(load(source), load(outcome.new_source.decode()))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def cancelled_while_running(coroutine: Any) -> Any:
    """Start `coroutine`, let it reach its wait, cancel it (the client went away), and say how
    it ended."""
    task = asyncio.ensure_future(coroutine)
    await settle()
    task.cancel()
    await asyncio.wait({task}, timeout=1.0)
    return task_end(task, error_name=True)


# --------------------------------------------------------------------------------------------
# CF102: an event-stream handler returns its response when the client goes away
# --------------------------------------------------------------------------------------------


@dataclass
class Subscription:
    events: asyncio.Queue[Any] = field(default_factory=asyncio.Queue)

    async def get(self) -> str:
        event = await self.events.get()
        if isinstance(event, BaseException):
            raise event
        return str(event)


@dataclass
class Hub:
    calls: list[str] = field(default_factory=list)
    subscription: Subscription = field(default_factory=Subscription)

    def subscribe(self) -> Subscription:
        self.calls.append("subscribe")
        return self.subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.calls.append("unsubscribe")


@dataclass
class Response:
    written: list[bytes] = field(default_factory=list)

    async def prepare(self, request: object) -> None:
        pass

    async def write(self, data: bytes) -> None:
        self.written.append(data)


async def stream_scenario(ns: Namespace, last: object) -> dict[str, Any]:
    """One event, then `last`: a cancellation (None) or an error the subscription raises."""
    hub, response = Hub(), Response()
    hub.subscription.events.put_nowait("state_changed")
    if last is not None:
        hub.subscription.events.put_nowait(last)
        try:
            end: Any = ("returned", await ns["stream_events"]("request", hub, response))
        except Exception as error:
            end = ("raised", type(error).__name__)
    else:
        end = await cancelled_while_running(ns["stream_events"]("request", hub, response))
    if end == ("returned", response):
        end = ("returned", "the response")
    return {"end": end, "calls": hub.calls, "written": response.written}


def test_stream_handler_returned_its_response_when_cancelled_and_now_raises() -> None:
    stream = versions(STREAM, "CF102", "return response")
    written = [b"data: state_changed\n\n"]

    # Original: the server's cancellation is swallowed and the response handed back.
    assert asyncio.run(stream_scenario(stream.original, None)) == {
        "end": ("returned", "the response"),
        "calls": ["subscribe", "unsubscribe"],
        "written": written,
    }
    # Fixed: it ends cancelled; the `finally` still unsubscribes; the return is skipped.
    assert asyncio.run(stream_scenario(stream.fixed, None)) == {
        "end": "cancelled",
        "calls": ["subscribe", "unsubscribe"],
        "written": written,
    }
    # A failing subscription: the same in both.
    for ns in (stream.original, stream.fixed):
        assert asyncio.run(stream_scenario(ns, ConnectionResetError())) == {
            "end": ("raised", "ConnectionResetError"),
            "calls": ["subscribe", "unsubscribe"],
            "written": written,
        }


# --------------------------------------------------------------------------------------------
# CF102: a batch worker returns the part it read when cancelled
# --------------------------------------------------------------------------------------------


@dataclass
class Source:
    ready: int
    """Reads that answer at once; the next one waits for ever."""

    async def read(self) -> bytes:
        if self.ready == 0:
            await asyncio.Event().wait()
        self.ready -= 1
        return b"row"


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_full_batch_is_the_same_in_both(version: str) -> None:
    ns = getattr(versions(BATCH, "CF102", "return results"), version)
    assert asyncio.run(ns["read_batch"](Source(ready=3), 3)) == [b"row"] * 3


def test_batch_worker_returned_its_partial_batch_when_cancelled_and_now_raises() -> None:
    batch = versions(BATCH, "CF102", "return results")

    async def cut_short(ns: Namespace) -> Any:
        return await cancelled_while_running(ns["read_batch"](Source(ready=2), 5))

    assert asyncio.run(cut_short(batch.original)) == ("returned", [b"row", b"row"])
    assert asyncio.run(cut_short(batch.fixed)) == "cancelled"


# --------------------------------------------------------------------------------------------
# CF101: a proxy answers 502 on any failure, the cancellation included
# --------------------------------------------------------------------------------------------


@dataclass
class Request:
    path: str = "/api/states"


@dataclass
class Backend:
    answer: object
    """What `forward` gives: a response, an error it raises, or None: it waits for ever."""

    async def forward(self, request: Request) -> object:
        if self.answer is None:
            await asyncio.Event().wait()
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def test_proxy_returned_502_when_cancelled_and_now_raises() -> None:
    proxy = versions(PROXY, "CF101", "return response")
    bad_gateway = {"status": 502, "body": b""}

    async def cancelled(ns: Namespace) -> Any:
        return await cancelled_while_running(ns["proxy"](Request(), Backend(None)))

    assert asyncio.run(cancelled(proxy.original)) == ("returned", bad_gateway)
    assert asyncio.run(cancelled(proxy.fixed)) == "cancelled"
    # A backend answer and a backend failure: the same in both.
    ok = {"status": 200, "body": b"[]"}
    for ns in (proxy.original, proxy.fixed):
        assert asyncio.run(ns["proxy"](Request(), Backend(ok))) == ok
        assert asyncio.run(ns["proxy"](Request(), Backend(ConnectionError()))) == bad_gateway
