"""What the CF2 behaviour tests share: a recording `World` of fakes (pools, connections,
streams, locks, processes), the `Case` a test runs, fixing and loading it, and driving the
original and the fixed code on a real event loop (cancelled, under a timeout, failing)."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from codemods.model import FileOutcome, FixSafety
from tests.behaviour import Namespace, fixed, load, squash, task_end

CLEANUP_WAIT = 1.0
"""Generous bound for a task we expect to end; never reached when the code is correct."""
TIMEOUT = 0.05
"""The enclosing `asyncio.timeout()`: the region blocks forever, so it always expires."""

Call = tuple[Any, ...]


# --------------------------------------------------------------------------------------------
# helpers: fix + exec
# --------------------------------------------------------------------------------------------


def findings(outcome: FileOutcome) -> list[tuple[str, FixSafety | None, bool]]:
    return [(f.code, f.fix, f.fixed) for f in outcome.findings]


# --------------------------------------------------------------------------------------------
# the world the code runs against: fakes that record every call
# --------------------------------------------------------------------------------------------


class World:
    """Everything one run touches. Every fake records into `record`, in order. The awaits of
    the guarded region go through `step`, which counts them, makes the `block_at`-th one wait
    until cancelled and the `fail_at`-th one raise `error`. Also the module's logger."""

    def __init__(
        self,
        *,
        block_at: int | None = None,
        fail_at: int | None = None,
        error: type[Exception] = OSError,
        reply: bytes | None = None,
        failing_cleanup: str | None = None,
    ) -> None:
        self.record: list[Call] = []
        self.cleanups: list[str] = []
        self.awaits = 0
        self.block_at = block_at
        self.fail_at = fail_at
        self.error = error
        self.reply = reply
        """What every `readline()` returns instead of the case's normal reply."""
        self.failing_cleanup = failing_cleanup
        """An awaited cleanup that raises `error` each time it is called."""
        self.blocked = asyncio.Event()
        self.cancelled_with: BaseException | None = None

    async def step(self, *call: Any) -> None:
        """One await of the guarded region."""
        self.record.append(call)
        index, self.awaits = self.awaits, self.awaits + 1
        if index == self.block_at:
            self.blocked.set()
            try:
                await asyncio.get_running_loop().create_future()  # never resolved
            except asyncio.CancelledError as cancelled:
                self.cancelled_with = cancelled
                raise
        await asyncio.sleep(0)
        if index == self.fail_at:
            raise self.error(f"{call[0]} failed")

    async def setup(self, *call: Any) -> None:
        """An await before the region (acquiring): recorded, never blocks or fails."""
        await asyncio.sleep(0)
        self.record.append(call)

    def note(self, *call: Any) -> None:
        self.record.append(call)

    async def cleanup(self, name: str) -> None:
        await asyncio.sleep(0)  # an awaited cleanup must still complete under cancellation
        self.cleanup_now(name)
        if name == self.failing_cleanup:
            raise self.error(f"{name} failed")

    def cleanup_now(self, name: str) -> None:
        self.record.append((name,))
        self.cleanups.append(name)

    def warning(self, message: str, *args: Any) -> None:
        self.record.append(("warning", message % args))


class FakeTransaction:
    def __init__(self, world: World) -> None:
        self.world = world

    async def start(self) -> None:
        await self.world.setup("begin")

    async def commit(self) -> None:
        await self.world.step("commit")

    async def rollback(self) -> None:
        await self.world.cleanup("rollback")


