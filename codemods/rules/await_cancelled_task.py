from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node, parse_template_statement

from codemods.analysis.blocks import (
    comments_within,
    end_comments,
    header_end,
    leading_lines,
    statements,
)
from codemods.analysis.cleanup import is_logging_call
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.handlers import first_cancellation_handler, manages_cancellation
from codemods.analysis.names import (
    ExceptionNames,
    Framework,
    Spelling,
    framework_of,
    handler_types,
    module_spelling,
)
from codemods.analysis.reraise import is_inert
from codemods.analysis.scope import (
    assigned_targets,
    dotted_name,
    enclosing_coroutine,
    walk,
    walk_same_frame,
)
from codemods.analysis.tasks import (
    Guarded,
    awaited_cancelled_tasks,
    awaits_only_cancelled_tasks,
    cancelled_before,
)
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import awaits_name, calls_cancel
from codemods.prefilter.statements import CoroutineCode, dotted
from codemods.rule import Rule

Statements = cst.FlattenSentinel[cst.BaseStatement]


class AwaitCancelledTask(Rule):
    """
    ## What it does
    Flags `await task` after `task.cancel()` (the task a name or an attribute chain such as
    `self._task`) in the three shapes it is written: a plain `await task`; `try: await
    task` / `except asyncio.CancelledError: pass`; and `with
    contextlib.suppress(asyncio.CancelledError): await task`. Also inside guards (`if task
    is not None and not task.done():`) and over a list of tasks (`for t in tasks:
    t.cancel()`, then `for t in tasks:` awaiting each).

    Not flagged: an `await` inside `pytest.raises(CancelledError)`, and a `Future()` cancelled
    and awaited on purpose to raise.

    ## Why is this bad?
    `task.cancel()` only asks; `await task` then waits for the task to finish and raises
    *its* `CancelledError` in the caller. A plain `await task` makes the caller look cancelled
    itself: `asyncio.timeout()`, a `TaskGroup` or the caller's own callers take it for theirs.
    The usual remedy, `except asyncio.CancelledError: pass`, swallows every CancelledError
    while waiting, including one meant for the caller (a shutdown, a timeout expiring): the
    caller carries on as if nothing had happened and can no longer be stopped.

    ## Example
    ```python
    import asyncio


    class Poller:
        async def stop(self):
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
    ```

    Use instead:
    ```python
    import asyncio


    class Poller:
        async def stop(self):
            self._task.cancel()
            task = self._task
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
    ```

    ## Fix safety
    The fix rewrites the `await` into a form that tells the task's cancellation from the
    caller's. For targets below Python 3.11 (as above), `asyncio.wait([task])` waits without
    raising the task's outcome, and `task.result()` raises anything but its cancellation; a
    cancellation of the caller propagates out of `asyncio.wait`. Where the `try` has more
    handlers or an `else`, or `suppress` names more exceptions, that construct stays and
    guards `task.result()` instead of the `await`.

    For Python 3.11 and later:
    ```python
    cancelling = asyncio.current_task().cancelling()
    try:
        await task
    except asyncio.CancelledError:
        if not task.done() or asyncio.current_task().cancelling() > cancelling:
            raise
    ```
    A task that is not done did not raise this CancelledError; a `cancelling()` count above
    its value before the `await` means the caller was cancelled meanwhile. Comparing with
    the earlier value, rather than testing `cancelling()` alone, lets a caller that is
    already being cancelled stop its children from a `finally` and go on cleaning up. One
    case it cannot see: asyncio hands a cancellation of the caller on to the task it
    awaits, and a task that swallows it and returns makes `await task` return normally;
    the caller's cancellation is then lost, as at any `await task` (the form below 3.11
    does not hand it on). An attribute chain is read once into a local first (a done callback
    may reset `self._task` before the caller resumes), and the names introduced collide with
    nothing in scope.

    The fix is safe for the `try` and `suppress` shapes: the task's own outcome is handled as
    before, and only a cancellation of the caller, which was swallowed, now propagates. It is
    unsafe for a plain `await task`: the caller no longer raises the task's CancelledError, so
    the code after the `await`, which that error used to skip, now runs.

    Below 3.11 the fix is also unsafe unless the task is known to be an asyncio Task or
    Future (its name says so, or the module makes it with `create_task()`, `ensure_future()`
    or annotates it as one): from Python 3.11 `asyncio.wait()` accepts nothing else, and a
    gRPC call, say, has `cancel()` too. There, a caller cancelled while it waits stops
    waiting at once, while the task may still be finishing its cleanup.

    No fix is offered where the rewrite could not keep the rest of the construct as it was:
    below 3.11, a `finally` or a handler doing more than pass, log or carry on (a cancellation
    of the caller in `asyncio.wait()` would skip it); a handler that also catches other
    exceptions and does more than `pass`, or jumps out midway; `suppress(...) as name`;
    several context managers; a body doing more than the `await`; a module using trio or
    anyio.

    ## Options
    - `target-version`: picks the form of the fix, below or from Python 3.11.

    ## See also
    - CF302: `asyncio.gather()` of tasks just cancelled.
    - CF103: `suppress(BaseException)` or `suppress(CancelledError)` around other `await`s.
    """

    code = "CF301"
    name = "await-cancelled-task"
    message = "`await` of a cancelled task: its CancelledError is taken for the caller's"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"cancel", b"await")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and calls_cancel(source) and awaits_name(source)

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_await_cancelled_task(code)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        # Below 3.11 the fix is safe for a task known from where it is bound (`_known_future`).
        return options.target_version < (3, 11) and bool(code.future_names)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | Statements:
        awaited = _awaited_task(original_node)
        function = enclosing_coroutine(self.parents(original_node))
        if awaited is None or function is None or self._in_swallowing_guard(original_node):
            return updated_node
        task = awaited.expression
        if not cancelled_before(original_node, function, self.names).is_task(task):
            return updated_node
        if self._expects_cancellation(original_node) or _is_local_future(task, function):
            return updated_node
        rewrite = self._rewrite(original_node, task, function)
        new = rewrite.plain(updated_node) if rewrite is not None else None
        return self._apply(awaited, rewrite, new, FixSafety.UNSAFE, original_node, updated_node)

    def leave_Try(
        self, original_node: cst.Try, updated_node: cst.Try
    ) -> cst.BaseStatement | Statements:
        first = first_cancellation_handler(original_node, self.names)
        if first is None:
            return updated_node
        handler = original_node.handlers[first[0]]
        if manages_cancellation(handler) or handler_exits(handler, self.names).always_reraises:
            return updated_node
        if self._expects_cancellation(original_node):
            return updated_node
        function = enclosing_coroutine(self.parents(original_node))
        awaits = awaited_cancelled_tasks(original_node, function, self.names) if function else []
        if function is None or not awaits:
            return updated_node
        rewrite = self._guarded_rewrite(original_node, updated_node, function)
        new = rewrite.try_statement(updated_node, first[0]) if rewrite is not None else None
        fix = self._fix_safety(original_node, function)
        return self._apply(awaits[0], rewrite, new, fix, original_node, updated_node)

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | Statements:
        if not self._catches_cancellation(original_node) or self._expects_cancellation(
            original_node
        ):
            return updated_node
        function = enclosing_coroutine(self.parents(original_node))
        # A `suppress` that also swallows other awaits is CF103's.
        if function is None or not awaits_only_cancelled_tasks(original_node, function, self.names):
            return updated_node
        awaits = awaited_cancelled_tasks(original_node, function, self.names)
        if not awaits:
            return updated_node
        rewrite = self._guarded_rewrite(original_node, updated_node, function)
        new = rewrite.with_statement(updated_node) if rewrite is not None else None
        fix = self._fix_safety(original_node, function)
        return self._apply(awaits[0], rewrite, new, fix, original_node, updated_node)

    def _apply(
        self,
        awaited: cst.Await,
        rewrite: _Rewrite | None,
        new: list[cst.BaseStatement] | None,
        fix: FixSafety,
        original_node: cst.BaseStatement,
        updated_node: cst.BaseStatement,
    ) -> cst.BaseStatement | Statements:
        """Report the `await`; the rewritten statements where the fix applies."""
        comments = _line_end_comments(original_node)
        if not self.report(awaited, fix if new else None, through=awaited, comments=comments):
            return updated_node
        assert rewrite is not None and new is not None
        for spelling in rewrite.imports:
            self.require_import(spelling)
        self.drop_unused_imports(original_node, new)
        return cst.FlattenSentinel(new)

    def _guarded_rewrite(
        self, original_node: Guarded, updated_node: Guarded, function: cst.FunctionDef
    ) -> _Rewrite | None:
        """The rewrite of a `try` or `suppress` whose body is just `await task`. None when
        a site inside it was rewritten in this pass: its names would collide with this one's,
        so this one waits for the next pass."""
        awaited = _awaited_task(_sole_line(original_node.body))
        if awaited is None or not updated_node.deep_equals(original_node):
            return None
        return self._rewrite(original_node, awaited.expression, function)

    def _fix_safety(self, guarded: Guarded, function: cst.FunctionDef) -> FixSafety:
        """Safe, except below 3.11 for what may not be an asyncio Task or Future: from 3.11,
        `asyncio.wait()` takes nothing else (a gRPC call, say, has no `remove_done_callback`)."""
        if self.options.target_version >= (3, 11):
            return FixSafety.SAFE
        awaited = _awaited_task(_sole_line(guarded.body))
        if awaited is not None and _known_future(awaited.expression, function, self.module):
            return FixSafety.SAFE
        return FixSafety.UNSAFE

    def _in_swallowing_guard(self, line: cst.SimpleStatementLine) -> bool:
        """Inside a `try` that catches cancellation or a `suppress` of it: there the `await`
        is judged as part of that construct."""
        child: cst.CSTNode = line
        for ancestor in self.parents(line):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                return False
            if (
                isinstance(ancestor, cst.Try | cst.TryStar | cst.With)
                and child is ancestor.body
                and self._may_swallow(ancestor)
            ):
                return True
            child = ancestor
        return False

    def _may_swallow(self, guarded: cst.Try | cst.TryStar | cst.With) -> bool:
        """Whether a handler or `suppress(...)` may catch cancellation: named, broad, or not
        known not to (`except LibraryError`, `suppress(*ERRORS)`)."""
        if isinstance(guarded, cst.With):
            caught = [self.names.suppressed(item.item) for item in guarded.items]
            return any(
                arg.star or self.names.is_instance_of(arg.value) is not False
                for args in caught
                if args is not None
                for arg in args
            )
        return any(
            handler.type is None
            or any(self.names.is_instance_of(t) is not False for t in handler_types(handler))
            for handler in guarded.handlers
        )

    def _expects_cancellation(self, line: cst.BaseStatement) -> bool:
        """Inside `with pytest.raises(CancelledError):` or `assertRaises(...)`: the code
        wants the CancelledError that `await` raises."""
        for ancestor in self.parents(line):
            if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
                return False
            if isinstance(ancestor, cst.With) and any(
                isinstance(item.item, cst.Call)
                and any(
                    self.names.is_cancellation(expected)
                    for arg in item.item.args
                    for expected in _flattened(arg.value)
                )
                for item in ancestor.items
            ):
                return True
        return False

    def _catches_cancellation(self, guarded: cst.Try | cst.With) -> bool:
        if isinstance(guarded, cst.Try):
            return first_cancellation_handler(guarded, self.names) is not None
        return any(self.names.suppresses_cancellation(item.item) for item in guarded.items)

    def _rewrite(
        self, statement: cst.BaseStatement, task: cst.BaseExpression, function: cst.FunctionDef
    ) -> _Rewrite | None:
        """How to rewrite the `await task` of `statement`; None where it cannot be spelled."""
        spellings = self._spellings(statement)
        if spellings is None:
            return None
        asyncio, cancellation = spellings
        local = None
        if not isinstance(task, cst.Name):
            local = cst.Name(self.fresh_name(statement, "task", function))
        return _Rewrite(
            task=task,
            local=local,
            asyncio=asyncio.expression,
            cancellation=cancellation.expression,
            baseline=cst.Name(self.fresh_name(statement, "cancelling", function)),
            compare_cancelling=self.options.target_version >= (3, 11),
            names=self.names,
            imports=spellings,
        )

    def _spellings(self, node: cst.CSTNode) -> tuple[Spelling, Spelling] | None:
        """How `node`'s scope spells the asyncio module and CancelledError, in an asyncio
        module (trio and anyio tasks have no `cancel()` to await after)."""
        if framework_of(self.module) is not Framework.ASYNCIO:
            return None
        scope = self.scope_of(node)
        if scope is None:
            return None
        asyncio = module_spelling(self.module, scope, "asyncio")
        cancellation = self.cancellation_spelling_at(node)
        if asyncio is None or cancellation is None:
            return None
        return asyncio, cancellation


