"""CF301 fixes, judged by what the code does on a real event loop, not by how the diff looks.

Each case is realistic asyncio code that cancels a background task and then awaits it, in one
of the three shapes the rule rewrites: a plain `await task`, `try: await task` / `except
CancelledError: pass` (also with a tuple, a handler that logs and returns, other handlers) and
`with suppress(CancelledError): await task` (also with more classes); the task is a name, an
attribute chain (`self._task`) or the loop variable of a loop over tasks cancelled earlier.

The engine fixes each case for a target below 3.11 (`asyncio.wait([task])`, then
`task.result()`) and for 3.11 (the `cancelling()` comparison). BOTH the original and the fixed
source then run on a real loop against children the test controls (`Child`), through the
scenarios the spec requires of CF301:

(A) the child honours the cancel: the caller continues (the plain original raises the child's
    CancelledError instead: that is the bug);
(B) the caller is cancelled while the child is slow to finish: the fixed caller ends cancelled
    (the try/suppress originals swallow it and return);
(C) the child turns the cancel into a return value: the caller continues;
(D) the child raises another error when cancelled: it propagates;
(E) an enclosing `asyncio.timeout()` expires while the child is slow: TimeoutError once fixed
    (the try/suppress originals return as if nothing happened);
(F) the caller, itself being cancelled, stops the child from its `finally`: the rest of that
    `finally` still runs, and the caller ends cancelled.

Timing: every wait is ordered by events; the only timer is the 0.01 s `asyncio.timeout()` of
(E), around a child that cannot finish before it is released. Waits for a task that should end
are bounded by 1 s, never reached when the code is correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import textwrap
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, squash, task_end

RULES = ("CF301",)
TARGETS = ((3, 9), (3, 11))
BOUND = 1.0
"""Generous bound for a task we expect to end; never reached when the code is correct."""
TIMEOUT = 0.01
"""The enclosing `asyncio.timeout()` of (E): the slow child never finishes before it (it
waits to be released), and the timer cannot fire before the child saw the cancel: that
wakeup is queued first (`drive` checks it)."""

Worker = Callable[[], Coroutine[Any, Any, Any]]
Stop = Callable[[], Coroutine[Any, Any, Any]]
End = str | tuple[str, Any]
""""cancelled", ("returned", value) or ("raised", exception type name)."""


# --------------------------------------------------------------------------------------------
# the children: background tasks whose reaction to cancellation the test chooses
# --------------------------------------------------------------------------------------------


class Behaviour(Enum):
    HONOUR = "re-raises the CancelledError at once"
    SLOW = "flushes on cancel, slower than anyone waits, then re-raises"
    RETURN = "turns the cancel into a return value"
    RAISE = "fails while handling the cancel"
    STUBBORN = "like SLOW, but swallows a second cancel and returns"


PARTIAL = "partial"


class Child:
    """The body of one background task: works until cancelled, then does what `behaviour`
    says. `release` ends a slow flush (the test sets it once the caller has ended)."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.started = asyncio.Event()
        self.saw_cancel = asyncio.Event()
        self.release = asyncio.Event()
        self.task: asyncio.Task[Any] | None = None

    async def run(self) -> str:
        self.task = asyncio.current_task()
        self.started.set()
        try:
            await asyncio.Event().wait()  # polls, reads, pings...: until cancelled
        except asyncio.CancelledError:
            self.saw_cancel.set()
            match self.behaviour:
                case Behaviour.SLOW:
                    await self.release.wait()
                    raise
                case Behaviour.STUBBORN:
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.release.wait()  # interrupted: give up quietly
                    return PARTIAL
                case Behaviour.RETURN:
                    return PARTIAL
                case Behaviour.RAISE:
                    raise RuntimeError("flush failed") from None
            raise
        raise AssertionError("unreachable")


def behaviours(first: Behaviour, count: int) -> list[Behaviour]:
    """The children's behaviours: a slow child is the first awaited, the others honour the
    cancel (a second slow one would keep a swallowing original waiting forever); any other
    behaviour is every child's."""
    if first in (Behaviour.SLOW, Behaviour.STUBBORN):
        return [first] + [Behaviour.HONOUR] * (count - 1)
    return [first] * count


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------