class FakeConn:
    """An asyncpg-like connection."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def execute(self, sql: str, *args: Any) -> str:
        await self.world.step("execute", sql, *args)
        return "OK"

    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any]:
        await self.world.step("fetchrow", sql, *args)
        return {"name": "ada", "orders": 3}

    def transaction(self) -> FakeTransaction:
        return FakeTransaction(self.world)

    async def close(self) -> None:
        await self.world.cleanup("close")


class FakePool:
    def __init__(self, world: World) -> None:
        self.world = world

    async def acquire(self) -> FakeConn:
        await self.world.setup("acquire")
        return FakeConn(self.world)

    async def release(self, conn: FakeConn) -> None:
        await self.world.cleanup("release")


class FakeReader:
    def __init__(self, world: World, reply: bytes) -> None:
        self.world = world
        self.reply = reply

    async def readline(self) -> bytes:
        await self.world.step("readline")
        return self.reply if self.world.reply is None else self.world.reply


class FakeWriter:
    def __init__(self, world: World) -> None:
        self.world = world

    def write(self, data: bytes) -> None:
        self.world.note("write", data)

    async def drain(self) -> None:
        await self.world.step("drain")

    def close(self) -> None:
        self.world.cleanup_now("close")

    async def wait_closed(self) -> None:
        await self.world.cleanup("wait_closed")


class FakeProcess:
    pid = 4242

    def __init__(self, world: World, reply: bytes) -> None:
        self.world = world
        self.stdin = FakeWriter(world)
        self.stdout = FakeReader(world, reply)

    def kill(self) -> None:
        self.world.cleanup_now("kill")

    async def wait(self) -> int:
        await self.world.cleanup("wait")
        return -9


class FakeTokenClient:
    def __init__(self, world: World) -> None:
        self.world = world

    async def fetch_token(self, audience: str) -> dict[str, str]:
        await self.world.step("fetch_token", audience)
        return {"access_token": "tok-1"}

    async def verify(self, grant: dict[str, str]) -> None:
        await self.world.step("verify", grant["access_token"])


class RecordingLock(asyncio.Lock):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    async def acquire(self) -> Literal[True]:
        self.world.note("acquire")
        return await super().acquire()

    def release(self) -> None:
        super().release()
        self.world.cleanup_now("release")


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    safety: FixSafety
    source: str
    expect: str
    """A snippet of the fixed source (indentation ignored) that the original lacks."""
    call: Callable[[Namespace, World], Coroutine[Any, Any, Any]]
    """Builds the fakes (and module globals the code imports), calls the code."""
    awaits: int
    """How many awaits of the guarded region the success path makes."""
    returns: Any
    success_cleanups: tuple[str, ...]
    after_cancel: tuple[Call, ...]
    """What the fixed code does once cancelled in the region (and the original skips)."""
    handled: type[Exception] | None = None
    """An error the code handles; `handled_end` is how it then ends."""
    handled_end: Any = None
    unhandled: type[Exception] | None = None
    """An error the code does not handle: it propagates, and now cleans up on the way."""

    def param(self, *values: Any, suffix: str = "") -> Any:
        return pytest.param(self, *values, id=self.id + suffix)


@dataclass(frozen=True)
class Versions:
    original: Namespace
    fixed: Namespace


Found = tuple[str, FixSafety | None, bool]


def split_findings(outcome: FileOutcome, code: str) -> tuple[list[Found], list[Found]]:
    """The findings of rule `code`, and those of the other rules."""
    found = findings(outcome)
    return [f for f in found if f[0] == code], [f for f in found if f[0] != code]


def fix_and_load(case: Case, rules: tuple[str, ...], *, others_report: bool = False) -> Versions:
    """Fix the case's source with `rules`: exactly its rule must fix it, with a fix of its
    kind, into code containing `expect`; load both versions. With `others_report`, another
    rule may report the same bug without a fix (as `check` reports it: check and fix agree),
    but never rewrite the code too; without, no other rule may report anything."""
    source = textwrap.dedent(case.source)
    unsafe = case.safety is FixSafety.UNSAFE
    if unsafe:  # reported, but only fixed when unsafe fixes are allowed
        safe_only = fixed(source, rules, unsafe=False)
        assert safe_only.new_source is None
        assert split_findings(safe_only, case.code)[0] == [(case.code, case.safety, False)]
    outcome = fixed(source, rules, unsafe=unsafe)
    assert outcome.new_source is not None, f"expected a {case.code} fix, got {outcome.findings}"
    ours, others = split_findings(outcome, case.code)
    assert ours == [(case.code, case.safety, True)]
    if others_report:
        assert all(fix is None for _, fix, _ in others), others
    else:
        assert others == []
    fixed_source = outcome.new_source.decode()
    assert squash(case.expect) in squash(fixed_source), fixed_source
    assert squash(case.expect) not in squash(source)
    return Versions(load(source), load(fixed_source))


# --------------------------------------------------------------------------------------------
# running a case
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    end: Any
    """"cancelled", ("returned", value) or ("raised", exception type name)."""
    record: list[Call]
    cleanups: list[str]
    awaits: int


async def within_timeout(call: Awaitable[Any]) -> Any:
    async with asyncio.timeout(TIMEOUT):
        return await call


def drive(
    case: Case,
    ns: Namespace,
    *,
    cancel: bool = False,
    timeout: bool = False,
    **world_options: Any,
) -> Outcome:
    """Run the case's code on a fresh event loop against a fresh world; with `cancel`, cancel
    it once the world's `block_at` await is reached; with `timeout`, under asyncio.timeout()."""

    async def scenario() -> Outcome:
        world = World(**world_options)
        call = case.call(ns, world)
        task = asyncio.create_task(within_timeout(call) if timeout else call)
        if cancel:
            await asyncio.wait_for(world.blocked.wait(), CLEANUP_WAIT)
            task.cancel()
        await asyncio.wait({task}, timeout=CLEANUP_WAIT)
        if timeout:
            assert world.blocked.is_set(), "the timeout expired outside the region"
        return Outcome(task_end(task, error_name=True), world.record, world.cleanups, world.awaits)

    return asyncio.run(scenario())


def assert_gains_cleanup(case: Case, original: Outcome, fixed: Outcome) -> None:
    """The original skipped the cleanup; the fixed code did everything the original did, then
    the cleanup (each call exactly once), and ended the same way."""
    assert original.cleanups == []
    assert fixed.end == original.end
    assert fixed.record == original.record + list(case.after_cancel)
    assert fixed.cleanups, "no cleanup ran"
    assert len(fixed.cleanups) == len(set(fixed.cleanups)), fixed.cleanups