@dataclass(frozen=True)
class _Rewrite:
    """The statements that replace an `await task` construct."""

    task: cst.BaseExpression
    local: cst.Name | None
    """The local the task is read into, for an attribute chain."""
    asyncio: cst.BaseExpression
    cancellation: cst.BaseExpression
    baseline: cst.Name
    """The variable holding `cancelling()` before the `await` (3.11+)."""
    compare_cancelling: bool
    """The 3.11+ form; below 3.11, `asyncio.wait()` then `task.result()`."""
    names: ExceptionNames
    imports: tuple[Spelling, ...]
    """The spellings above, with the imports they need once the rewrite is applied."""

    @property
    def ref(self) -> cst.BaseExpression:
        return self.local or self.task

    def plain(self, line: cst.SimpleStatementLine) -> list[cst.BaseStatement] | None:
        if self.compare_cancelling:
            clause = self._cancellation_clause()
            awaiting = self._awaiting_ref(line).with_changes(leading_lines=())
            body = cst.IndentedBlock(body=[awaiting])
            return self._prologue(line, [cst.Try(body=body, handlers=[clause])])
        return self._prologue(line, [self._waiting(line), self._checked()])

    def try_statement(self, node: cst.Try, index: int) -> list[cst.BaseStatement] | None:
        line = _sole_line(node.body)
        assert line is not None
        if self.compare_cancelling:
            handlers = self._guarded_handlers(node.handlers, index)
            if handlers is None:
                return None
            body = _replaced(node.body, self._awaiting_ref(line))
            return self._prologue(node, [node.with_changes(body=body, handlers=handlers)])
        if node.finalbody is not None or not self._handlers_say_nothing(node):
            # A cancellation of the caller in `asyncio.wait()`, outside the `try`, would skip
            # what the `finally` or the handlers do (their cleanup, their state changes).
            return None
        if _is_bare_idiom(node, self.names):
            return self._prologue(node, [self._waiting(None), self._checked()])
        body = _replaced(node.body, self._getting_result(line))
        return self._prologue(node, [self._waiting(None), node.with_changes(body=body)])

    def with_statement(self, node: cst.With) -> list[cst.BaseStatement] | None:
        line = _sole_line(node.body)
        assert line is not None
        item = node.items[0]
        if len(node.items) != 1 or node.asynchronous or item.asname or comments_within(item):
            return None
        arguments = self.names.suppressed(node.items[0].item)
        if arguments is None or any(argument.star for argument in arguments):
            return None
        others = [a.value for a in arguments if not self.names.is_cancellation(a.value)]
        header = header_end(node.body)
        if self.compare_cancelling:
            handlers = [self._cancellation_clause()]
            if others:
                handlers.append(_pass_clause(others))
            footer = node.body.footer if isinstance(node.body, cst.IndentedBlock) else ()
            awaiting = [self._awaiting_ref(line)]
            body = cst.IndentedBlock(body=awaiting, header=header, footer=footer)
            return self._prologue(node, [cst.Try(body=body, handlers=handlers)])
        if not others and not comments_within(node.body):
            return self._prologue(node, [self._waiting(None), self._checked()])
        body = _replaced(node.body, self._getting_result(line))
        return self._prologue(node, [self._waiting(None), node.with_changes(body=body)])

    def _handlers_say_nothing(self, node: cst.Try) -> bool:
        """Whether the handlers that may catch cancellation only pass, log or carry on."""
        return all(
            all(map(_says_nothing, statements(handler.body)))
            for handler in node.handlers
            if any(self.names.is_instance_of(t) is not False for t in handler_types(handler))
            or handler.type is None
        )

    def _prologue(
        self, replaced: cst.BaseStatement, new: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement]:
        """`task = self._task` and `cancelling = ...` where needed, then `new`; the comments
        above the replaced statement go above the first."""
        lines: list[cst.BaseStatement] = []
        if self.local is not None:
            lines.append(_line(cst.Assign([cst.AssignTarget(self.local)], self.task)))
        if self.compare_cancelling:
            lines.append(
                parse_template_statement(
                    "{baseline} = {asyncio}.current_task().cancelling()",
                    baseline=self.baseline,
                    asyncio=self.asyncio,
                )
            )
        lines += [statement.with_changes(leading_lines=()) for statement in new]
        return [lines[0].with_changes(leading_lines=leading_lines(replaced)), *lines[1:]]

    def _guard(self) -> cst.BaseStatement:
        return parse_template_statement(
            "if not {task}.done() or {asyncio}.current_task().cancelling() > {baseline}:\n"
            "    raise\n",
            task=self.ref,
            asyncio=self.asyncio,
            baseline=self.baseline,
        )

    def _cancellation_clause(self) -> cst.ExceptHandler:
        return cst.ExceptHandler(
            type=self.cancellation, body=cst.IndentedBlock(body=[self._guard()])
        )

    def _guarded_handlers(
        self, handlers: Sequence[cst.ExceptHandler], index: int
    ) -> list[cst.ExceptHandler] | None:
        """The handlers with the guard where the cancellation arrives: in a handler for
        cancellation alone, at its end or before its final jump; before a broader handler
        that only passes, in a clause of its own. None where neither fits."""
        handler = handlers[index]
        caught = self.names.caught(handler)
        lines = statements(handler.body)
        result = list(handlers)
        if caught.is_broad or caught.others:
            if not all(map(_is_placeholder, lines)):
                return None
            result.insert(index, self._cancellation_clause())
            return result
        if all(map(_is_placeholder, lines)):
            kept = [line for line in lines if _has_comment(line)]
            guard = self._guard().with_changes(leading_lines=leading_lines(lines[0]))
            body = [guard, *(line.with_changes(leading_lines=()) for line in kept)]
        else:
            guarded = self._with_guard(handler, lines)
            if guarded is None:
                return None
            body = guarded
        result[index] = handler.with_changes(body=_block(handler.body, body))
        return result

    def _with_guard(
        self, handler: cst.ExceptHandler, lines: list[cst.BaseStatement]
    ) -> list[cst.BaseStatement] | None:
        exits = handler_exits(handler, self.names)
        raising = {Exit.RERAISE, Exit.RAISE_OTHER}
        if Exit.FALLTHROUGH in exits.kinds and exits.kinds <= raising | {Exit.FALLTHROUGH}:
            return [*lines, self._guard()]
        final = lines[-1]
        if (
            len(exits.jumps) == 1
            and len(exits.kinds - raising) == 1
            and isinstance(final, cst.SimpleStatementLine)
            and final.body[-1] is exits.jumps[0].statement
        ):
            return [*lines[:-1], self._guard(), final]
        return None

    def _awaiting_ref(self, line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        """The `await task` line, awaiting the local where there is one."""
        return _with_value(line, cst.Await(self.ref))

    def _waiting(self, line: cst.SimpleStatementLine | None) -> cst.SimpleStatementLine:
        """`await asyncio.wait([task])`, in place of `line` (keeping its comment) if given."""
        waiting = parse_template_statement(
            "await {asyncio}.wait([{task}])", asyncio=self.asyncio, task=self.ref
        )
        assert isinstance(waiting, cst.SimpleStatementLine)
        return waiting if line is None else line.with_changes(body=waiting.body)

    def _checked(self) -> cst.BaseStatement:
        return parse_template_statement(
            "if not {task}.cancelled():\n    {task}.result()\n", task=self.ref
        )

    def _getting_result(self, line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        result = cst.Call(func=cst.Attribute(value=self.ref, attr=cst.Name("result")))
        return _with_value(line, result)


def _awaited_task(line: cst.BaseStatement | None) -> cst.Await | None:
    """The `await` of a line that is nothing but `await task` (a name or attribute chain)."""
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    expression = line.body[0]
    if not isinstance(expression, cst.Expr) or not isinstance(expression.value, cst.Await):
        return None
    awaited = expression.value
    return awaited if dotted_name(awaited.expression) is not None else None


def _is_local_future(task: cst.BaseExpression, function: cst.FunctionDef) -> bool:
    """`fut = Future()` or `fut = loop.create_future()` in the function: a future cancelled
    and awaited there is a way of raising CancelledError, not a task being stopped."""
    name = dotted_name(task)
    for node in walk_same_frame(function.body):
        value = node.value if isinstance(node, cst.Assign | cst.AnnAssign) else None
        if (
            isinstance(value, cst.Call)
            and any(dotted_name(target) == name for target in assigned_targets(node))
            and (get_full_name_for_node(value.func) or "").rsplit(".", 1)[-1]
            in {"Future", "create_future"}
        ):
            return True
    return False


def _flattened(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """`(A, (B, C))` -> [A, B, C]; anything else alone."""
    if isinstance(expr, cst.Tuple):
        return [item for element in expr.elements for item in _flattened(element.value)]
    return [expr]


_FUTURE_MAKERS = ("task", "future")
"""What the names of calls making asyncio Tasks and Futures contain: `create_task`,
`async_create_task`, `ensure_future`, `create_future`, `Task`, `Future`."""


def _known_future(task: cst.BaseExpression, function: cst.FunctionDef, module: cst.Module) -> bool:
    """Whether `task` is known to be an asyncio Task or Future: its name says so (`task`,
    `self._reader_task`, `pending_futures`), the module binds or annotates it as one
    (`self._call = asyncio.create_task(...)`, `worker: asyncio.Task`), or it is the variable
    of a loop over such a collection."""
    name = dotted_name(task)
    if name is None:
        return False
    loops = [
        node.iter
        for node in walk_same_frame(function.body)
        if isinstance(node, cst.For) and dotted_name(node.target) == name
    ]
    candidates = {name, *filter(None, map(dotted_name, loops))}
    return any(_says_future(candidate) for candidate in candidates) or any(
        _binds_future(node, candidates) for node in walk(module)
    )


def _says_future(dotted: str) -> bool:
    """A name whose last part says Task or Future: `self._task`, `create_future`."""
    last = dotted.rsplit(".", 1)[-1].lower()
    return any(maker in last for maker in _FUTURE_MAKERS)


def _binds_future(node: cst.CSTNode, candidates: set[str]) -> bool:
    """`x = asyncio.create_task(...)`, `x: asyncio.Task[None] | None = None` or a parameter
    `x: asyncio.Task`, for `x` among `candidates`."""
    if isinstance(node, cst.Param):
        return node.name.value in candidates and _annotates_future(node.annotation)
    if (
        isinstance(node, cst.AnnAssign)
        and dotted_name(node.target) in candidates
        and _annotates_future(node.annotation)
    ):
        return True
    value = node.value if isinstance(node, cst.Assign | cst.AnnAssign) else None
    if isinstance(value, cst.ListComp | cst.SetComp | cst.GeneratorExp):
        value = value.elt  # `[asyncio.create_task(f()) for f in fetchers]`
    if not isinstance(value, cst.Call):
        return False
    bound = any(dotted_name(target) in candidates for target in assigned_targets(node))
    return bound and _says_future(get_full_name_for_node(value.func) or "")


def _annotates_future(annotation: cst.Annotation | None) -> bool:
    return annotation is not None and any(
        isinstance(node, cst.Name) and node.value in {"Task", "Future"} for node in walk(annotation)
    )


def _sole_line(body: cst.BaseSuite) -> cst.SimpleStatementLine | None:
    lines = statements(body)
    only = lines[0] if len(lines) == 1 else None
    return only if isinstance(only, cst.SimpleStatementLine) else None


def _block(body: cst.BaseSuite, lines: Sequence[cst.BaseStatement]) -> cst.IndentedBlock:
    """`body` with new lines (a one-line suite becomes an indented block)."""
    if isinstance(body, cst.IndentedBlock):
        return body.with_changes(body=lines)
    return cst.IndentedBlock(body=lines, header=header_end(body))


def _replaced(body: cst.BaseSuite, line: cst.SimpleStatementLine) -> cst.IndentedBlock:
    """A one-statement block with `line` instead of its statement."""
    return _block(body, [line])


def _line(statement: cst.BaseSmallStatement) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(body=[statement])


def _with_value(
    line: cst.SimpleStatementLine, value: cst.BaseExpression
) -> cst.SimpleStatementLine:
    """`line`, an expression statement, evaluating `value` instead (comments kept)."""
    expression = line.body[0]
    assert isinstance(expression, cst.Expr)
    return line.with_changes(
        body=[expression.with_changes(value=value, semicolon=cst.MaybeSentinel.DEFAULT)]
    )


def _is_placeholder(line: cst.BaseStatement) -> bool:
    """`pass`, `...` or a string: a line that does nothing."""
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Pass)
        or (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString)
        )
        for small in line.body
    )