class Shape(StrEnum):
    PLAIN = "plain"
    TRY = "try"
    SUPPRESS = "suppress"


Prepare = Callable[[Namespace, list[Worker]], Stop]
"""Builds the code's objects around the workers, starts the tasks, returns the stopping call."""


def service(cls: str, start: str = "start", stop: str = "stop") -> Prepare:
    """A class taking one worker function, started by `start()`; stopping it ends with its
    `state`."""

    def prepare(ns: Namespace, workers: list[Worker]) -> Stop:
        obj = ns[cls](workers[0])
        getattr(obj, start)()

        async def stopping() -> Any:
            await getattr(obj, stop)()
            return obj.state

        return stopping

    return prepare


def pool(cls: str) -> Prepare:
    """A class taking a list of worker functions, started by `start()`."""

    def prepare(ns: Namespace, workers: list[Worker]) -> Stop:
        obj = ns[cls](workers)
        obj.start()

        async def stopping() -> Any:
            await obj.stop()
            return obj.state

        return stopping

    return prepare


def function(name: str) -> Prepare:
    """A function taking the task to stop."""

    def prepare(ns: Namespace, workers: list[Worker]) -> Stop:
        task = asyncio.create_task(workers[0]())
        return lambda: ns[name](task)

    return prepare


@dataclass(frozen=True)
class Case:
    id: str
    shape: Shape
    source: str
    prepare: Prepare
    ref: str
    """What the fixed code awaits: the task's name, or the local an attribute chain is read
    into."""
    stopped: Any = "stopped"
    """What stopping ends with when the child honoured the cancel."""
    finished: Any = "stopped"
    """What stopping ends with when the child returned instead."""
    workers: int = 1
    tail: bool = True
    """Statements follow the wait (`self.state = "stopped"`): a cancellation of the caller
    while it waits, which the original swallowed before running them, now skips them, so the
    fix is unsafe (scenario B shows it)."""

    @property
    def safety(self) -> FixSafety:
        unsafe = self.shape is Shape.PLAIN or self.tail
        return FixSafety.UNSAFE if unsafe else FixSafety.SAFE


# ---- plain `await task` --------------------------------------------------------------------

POLLER_PLAIN = """
    import asyncio


    class Poller:
        \"\"\"Runs `poll()` in the background until stopped.\"\"\"

        def __init__(self, poll):
            self._poll = poll
            self._task = None
            self.state = "idle"

        def start(self):
            self._task = asyncio.create_task(self._poll())
            self.state = "running"

        async def stop(self):
            self._task.cancel()
            await self._task
            self._task = None
            self.state = "stopped"
"""

POOL_LOOP_PLAIN = """
    import asyncio


    class WorkerPool:
        def __init__(self, jobs):
            self._jobs = jobs
            self._workers = []
            self.state = "idle"

        def start(self):
            self._workers = [asyncio.create_task(job()) for job in self._jobs]
            self.state = "running"

        async def stop(self):
            for worker in self._workers:
                worker.cancel()
            for worker in self._workers:
                await worker
            self._workers = []
            self.state = "stopped"
"""

# ---- `try: await task` / `except CancelledError: ...` -------------------------------------

CONNECTION_TRY = """
    import asyncio
    import logging

    log = logging.getLogger(__name__)


    class Connection:
        \"\"\"A client connection whose replies are read by a background task.\"\"\"

        def __init__(self, read_replies):
            self._read_replies = read_replies
            self._reader = None
            self.state = "new"

        def open(self):
            self._reader = asyncio.create_task(self._read_replies())
            self.state = "open"

        async def close(self):
            if self._reader is not None and not self._reader.done():
                self._reader.cancel()
                try:
                    await self._reader
                except asyncio.CancelledError:
                    pass
            self._reader = None
            self.state = "closed"
            log.debug("connection closed")
"""

CANCEL_AND_WAIT_TRY = """
    import asyncio


    async def cancel_and_wait(task):
        \"\"\"Cancel `task` and wait until it is over.\"\"\"
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
"""

SUPERVISOR_LOOP_TRY = """
    import asyncio


    class Supervisor:
        def __init__(self, jobs):
            self._jobs = jobs
            self._tasks = []
            self.state = "idle"

        def start(self):
            self._tasks = [asyncio.create_task(job()) for job in self._jobs]
            self.state = "running"

        async def stop(self):
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            self._tasks.clear()
            self.state = "stopped"
"""

