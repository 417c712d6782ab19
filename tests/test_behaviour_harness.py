# ruff: noqa: E501  (the lists of fixtures carry their reasons on one line each)
"""The behaviour harness every fix goes through: each fixture whose fix changes its code runs,
original and fixed, on a real event loop in a world of generic fakes (tests/fakes.py), and
is cancelled in turn at every suspension of each function the fix changed.

For each changed function (the entry; for a nested function, the function that holds it):

1. Discovery: the original runs once with every await succeeding, with fakes answering true
   and then false to every test; the answer that runs more of the function is kept. The
   fakes the code cancels become real tasks (`World.task_paths`) in every later run.
2. Cancelled paths (fixed code): for k in 1..N, N the suspensions of the success run, the
   task running the entry is cancelled at its k-th suspension, and separately an enclosing
   `asyncio.timeout()` expires there. Asserted each time: it ends cancelled (TimeoutError
   under the timeout); every task the success run left done is done; every `finally` whose
   `try` was entered ran its first statement once per entry, and no statement of it more
   often (all of them once, unless the cancellation landed inside the `finally`).
3. Non-cancelled paths (both versions): the success run, and for each error class the
   function handles, that error raised by each await of a fake in turn. Asserted: the same
   end (return value, exception class) and the same calls on fakes, in the same order. An
   unsafe fix may in addition turn a child's CancelledError that leaked out of the original
   into a normal end, or run a cleanup it moved into `finally` on a path that lacked it: the
   behaviour changes that make it unsafe. Where the error is the moved cleanup's own, the
   fixed code stops there, while the original's handler went on: its calls up to there.

A fixture joins by existing: every `fixtures/<CODE>-*/` case with a fix is collected. One the
harness cannot run meaningfully (its success path fails on a fake, or never reaches the lines
the fix changed) must be listed in NOT_RUNNABLE with the reason the harness gives; a fix the
harness shows wrong or partial is listed in KNOWN_WRONG (a strict xfail) until it is fixed.
docs/behaviour-harness.md says more.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import dataclasses
import difflib
import inspect
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest

from codemods.model import FixSafety, Mode
from tests import fakes
from tests.test_rule_fixtures import CASES, _run  # the fixtures and how they are fixed

pytestmark = pytest.mark.slow

BUDGET = 16
"""Suspensions after which a run is ended (the coroutine closed): a loop that serves until
cancelled never ends by itself. Its first BUDGET suspensions go round each loop's awaits."""
EXHAUSTED = "exhausted"

HANG = 1.0
"""Seconds after which a run waiting on something that never comes is ended ("hung")."""

SETTLE = 5
"""Loop iterations given to tasks after the entry ended: the children honour a cancel at
once, so a task still running after these was never cancelled."""


# --------------------------------------------------------------------------------------------
# the cases: fixtures with a fix, and the functions each fix changed
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Fix:
    case: Path
    safety: FixSafety
    original: str
    fixed: str

    @property
    def id(self) -> str:
        return f"{self.case.parent.name.split('-')[0]}/{self.case.stem}-{self.safety}"


def fixes() -> Iterator[Fix]:
    for case in CASES:
        source = case.read_bytes()
        safe, _ = _run(source, case.name, Mode.FIX, unsafe=False)
        unsafe, _ = _run(source, case.name, Mode.FIX, unsafe=True)
        if safe != source:
            yield Fix(case, FixSafety.SAFE, source.decode(), safe.decode())
        if unsafe != safe:
            yield Fix(case, FixSafety.UNSAFE, source.decode(), unsafe.decode())


