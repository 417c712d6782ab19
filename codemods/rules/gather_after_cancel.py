from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TypeVar, cast

import libcst as cst

from codemods.analysis.blocks import (
    comments_within,
    end_comments,
    header_end,
    leading_lines,
    statements,
)
from codemods.analysis.exits import handler_exits
from codemods.analysis.handlers import enclosing_guards, statements_after
from codemods.analysis.scope import children, enclosing_coroutine
from codemods.analysis.task_groups import is_bare_cancel_idiom, started_stop
from codemods.analysis.tasks import cancelled_before
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import calls_cancel
from codemods.prefilter.statements import CoroutineCode, last_name, with_aliases
from codemods.rule import Rule

_StatementT = TypeVar("_StatementT", bound=cst.CSTNode)

_GATHER = "asyncio.gather"
_SPAWNERS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_KEYWORD = "return_exceptions"

_HeaderStatement = cst.If | cst.While | cst.For | cst.With | cst.Match
"""Compound statements whose header (test, iterable, context managers, subject) may await."""

_NOT_OWN = (
    cst.BaseSuite,
    cst.BaseStatement,
    cst.Else,
    cst.Finally,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.MatchCase,
    cst.Lambda,
)
"""What a statement's own expressions stop at: blocks (whose statements are visited on their
own) and new frames."""