SUBSCRIPTION_TRY_TUPLE = """
    import asyncio


    class Subscription:
        def __init__(self, listen):
            self._listen = listen
            self._listener = None
            self.state = "idle"

        def start(self):
            self._listener = asyncio.create_task(self._listen())
            self.state = "listening"

        async def stop(self):
            self._listener.cancel()
            try:
                await self._listener
            except (asyncio.CancelledError, asyncio.TimeoutError):
                pass
            self.state = "stopped"
"""

STOP_READER_TRY_LOG_RETURN = """
    import asyncio
    import logging

    log = logging.getLogger(__name__)


    async def stop_reader(reader: asyncio.Task) -> str:
        \"\"\"Stop the reader task; say how it ended.\"\"\"
        reader.cancel()
        try:
            await reader
        except asyncio.CancelledError:
            log.info("reader stopped")
            return "cancelled"
        except ConnectionResetError:
            log.warning("reader lost the connection")
            return "lost"
        return "finished"
"""

# ---- `with suppress(CancelledError): await task` -------------------------------------------

HEARTBEAT_SUPPRESS = """
    import asyncio
    import contextlib


    class Heartbeat:
        \"\"\"Pings the server every few seconds while the session lives.\"\"\"

        def __init__(self, ping):
            self._ping = ping
            self._task = None
            self.state = "idle"

        def start(self):
            self._task = asyncio.create_task(self._ping())
            self.state = "beating"

        async def stop(self):
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self.state = "stopped"
"""

SHUTDOWN_SUPPRESS_IMPORTED_NAMES = """
    from asyncio import CancelledError
    from contextlib import suppress


    async def shutdown(task):
        task.cancel()
        with suppress(CancelledError):
            await task
"""

CRAWLER_LOOP_SUPPRESS = """
    import asyncio
    import contextlib


    class Crawler:
        def __init__(self, fetchers):
            self._fetchers = fetchers
            self._running = []
            self.state = "idle"

        def start(self):
            self._running = [asyncio.create_task(fetch()) for fetch in self._fetchers]
            self.state = "crawling"

        async def stop(self):
            for fetcher in self._running:
                fetcher.cancel()
            for fetcher in self._running:
                with contextlib.suppress(asyncio.CancelledError):
                    await fetcher
            self.state = "stopped"
"""

CONSUMER_SUPPRESS_MORE = """
    import asyncio
    import contextlib


    class Consumer:
        def __init__(self, consume):
            self._consume = consume
            self._task = None
            self.state = "idle"

        def start(self):
            self._task = asyncio.create_task(self._consume())
            self.state = "consuming"

        async def stop(self):
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionResetError):
                await self._task
            self.state = "stopped"
"""

CASES = [
    Case("poller-plain-attribute", Shape.PLAIN, POLLER_PLAIN, service("Poller"), "task"),
    Case("pool-plain-loop", Shape.PLAIN, POOL_LOOP_PLAIN, pool("WorkerPool"), "worker", workers=3),
    Case(
        "connection-try-attribute-guarded",
        Shape.TRY,
        CONNECTION_TRY,
        service("Connection", start="open", stop="close"),
        "task",
        stopped="closed",
        finished="closed",
    ),
    Case(
        "function-try-name",
        Shape.TRY,
        CANCEL_AND_WAIT_TRY,
        function("cancel_and_wait"),
        "task",
        stopped=None,
        finished=None,
        tail=False,
    ),
    Case(
        "supervisor-try-loop", Shape.TRY, SUPERVISOR_LOOP_TRY, pool("Supervisor"), "task", workers=3
    ),
    Case(
        "subscription-try-tuple", Shape.TRY, SUBSCRIPTION_TRY_TUPLE, service("Subscription"), "task"
    ),
    Case(
        "reader-try-logs-returns-other-handler",
        Shape.TRY,
        STOP_READER_TRY_LOG_RETURN,
        function("stop_reader"),
        "reader",
        stopped="cancelled",
        finished="finished",
        tail=False,
    ),
    Case(
        "heartbeat-suppress-attribute",
        Shape.SUPPRESS,
        HEARTBEAT_SUPPRESS,
        service("Heartbeat"),
        "task",
    ),
    Case(
        "function-suppress-imported-names",
        Shape.SUPPRESS,
        SHUTDOWN_SUPPRESS_IMPORTED_NAMES,
        function("shutdown"),
        "task",
        stopped=None,
        finished=None,
        tail=False,
    ),
    Case(
        "crawler-suppress-loop",
        Shape.SUPPRESS,
        CRAWLER_LOOP_SUPPRESS,
        pool("Crawler"),
        "fetcher",
        workers=3,
    ),
    Case(
        "consumer-suppress-more-classes",
        Shape.SUPPRESS,
        CONSUMER_SUPPRESS_MORE,
        service("Consumer"),
        "task",
    ),
]
BY_ID = {case.id: case for case in CASES}