def entries(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The module's functions and methods by qualified name (what the harness can call)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = item
    return found


def changed_entries(fix: Fix) -> list[str]:
    before = entries(ast.parse(fix.original))
    after = entries(ast.parse(fix.fixed))
    return [
        name
        for name, node in after.items()
        if name not in before or ast.dump(node) != ast.dump(before[name])
    ]


def imported(source: str) -> set[str]:
    """The top-level modules a source imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def changed_lines(fix: Fix) -> set[int]:
    """Line numbers of the fixed source that the fix wrote."""
    matcher = difflib.SequenceMatcher(
        None, fix.original.splitlines(), fix.fixed.splitlines(), autojunk=False
    )
    lines: set[int] = set()
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag != "equal":  # a deletion counts the line before it
            lines.update(range(start + 1, end + 1) if end > start else [max(start, 1)])
    return lines


# --------------------------------------------------------------------------------------------
# one run
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Plan:
    truth: bool = True
    task_paths: frozenset[str] = frozenset()
    cancel_at: int | None = None
    timeout_at: int | None = None
    raise_at: tuple[int, type[BaseException]] | None = None


@dataclasses.dataclass
class Result:
    end: Any
    calls: list[str]
    suspensions: int
    fake_awaits: int
    lines: dict[int, int]
    """Entries into each line of the entry function (see `LineCounter`)."""
    cancel_line: int | None
    tasks_done: dict[str, bool]
    cancelled: set[str]
    call_lines: list[int | None]
    """The line of the entry that made each of `calls`."""
    raised_line: int | None
    """The line of the entry at which the planned error was raised."""


class LineCounter:
    """Counts how often each line of one code object is entered from outside the statement
    that starts there (a statement over several lines is entered once)."""

    def __init__(self, code: CodeType, spans: dict[int, int]) -> None:
        self.code = code
        self.spans = spans  # first line -> last line of each statement
        self.counts: dict[int, int] = {}
        self.last: int | None = None

    def trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code is not self.code:
            return None
        if event == "line":
            line = frame.f_lineno
            end = self.spans.get(line, line)
            if self.last is None or not line <= self.last <= end:
                self.counts[line] = self.counts.get(line, 0) + 1
            self.last = line
        return self.trace


class Stepper:
    """Drives the entry's coroutine, counting its suspensions; at the planned one, cancels
    the task running it (or expires the enclosing timeout)."""

    def __init__(
        self, coro: Any, at: int | None, act: Callable[[], None], world: fakes.World
    ) -> None:
        self.world = world
        self.coro = coro
        self.at = at
        self.act = act
        self.suspensions = 0
        self.cancel_line: int | None = None

    def __await__(self) -> Any:
        send: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = self.coro.throw(error) if error is not None else self.coro.send(send)
            except StopIteration as stop:
                return stop.value
            self.suspensions += 1
            if self.suspensions > BUDGET + (self.at or 0):
                self.world.recording = False
                with contextlib.suppress(RuntimeError):  # a handler ignored GeneratorExit
                    self.coro.close()
                return EXHAUSTED
            if self.suspensions == self.at:
                self.cancel_line = self.coro.cr_frame.f_lineno
                self.act()
            try:
                send, error = (yield step), None
            except BaseException as exc:
                send, error = None, exc


def call_entry(namespace: dict[str, Any], name: str, world: fakes.World) -> Any:
    """Call the entry with fakes for its arguments: a method on an instance made without
    `__init__`, each parameter without a default a fake of its name."""
    owner, _, attr = name.rpartition(".")
    bound: list[Any] = []
    if owner:
        cls = namespace[owner]
        function = cls.__dict__[attr]
        if isinstance(function, classmethod):
            function, bound = function.__func__, [cls]
        elif isinstance(function, staticmethod):
            function = function.__func__
        else:
            bound = [fakes.instance(cls, world)]
    else:
        function = namespace[name]
    parameters = list(inspect.signature(function).parameters.values())[len(bound) :]
    args = [
        world.child(p.name)
        for p in parameters
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    kwargs = {
        p.name: world.child(p.name)
        for p in parameters
        if p.default is p.empty and p.kind is p.KEYWORD_ONLY
    }
    return function, function(*bound, *args, **kwargs)


def end_of(task: asyncio.Task[Any]) -> Any:
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    if error is not None:
        return ("raised", type(error).__name__)
    return ("returned", fakes.describe(task.result()))


def run(source: str, name: str, node: ast.AST, plan: Plan) -> Result:
    world = fakes.World(truth=plan.truth, raise_at=plan.raise_at, task_paths=plan.task_paths)
    namespace = fakes.load(source, world)
    spans = {n.lineno: n.end_lineno or n.lineno for n in ast.walk(node) if isinstance(n, ast.stmt)}

    async def main() -> Result:
        function, called = call_entry(namespace, name, world)
        counter = LineCounter(function.__code__, spans)
        if not inspect.iscoroutine(called):
            raise NotRunnable("not a coroutine function")
        caller = asyncio.current_task()
        timeout = asyncio.timeout(None)

        def act() -> None:
            if plan.timeout_at is not None:
                timeout.reschedule(asyncio.get_running_loop().time() - 1)
            else:
                assert caller is not None
                caller.cancel()

        at = plan.timeout_at or plan.cancel_at
        stepper = Stepper(called, at, act, world)
        world.where = lambda: called.cr_frame.f_lineno if called.cr_frame else None

        async def entry() -> Any:
            async with timeout:
                return await stepper

        sys.settrace(counter.trace)
        try:
            task = asyncio.ensure_future(entry())
            caller = task
            await asyncio.wait([task], timeout=HANG)
        finally:
            sys.settrace(None)
        # What a hung run's `finally` blocks do when the harness ends it is not what it did.
        if not task.done():
            world.recording = False
        for _ in range(SETTLE):
            await asyncio.sleep(0)
        tasks = {**world.tasks, **{f"created[{i}]": t for i, t in enumerate(world.created)}}
        result = Result(
            end_of(task) if task.done() else "hung",
            world.calls,
            stepper.suspensions,
            world.awaits,
            counter.counts,
            stepper.cancel_line,
            {path: t.done() for path, t in tasks.items()},
            world.cancelled_paths,
            world.call_lines,
            world.raised_line,
        )
        await reap([*tasks.values(), task])
        return result

    return asyncio.run(main())


async def reap(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=1) if tasks else None
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()


class NotRunnable(Exception):
    """The harness cannot run this entry meaningfully; the message says why."""


# --------------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------------


def finally_blocks(node: ast.AST) -> list[tuple[ast.stmt, list[ast.stmt], tuple[int, int]]]:
    """Each `try` with a `finally`: the first statement of its body, the finally's statements
    and the finally's line span."""
    blocks = []
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Try, ast.TryStar)) and sub.finalbody:
            last = sub.finalbody[-1]
            span = (sub.finalbody[0].lineno, last.end_lineno or last.lineno)
            blocks.append((sub.body[0], sub.finalbody, span))
    return blocks


