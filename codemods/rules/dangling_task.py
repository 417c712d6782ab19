from __future__ import annotations

import ast
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import GlobalScope

from codemods.analysis.blocks import comments_within, end_comments
from codemods.analysis.scope import dotted_name, spelled_names, walk
from codemods.imports import insert_after_imports
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import calls_as_statement, imported_as
from codemods.prefilter.statements import CoroutineCode, last_name, with_aliases
from codemods.rule import Rule

_SPAWNERS = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.Task",
        "asyncio.tasks.create_task",
        "asyncio.tasks.ensure_future",
        "asyncio.tasks.Task",
    }
)
"""Functions that schedule a coroutine and return the only strong reference to its task
(the `Task` constructor schedules it as `create_task` does)."""
_SPAWNER_BYTES = (b"create_task", b"ensure_future", b"Task")
"""Their last names, and that of `<loop>.create_task`, for the byte prefilter."""

_LOOP_GETTERS = frozenset(
    {
        "asyncio.get_event_loop",
        "asyncio.get_running_loop",
        "asyncio.new_event_loop",
        "asyncio.events.get_event_loop",
        "asyncio.events.get_running_loop",
        "asyncio.events.new_event_loop",
    }
)
"""Calls that return an event loop: `asyncio.get_running_loop().create_task(...)`."""

_SCHEDULERS = {
    "call_soon": 0,
    "call_soon_threadsafe": 0,
    "call_later": 1,
    "call_at": 1,
    "add_signal_handler": 1,
}
"""Event loop methods that call a callback later, with the callback's position: its return
value (a task, for `loop.create_task`) is thrown away."""
_SCHEDULER_BYTES = (b"call_soon", b"call_later", b"call_at", b"add_signal_handler")
_DONE_CALLBACK_BYTES = b"add_done_callback"
_SCHEDULED_MESSAGE = (
    "task created by a scheduled callback and discarded; it can be garbage-collected before "
    "it finishes (no fix: the loop throws away what the callback returns)"
)

_SET_BASE = "_background_tasks"
_TASK_BASE = "task"


@dataclass(frozen=True)
class _Keep:
    """Keep the task of one discarded call: bind it to `task`, add it to the set `tasks`.
    `chained`: the statement calls a method of the new task (`.add_done_callback(cb)`)."""

    task: str
    tasks: str
    chained: bool


class _Discard(enum.Enum):
    """How a statement throws a new task away."""

    SPAWNED = "spawned"
    """`asyncio.create_task(...)`: the statement is the call."""
    CHAINED = "chained"
    """`asyncio.create_task(...).add_done_callback(cb)`: a callback does not keep the task."""
    SCHEDULED = "scheduled"
    """`loop.call_soon_threadsafe(loop.create_task, coro)`: the loop drops the callback's
    return value."""