def target_id(target: tuple[int, int]) -> str:
    return f"py{target[0]}{target[1]}"


EACH = [
    pytest.param(case, target, id=f"{case.id}-{target_id(target)}")
    for case in CASES
    for target in TARGETS
]


# --------------------------------------------------------------------------------------------
# fix + exec
# --------------------------------------------------------------------------------------------


def template(ref: str, target: tuple[int, int]) -> tuple[list[str], list[str]]:
    """Snippets the fixed code must contain for `target`, and text it must not."""
    if target >= (3, 11):
        present = [
            "cancelling = asyncio.current_task().cancelling()",
            f"await {ref}",
            f"if not {ref}.done() or asyncio.current_task().cancelling() > cancelling:\n raise",
        ]
        return present, ["asyncio.wait("]
    present = [f"await asyncio.wait([{ref}])", f"{ref}.result()"]
    return present, ["cancelling()", f"await {ref}\n"]


@dataclass(frozen=True)
class Versions:
    original: Namespace
    fixed: Namespace
    fixed_source: str


def fix_and_load(case: Case, target: tuple[int, int]) -> Versions:
    """Fix the case for `target`, check that CF301 fixed it (unsafe fixes only for the plain
    shape and a wait with statements after it) into the target's template, and load both
    versions."""
    source = textwrap.dedent(case.source)
    unsafe = case.safety is FixSafety.UNSAFE
    if unsafe:  # reported, but only fixed when unsafe fixes are allowed
        safe_only = fixed(source, RULES, unsafe=False, target=target)
        assert safe_only.new_source is None
        assert [(f.code, f.fix, f.fixed) for f in safe_only.findings] == [
            ("CF301", FixSafety.UNSAFE, False)
        ]
    outcome = fixed(source, RULES, unsafe=unsafe, target=target)
    assert outcome.new_source is not None, f"expected a CF301 fix, got {outcome.findings}"
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [("CF301", case.safety, True)]
    fixed_source = outcome.new_source.decode()
    present, absent = template(case.ref, target)
    for snippet in present:
        assert squash(snippet) in squash(fixed_source), fixed_source
    for text in absent:
        assert text not in fixed_source + "\n", fixed_source
    return Versions(load(source), load(fixed_source), fixed_source)


# --------------------------------------------------------------------------------------------
# the harness: one scenario on a fresh event loop
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    end: End
    """How the caller ended."""
    child_running: bool
    """The first child was still running when the caller ended."""
    cleaned: bool | None = None
    """(F): the rest of the caller's `finally` ran."""


@dataclass
class Service:
    """The caller of (F): serves until cancelled, then stops its children in `finally`."""

    stop: Stop
    serving: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    cleaned: bool = False

    async def run(self) -> None:
        try:
            self.serving.set()
            await asyncio.Event().wait()  # serve_forever()
        finally:
            await self.stop()
            self.cleaned = True  # close the listener, flush the log, ...


async def within_timeout(stop: Stop) -> Any:
    async with asyncio.timeout(TIMEOUT):
        return await stop()


