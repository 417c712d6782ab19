"""CF302's fix, judged by what the code does on a real event loop, not by how the diff looks.

A service cancels its worker tasks and gathers them. The engine fixes the source (the fix is
unsafe: `--unsafe-fixes`); both the original and the fixed source are executed into fresh
namespaces and run through the same scenarios with `asyncio.run`:

(A) the workers honour the cancel: the original's `stop()` raises their CancelledError (the
    task running it looks cancelled though nobody cancelled it) and returns before every worker
    has finished; the fixed one returns normally once every worker has ended cancelled.
(B) the caller itself is cancelled while it waits in `gather`: both end cancelled.
(C) a worker turns its cancellation into a return value: both go on, with the same result.
(D) a worker raises another error when cancelled: the original raises it, the fixed version
    returns it in the result list. This is why the fix is unsafe.
(E) an enclosing `asyncio.timeout()` expires while it waits: `TimeoutError` in both.

Timing: the workers' slow cleanup waits on an event the scenario controls, so no assertion
depends on a sleep being long enough; the waits that bound a scenario are never reached when
the code behaves as asserted.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, squash, task_end

SERVICE = textwrap.dedent(
    """
    import asyncio
    import logging

    log = logging.getLogger("service")


    class Service:
        \"\"\"Runs one worker task per job; `stop()` cancels them and waits for them.\"\"\"

        def __init__(self, jobs):
            self.jobs = jobs
            self.workers = []
            self.stopped = False

        def start(self):
            self.workers = [asyncio.create_task(job()) for job in self.jobs]

        async def stop(self):
            for worker in self.workers:
                worker.cancel()
            results = await asyncio.gather(*self.workers)
            self.stopped = True
            log.info("stopped %d workers", len(results))
            return results
    """
)

BOUND = 1.0
"""Generous bound for something we expect to end; never reached when the code is correct."""

Job = Callable[[], Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class Versions:
    original: Namespace
    fixed: Namespace


@pytest.fixture(scope="module")
def versions() -> Versions:
    outcome = fixed(SERVICE, ("CF302",), unsafe=True)
    assert outcome.new_source is not None, outcome.findings
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [
        ("CF302", FixSafety.UNSAFE, True)
    ]
    fixed_source = outcome.new_source.decode()
    expect = "results = await asyncio.gather(*self.workers, return_exceptions=True)"
    assert squash(expect) in squash(fixed_source)
    assert fixed_source.replace(", return_exceptions=True", "") == SERVICE
    return Versions(load(SERVICE), load(fixed_source))


def test_the_fix_is_unsafe_only() -> None:
    assert fixed(SERVICE, ("CF302",), unsafe=False).new_source is None


def run(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a scenario on a fresh event loop; an exception escaping it is returned."""
    try:
        return asyncio.run(scenario())
    except (Exception, asyncio.CancelledError) as error:
        return error


def settle() -> Awaitable[None]:
    """Let every task that is ready run until it blocks."""
    return asyncio.sleep(0.01)


# What workers do when cancelled ---------------------------------------------------------------


def honours(cleanup_done: asyncio.Event | None = None) -> Job:
    """A worker that cleans up (waiting for `cleanup_done`, if given) and re-raises."""

    async def worker() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if cleanup_done is not None:
                await cleanup_done.wait()  # flushing a buffer, closing a connection...
            raise

    return worker


def returns(value: str) -> Job:
    """A worker that turns its cancellation into a return value."""

    async def worker() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return value
        return "unreachable"

    return worker


def fails(error: Exception) -> Job:
    """A worker whose cleanup on cancel fails with another error."""

    async def worker() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            raise error from None

    return worker


def service(namespace: Namespace, jobs: list[Job]) -> Any:
    return namespace["Service"](jobs)


# (A) workers honour the cancel ----------------------------------------------------------------


@dataclass(frozen=True)
class StopSeen:
    done_before_cleanup: bool
    """Whether `stop()` had ended while a worker was still cleaning up."""
    end: Any
    stopped: bool
    workers: list[str]


def stop_with_slow_cleanup(namespace: Namespace) -> StopSeen:
    async def scenario() -> StopSeen:
        cleanup_done = asyncio.Event()
        svc = service(namespace, [honours(), honours(cleanup_done), honours()])
        svc.start()
        await settle()
        stopping = asyncio.create_task(svc.stop())
        await settle()
        done_before_cleanup = stopping.done()
        cleanup_done.set()
        await asyncio.wait({stopping, *svc.workers}, timeout=BOUND)
        return StopSeen(
            done_before_cleanup,
            task_end(stopping),
            svc.stopped,
            [task_end(worker) for worker in svc.workers],
        )

    result = run(scenario)
    assert isinstance(result, StopSeen), result
    return result


