from __future__ import annotations

import ast
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from codemods.analysis.blocks import (
    bound_names,
    comments_within,
    end_comments,
    leading_lines,
    leaves_block,
    lines_equal,
    may_exit_early,
    referenced_names,
    same_code,
    statements,
    without,
    without_blank_lines_above,
)
from codemods.analysis.cleanup import cleaned_resources, is_cleanup_line, is_cleanup_or_reset_line
from codemods.analysis.exits import handler_exits
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.handlers import enclosing_guards, manages_cancellation
from codemods.analysis.scope import has_cancellation_point, mentions, walk_same_frame
from codemods.analysis.suspension import cancellable_coroutine, may_never_suspend
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import cleanup_calls
from codemods.prefilter.statements import CoroutineCode, calls_cleanup, last_name, without_await


class CleanupNotInFinally(HandlerRule):
    """
    ## What it does
    Flags cleanup (a call named like `close`, `release`, `rollback`... see "Options") that a
    coroutine's `try` runs at the end of its body (or `else:`) and again in its `except`
    handler(s), but not in `finally`, when the `try` body contains a cancellation point.
    Statements are compared by their syntax trees, so whitespace and comments do not matter.

    ## Why is this bad?
    The code means the cleanup to always run, and it runs on success and on the errors the
    handlers catch. But `asyncio.CancelledError` is a `BaseException`: `except Exception:`
    does not catch it, so a cancelled coroutine skips both copies and leaks the connection,
    lock or subprocess. Only `finally` runs on every way out.

    ## Example
    ```python
    async def query(pool, sql):
        conn = await pool.acquire()
        try:
            rows = await conn.fetch(sql)
            await pool.release(conn)
            return rows
        except Exception:
            await pool.release(conn)
            raise
    ```

    Use instead:
    ```python
    async def query(pool, sql):
        conn = await pool.acquire()
        try:
            rows = await conn.fetch(sql)
            return rows
        finally:
            await pool.release(conn)
    ```

    ## Fix safety
    The fix moves the shared cleanup statements into `finally:` (first, in an existing one) and
    removes every copy; when every handler is then a bare `raise`, the handlers go. Comments on
    the removed copies move with the cleanup. Only cleanup calls (and `x = None` after them)
    move: other code the paths share stays where it is.

    The fix is safe when every path ran the cleanup before, at the same point, and the paths
    that gain it propagate an exception: the body reaches it without an early
    `return`/`break`/`continue`, and every handler runs it on all its paths, right before
    re-raising. It is unsafe when a handler does more after it (the fix moves the cleanup after
    that), may leave before it, or does not re-raise (an error of the cleanup itself, which that
    handler caught on the success path, now propagates); when a re-raising handler did not run
    it; and when the body may leave early.

    No fix is offered when the cleanup uses a name the `try` itself binds (`conn = await
    connect()` inside the `try`: in `finally` it may be unbound); when the cleanup ends the body
    of a `try` with an `else:` block, which would then run before it; when a handler that does
    not run the cleanup carries on (a retry, an `uncancel()`), which would carry on with the
    resource cleaned up; or when an enclosing handler uses the resource.

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup.

    ## See also
    - CF202: cleanup that runs only on errors, where `finally` would be wrong.
    - CF203: cleanup after the `await`s of the same block, with no `try` at all.
    """

    code = "CF201"
    name = "cleanup-not-in-finally"
    message = "cleanup runs on success and on errors but not on cancellation; move it to `finally`"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except")
    reads_context_by_name = True

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and cleanup_calls(
            source, options.cleanup_names, at_least=2
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_clean_up_twice(code, options.cleanup_names)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A coroutine that may never suspend: whether an await of the `try` suspends is
        read in it."""
        return may_never_suspend(code.coroutines)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        hoist = self._find(original_node)
        if hoist is None:
            return updated_node
        suite = hoist.block_of(original_node)
        if not isinstance(suite, cst.IndentedBlock):
            # `try: x(); conn.close()`: its lines are made up, with no position to point at.
            self.report(original_node, hoist.safety, keyword="try")
            return updated_node
        cleanup = suite.body[hoist.start : hoist.start + hoist.length]
        comments = end_comments(cleanup)
        if not self.report(cleanup[0], hoist.safety, through=cleanup[-1], comments=comments):
            return updated_node
        return hoist.apply(updated_node)

    def _find(self, node: cst.Try) -> _Hoist | None:
        if node.finalbody is not None and not isinstance(node.finalbody.body, cst.IndentedBlock):
            return None
        if (
            cancellable_coroutine(node, self.parents(node), self.module, self.context.filename)
            is None
        ):
            return None
        if node.orelse is not None:
            in_else = self._match(node, in_else=True)
            if in_else is not None:
                return in_else
            in_body = self._match(node, in_else=False)
            # The `else` block runs between body and `finally`: hoisting would reorder.
            return None if in_body is None else in_body.report_only()
        return self._match(node, in_else=False)

    def _match(self, node: cst.Try, *, in_else: bool) -> _Hoist | None:
        """The cleanup lines that end the success path and that handlers repeat, if any."""
        block = statements(_success_block(node, in_else))
        end = len(block) - 1 if block and _ends_success_path(block[-1]) else len(block)
        cleanup_names = self.options.cleanup_names
        first_cleanup = end
        while first_cleanup > 0 and is_cleanup_or_reset_line(
            block[first_cleanup - 1], cleanup_names, block[first_cleanup - 2 : first_cleanup - 1]
        ):
            first_cleanup -= 1
        starts = [i for i in range(first_cleanup, end) if is_cleanup_line(block[i], cleanup_names)]
        handler_lines = [statements(handler.body) for handler in node.handlers]
        matches: dict[int, tuple[int, int]] = {}
        for index, lines in enumerate(handler_lines):
            found = _find_tail(block, starts, end, lines)
            if found is not None:
                matches[index] = found
        if not matches:
            return None
        start = max(tail_start for tail_start, _ in matches.values())
        length = end - start
        positions = {
            index: position + start - tail_start
            for index, (tail_start, position) in matches.items()
        }
        hoisted = block[start:end]
        if node.finalbody is not None and any(
            same_code(line, hoisted[0]) for line in statements(node.finalbody.body)
        ):
            return None
        remaining = block[:start] + block[end:]
        if not in_else and not any(map(has_cancellation_point, remaining)):
            return None
        first_catcher = self.first_cancellation_handler(node)
        if first_catcher is not None and first_catcher[0] in positions:
            return None
        hoist = _Hoist(in_else, start, length, positions, FixSafety.SAFE)
        if not self._fixable(node, hoisted, remaining, in_else):
            return hoist.report_only()
        return hoist.with_safety(self._safety(node, handler_lines, hoist, block[:start]))

    def _fixable(
        self,
        node: cst.Try,
        hoisted: Sequence[cst.BaseStatement],
        kept: Sequence[cst.BaseStatement],
        in_else: bool,
    ) -> bool:
        """Whether `finally` can run the cleanup: every block is indented (not `try: x()`),
        the lines neither jump nor yield, every name they use is bound whichever way the `try`
        ends, and no enclosing handler goes on to use what they clean up."""
        suites = [node.body, *(handler.body for handler in node.handlers)]
        if node.orelse is not None:
            suites.append(node.orelse.body)
        if not all(isinstance(suite, cst.IndentedBlock) for suite in suites):
            return False
        if not all(map(_may_run_in_finally, hoisted)):
            return False
        if not _returns_what_cleanup_cannot_change(statements(_success_block(node, in_else))[-1]):
            return False
        may_be_unbound = bound_names([*statements(node.body), *kept] if in_else else kept)
        may_be_unbound.update(
            handler.name.name.value
            for handler in node.handlers
            if handler.name is not None and isinstance(handler.name.name, cst.Name)
        )
        used = set().union(*map(referenced_names, hoisted))
        if not used.isdisjoint(may_be_unbound):
            return False
        resources = set().union(
            *(cleaned_resources(line, self.options.cleanup_names) for line in hoisted)
        )
        guards = enclosing_guards(node, self.parents(node))
        return not any(mentions(guard, resources) for guard in guards)

    def _safety(
        self,
        node: cst.Try,
        handler_lines: list[list[cst.BaseStatement]],
        hoist: _Hoist,
        before: Sequence[cst.BaseStatement],
    ) -> FixSafety | None:
        """Safe when every path that ran the cleanup still runs it at the same point, and the
        only paths that gain it propagate an exception (cancellation among them). A handler
        that goes on without re-raising (a retry, a deliberate `uncancel()`) would go on with
        the resource cleaned up: report only."""
        safety = FixSafety.SAFE
        if any(map(leaves_block, before)):
            safety = FixSafety.UNSAFE
        if hoist.in_else and any(map(leaves_block, statements(node.body))):
            safety = FixSafety.UNSAFE
        for index, (handler, lines) in enumerate(zip(node.handlers, handler_lines, strict=True)):
            if manages_cancellation(handler):
                return None
            position = hoist.handler_positions.get(index)
            if position is None:
                if _is_bare_reraise(lines) and self.names.caught(handler).catches_cancellation:
                    continue  # the path this fix is for
                if not handler_exits(handler, self.names).always_reraises:
                    return None
                safety = FixSafety.UNSAFE
                continue
            after = lines[position + hoist.length :]
            # The cleanup may fail: an error the handler swallowed then must still propagate.
            if not (len(after) == 1 and _is_reraise(after[0])):
                safety = FixSafety.UNSAFE
            if any(map(may_exit_early, lines[:position])):
                safety = FixSafety.UNSAFE
        return safety


@dataclass(frozen=True)
class _Hoist:
    """Cleanup lines `start:start+length` of the body (or `else`), repeated in handlers."""

    in_else: bool
    start: int
    length: int
    handler_positions: dict[int, int]
    """Handler index -> where the repeated lines start in that handler."""
    safety: FixSafety | None

    def block_of(self, node: cst.Try) -> cst.BaseSuite:
        return _success_block(node, self.in_else)

    def report_only(self) -> _Hoist:
        return self.with_safety(None)

    def with_safety(self, safety: FixSafety | None) -> _Hoist:
        return dataclasses.replace(self, safety=safety)

    def _indices(self, start: int) -> set[int]:
        return set(range(start, start + self.length))

    def apply(self, node: cst.Try) -> cst.Try:
        suite = self.block_of(node)
        assert isinstance(suite, cst.IndentedBlock)
        block = list(suite.body)
        hoisted = [
            self._with_handler_comments(node, offset, block[self.start + offset])
            for offset in range(self.length)
        ]
        hoisted[0] = without_blank_lines_above(hoisted[0])
        handlers = [self._handler_without(i, handler) for i, handler in enumerate(node.handlers)]
        # Only a `try` whose every handler is left a bare `raise` loses them: keeping some
        # would make a later pass see other handlers than the code had.
        if node.orelse is None and all(map(_only_reraises, handlers)):
            handlers = []
        if node.finalbody is None:
            finalbody = cst.Finally(body=cst.IndentedBlock(body=hoisted))
        else:
            final_suite = node.finalbody.body
            assert isinstance(final_suite, cst.IndentedBlock)
            finalbody = node.finalbody.with_changes(
                body=final_suite.with_changes(body=[*hoisted, *final_suite.body])
            )
        changes: dict[str, object] = {"handlers": handlers, "finalbody": finalbody}
        if self.in_else and self.length == len(block):
            changes["orelse"] = None
        else:
            kept = without(block, self._indices(self.start), keep_comments=False)
            new_suite = suite.with_changes(body=kept)
            if self.in_else:
                assert node.orelse is not None
                changes["orelse"] = node.orelse.with_changes(body=new_suite)
            else:
                changes["body"] = new_suite
        return node.with_changes(**changes)

    def _with_handler_comments(
        self, node: cst.Try, offset: int, line: cst.BaseStatement
    ) -> cst.BaseStatement:
        """A hoisted line, with the comments of its removed copies in handlers (each once)."""
        lines = list(leading_lines(line))
        seen = {comment.value for comment in comments_within(line)}
        for index, position in self.handler_positions.items():
            copy = statements(node.handlers[index].body)[position + offset]
            for comment in comments_within(copy):
                if comment.value not in seen:
                    seen.add(comment.value)
                    lines.append(cst.EmptyLine(comment=comment))
        return line.with_changes(leading_lines=lines)

    def _handler_without(self, index: int, handler: cst.ExceptHandler) -> cst.ExceptHandler:
        position = self.handler_positions.get(index)
        if position is None:
            return handler
        body = handler.body
        assert isinstance(body, cst.IndentedBlock)
        kept = without(statements(body), self._indices(position), keep_comments=False)
        return handler.with_changes(body=body.with_changes(body=kept))


def _success_block(node: cst.Try, in_else: bool) -> cst.BaseSuite:
    """Where the success path ends: the `else:` block, or the body."""
    return node.orelse.body if in_else and node.orelse is not None else node.body


def _find_tail(
    block: Sequence[cst.BaseStatement],
    starts: Sequence[int],
    end: int,
    lines: Sequence[cst.BaseStatement],
) -> tuple[int, int] | None:
    """The longest `block[start:end]` (`start` from `starts`) that `lines` contains, as
    (start, position in `lines`); the match nearest the end of `lines` wins."""
    for start in starts:
        tail = block[start:end]
        for position in range(len(lines) - len(tail), -1, -1):
            if lines_equal(lines[position : position + len(tail)], tail):
                return start, position
    return None


def _only_small(line: cst.BaseStatement) -> cst.BaseSmallStatement | None:
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        return line.body[0]
    return None


def _ends_success_path(line: cst.BaseStatement) -> bool:
    """A last line of the body that stays there, before a hoisted cleanup: a `return`,
    `break` or `continue` (a `raise` would now reach the handlers first)."""
    return isinstance(_only_small(line), cst.Return | cst.Break | cst.Continue)


def _returns_what_cleanup_cannot_change(line: cst.BaseStatement) -> bool:
    """Not a `return` whose value the cleanup, now run after it is evaluated, might change
    (`return conn.closed`, `return self.result()`): `return`, `return NAME`, `return 0`."""
    small = _only_small(line)
    return not isinstance(small, cst.Return) or (
        small.value is None or isinstance(small.value, cst.Name | cst.BaseNumber | cst.SimpleString)
    )


def _is_reraise(line: cst.BaseStatement) -> bool:
    """`raise` or `raise exc`: the handler lets the exception go on."""
    small = _only_small(line)
    return (
        isinstance(small, cst.Raise)
        and small.cause is None
        and (small.exc is None or isinstance(small.exc, cst.Name))
    )


def _is_bare_reraise(lines: Sequence[cst.BaseStatement]) -> bool:
    return len(lines) == 1 and _is_reraise(lines[0])


def _may_run_in_finally(line: cst.BaseStatement) -> bool:
    """No jump, raise or yield: `finally` must not swallow or suspend an exception (PEP 765)."""
    return not any(
        isinstance(node, cst.Return | cst.Break | cst.Continue | cst.Raise | cst.Yield)
        for node in walk_same_frame(line)
    )


def _only_reraises(handler: cst.ExceptHandler) -> bool:
    """A handler that is a bare `raise` and nothing else, not even a comment."""
    lines = statements(handler.body)
    return _is_bare_reraise(lines) and not comments_within(handler)


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_clean_up_twice(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` ends its body or `else` with a cleanup call, and cleans up
    in a handler too (CF201's shape)."""
    return any(
        _ends_with_cleanup(try_node.orelse or try_node.body, cleanup_names)
        or (try_node.orelse and _ends_with_cleanup(try_node.body, cleanup_names))
        for try_node in code.tries
        if _cleans_up_in_handler(try_node, cleanup_names)
    )


def _cleans_up_in_handler(try_node: ast.Try | ast.TryStar, cleanup_names: frozenset[str]) -> bool:
    return any(calls_cleanup(handler, cleanup_names) for handler in try_node.handlers)


def _ends_with_cleanup(block: list[ast.stmt], cleanup_names: frozenset[str]) -> bool:
    """`...; conn.close()`, also followed by `conn = None`, `await proc.wait()` or a final
    `return`, `break` or `continue`."""
    end = len(block)
    if end and isinstance(block[end - 1], ast.Return | ast.Break | ast.Continue):
        end -= 1
    while end and _completes_cleanup(block[end - 1]):
        end -= 1
    return bool(end) and _is_cleanup_statement(block[end - 1], cleanup_names)


def _completes_cleanup(statement: ast.stmt) -> bool:
    """`x = None` or `[await] x.wait()`: what may follow cleanup calls at the end of a block."""
    if isinstance(statement, ast.Assign):
        return isinstance(statement.value, ast.Constant) and statement.value.value is None
    return isinstance(statement, ast.Expr) and last_name(without_await(statement.value)) == "wait"


def _is_cleanup_statement(statement: ast.stmt, cleanup_names: frozenset[str]) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(without_await(statement.value), ast.Call)
        and calls_cleanup(statement, cleanup_names)
    )