def drive(
    case: Case,
    ns: Namespace,
    behaviour: Behaviour,
    *,
    cancel_caller: bool = False,
    timeout: bool = False,
    from_finally: bool = False,
) -> Outcome:
    """Start the case's children with `behaviour`, then stop them through the case's code:
    directly; cancelling that call once the first child saw the cancel (`cancel_caller`);
    under `asyncio.timeout()` (`timeout`); or from the `finally` of a cancelled `Service.run`
    (`from_finally`). Finally release and reap every child."""

    async def scenario() -> Outcome:
        children = [Child(b) for b in behaviours(behaviour, case.workers)]
        stop = case.prepare(ns, [child.run for child in children])
        for child in children:
            await asyncio.wait_for(child.started.wait(), BOUND)
        service = None
        if from_finally:
            service = Service(stop)
            caller = asyncio.create_task(service.run())
            await asyncio.wait_for(service.serving.wait(), BOUND)
            caller.cancel()
        else:
            caller = asyncio.create_task(within_timeout(stop) if timeout else stop())
            if cancel_caller:
                await asyncio.wait_for(children[0].saw_cancel.wait(), BOUND)
                caller.cancel()
        try:
            await asyncio.wait([caller], timeout=BOUND)
            first = children[0].task
            assert first is not None
            if timeout:
                assert children[0].saw_cancel.is_set(), "the timeout expired before the stop"
            cleaned = service.cleaned if service is not None else None
            return Outcome(task_end(caller, error_name=True), not first.done(), cleaned)
        finally:
            await reap(children)

    return asyncio.run(scenario())


async def reap(children: list[Child]) -> None:
    """End every child (a slow flush is released) and retrieve its outcome."""
    for child in children:
        child.release.set()
    tasks = [child.task for child in children if child.task is not None]
    await asyncio.wait(tasks, timeout=BOUND)
    for task in tasks:
        assert task.done(), "a child did not end once released"
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" at exit


# --------------------------------------------------------------------------------------------
# the template of each target
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_fix_uses_the_targets_template(case: Case, target: tuple[int, int]) -> None:
    versions = fix_and_load(case, target)  # asserts the template's text
    source = textwrap.dedent(case.source)
    assert "cancelling()" not in source
    assert "asyncio.wait(" not in source
    # the fix is idempotent: nothing more to fix in the fixed code
    again = fixed(versions.fixed_source, RULES, unsafe=True, target=target)
    assert again.new_source is None
    assert not again.findings


# --------------------------------------------------------------------------------------------
# (A) the child honours the cancel
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_a_child_honours_cancel_caller_continues(case: Case, target: tuple[int, int]) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.HONOUR)
    fixed = drive(case, versions.fixed, Behaviour.HONOUR)

    assert fixed == Outcome(("returned", case.stopped), child_running=False)
    if case.shape is Shape.PLAIN:
        # The bug: the child's CancelledError comes out of stop() as if it were the caller's.
        assert original == Outcome("cancelled", child_running=False)
    else:
        assert original == fixed


# --------------------------------------------------------------------------------------------
# (B) the caller is cancelled while it waits for a slow child
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_b_caller_cancelled_while_waiting_ends_cancelled(
    case: Case, target: tuple[int, int]
) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.SLOW, cancel_caller=True)
    fixed = drive(case, versions.fixed, Behaviour.SLOW, cancel_caller=True)

    assert fixed.end == "cancelled"
    if case.shape is Shape.PLAIN:
        assert original.end == "cancelled"
    else:
        # The bug: the caller's own cancellation is swallowed, it carries on.
        assert original.end == ("returned", case.stopped)
    # Awaiting a task hands the caller's cancellation on to it, cutting its flush short;
    # asyncio.wait() does not: below 3.11 the fixed caller leaves the child flushing.
    assert not original.child_running
    assert fixed.child_running is (target < (3, 11))


# --------------------------------------------------------------------------------------------
# (C) the child turns the cancel into a return value
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_c_child_returns_instead_caller_continues(case: Case, target: tuple[int, int]) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.RETURN)
    fixed = drive(case, versions.fixed, Behaviour.RETURN)

    assert original == Outcome(("returned", case.finished), child_running=False)
    assert fixed == original


# --------------------------------------------------------------------------------------------
# (D) the child fails while handling the cancel
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_d_child_error_propagates(case: Case, target: tuple[int, int]) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.RAISE)
    fixed = drive(case, versions.fixed, Behaviour.RAISE)

    assert original == Outcome(("raised", "RuntimeError"), child_running=False)
    assert fixed == original