def test_a_original_stop_looks_cancelled_and_does_not_wait(versions: Versions) -> None:
    seen = stop_with_slow_cleanup(versions.original)
    # Nobody cancelled the task running stop(), yet it ends cancelled, before a worker
    # finished its cleanup, and skips the rest of the shutdown.
    assert seen.done_before_cleanup
    assert seen.end == "cancelled"
    assert not seen.stopped


def test_a_fixed_stop_returns_once_every_worker_ended(versions: Versions) -> None:
    seen = stop_with_slow_cleanup(versions.fixed)
    assert not seen.done_before_cleanup
    assert seen.stopped
    assert seen.workers == ["cancelled"] * 3
    kind, results = seen.end
    assert kind == "returned"
    assert [type(result) for result in results] == [asyncio.CancelledError] * 3


# (B) the caller is cancelled while it waits in gather -----------------------------------------


def cancel_caller_while_gathering(namespace: Namespace) -> Any:
    async def scenario() -> tuple[Any, bool, list[str]]:
        never = asyncio.Event()  # the cleanup only ends when cancelled again
        svc = service(namespace, [honours(never), honours(never)])
        svc.start()
        await settle()
        stopping = asyncio.create_task(svc.stop())
        await settle()
        assert not stopping.done()  # waiting in gather: the workers are cleaning up
        stopping.cancel()
        await asyncio.wait({stopping, *svc.workers}, timeout=BOUND)
        return task_end(stopping), svc.stopped, [task_end(worker) for worker in svc.workers]

    return run(scenario)


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_b_caller_cancelled_while_waiting_ends_cancelled(versions: Versions, version: str) -> None:
    end, stopped, workers = cancel_caller_while_gathering(getattr(versions, version))
    assert end == "cancelled"
    assert not stopped
    assert workers == ["cancelled", "cancelled"]


# (C) a worker turns cancellation into a return value ------------------------------------------


def stop_returning_workers(namespace: Namespace) -> Any:
    async def scenario() -> Any:
        svc = service(namespace, [returns("partial batch"), returns("flushed")])
        svc.start()
        await settle()
        results = await asyncio.wait_for(svc.stop(), BOUND)
        return results, svc.stopped

    return run(scenario)


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_c_workers_returning_on_cancel_let_both_continue(versions: Versions, version: str) -> None:
    assert stop_returning_workers(getattr(versions, version)) == (
        ["partial batch", "flushed"],
        True,
    )


# (D) a worker raises another error on cancel: why the fix is unsafe ---------------------------


FLUSH_FAILED = ConnectionError("flush failed: broker went away")


def stop_failing_worker(namespace: Namespace) -> Any:
    async def scenario() -> Any:
        svc = service(namespace, [fails(FLUSH_FAILED), returns("flushed")])
        svc.start()
        await settle()
        results = await asyncio.wait_for(svc.stop(), BOUND)
        return results, svc.stopped

    return run(scenario)


def test_d_original_raises_the_workers_error(versions: Versions) -> None:
    assert stop_failing_worker(versions.original) is FLUSH_FAILED


def test_d_fixed_returns_the_workers_error_in_the_result(versions: Versions) -> None:
    # The error no longer propagates: it is an item of the result, noticed only by code that
    # inspects the results. This is why CF302's fix is unsafe.
    results, stopped = stop_failing_worker(versions.fixed)
    assert results == [FLUSH_FAILED, "flushed"]
    assert results[0] is FLUSH_FAILED
    assert stopped


# (E) an enclosing asyncio.timeout() expires while waiting -------------------------------------


def stop_under_timeout(namespace: Namespace) -> Any:
    async def scenario() -> tuple[Any, bool, list[str]]:
        never = asyncio.Event()
        svc = service(namespace, [honours(never), honours(never)])
        svc.start()
        await settle()
        try:
            async with asyncio.timeout(0.05):
                await svc.stop()
        except TimeoutError as error:
            return error, svc.stopped, [task_end(worker) for worker in svc.workers]
        return "no timeout", svc.stopped, []

    return run(scenario)


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_e_enclosing_timeout_raises_timeout_error(versions: Versions, version: str) -> None:
    end, stopped, workers = stop_under_timeout(getattr(versions, version))
    assert isinstance(end, TimeoutError)
    assert not stopped
    assert workers == ["cancelled", "cancelled"]