class DanglingTask(Rule):
    """
    ## What it does
    Flags a call of `asyncio.create_task()`, `asyncio.ensure_future()`, the
    `asyncio.Task()` constructor or `<loop>.create_task()` whose result is thrown away: the
    call is a statement of its own in a function (not assigned, awaited, returned or passed
    on), or such a statement only adds a done callback to it
    (`asyncio.create_task(...).add_done_callback(cb)`: the task holds its callbacks, not the
    other way round). A loop is `asyncio.get_event_loop()`,
    `get_running_loop()`, `new_event_loop()`, a call of a function or method named like
    them (`self._get_loop()`), or a name or attribute whose last part ends with `loop`
    (`loop`, `self._loop`, `hass.loop`).

    Also flagged, without a fix: a statement that schedules one of those functions as a
    callback, `loop.call_soon_threadsafe(loop.create_task, coro)` (likewise `call_soon`,
    `call_later`, `call_at` and `add_signal_handler`), a lambda that calls one
    (`loop.call_soon(lambda: loop.create_task(coro))`) or a `functools.partial` of one
    (`loop.call_soon_threadsafe(partial(loop.create_task, coro, name=n))`), and such a lambda
    or partial given to `add_done_callback` (`fut.add_done_callback(lambda _:
    asyncio.create_task(restart()))`): the loop throws away what the callback returns, so the
    task is as unreferenced as above.

    Not flagged: `TaskGroup.create_task` (the group keeps its tasks), trio's `start_soon`,
    helpers that track their tasks (Home Assistant's `hass.async_create_task` and
    `hass.create_task`), calls at module or class level, and
    `asyncio.run_coroutine_threadsafe(coro, loop)`: what it returns is a
    `concurrent.futures.Future` for the calling thread, which usually has no lifetime to tie
    the work to; submitting and not waiting (a thread pushing frames onto the loop's queue)
    is its common, intended use, and the errors it then loses are a matter of error
    handling, not of the task's life.

    ## Why is this bad?
    The event loop keeps only a weak reference to its tasks. A task nobody else references
    can be garbage-collected while it waits, in the middle of its work: it never finishes,
    the rest of its work is silently lost, and at best a "Task was destroyed but it is
    pending!" line shows up in the logs. The asyncio documentation says to keep a reference
    to every task `create_task` returns.

    ## Example
    ```python
    import asyncio


    class Client:
        def on_message(self, message):
            asyncio.create_task(self.handle(message))
    ```

    Use instead:
    ```python
    import asyncio

    _background_tasks: set[object] = set()


    class Client:
        def on_message(self, message):
            task = asyncio.create_task(self.handle(message))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
    ```

    ## Fix safety
    The fix binds the task to a new local (`task`, or `task_1`... when taken), adds it to a
    module-level set, and removes it from the set with a done callback, so the set only holds
    tasks still running. The set (`_background_tasks`, or a free variant of the name) is defined
    once per module, after the imports, as `set[object]` (quoted for targets before 3.9 unless
    the module has `from __future__ import annotations`). A module-level set the module already
    uses that way (`NAME = set()` with `add_done_callback(NAME.discard)`) is reused. Comments
    stay on the call's line; a call sharing its line with other statements becomes three
    statements separated by `;`. A chained `.add_done_callback(cb)` stays, on the new local,
    right after it is bound: the callbacks run in the order they did.

    The fix is unsafe: the task now lives until it finishes. Before, it might have been
    collected silently mid-flight; code that relied on that (a task that never finishes and was
    expected to vanish) now keeps it, and what it holds, alive until the loop closes or cancels
    it. The set is module-level: it is shared by every instance of a class and by every event
    loop that runs the code. An exception the task raises is still not retrieved (asyncio logs
    "Task exception was never retrieved"); handling it is a separate decision.

    A scheduled callback is reported only: the task exists only later, when the loop runs
    the callback, so no statement of the caller can keep it. Wrapping the call in a lambda
    would move the evaluation of its arguments (the coroutine, the loop) from the scheduling
    thread to the loop's; the fix that keeps everything else, scheduling a module-level
    helper that spawns and keeps the task, is left to a person. Schedule such a helper
    instead of `create_task`.

    ## Options
    - `target-version`: below `py39` the set's annotation is quoted.
    """

    code = "CF303"
    name = "dangling-task"
    message = "task created and discarded; it can be garbage-collected before it finishes"
    fix_kinds = (FixSafety.UNSAFE,)
    required_bytes = ()

    _planned: dict[cst.Expr, _Keep]
    """The discarded calls to fix (their statements), with the names the fix uses."""
    _set_name: str | None
    """The module-level set the fixes use; None until a fix needs it."""
    _set_is_new: bool
    _existing_sets: list[str] | None
    """Module-level sets the module already keeps tasks in; None until looked for."""

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        if not any(spawner in source for spawner in _SPAWNER_BYTES):
            return False
        return (
            calls_as_statement(source, _SPAWNER_BYTES, whole=True)
            or imported_as(source, _SPAWNER_BYTES)
            or any(scheduler in source for scheduler in _SCHEDULER_BYTES)
            or _DONE_CALLBACK_BYTES in source
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_discard_task(code)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A function that removes tasks from a set (`add_done_callback(NAME.discard)`) tells
        the fix which of the module's sets to reuse, so it is read along with the candidates."""
        return any(_removes_from_a_set(call) for call in code.discarded_calls)

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self._planned = {}
        self._set_name = None
        self._set_is_new = False
        self._existing_sets = None

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._check(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._check(node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        plans = [
            self._planned.get(s) if isinstance(s, cst.Expr) else None for s in original_node.body
        ]
        if not any(plans):
            return updated_node
        if len(updated_node.body) == 1:
            statement = updated_node.body[0]
            keep = plans[0]
            assert isinstance(statement, cst.Expr) and keep is not None
            first, *rest = _kept(statement, keep)
            return cst.FlattenSentinel(
                [
                    updated_node.with_changes(body=[first]),
                    *(cst.SimpleStatementLine(body=[s]) for s in rest),
                ]
            )
        return updated_node.with_changes(body=_expanded(updated_node.body, plans))

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        plans = [
            self._planned.get(s) if isinstance(s, cst.Expr) else None for s in original_node.body
        ]
        if not any(plans):
            return updated_node
        return updated_node.with_changes(body=_expanded(updated_node.body, plans))

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._planned or not self._set_is_new or self._set_name is None:
            return updated_node
        return _with_set(updated_node, self._set_name, self._set_annotation(updated_node))

    def _check(self, line: cst.SimpleStatementLine | cst.SimpleStatementSuite) -> None:
        function = _enclosing_function(self.parents(line))
        if function is None:
            return
        for statement in line.body:
            if not isinstance(statement, cst.Expr) or not isinstance(statement.value, cst.Call):
                continue
            call = statement.value
            discard = self._discard(call)
            if discard is None:
                continue
            comments = [*end_comments([line]), *comments_within(statement)]
            if discard is _Discard.SCHEDULED:
                self.report(call, None, through=call, comments=comments, message=_SCHEDULED_MESSAGE)
            elif self.report(call, FixSafety.UNSAFE, through=call, comments=comments):
                self._planned[statement] = _Keep(
                    task=self.fresh_name(statement, _TASK_BASE, function),
                    tasks=self._set_for(statement),
                    chained=discard is _Discard.CHAINED,
                )

    def _discard(self, call: cst.Call) -> _Discard | None:
        """How the statement `call` throws a new task away, if it does."""
        func = call.func
        if self._is_spawner(func):
            return _Discard.SPAWNED
        if not isinstance(func, cst.Attribute):
            return None
        if func.attr.value == "add_done_callback":
            receiver = func.value
            if isinstance(receiver, cst.Call) and self._is_spawner(receiver.func):
                return _Discard.CHAINED
            # A bare spawner would be given the future itself: only a lambda or partial spawns.
            made = call.args and isinstance(call.args[0].value, cst.Lambda | cst.Call)
            return self._scheduled(call, 0) if made else None
        position = _SCHEDULERS.get(func.attr.value)
        if position is None or not self._is_loop(func.value):
            return None
        return self._scheduled(call, position)

    def _scheduled(self, call: cst.Call, position: int) -> _Discard | None:
        """SCHEDULED where the callback at `position` of `call` returns a new task."""
        if len(call.args) <= position:
            return None
        callback = call.args[position]
        if callback.keyword is None and not callback.star and self._spawns(callback.value):
            return _Discard.SCHEDULED
        return None

    def _spawns(self, callback: cst.BaseExpression) -> bool:
        """A callback whose return value is a new task: a spawner itself, a lambda that
        calls one (`lambda: loop.create_task(coro)`) or a partial of one."""
        if isinstance(callback, cst.Lambda):
            body = callback.body
            return isinstance(body, cst.Call) and self._is_spawner(body.func)
        if isinstance(callback, cst.Call) and "functools.partial" in self.names.names_of(
            callback.func
        ):
            first = callback.args[0] if callback.args else None
            return first is not None and first.keyword is None and self._is_spawner(first.value)
        return self._is_spawner(callback)

    def _is_spawner(self, func: cst.BaseExpression) -> bool:
        """`asyncio.create_task`, `asyncio.ensure_future` (or an alias), `<loop>.create_task`."""
        if not self.names.names_of(func).isdisjoint(_SPAWNERS):
            return True
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value == "create_task"
            and self._is_loop(func.value)
        )

    def _is_loop(self, receiver: cst.BaseExpression) -> bool:
        if isinstance(receiver, cst.Call):
            if not self.names.names_of(receiver.func).isdisjoint(_LOOP_GETTERS):
                return True
            getter = receiver.func
            name = getter.attr if isinstance(getter, cst.Attribute) else getter
            return isinstance(name, cst.Name) and _names_loop_getter(name.value)
        if isinstance(receiver, cst.Attribute):
            return (
                receiver.attr.value.lower().endswith("loop")
                and dotted_name(receiver.value) is not None
            )
        if isinstance(receiver, cst.Name):
            return receiver.value.lower().endswith("loop")
        return False

    def _set_for(self, statement: cst.Expr) -> str:
        """The set that keeps the task of `statement`: an existing one the module uses for
        that, if it is visible there, else the module's new one."""
        if self._existing_sets is None:
            self._existing_sets = _existing_sets(self.module, self.names.names_of)
        # (The scope is an analysis of its own: asked only where there is a set to weigh.)
        scope = self.scope_of(statement) if self._existing_sets else None
        for name in self._existing_sets:
            if scope is not None and all(
                isinstance(assignment.scope, GlobalScope) for assignment in scope[name]
            ):
                return name
        if self._set_name is None:
            taken = spelled_names(self.module)
            name, suffix = _SET_BASE, 0
            while name in taken:
                suffix += 1
                name = f"{_SET_BASE}_{suffix}"
            self._set_name = name
        self._set_is_new = True
        return self._set_name

    def _set_annotation(self, module: cst.Module) -> cst.BaseExpression:
        annotation = "set[object]"
        if self.options.target_version < (3, 9) and not _postpones_annotations(module):
            return cst.SimpleString(f'"{annotation}"')
        return cst.parse_expression(annotation)


def _names_loop_getter(name: str) -> bool:
    """`get_loop`, `_get_event_loop`: a function or method that says it returns a loop."""
    lowered = name.lower()
    return lowered.lstrip("_").startswith("get") and lowered.endswith("loop")


def _enclosing_function(ancestors: Sequence[cst.CSTNode]) -> cst.FunctionDef | None:
    """The function (`def` or `async def`) whose body holds a statement, if any: not a class
    body or the module."""
    for ancestor in ancestors:
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor
        if isinstance(ancestor, cst.ClassDef):
            return None
    return None


def _kept(statement: cst.Expr, keep: _Keep) -> list[cst.BaseSmallStatement]:
    """`task = <call>`, `<set>.add(task)`, `task.add_done_callback(<set>.discard)`; the last
    takes the statement's semicolon. A chained statement (`<call>.add_done_callback(cb)`)
    keeps its method call, on `task`, right after the binding: the callbacks run in the
    order they ran before."""
    task, tasks = cst.Name(keep.task), cst.Name(keep.tasks)
    spawn = statement.value
    chained: list[cst.BaseSmallStatement] = []
    if keep.chained:
        assert isinstance(spawn, cst.Call) and isinstance(spawn.func, cst.Attribute)
        chained = [
            statement.with_changes(value=_on_task(spawn, task), semicolon=cst.MaybeSentinel.DEFAULT)
        ]
        spawn = spawn.func.value
    return [
        cst.Assign(targets=[cst.AssignTarget(target=task)], value=spawn),
        *chained,
        cst.Expr(
            cst.Call(func=cst.Attribute(value=tasks, attr=cst.Name("add")), args=[cst.Arg(task)])
        ),
        cst.Expr(
            cst.Call(
                func=cst.Attribute(value=task, attr=cst.Name("add_done_callback")),
                args=[cst.Arg(cst.Attribute(value=tasks, attr=cst.Name("discard")))],
            ),
            semicolon=statement.semicolon,
        ),
    ]


def _on_task(call: cst.Call, task: cst.Name) -> cst.Call:
    """`<spawn>.add_done_callback(cb)` -> `task.add_done_callback(cb)`."""
    assert isinstance(call.func, cst.Attribute)
    return call.with_changes(func=call.func.with_changes(value=task))


def _expanded(
    body: Sequence[cst.BaseSmallStatement], plans: list[_Keep | None]
) -> list[cst.BaseSmallStatement]:
    """The statements of a line, each planned one replaced by the three that keep its task."""
    result: list[cst.BaseSmallStatement] = []
    for statement, keep in zip(body, plans, strict=True):
        if keep is not None and isinstance(statement, cst.Expr):
            result += _kept(statement, keep)
        else:
            result.append(statement)
    return result


def _existing_sets(module: cst.Module, names_of: Callable[[cst.CSTNode], set[str]]) -> list[str]:
    """Module-level `NAME = set()` (or `NAME: ... = set()`) that some task is removed from
    by `add_done_callback(NAME.discard)`: the module's own strong-reference sets."""
    defined: list[str] = []
    for line in module.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for statement in line.body:
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0].target, statement.value
            elif isinstance(statement, cst.AnnAssign):
                target, value = statement.target, statement.value
            if (
                isinstance(target, cst.Name)
                and isinstance(value, cst.Call)
                and not value.args
                and "builtins.set" in names_of(value.func)
            ):
                defined.append(target.value)
    if not defined:
        return []
    discarded = {
        callback.value.value
        for node in walk(module)
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "add_done_callback"
        and len(node.args) == 1
        and isinstance(callback := node.args[0].value, cst.Attribute)
        and callback.attr.value == "discard"
        and isinstance(callback.value, cst.Name)
    }
    return [name for name in defined if name in discarded]


def _postpones_annotations(module: cst.Module) -> bool:
    """`from __future__ import annotations`: annotations are no longer evaluated."""
    return any(
        isinstance(statement, cst.ImportFrom)
        and isinstance(statement.module, cst.Name)
        and statement.module.value == "__future__"
        and not isinstance(statement.names, cst.ImportStar)
        and any(alias.evaluated_name == "annotations" for alias in statement.names)
        for line in module.body
        if isinstance(line, cst.SimpleStatementLine)
        for statement in line.body
    )


def _with_set(module: cst.Module, name: str, annotation: cst.BaseExpression) -> cst.Module:
    """The module with `name: <annotation> = set()` after its docstring and imports."""
    definition = cst.AnnAssign(
        target=cst.Name(name),
        annotation=cst.Annotation(annotation),
        value=cst.Call(func=cst.Name("set")),
    )
    return insert_after_imports(module, cst.SimpleStatementLine(body=[definition]))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_discard_task(code: CoroutineCode) -> bool:
    """Whether some function calls `create_task` or `ensure_future` (or what `from asyncio
    import create_task as x` binds) as a statement, discarding the task (CF303's shape): on
    its own, on a module, or on something that may be an event loop (not a TaskGroup); or
    calls `add_done_callback` on such a call, or schedules such a function as a callback."""
    spawners = with_aliases(code, frozenset({"create_task", "ensure_future", "Task"}))

    def spawns(func: ast.expr) -> bool:
        return last_name(func) in spawners and _may_be_loop_or_module(func, code)

    return any(
        spawns(call.func) or any(map(spawns, _chained_or_scheduled(call)))
        for call in code.discarded_calls
    )


def _chained_or_scheduled(call: ast.Call) -> list[ast.expr]:
    """What may spawn a task that the statement `call` throws away besides its own callee:
    the callee of `<call>.add_done_callback(...)`, the callbacks of `loop.call_soon(...)`."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return []
    if func.attr == "add_done_callback":
        chained = [func.value.func] if isinstance(func.value, ast.Call) else []
        return chained + [_scheduled(arg) for arg in call.args]
    if func.attr in _SCHEDULERS:
        return [_scheduled(arg) for arg in call.args]
    return []


def _scheduled(callback: ast.expr) -> ast.expr:
    """What a scheduled callback calls: the lambda's call (`lambda: loop.create_task(coro)`),
    the first argument of a call (`partial(loop.create_task, coro)`), or the callback."""
    if isinstance(callback, ast.Lambda) and isinstance(callback.body, ast.Call):
        return callback.body.func
    if isinstance(callback, ast.Call) and callback.args:
        return callback.args[0]
    return callback


def _removes_from_a_set(call: ast.Call) -> bool:
    """`<task>.add_done_callback(<name>.discard)`."""
    return (
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "add_done_callback"
        and len(call.args) == 1
        and isinstance(call.args[0], ast.Attribute)
        and call.args[0].attr == "discard"
    )


def _may_be_loop_or_module(func: ast.expr, code: CoroutineCode) -> bool:
    """Whether the receiver of `func`, if any, may be a module or an event loop: a call
    (`asyncio.get_running_loop()`), a name or attribute ending in `loop`, or a chain that
    starts at an imported module."""
    if not isinstance(func, ast.Attribute):
        return True
    receiver = func.value
    if isinstance(receiver, ast.Call):
        return True
    last = last_name(receiver)
    if last is not None and last.lower().endswith("loop"):
        return True
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    return isinstance(receiver, ast.Name) and receiver.id in code.modules