def teardown_problems(node: ast.AST, result: Result) -> list[str]:
    problems = []
    for first, final, (start, end) in finally_blocks(node):
        entered = result.lines.get(first.lineno, 0)
        landed_inside = result.cancel_line is not None and start <= result.cancel_line <= end
        for stmt in final:
            ran = result.lines.get(stmt.lineno, 0)
            must = entered if (stmt is final[0] or not landed_inside) else None
            if ran > entered or (must is not None and ran != must):
                problems.append(f"line {stmt.lineno} ran {ran}x for {entered} entries of its try")
    return problems


def handled_errors(node: ast.AST, namespace: dict[str, Any]) -> list[type[BaseException]]:
    """The exception classes the function's handlers name, but cancellation and exits."""
    found: list[type[BaseException]] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.ExceptHandler) and sub.type is None:
            found += [] if Exception in found else [Exception]
        elif isinstance(sub, ast.ExceptHandler):
            try:
                value = eval(compile(ast.Expression(sub.type), "<handler>", "eval"), namespace)
            except Exception:
                continue
            for named in value if isinstance(value, tuple) else (value,):
                cls = Exception if named is BaseException else named  # a broad handler
                if isinstance(cls, type) and issubclass(cls, Exception) and cls not in found:
                    found.append(cls)
    return found


@dataclasses.dataclass(frozen=True)
class Prepared:
    name: str
    original: ast.AST
    fixed: ast.AST
    base: Plan
    success: Result


