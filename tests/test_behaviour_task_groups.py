"""Fixes of tasks stopped together (issue 21, pattern 1), judged on a real event loop.

Each case stops two or three background tasks in one place: one after the other in a block
(`a.cancel()`, wait for `a`, `b.cancel()`, wait for `b`), each pair under an `if` with a reset
after it, a loop cancelling and waiting for each in turn (with a `done()` guard), and a pool
that starts its workers, waits for its queue, then cancels them and gathers them (CF302). The
original and the fixed source (below and from Python 3.11) run against children the test
controls, through these scenarios:

(A) every child honours the cancel: the same end as the original;
(B) child k fails while handling the cancel, for each k: the same error as the original;
(C) every child turns the cancel into a return value: the same end as the original;
(D) the caller is cancelled while it waits, at each of its waits in turn (child k slow to
    finish; for the pool, also while the workers still run): the fixed caller ends cancelled
    and every child ends, cancelled: none is left running. The one-by-one originals fail
    this: they swallow the cancellation, or leave the next task running.

Every wait is ordered by events; waits for something that should end are bounded by 1 s,
never reached when the code is correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest

from tests.behaviour import Namespace, fixed, load, task_end

BOUND = 1.0
TARGETS = ((3, 9), (3, 11))


class Behaviour(enum.Enum):
    HONOUR = "re-raises the CancelledError at once"
    SLOW = "finishes its cleanup only once released, then re-raises"
    RAISE = "fails while handling the cancel"
    RETURN = "turns the cancel into a return value"


class Child:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.saw_cancel = asyncio.Event()
        self.release = asyncio.Event()
        self.task: asyncio.Task[Any] | None = None

    async def run(self) -> str:
        self.task = asyncio.current_task()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.saw_cancel.set()
            if self.behaviour is Behaviour.SLOW:
                await self.release.wait()
            elif self.behaviour is Behaviour.RAISE:
                raise RuntimeError("cleanup failed") from None
            elif self.behaviour is Behaviour.RETURN:
                return "partial"
            raise
        raise AssertionError("unreachable")


Start = Callable[[Namespace, list[Child], asyncio.Event], Callable[[], Coroutine[Any, Any, Any]]]
"""Builds the code's object around the children, starts them; returns the call that stops."""


def service(ns: Namespace, children: list[Child], _: asyncio.Event) -> Any:
    obj = ns["Service"]([child.run for child in children])
    obj.start()

    async def stopping() -> Any:
        await obj.close()
        return obj.state

    return stopping


def pool(ns: Namespace, children: list[Child], until: asyncio.Event) -> Any:
    return lambda: ns["run_pool"]([child.run for child in children], until)


SERVICE = """
import asyncio
import contextlib


class Service:
    def __init__(self, workers):
        self._workers = workers
        self.state = "new"

    def start(self):
{start}
        self.state = "open"

    async def close(self):
{body}
        self.state = "closed"
"""

INTERLEAVED = """
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        self._pinger.cancel()
        try:
            await self._pinger
        except asyncio.CancelledError:
            pass
"""

GUARDED = """
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
            self._pinger = None
"""

LOOP = """
        for task in list(self._tasks):
            if not task.done():
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        self._tasks.clear()
"""

POOL = """
import asyncio


async def run_pool(workers, until):
    tasks = [asyncio.create_task(work()) for work in workers]
    await until.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks)
    return "drained"
"""


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    rule: str
    start: Start
    children: int
    pool: bool = False
    """The children start with the call (and the caller may be cancelled before the stop)."""


PAIR = """
        self._reader = asyncio.create_task(self._workers[0]())
        self._pinger = asyncio.create_task(self._workers[1]())
"""
LIST = """
        self._tasks = [asyncio.create_task(work()) for work in self._workers]
"""


def _service(start: str, body: str) -> str:
    return SERVICE.format(start=start.strip("\n"), body=body.strip("\n"))


CASES = [
    Case("interleaved", _service(PAIR, INTERLEAVED), "CF301", service, 2),
    Case("guarded", _service(PAIR, GUARDED), "CF301", service, 2),
    Case("loop", _service(LIST, LOOP), "CF301", service, 3),
    Case("pool", POOL, "CF302", pool, 3, pool=True),
]


def fixed_source(case: Case, target: tuple[int, int]) -> str:
    outcome = fixed(case.source, (case.rule,), unsafe=True, target=target)
    assert outcome.new_source is not None, "no fix applied"
    return outcome.new_source.decode()


