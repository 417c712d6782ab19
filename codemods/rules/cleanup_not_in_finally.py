from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from codemods.analysis.blocks import (
    bound_names,
    comments_of,
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
from codemods.analysis.candidates import may_clean_up_in_handler
from codemods.analysis.cleanup import is_cleanup_line
from codemods.analysis.handlers import guarded_coroutine
from codemods.analysis.reraise import is_inert
from codemods.analysis.scope import has_cancellation_point, walk_same_frame
from codemods.rule import FixSafety, Rule, RuleOptions


class CleanupNotInFinally(Rule):
    """
    ## What it does
    Flags cleanup (a call named like `close`, `release`, `rollback`... see `cleanup-names`)
    that a coroutine's `try` runs at the end of its body (or `else:`) and again in its
    `except` handler(s), but not in `finally`, when the `try` body contains a cancellation
    point.

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

    ## Fix
    Moves the shared cleanup statements into `finally:` (first, in an existing one) and removes
    every copy; a handler left with nothing but `raise` at the end of the handler list is
    dropped. Comments on the removed copies move with the cleanup.

    ## Fix safety
    Safe when every path ran the cleanup before, in the same order against everything else:
    the body reaches it without an early `return`/`break`/`continue`, and every handler runs it
    on all its paths, last or right before a `raise`, `return NAME`, `break` or `continue`.
    Unsafe when a handler does not run it (the fix adds it there), does more after it (the
    fix moves the cleanup after that), or may leave before it; and when the body may leave
    early. An exception raised by the cleanup on the success path is no longer seen by the
    handlers.

    Report only, without a fix, when the cleanup uses a name the `try` itself binds (`conn =
    await connect()` inside the `try`: in `finally` it may be unbound), or when the cleanup
    ends the body of a `try` with an `else:` block, which would then run before it.
    """

    code = "CF201"
    name = "cleanup-not-in-finally"
    message = "cleanup runs on success and on errors but not on cancellation; move it to `finally`"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except")

    @classmethod
    def is_candidate(cls, tree: ast.Module, options: RuleOptions) -> bool:
        return may_clean_up_in_handler(tree, options.cleanup_names)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        hoist = self._find(original_node)
        if hoist is None:
            return updated_node
        block = statements(hoist.block_of(original_node))
        cleanup = block[hoist.start : hoist.start + hoist.length]
        comments = [comment for line in cleanup for comment in _trailing_comments(line)]
        if not self.report(cleanup[0], hoist.safety, through=cleanup[-1], comments=comments):
            return updated_node
        return hoist.apply(updated_node)

    def _find(self, node: cst.Try) -> _Hoist | None:
        if node.finalbody is not None and not isinstance(node.finalbody.body, cst.IndentedBlock):
            return None
        if guarded_coroutine(node, self.parents(node)) is None:
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
        suite = node.orelse.body if in_else and node.orelse is not None else node.body
        block = statements(suite)
        end = len(block) - 1 if block and _ends_success_path(block[-1]) else len(block)
        first_simple = end
        while first_simple > 0 and isinstance(block[first_simple - 1], cst.SimpleStatementLine):
            first_simple -= 1
        cleanup_names = self.options.cleanup_names
        starts = [i for i in range(first_simple, end) if is_cleanup_line(block[i], cleanup_names)]
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
        if not all(map(_may_run_in_finally, hoisted)) or not self._fixable(
            node, hoisted, remaining, in_else
        ):
            return hoist.report_only()
        if not self._same_paths(node, handler_lines, hoist, block[:start]):
            return hoist.unsafe()
        return hoist

    def _fixable(
        self,
        node: cst.Try,
        hoisted: Sequence[cst.BaseStatement],
        kept: Sequence[cst.BaseStatement],
        in_else: bool,
    ) -> bool:
        """Whether `finally` can run the cleanup: every block is indented (not `try: x()`)
        and every name it uses is bound whichever way the `try` ends."""
        suites = [node.body, *(handler.body for handler in node.handlers)]
        if node.orelse is not None:
            suites.append(node.orelse.body)
        if not all(isinstance(suite, cst.IndentedBlock) for suite in suites):
            return False
        may_be_unbound = bound_names([*statements(node.body), *kept] if in_else else kept)
        may_be_unbound.update(
            handler.name.name.value
            for handler in node.handlers
            if handler.name is not None and isinstance(handler.name.name, cst.Name)
        )
        used = set().union(*map(referenced_names, hoisted))
        return used.isdisjoint(may_be_unbound)

    def _same_paths(
        self,
        node: cst.Try,
        handler_lines: list[list[cst.BaseStatement]],
        hoist: _Hoist,
        before: Sequence[cst.BaseStatement],
    ) -> bool:
        """Whether every path that ran the cleanup before still runs it at the same point,
        and no other path but cancellation (and uncaught errors) gains it."""
        if any(map(leaves_block, before)):
            return False
        if hoist.in_else and any(map(leaves_block, statements(node.body))):
            return False
        for index, lines in enumerate(handler_lines):
            position = hoist.handler_positions.get(index)
            if position is None:
                if not self._catches_only_cancellation(node.handlers[index]):
                    return False
                continue
            after = lines[position + hoist.length :]
            if after and not (len(after) == 1 and _is_handler_exit(after[0])):
                return False
            if any(map(may_exit_early, lines[:position])):
                return False
        return True

    def _catches_only_cancellation(self, handler: cst.ExceptHandler) -> bool:
        caught = self.names.caught(handler)
        return bool(caught.cancellation) and not caught.others and not caught.is_broad


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
        return node.orelse.body if self.in_else and node.orelse is not None else node.body

    def report_only(self) -> _Hoist:
        return _Hoist(self.in_else, self.start, self.length, self.handler_positions, None)

    def unsafe(self) -> _Hoist:
        return _Hoist(
            self.in_else, self.start, self.length, self.handler_positions, FixSafety.UNSAFE
        )

    def _indices(self, start: int) -> set[int]:
        return set(range(start, start + self.length))

    def apply(self, node: cst.Try) -> cst.Try:
        suite = self.block_of(node)
        assert isinstance(suite, cst.IndentedBlock)
        block = statements(suite)
        hoisted = [
            self._with_handler_comments(node, offset, block[self.start + offset])
            for offset in range(self.length)
        ]
        hoisted[0] = without_blank_lines_above(hoisted[0])
        kept = without(block, self._indices(self.start), keep_comments=False)
        handlers = [self._handler_without(i, handler) for i, handler in enumerate(node.handlers)]
        fewest = 1 if node.orelse is not None else 0  # `try`/`else` needs a handler
        while len(handlers) > fewest and _only_reraises(handlers[-1]):
            handlers.pop()
        existing = statements(node.finalbody.body) if node.finalbody is not None else []
        finalbody = cst.Finally(body=cst.IndentedBlock(body=[*hoisted, *existing]))
        if node.finalbody is not None:
            finalbody = node.finalbody.with_changes(body=finalbody.body)
        changes: dict[str, object] = {"handlers": handlers, "finalbody": finalbody}
        new_suite = suite.with_changes(body=kept)
        if not self.in_else:
            changes["body"] = new_suite
        elif kept == [cst.SimpleStatementLine(body=[cst.Pass()])]:
            changes["orelse"] = None
        else:
            assert node.orelse is not None
            changes["orelse"] = node.orelse.with_changes(body=new_suite)
        return node.with_changes(**changes)

    def _with_handler_comments(
        self, node: cst.Try, offset: int, line: cst.BaseStatement
    ) -> cst.BaseStatement:
        """A hoisted line, with the comments of its copies in handlers (each once)."""
        lines = list(leading_lines(line))
        seen = {comment.value for comment in _comment_texts(line)}
        for index, position in self.handler_positions.items():
            copy = statements(node.handlers[index].body)[position + offset]
            for comment_line in comments_of(copy):
                assert comment_line.comment is not None
                if comment_line.comment.value not in seen:
                    seen.add(comment_line.comment.value)
                    lines.append(comment_line)
        return line.with_changes(leading_lines=lines)

    def _handler_without(self, index: int, handler: cst.ExceptHandler) -> cst.ExceptHandler:
        position = self.handler_positions.get(index)
        if position is None:
            return handler
        body = handler.body
        assert isinstance(body, cst.IndentedBlock)
        kept = without(statements(body), self._indices(position), keep_comments=False)
        return handler.with_changes(body=body.with_changes(body=kept))


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


def _is_final_return(line: cst.BaseStatement) -> bool:
    """`return`, `return NAME`, `return 0`: a return whose value the cleanup cannot change."""
    small = _only_small(line)
    return isinstance(small, cst.Return) and is_inert(small.value)


def _ends_success_path(line: cst.BaseStatement) -> bool:
    """A last line of the body that may stay there, before a hoisted cleanup: an inert
    `return`, `break` or `continue` (a `raise` would now reach the handlers first)."""
    return _is_final_return(line) or isinstance(_only_small(line), cst.Break | cst.Continue)


def _is_handler_exit(line: cst.BaseStatement) -> bool:
    """What may follow the cleanup in a handler without running before it once hoisted."""
    small = _only_small(line)
    if isinstance(small, cst.Raise):
        return small.cause is None and (small.exc is None or isinstance(small.exc, cst.Name))
    return _ends_success_path(line)


def _may_run_in_finally(line: cst.BaseStatement) -> bool:
    """No jump, raise or yield: `finally` must not swallow or suspend an exception (PEP 765)."""
    return not any(
        isinstance(node, cst.Return | cst.Break | cst.Continue | cst.Raise | cst.Yield)
        for node in walk_same_frame(line)
    )


def _only_reraises(handler: cst.ExceptHandler) -> bool:
    lines = statements(handler.body)
    return (
        len(lines) == 1
        and not comments_of(lines[0])
        and isinstance(small := _only_small(lines[0]), cst.Raise)
        and small.exc is None
    )


def _trailing_comments(line: cst.BaseStatement) -> list[cst.Comment]:
    if isinstance(line, cst.SimpleStatementLine) and line.trailing_whitespace.comment:
        return [line.trailing_whitespace.comment]
    return []


def _comment_texts(line: cst.BaseStatement) -> list[cst.Comment]:
    return [empty.comment for empty in comments_of(line) if empty.comment is not None]