class GatherAfterCancel(Rule):
    """
    ## What it does
    Flags `await asyncio.gather(...)` in a coroutine when every task it gathers was cancelled
    before by the same function (`task.cancel()`, or `for t in tasks: t.cancel()` before
    `gather(*tasks)`, or `for t in (a, b): t.cancel()` before `gather(a, b)`), and the call
    does not pass `return_exceptions=True`. Names are resolved through imports (`aio.gather`,
    `from asyncio import gather as g`).

    Not flagged: a `gather()` of something the function did not cancel (a fresh coroutine,
    a task not cancelled, a collection bound anew after the cancel loop), cancellations in a
    nested function, `asyncio.wait()`, `return_exceptions=` with a value that is not a literal,
    and a call with `**kwargs`.

    ## Why is this bad?
    Without `return_exceptions=True`, `gather()` raises the first exception of its tasks, and
    a cancelled task's exception is its `CancelledError`. The caller, which only wanted to
    wait for its tasks to stop, then raises a `CancelledError` of its own: it looks cancelled
    to whoever awaits it, so its callers, `asyncio.timeout()` and `TaskGroup` misread it, and
    the code after the `gather` (the rest of a shutdown) is skipped. `gather()` also returns
    as soon as the first task is done, so the other tasks are not waited for: they may still
    be running their cleanup. The usual patch, `except CancelledError: pass` around the
    `gather`, also swallows a real cancellation of the caller that arrives while it waits.

    ## Example
    ```python
    class Crawler:
        async def stop(self):
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers)
            await self._session.close()
    ```

    Use instead:
    ```python
    class Crawler:
        async def stop(self):
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            await self._session.close()
    ```

    ## Fix safety
    The fix adds `return_exceptions=True` after the last argument (keeping the call's layout,
    trailing comma and comments), or turns `return_exceptions=False` into `True`. `gather()`
    then waits for every task and returns their outcomes; a cancellation of the caller while it
    waits still raises `CancelledError` (`gather()` cancels the tasks and re-raises it).

    Where the function itself starts the tasks it gathers (`tasks =
    [asyncio.create_task(...) for ...]`) and awaits something else before stopping them, the
    stop (the cancels and the `gather`) also moves into a `finally` around what runs
    meanwhile: a cancellation of the caller there left the tasks running for ever. The stop
    then also runs when that code raises; none of it may return, break or continue.

    The fix is unsafe: an error other than cancellation raised by a task (for example by its
    cleanup on cancel) is now returned in the result list instead of raised, so it goes
    unnoticed unless the result is inspected, and a result that is used now contains exception
    objects.

    A `try` around the `gather` whose one handler is `except CancelledError: pass`, with
    nothing after it in the coroutine, goes: it would now only catch the caller's own
    cancellation. Any other handler around the `gather` that catches `CancelledError` without
    re-raising it makes the finding report only: after the fix it would swallow the caller's
    own cancellation, so the function would be fixed in part only, and removing it would skip
    what follows it on a cancellation of the caller, which its author may have meant.

    ## See also
    - CF301: `await task` of a single task just cancelled.
    """

    code = "CF302"
    name = "gather-after-cancel"
    message = (
        "`gather()` of cancelled tasks without `return_exceptions=True` raises their "
        "CancelledError in the caller"
    )
    fix_kinds = (FixSafety.UNSAFE,)
    required_bytes = (b"gather", b"cancel")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and calls_cancel(source)

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_gather_cancelled_tasks(code)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        return self._check(original_node, updated_node, end_comments([original_node]))

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        return self._check(original_node, updated_node, end_comments([original_node]))

    def leave_If(self, original_node: cst.If, updated_node: cst.If) -> cst.If:
        return self._check_header(original_node, updated_node)

    def leave_While(self, original_node: cst.While, updated_node: cst.While) -> cst.While:
        return self._check_header(original_node, updated_node)

    def leave_For(self, original_node: cst.For, updated_node: cst.For) -> cst.For:
        return self._check_header(original_node, updated_node)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> cst.With:
        return self._check_header(original_node, updated_node)

    def leave_Match(self, original_node: cst.Match, updated_node: cst.Match) -> cst.Match:
        return self._check_header(original_node, updated_node)

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        """Tasks the block starts, runs and then stops with the fixed `gather()`: the stop
        goes into a `finally` around what runs meanwhile, so that a cancellation of the
        caller there stops them too. (The rule's fixes keep each block's statements one for
        one, so the original's positions are the updated block's.)"""
        lines = list(updated_node.body)
        end = len(lines)
        while end > 0:
            stop = started_stop(original_node.body, end - 1, self._gathered, self._started)
            if stop is None:
                end -= 1
                continue
            middle = end - len(stop.stop)
            first = middle - len(stop.running)
            lines[first:end] = [_in_finally(lines[first:middle], lines[middle:end])]
            end = first
        return updated_node.with_changes(body=lines)

    def leave_Try(
        self, original_node: cst.Try, updated_node: cst.Try
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        """`try:` a `gather()` this pass fixed `except CancelledError: pass`: with
        `return_exceptions=True` the handler only swallows the caller's own cancellation,
        so the `try` goes."""
        body = statements(original_node.body)
        fixed = len(body) == 1 and id(body[0]) in self._gathers
        if not fixed or not is_bare_cancel_idiom(original_node, self.names):
            return updated_node
        line = statements(updated_node.body)[0]
        self.drop_unused_imports(original_node, [line])
        return line.with_changes(leading_lines=original_node.leading_lines)

    def _gathered(self, statement: cst.BaseStatement) -> frozenset[str] | None:
        """The names of the tasks a `gather()` this pass fixed takes, if it takes names."""
        call = self._gathers.get(id(statement))
        if call is None:
            return None
        names = [
            arg.value.value
            for arg in call.args
            if arg.keyword is None and isinstance(arg.value, cst.Name)
        ]
        positional = [arg for arg in call.args if arg.keyword is None]
        return frozenset(names) if len(names) == len(positional) else None

    def _started(self, statement: cst.BaseStatement) -> str | None:
        """`tasks = [asyncio.create_task(...) for ...]` or `task = asyncio.create_task(...)`:
        the name bound."""
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
            return None
        target, value = assign.targets[0].target, assign.value
        if isinstance(value, cst.ListComp):
            value = value.elt
        spawns = isinstance(value, cst.Call) and not self.names.names_of(value.func).isdisjoint(
            _SPAWNERS
        )
        return target.value if spawns and isinstance(target, cst.Name) else None

    @cached_property
    def _gathers(self) -> dict[int, cst.Call]:
        """The `gather()` calls this pass fixed, by the id of their original statement."""
        return {}

    def _check_header(self, original: _StatementT, updated: _StatementT) -> _StatementT:
        assert isinstance(original, _HeaderStatement)
        if isinstance(original, cst.Match):
            header = original.whitespace_after_colon
        else:
            header = header_end(original.body)
        return self._check(original, updated, [header.comment] if header.comment else [])

    def _check(
        self, original: _StatementT, updated: _StatementT, comments: list[cst.Comment]
    ) -> _StatementT:
        """Report the flagged `await gather(...)`s among the statement's own expressions (a
        `# noqa` may stand at the end of its line, or inside the call), and fix them."""
        function = None
        for await_node in _own_awaits(original):
            call = await_node.expression
            if not isinstance(call, cst.Call) or _GATHER not in self.names.names_of(call.func):
                continue
            function = function or enclosing_coroutine(self.parents(original))
            if function is None:
                return updated
            if not _returns_exceptions_may_be_added(call):
                continue
            if not cancelled_before(await_node, function, self.names).awaits_only_cancelled(call):
                continue
            noqa = [*comments, *comments_within(await_node)]
            swallows = self._swallowed_around(original)
            fix = None if swallows else FixSafety.UNSAFE
            message = f"{self.message} {_SWALLOWED_AROUND}" if swallows else None
            if self.report(await_node, fix, through=call, comments=noqa, message=message):
                self._gathers[id(original)] = call
                # The rule does not descend into expressions: the updated statement holds
                # the same call node as the original.
                updated = cast(_StatementT, updated.deep_replace(call, _return_exceptions(call)))
        return updated

    def _swallowed_around(self, statement: cst.CSTNode) -> bool:
        """Whether a handler around `statement` catches CancelledError and does not always
        re-raise it, other than the bare idiom that `leave_Try` removes."""
        removed = self._removable_idiom(statement)
        return any(
            isinstance(guard, cst.ExceptHandler | cst.ExceptStarHandler)
            and (removed is None or guard not in removed.handlers)
            and self.names.caught(guard).catches_cancellation
            and not handler_exits(guard, self.names, as_cancellation=True).always_reraises
            for guard in enclosing_guards(statement, self.parents(statement))
        )

    def _removable_idiom(self, statement: cst.CSTNode) -> cst.Try | None:
        """The `try: <statement>` / `except CancelledError: pass` right around `statement`,
        if the coroutine runs nothing after it (not in a loop, no statement follows): with
        `return_exceptions=True` it only swallows the caller's own cancellation, and
        removing it skips nothing."""
        ancestors = self.parents(statement)
        if len(ancestors) < 2:
            return None
        block, try_node, outer = ancestors[0], ancestors[1], ancestors[2:]
        if not isinstance(try_node, cst.Try) or block is not try_node.body:
            return None
        if statements(try_node.body) != [statement]:
            return None
        if not is_bare_cancel_idiom(try_node, self.names):
            return None
        function = enclosing_coroutine(outer)
        if function is None:
            return None
        within = outer[: outer.index(function)]
        if any(isinstance(ancestor, cst.For | cst.While) for ancestor in within):
            return None
        if any(True for _ in statements_after(try_node, outer, function)):
            return None
        return try_node


_SWALLOWED_AROUND = (
    "(report only: the handler around it that catches `CancelledError` would then catch only "
    "the caller's own cancellation, and swallow it)"
)


def _in_finally(
    running: Sequence[cst.BaseStatement], stopping: Sequence[cst.BaseStatement]
) -> cst.Try:
    """`try:` running `finally:` stopping; a lone `try` without `finally` takes the stop as
    its `finally` (the same, one level less deep)."""
    final = cst.Finally(body=cst.IndentedBlock(body=stopping))
    only = running[0] if len(running) == 1 else None
    if isinstance(only, cst.Try) and only.finalbody is None:
        return only.with_changes(finalbody=final)
    body = [running[0].with_changes(leading_lines=()), *running[1:]]
    return cst.Try(
        body=cst.IndentedBlock(body=body), finalbody=final, leading_lines=leading_lines(running[0])
    )


def _own_awaits(statement: cst.CSTNode) -> Iterator[cst.Await]:
    """The `await`s of a statement's own expressions, in source order: not those of its
    blocks, nor of nested functions, lambdas or classes."""
    pending = list(reversed(children(statement)))
    while pending:
        node = pending.pop()
        if isinstance(node, _NOT_OWN):
            continue
        if isinstance(node, cst.Await):
            yield node
        pending.extend(reversed(children(node)))


def _returns_exceptions_may_be_added(call: cst.Call) -> bool:
    """No `return_exceptions=`, or a literal `False`; and no `**kwargs` that may hold it."""
    if any(arg.star == "**" for arg in call.args):
        return False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == _KEYWORD:
            return isinstance(arg.value, cst.Name) and arg.value.value == "False"
    return True


def _return_exceptions(call: cst.Call) -> cst.Call:
    """`call` with `return_exceptions=True`, in the layout of its arguments."""
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == _KEYWORD:
            args[index] = arg.with_changes(value=cst.Name("True"))
            return call.with_changes(args=args)
    new = cst.Arg(
        keyword=cst.Name(_KEYWORD),
        value=cst.Name("True"),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    last = args[-1]
    separator = _separator(call)
    if isinstance(last.comma, cst.Comma):
        # A trailing comma: the new argument comes after it and takes one of its own.
        tail = last.comma.whitespace_after
        args[-1] = last.with_changes(
            comma=last.comma.with_changes(whitespace_after=_joined(tail, separator)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        new = new.with_changes(
            comma=cst.Comma(whitespace_after=_closing(tail)),
            whitespace_after_arg=last.whitespace_after_arg,
        )
    else:
        tail = last.whitespace_after_arg
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=_joined(tail, separator)),
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        new = new.with_changes(whitespace_after_arg=_closing(tail))
    return call.with_changes(args=[*args, new])


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace the call puts before an argument: between its last two, or after `(`
    when each argument has a line of its own; without their comments."""
    between = [
        arg.comma.whitespace_after for arg in call.args[:-1] if isinstance(arg.comma, cst.Comma)
    ]
    if between:
        whitespace = between[-1]
    elif isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        whitespace = call.whitespace_before_args
    else:
        return cst.SimpleWhitespace(" ")
    if isinstance(whitespace, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(indent=whitespace.indent, last_line=whitespace.last_line)
    return whitespace


def _joined(
    tail: cst.BaseParenthesizableWhitespace, separator: cst.BaseParenthesizableWhitespace
) -> cst.BaseParenthesizableWhitespace:
    """What goes between the last argument and the new one: the end of the last argument's
    line (its comment) and the lines after it, then the separator's indentation."""
    if not isinstance(tail, cst.ParenthesizedWhitespace):
        return separator
    if isinstance(separator, cst.ParenthesizedWhitespace):
        return tail.with_changes(indent=separator.indent, last_line=separator.last_line)
    if tail.first_line.comment is None and not tail.empty_lines:
        return separator  # `(\n    a, b\n)`: the new argument joins the arguments' line
    # A comment ends the last argument's line: the new one starts a line of its own, one
    # level deeper than the closing parenthesis.
    return tail.with_changes(last_line=cst.SimpleWhitespace(tail.last_line.value + "    "))


def _closing(tail: cst.BaseParenthesizableWhitespace) -> cst.BaseParenthesizableWhitespace:
    """What goes between the new argument and `)`: the line break before it, if any."""
    if isinstance(tail, cst.ParenthesizedWhitespace):
        return cst.ParenthesizedWhitespace(indent=tail.indent, last_line=tail.last_line)
    return tail


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_gather_cancelled_tasks(code: CoroutineCode) -> bool:
    """Whether some coroutine cancels something and awaits `gather(...)` without
    `return_exceptions=True` (CF302's shape)."""
    gather = with_aliases(code, frozenset({"gather"}))
    return "cancel" in code.coroutine_calls and any(
        isinstance(awaited, ast.Call)
        and _calls_named(awaited, gather)
        and not any(
            keyword.arg == "return_exceptions"
            and isinstance(keyword.value, ast.Constant)
            and keyword.value.value is True
            for keyword in awaited.keywords
        )
        for awaited in code.awaited
    )


def _calls_named(expr: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(expr, ast.Call) and last_name(expr.func) in names
