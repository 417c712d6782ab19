from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TypeVar, cast

import libcst as cst

from codemods.analysis.blocks import comments_within, end_comments, header_end
from codemods.analysis.scope import children, enclosing_coroutine
from codemods.analysis.tasks import cancelled_before
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import calls_cancel
from codemods.prefilter.statements import CoroutineCode, last_name, with_aliases
from codemods.rule import Rule

_StatementT = TypeVar("_StatementT", bound=cst.CSTNode)

_GATHER = "asyncio.gather"
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

    The fix is unsafe: an error other than cancellation raised by a task (for example by its
    cleanup on cancel) is now returned in the result list instead of raised, so it goes
    unnoticed unless the result is inspected, and a result that is used now contains exception
    objects. An `except CancelledError: pass` left around the `gather` now only catches the
    caller's own cancellation, and should go.

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
            if self.report(await_node, FixSafety.UNSAFE, through=call, comments=noqa):
                # The rule does not descend into expressions: the updated statement holds
                # the same call node as the original.
                updated = cast(_StatementT, updated.deep_replace(call, _return_exceptions(call)))
        return updated


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