def _says_nothing(line: cst.BaseStatement) -> bool:
    """A line whose skipping loses nothing but a swallow: `pass`, logging, and the `return`,
    `break` or `continue` (of a plain value) that carried on after the cancellation."""
    return _is_placeholder(line) or (
        isinstance(line, cst.SimpleStatementLine)
        and all(
            (isinstance(small, cst.Expr) and is_logging_call(small.value))
            or isinstance(small, cst.Break | cst.Continue)
            or (isinstance(small, cst.Return) and is_inert(small.value))
            for small in line.body
        )
    )


def _has_comment(line: cst.BaseStatement) -> bool:
    trailing = line.trailing_whitespace if isinstance(line, cst.SimpleStatementLine) else None
    return bool(
        (trailing is not None and trailing.comment is not None)
        or any(empty.comment for empty in leading_lines(line))
    )


def _pass_clause(types: Sequence[cst.BaseExpression]) -> cst.ExceptHandler:
    """`except X: pass` or `except (X, Y): pass`."""
    caught = (
        types[0] if len(types) == 1 else cst.Tuple(elements=[cst.Element(value=t) for t in types])
    )
    return cst.ExceptHandler(type=caught, body=cst.IndentedBlock(body=[_line(cst.Pass())]))


def _is_bare_idiom(node: cst.Try, names: ExceptionNames) -> bool:
    """`try: await task` / `except CancelledError: pass` and nothing more, no comment."""
    if len(node.handlers) != 1 or node.orelse is not None or node.finalbody is not None:
        return False
    handler = node.handlers[0]
    caught = names.caught(handler)
    return (
        not caught.is_broad
        and not caught.others
        and handler.name is None
        and all(map(_is_placeholder, statements(handler.body)))
        and not comments_within(node.body)
        and not comments_within(handler)
    )


def _line_end_comments(statement: cst.BaseStatement) -> list[cst.Comment]:
    """The end-of-line comments where a `# noqa` for the finding may stand: on the `await`
    line, and on the header lines of its `try`, handlers or `with`."""
    if isinstance(statement, cst.SimpleStatementLine):
        return end_comments([statement])
    assert isinstance(statement, cst.Try | cst.With)
    bodies = [statement.body]
    if isinstance(statement, cst.Try):
        bodies += [handler.body for handler in statement.handlers]
    headers = [comment for body in bodies if (comment := header_end(body).comment) is not None]
    return headers + end_comments(statements(statement.body))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_await_cancelled_task(code: CoroutineCode) -> bool:
    """Whether some coroutine cancels something (`x.cancel()`) and awaits a name or an
    attribute chain (`await task`, `await self._task`): CF301's shape."""
    return "cancel" in code.coroutine_calls and any(
        dotted(awaited) is not None for awaited in code.awaited
    )