# --------------------------------------------------------------------------------------------
# (E) an enclosing asyncio.timeout() expires while the child is slow to finish
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_e_enclosing_timeout_raises_timeout_error(case: Case, target: tuple[int, int]) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.SLOW, timeout=True)
    fixed = drive(case, versions.fixed, Behaviour.SLOW, timeout=True)

    assert fixed.end == ("raised", "TimeoutError")
    if case.shape is Shape.PLAIN:
        assert original.end == ("raised", "TimeoutError")
    else:
        # The bug: the timeout's cancellation is swallowed; the block "finished in time".
        assert original.end == ("returned", case.stopped)
    assert fixed.child_running is (target < (3, 11))


# --------------------------------------------------------------------------------------------
# (F) a caller being cancelled stops its children from its `finally`
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "target"), EACH)
def test_f_stop_from_finally_of_cancelled_caller_goes_on(
    case: Case, target: tuple[int, int]
) -> None:
    versions = fix_and_load(case, target)
    original = drive(case, versions.original, Behaviour.HONOUR, from_finally=True)
    fixed = drive(case, versions.fixed, Behaviour.HONOUR, from_finally=True)

    assert fixed == Outcome("cancelled", child_running=False, cleaned=True)
    # The plain original raises the child's CancelledError out of the `finally`, skipping
    # the rest of it; the swallowing originals happen to get this one right.
    assert original == Outcome(
        "cancelled", child_running=False, cleaned=case.shape is not Shape.PLAIN
    )


NAIVE_CANCEL_AND_WAIT = """
    import asyncio


    async def cancel_and_wait(task):
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if asyncio.current_task().cancelling():
                raise
"""
"""The guard one might write by hand: "re-raise if we are being cancelled"."""


def test_f_naive_cancelling_test_breaks_cleanup_in_finally() -> None:
    """Why the fix compares `cancelling()` with its value before the wait: a bare
    `cancelling()` test is true for the whole `finally` of a cancelled caller, so stopping
    the child from there re-raises and skips the rest of the cleanup."""
    case = BY_ID["function-try-name"]
    naive = load(textwrap.dedent(NAIVE_CANCEL_AND_WAIT))
    versions = fix_and_load(case, (3, 11))

    # The naive guard does the job in (A) and (B)...
    assert drive(case, naive, Behaviour.HONOUR) == Outcome(("returned", None), False)
    assert drive(case, naive, Behaviour.SLOW, cancel_caller=True).end == "cancelled"
    # ...but not in (F), where the fix does.
    assert drive(case, naive, Behaviour.HONOUR, from_finally=True) == Outcome(
        "cancelled", child_running=False, cleaned=False
    )
    assert drive(case, versions.fixed, Behaviour.HONOUR, from_finally=True) == Outcome(
        "cancelled", child_running=False, cleaned=True
    )


# --------------------------------------------------------------------------------------------
# a child that swallows the cancellation handed on to it
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "target", "how"),
    [
        pytest.param(
            case,
            target,
            how,
            id=f"{case.id}-{target_id(target)}-{how}",
        )
        for case in CASES
        for target in TARGETS
        for how in ("cancel", "timeout")
    ],
)
def test_b_e_child_swallowing_the_handed_on_cancel(
    case: Case, target: tuple[int, int], how: str
) -> None:
    """(B) and (E) again, with a child whose slow flush swallows a second cancel and returns.

    Below 3.11 the fix holds: `asyncio.wait()` never hands the cancellation on. The 3.11
    form awaits the task, and asyncio hands the caller's cancellation on to the awaited
    task; a child that swallows it returns normally, the `except` never runs, and the
    cancellation is lost, as the swallowing originals lose it. That is `await task` itself
    (CF301's documentation says so), not the guard.
    """
    versions = fix_and_load(case, target)

    def run(namespace: Namespace) -> Outcome:
        return drive(
            case,
            namespace,
            Behaviour.STUBBORN,
            cancel_caller=how == "cancel",
            timeout=how == "timeout",
        )

    correct = "cancelled" if how == "cancel" else ("raised", "TimeoutError")
    fixed = run(versions.fixed)
    if target < (3, 11):
        assert fixed.end == correct
    else:
        assert fixed.end[0] == "returned"  # the caller's cancellation is lost