async def run(source: str, case: Case, behaviours: list[Behaviour]) -> tuple[Any, list[Child]]:
    """Stop the children (after letting them start); what stopping ended with."""
    children = [Child(b) for b in behaviours]
    until = asyncio.Event()
    stopping = case.start(load(source), children, until)
    await started()
    task = asyncio.ensure_future(stopping())
    await started()
    until.set()
    await asyncio.wait([task], timeout=BOUND)
    for child in children:
        child.release.set()
    return task_end(task, error_name=True), children


async def started() -> None:
    """A few loop iterations: the tasks just created start (and wait to be cancelled)."""
    for _ in range(3):
        await asyncio.sleep(0)


async def settle(children: list[Child]) -> None:
    tasks = [child.task for child in children if child.task is not None]
    assert len(tasks) == len(children), "a child never started"
    await asyncio.wait(tasks, timeout=BOUND)


def same_end(case: Case, target: tuple[int, int], behaviours: list[Behaviour]) -> None:
    async def both() -> tuple[Any, Any]:
        before, _ = await run(case.source, case, behaviours)
        after, children = await run(fixed_source(case, target), case, behaviours)
        await settle(children)
        assert all(child.task is not None and child.task.done() for child in children)
        return before, after

    before, after = asyncio.run(both())
    assert after == before


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"py{t[0]}{t[1]}")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_children_honour_the_cancel(case: Case, target: tuple[int, int]) -> None:
    """(A) The same end as the original (the pool's original raises the workers'
    CancelledError: that is CF302's bug, so its fixed end is checked on its own)."""
    behaviours = [Behaviour.HONOUR] * case.children
    if case.pool:
        end, _ = asyncio.run(run(fixed_source(case, target), case, behaviours))
        assert end == ("returned", "drained")
        return
    same_end(case, target, behaviours)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"py{t[0]}{t[1]}")
@pytest.mark.parametrize("case", [c for c in CASES if not c.pool], ids=lambda c: c.id)
@pytest.mark.parametrize("failing", [0, 1])
def test_a_child_fails_on_cancel(case: Case, target: tuple[int, int], failing: int) -> None:
    """(B) The child's error propagates, as it did (gather's unsafe fix returns it instead:
    not checked here)."""
    behaviours = [Behaviour.HONOUR] * case.children
    behaviours[failing] = Behaviour.RAISE
    same_end(case, target, behaviours)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"py{t[0]}{t[1]}")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_children_return_on_cancel(case: Case, target: tuple[int, int]) -> None:
    """(C) Children that return on cancel: the same end as the original."""
    same_end(case, target, [Behaviour.RETURN] * case.children)


async def cancelled_while_waiting(
    source: str, case: Case, slow: int | None
) -> tuple[Any, list[bool]]:
    """Cancel the caller while it waits for child `slow` (None: for the pool's `until`,
    before the stop); then release the children. What the caller ended with, and which
    children ended."""
    behaviours = [Behaviour.HONOUR] * case.children
    if slow is not None:
        behaviours[slow] = Behaviour.SLOW
    children = [Child(b) for b in behaviours]
    until = asyncio.Event()
    stopping = case.start(load(source), children, until)
    await started()
    task = asyncio.ensure_future(stopping())
    await started()
    if slow is not None:
        until.set()
        await asyncio.wait_for(children[slow].saw_cancel.wait(), BOUND)
    for _ in range(5):  # the caller reaches its wait; the children that honour end
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait([task], timeout=BOUND)
    for child in children:
        child.release.set()
    await settle(children)
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, BOUND)
    ended = [child.task is not None and child.task.done() for child in children]
    return task_end(task, error_name=True), ended


def _waits(case: Case) -> list[int | None]:
    return ([None] if case.pool else []) + list(range(case.children))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"py{t[0]}{t[1]}")
@pytest.mark.parametrize(
    ("case", "slow"),
    [(case, slow) for case in CASES for slow in _waits(case)],
    ids=lambda value: value.id if isinstance(value, Case) else f"at-{value}",
)
def test_caller_cancelled_at_each_wait(case: Case, slow: int | None, target: Any) -> None:
    """(D) Cancelled at any of its waits, the fixed caller ends cancelled, and no child is
    left running."""
    end, ended = asyncio.run(cancelled_while_waiting(fixed_source(case, target), case, slow))
    assert end == "cancelled"
    assert all(ended), ended


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_originals_fail_when_cancelled_at_the_first_wait(case: Case) -> None:
    """(D) against the originals: the test tells a right fix from the one-by-one code."""
    first = _waits(case)[0]
    end, ended = asyncio.run(cancelled_while_waiting(case.source, case, first))
    assert end != "cancelled" or not all(ended), (end, ended)