def prepare(fix: Fix, name: str) -> Prepared:
    """Discovery: the truth answer that runs more of the original, the fakes that are tasks;
    raises NotRunnable when the success path fails on a fake."""
    original = entries(ast.parse(fix.original)).get(name)
    fixed = entries(ast.parse(fix.fixed))[name]
    if original is None:
        raise NotRunnable("the fix adds the function")
    if {"trio", "anyio"} & imported(fix.original):
        raise NotRunnable("trio or anyio code: the harness runs asyncio")
    if not isinstance(fixed, ast.AsyncFunctionDef):
        raise NotRunnable("not a coroutine function")
    if any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(fixed)):
        raise NotRunnable("an async generator")
    best: tuple[int, Plan, Result] | None = None
    for truth in (True, False):
        first = run(fix.original, name, original, Plan(truth=truth))
        plan = Plan(truth=truth, task_paths=frozenset(first.cancelled))
        success = run(fix.original, name, original, plan)
        if success.end != "cancelled" and success.end[0] == "raised":
            continue
        if best is None or len(success.lines) > best[0]:
            best = (len(success.lines), plan, success)
    if best is None:
        raise NotRunnable("the success path fails on a fake")
    return Prepared(name, original, fixed, best[1], best[2])


def check_cancelled_paths(fix: Fix, p: Prepared, reached: set[int]) -> list[str]:
    problems: list[str] = []
    done_before = {path for path, done in p.success.tasks_done.items() if done}
    fixed_success = run(fix.fixed, p.name, p.fixed, p.base)
    reached.update(fixed_success.lines)
    for k in range(1, min(fixed_success.suspensions, BUDGET) + 1):
        for how, plan in (
            ("cancel", dataclasses.replace(p.base, cancel_at=k)),
            ("timeout", dataclasses.replace(p.base, timeout_at=k)),
        ):
            result = run(fix.fixed, p.name, p.fixed, plan)
            reached.update(result.lines)
            where = f"{how} at suspension {k} (line {result.cancel_line})"
            if result.end == ("raised", "TypeError"):
                raise NotRunnable(f"{where}: a fake cannot stand in (TypeError)")
            expected = "cancelled" if how == "cancel" else ("raised", "TimeoutError")
            if result.end != expected:
                problems.append(f"{where}: ends {result.end}, not {expected}")
            running = {path for path, done in result.tasks_done.items() if not done}
            if running & (done_before | result.cancelled):
                problems.append(f"{where}: tasks still running: {sorted(running)}")
            problems += [f"{where}: {t}" for t in teardown_problems(p.fixed, result)]
    return problems


@dataclasses.dataclass(frozen=True)
class Moved:
    """The statements a fix moved into a `finally` (a cleanup that ran on each path, now run
    once there): their lines in the original and in the fixed function."""

    original: frozenset[int]
    fixed: frozenset[int]


def moved_into_finally(original: ast.AST, fixed: ast.AST) -> Moved:
    def lines(stmt: ast.stmt) -> range:
        return range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)

    def finally_statements(node: ast.AST) -> list[ast.stmt]:
        return [
            stmt
            for sub in ast.walk(node)
            if isinstance(sub, (ast.Try, ast.TryStar))
            for final in sub.finalbody
            for stmt in ast.walk(final)
            if isinstance(stmt, ast.stmt)
        ]

    held = {id(stmt) for stmt in finally_statements(original)}
    outside = [s for s in ast.walk(original) if isinstance(s, ast.stmt) and id(s) not in held]
    outside = [s for s in outside if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
    inside = finally_statements(fixed)
    dumps_inside = {ast.dump(stmt) for stmt in inside}
    dumps_outside = {ast.dump(stmt) for stmt in outside}
    return Moved(
        frozenset(n for s in outside if ast.dump(s) in dumps_inside for n in lines(s)),
        frozenset(n for s in inside if ast.dump(s) in dumps_outside for n in lines(s)),
    )


def check_other_paths(fix: Fix, p: Prepared, reached: set[int]) -> list[str]:
    namespace = fakes.load(fix.fixed, fakes.World())
    plans = [p.base] + [
        dataclasses.replace(p.base, raise_at=(j, error))
        for error in handled_errors(p.fixed, namespace)
        for j in range(1, p.success.fake_awaits + 1)
    ]
    moved = moved_into_finally(p.original, p.fixed)
    problems = []
    for plan in plans:
        before = run(fix.original, p.name, p.original, plan)
        after = run(fix.fixed, p.name, p.fixed, plan)
        reached.update(after.lines)
        what = (
            "success"
            if plan.raise_at is None
            else f"{plan.raise_at[1].__name__} at await {plan.raise_at[0]}"
        )
        if plan.raise_at is not None and before.raised_line in moved.original:
            error = plan.raise_at[1].__name__
            problems += [f"{what}: {m}" for m in cleanup_failed(fix, error, before, after)]
        else:
            problems += [f"{what}: {m}" for m in compare(fix, before, after, moved)]
    return problems


def compare(fix: Fix, before: Result, after: Result, moved: Moved) -> list[str]:
    """Original and fixed end the same and make the same calls. An unsafe fix may turn a
    child's CancelledError that leaked out of the original into a normal end, and may run the
    cleanup it moved into `finally` on a path that did not run it: those are the behaviour
    changes that make it unsafe."""
    unsafe = fix.safety is FixSafety.UNSAFE
    if unsafe and before.end == "cancelled":
        return []
    problems = []
    if before.end != after.end:
        problems.append(f"ends {after.end}, was {before.end}")
    if unsafe and before.calls != after.calls:
        kept_before = calls_outside(before, moved.original)
        kept_after = calls_outside(after, moved.fixed)
        cleanup_before = len(before.calls) - len(kept_before)
        cleanup_after = len(after.calls) - len(kept_after)
        if kept_before != kept_after or cleanup_after < cleanup_before:
            problems.append(f"calls {after.calls}, were {before.calls}")
    elif before.calls != after.calls:
        problems.append(f"calls {after.calls}, were {before.calls}")
    return problems


def calls_outside(result: Result, lines: frozenset[int]) -> list[str]:
    return [c for c, line in zip(result.calls, result.call_lines, strict=True) if line not in lines]


def cleanup_failed(fix: Fix, error: str, before: Result, after: Result) -> list[str]:
    """The handled error was raised by the cleanup the fix moved into `finally`. The
    original's handler caught the cleanup's own error and went on (it logged, and ran the
    cleanup a second time); the fixed code ran the cleanup once and stops where it failed. The
    calls up to there are the same, and the end too; with an unsafe fix, the cleanup's error
    may now propagate where a handler that did not re-raise caught it (CF201's fix safety)."""
    problems = []
    propagates = fix.safety is FixSafety.UNSAFE and after.end == ("raised", error)
    if after.end != before.end and not propagates:
        problems.append(f"ends {after.end}, was {before.end} (the cleanup itself failed)")
    if after.calls != before.calls[: len(after.calls)]:
        problems.append(f"calls {after.calls}, were {before.calls} (the cleanup itself failed)")
    return problems


def judge(fix: Fix) -> tuple[bool, list[str], list[str]]:
    """(whether a changed function ran, why others did not, problems found) for one fix."""
    skipped: list[str] = []
    problems: list[str] = []
    try:
        compile(fix.original, "fixture.py", "exec")
    except SyntaxError:
        return False, ["newer syntax than this Python's"], []
    names = changed_entries(fix)
    for name in names:
        try:
            prepared = prepare(fix, name)
        except NotRunnable as why:
            skipped.append(f"{name}: {why}")
            continue
        reached: set[int] = set()
        try:
            found = check_cancelled_paths(fix, prepared, reached)
            found += check_other_paths(fix, prepared, reached)
        except NotRunnable as why:
            skipped.append(f"{name}: {why}")
            continue
        if not reached & changed_lines(fix):
            skipped.append(f"{name}: no run reaches the lines the fix changed")
            continue
        problems += [f"{name}: {m}" for m in found]
    return len(names) > len(skipped), skipped, problems


FIXES = list(fixes())

NOT_RUNNABLE: dict[str, str] = {
    "CF202/rpc_pending_del_registry_kept_by_close-safe": "RpcClient.call: the success path fails on a fake",
    "CF101/anyio_from_import_get_cancelled_exc_class-safe": "sync_forever: trio or anyio code: the harness runs asyncio",
    "CF101/reader_baseexception_raise_from-safe": "read_message: the success path fails on a fake",
    "CF101/websocket_reader_async_for_body-safe": "read_events: the success path fails on a fake",
    "CF102/anyio_cancelled_class-unsafe": "consume: trio or anyio code: the harness runs asyncio",
    "CF102/except_star_taskgroup-unsafe": "run_shards: the success path fails on a fake",
    "CF102/pep758_unparenthesised-unsafe": "newer syntax than this Python's",
    "CF105/async_generator_return-unsafe": "stream_events: an async generator",
    "CF105/for_loop_reraise_in_body-unsafe": "BufferedWriter.write_forever: cancel at suspension 1 (line 16): a fake cannot stand in (TypeError)",
    "CF105/return_bare-unsafe": "read_frames: the success path fails on a fake",
    "CF105/trio_cancelled-unsafe": "pump: trio or anyio code: the harness runs asyncio",
    "CF105/trio_heartbeat_aclose-unsafe": "heartbeat: trio or anyio code: the harness runs asyncio",
    "CF201/camelcase_release_conn_retry_loop-unsafe": "LedgerReader.balances: the success path fails on a fake",
    "CF201/inner_loop_break_continue_not_early_exit-unsafe": "collect_batch: the success path fails on a fake",
    "CF201/private_helper_close_channel-safe": "InvoicePublisher.publish_all: the success path fails on a fake",
    "CF201/stream_writer_close_wait_closed-unsafe": "serve_console: cancel at suspension 1 (line 13): a fake cannot stand in (TypeError)",
    "CF201/tempfile_unlink_from_import_return_name-unsafe": "checksum_upload: the success path fails on a fake",
    "CF201/unsafe_early_return_in_body-unsafe": "SessionStore.purge_expired: the success path fails on a fake",
    "CF201/unsafe_handler_path_skips_close-unsafe": "ChatBridge.pump: the success path fails on a fake",
    "CF202/if_else_both_branches_cleanup-safe": "transcode: the success path fails on a fake",
    "CF202/if_else_each_branch_raises-unsafe": "Publisher.start: the success path fails on a fake",
    "CF202/private_helper_close_transport-safe": "ModbusClient.read_holding_registers: the success path fails on a fake",
    "CF202/pubsub_subscribe_confirm_unsubscribe-safe": "subscribe: the success path fails on a fake",
    "CF202/registration_clients_dict_del_on_connect_failure-safe": "ClientRegistry.get: no run reaches the lines the fix changed",
    "CF202/registration_connections_by_id_pop-safe": "Hub.attach: the success path fails on a fake",
    "CF202/stream_writer_handshake_close-safe": "open_session: the success path fails on a fake",
    "CF202/subprocess_ready_handshake_kill-safe": "WorkerProcess.start: the success path fails on a fake",
    "CF202/try_else_returns_connection-safe": "ReplicaPicker.checkout: the success path fails on a fake",
    "CF202/waiter_set_exception_unsafe-unsafe": "JsonRpcConnection.call: the success path fails on a fake",
    "CF203/amqp_close_channel_helper-safe": "InvoicePublisher.publish_all: the success path fails on a fake",
    "CF203/call_later_request_timer_cancel-safe": "RpcClient.call: the success path fails on a fake",
    "CF203/client_connected_by_classmethod-safe": "panel_state: the success path fails on a fake",
    "CF203/client_given_session_then_connects-safe": "first_quotes: the success path fails on a fake",
    "CF203/teardown_keeps_line_reading_result-safe": "Meter.read: the success path fails on a fake",
    "CF203/tempfile_export_unlink-unsafe": "export_orders: the success path fails on a fake",
    "CF205/semaphore_release_on_connection_error-safe": "Crawler.fetch: cancel at suspension 2 (line 12): a fake cannot stand in (TypeError)",
    "CF205/timeout_pending_request_del_on_wait_for-safe": "RpcClient.call: the success path fails on a fake",
    "CF205/timeout_stream_subscription_unsubscribe_async_timeout-safe": "PriceFeed.first_quote: the success path fails on a fake",
    "CF207/lock_release_after_flush-unsafe": "Journal.flush_locked: the success path fails on a fake",
    "CF301/match_capture_named_task_py311-unsafe": "handle: no run reaches the lines the fix changed",
    "CF301/wait_in_loop_goes_round_unsafe_py311-unsafe": "supervise: the success path fails on a fake",
    "CF301/ok_await_meant_to_raise_in_assert_raises-safe": "WorkerTest.test_cancel_stops_worker: the success path fails on a fake",
    "CF301/ok_suppress_inside_pytest_raises-safe": "test_stop_raises_cancelled: the success path fails on a fake",
    "CF302/crawler_import_asyncio_as_aio-unsafe": "Crawler.crawl: the success path fails on a fake",
    "CF303/background_tasks_name_taken-unsafe": "run_background_task: the success path fails on a fake",
    "CF303/chained_add_done_callback_log_errors-unsafe": "MetricsBuffer.record: not a coroutine function",
    "CF303/chained_ensure_future_partial_py38-unsafe": "SessionManager.touch: not a coroutine function",
    "CF303/docstring_future_annotations_py38-unsafe": "StateReporter.state_changed: not a coroutine function",
    "CF303/event_loop_parameter_no_imports-unsafe": "schedule_refresh: not a coroutine function",
    "CF303/get_loop_method_create_task-unsafe": "Transport.connection_lost: not a coroutine function",
    "CF303/from_asyncio_import_task-unsafe": "Room.broadcast: not a coroutine function",
    "CF303/protocol_connection_made_task-unsafe": "ClientProtocol.connection_made: not a coroutine function",
    "CF303/sentinel_fanout_task_constructor-unsafe": "SentinelClient.notify_failover: the success path fails on a fake",
    "CF303/task_constructor_named-unsafe": "WriteBackCache.evict: not a coroutine function",
    "CF303/ha_integration_hass_loop_comment-unsafe": "async_setup_entry: no run reaches the lines the fix changed",
    "CF303/import_asyncio_as_aio-unsafe": "WebhookDispatcher.dispatch: not a coroutine function",
    "CF303/imports_set_after_try_and_type_checking-unsafe": "spawn: not a coroutine function",
    "CF303/legacy_ensure_future_py38-unsafe": "CacheWarmer.schedule: not a coroutine function",
    "CF303/nested_callback_in_coroutine-unsafe": "watch_process: no run reaches the lines the fix changed",
    "CF303/one_line_suite_and_semicolon-unsafe": "DoorSensor.on_change: not a coroutine function",
    "CF303/protocol_data_received_self_loop-unsafe": "LineProtocol.data_received: not a coroutine function",
    "CF303/running_loop_create_task_chained_semicolon-unsafe": "Heartbeat.on_timer: not a coroutine function",
    "CF303/signal_handler_get_running_loop-unsafe": "Server._on_signal: not a coroutine function",
    "CF303/websocket_on_message_sync_callback-unsafe": "TickerClient.on_message: not a coroutine function",
}
"""Fixes none of whose changed functions the harness can run, with the reason."""

KNOWN_WRONG: dict[str, str] = {}
"""Fixes the harness shows wrong or partial (owner to fix), with what happened."""


@pytest.mark.parametrize("fix", FIXES, ids=lambda fix: fix.id)
def test_fix_behaves(fix: Fix) -> None:
    ran, skipped, problems = judge(fix)
    if fix.id in NOT_RUNNABLE:
        assert not ran, f"{fix.id} runs now: remove it from NOT_RUNNABLE"
        return
    assert ran, f"no changed function runs ({skipped}): list it in NOT_RUNNABLE"
    if fix.id in KNOWN_WRONG:
        if not problems:
            pytest.fail(f"{fix.id} behaves now: remove it from KNOWN_WRONG")
        pytest.xfail(KNOWN_WRONG[fix.id])
    assert not problems, "\n".join(problems)


def test_every_listed_fix_exists() -> None:
    """An entry of NOT_RUNNABLE or KNOWN_WRONG names a fix the fixtures still make: one whose
    fix went away (reported whole now, say) goes from the lists with it."""
    ids = {fix.id for fix in FIXES}
    assert sorted(set(NOT_RUNNABLE) - ids) == []
    assert sorted(set(KNOWN_WRONG) - ids) == []


SWALLOW = """
import asyncio


async def send(conn):
    try:
        await conn.send()
    except BaseException:
        pass
    await conn.flush()
"""


@pytest.mark.parametrize(
    ("fixed", "problem"),
    [
        (SWALLOW.replace("pass", "conn.log()"), "ends ('returned', 'None'), not cancelled"),
        (SWALLOW.replace("pass", "raise"), "ends ('raised', 'Exception'), was"),
        (SWALLOW.replace("    await conn.flush()\n", ""), "calls ['conn.send()'], were"),
    ],
    ids=["still-swallows", "changes-an-error-path", "drops-a-call"],
)
def test_harness_catches_a_wrong_fix(fixed: str, problem: str) -> None:
    """The harness itself: a "fix" that still swallows, one that makes a handled error
    propagate and one that skips a call are each caught."""
    fix = Fix(Path("fixtures/CF101-x/case.py"), FixSafety.SAFE, SWALLOW, fixed)
    ran, skipped, problems = judge(fix)
    assert ran, skipped
    assert any(problem in found for found in problems), problems


def test_harness_passes_a_right_fix() -> None:
    fixed = SWALLOW.replace(
        "    except BaseException:",
        "    except asyncio.CancelledError:\n        raise\n    except BaseException:",
    )
    ran, skipped, problems = judge(
        Fix(Path("fixtures/CF101-x/case.py"), FixSafety.SAFE, SWALLOW, fixed)
    )
    assert ran and not problems, (skipped, problems)


CLOSE_TWICE = """
from aiokafka.errors import KafkaError


async def fetch(conn):
    try:
        await conn.fetch()
        await conn.close()
    except KafkaError:
        conn.log()
        await conn.close()
        raise
"""
CLOSE_IN_FINALLY = """
from aiokafka.errors import KafkaError


async def fetch(conn):
    try:
        await conn.fetch()
    except KafkaError:
        conn.log()
        raise
    finally:
        await conn.close()
"""


def test_harness_raises_the_class_the_handler_names() -> None:
    """A fake module's exception class is one class per path in a run, and the harness's
    planned error (named from another load of the module) is that class: the handler that
    names it catches it."""
    node = entries(ast.parse(CLOSE_TWICE))["fetch"]
    (error,) = handled_errors(node, fakes.load(CLOSE_TWICE, fakes.World()))
    result = run(CLOSE_TWICE, "fetch", node, Plan(raise_at=(1, error)))
    assert result.calls == ["conn.fetch()", "conn.log()", "conn.close()"]
    assert result.end == ("raised", "KafkaError")


def test_harness_passes_a_cleanup_moved_into_finally() -> None:
    """The handled error raised by the cleanup itself (`close()` at the end of the body): the
    original's handler ran the failed cleanup again, the fix runs it once, in `finally`.
    The same end, and the same calls up to where the fixed code stops, pass."""
    fix = Fix(Path("fixtures/CF201-x/case.py"), FixSafety.SAFE, CLOSE_TWICE, CLOSE_IN_FINALLY)
    ran, skipped, problems = judge(fix)
    assert ran and not problems, (skipped, problems)


def test_harness_still_compares_the_other_error_paths_of_a_moved_cleanup() -> None:
    """The allowance is for the cleanup's own error only: a fix that also drops the handler's
    work on the error of the body is caught."""
    wrong = CLOSE_IN_FINALLY.replace("        conn.log()\n", "")
    fix = Fix(Path("fixtures/CF201-x/case.py"), FixSafety.SAFE, CLOSE_TWICE, wrong)
    ran, _, problems = judge(fix)
    assert ran
    assert any("KafkaError at await 1: calls" in problem for problem in problems), problems


HANGS = """
import asyncio


async def wait_for_leader(conn):
    try:
        await asyncio.Event().wait()
    finally:
        conn.close()
"""


def test_harness_records_nothing_of_ending_a_hung_run() -> None:
    """A run that waits for ever is ended by the harness: what its `finally` blocks do then
    is not what the run did, and is not compared."""
    node = entries(ast.parse(HANGS))["wait_for_leader"]
    result = run(HANGS, "wait_for_leader", node, Plan())
    assert result.end == "hung"
    assert result.calls == []
