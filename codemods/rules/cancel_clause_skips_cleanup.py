from __future__ import annotations

import libcst as cst

from codemods.analysis.blocks import same_code, statements
from codemods.analysis.compensation import Compensation, compensation, repeated_elsewhere
from codemods.analysis.exits import handler_exits
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.suspension import cancellable_coroutine, may_never_suspend
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.statements import (
    CANCELLATION_NAMES,
    CoroutineCode,
    handler_types,
    last_name,
    undoes_then_raises,
    with_aliases,
)


class CancelClauseSkipsCleanup(HandlerRule):
    """
    ## What it does
    Flags an `except asyncio.CancelledError:` clause that re-raises at once when a later
    handler of the same `try` undoes something before it re-raises (closes the connection,
    releases the lock, gives the pooled object back, resets state; see CF202 for what counts
    as undoing), and the `try` body contains a cancellation point.

    ## Why is this bad?
    The cancellation clause was written so that cancellation propagates, but it also keeps the
    cancellation away from the cleanup every other failure gets. A connection cancelled in the
    middle of a reply goes back to the pool with the rest of that reply unread, and the next
    caller reads it: a popular Redis client shipped exactly this, as a published CVE.

    ## Example
    ```python
    async def execute(self, *args):
        await self.send_command(*args)
        try:
            return await self.read_response()
        except asyncio.CancelledError:
            raise
        except Exception:
            await self.disconnect(nowait=True)
            raise
    ```

    Use instead:
    ```python
    async def execute(self, *args):
        await self.send_command(*args)
        try:
            return await self.read_response()
        except asyncio.CancelledError:
            await self.disconnect(nowait=True)
            raise
        except Exception:
            await self.disconnect(nowait=True)
            raise
    ```

    ## Fix safety
    Runs the later handler's undo (its statements without log lines and the final `raise`)
    in the cancellation clause, right before its `raise`. The later handler stays as it is,
    so no error changes path.

    Safe when the repeated lines only undo state: only cancellation changes path, and it
    propagates unchanged after the same cleanup. Unsafe when they do more (count, notify, call
    something else), which every cancellation would now do too.

    Report only, without a fix (the message says why), when the undo uses a name the `try`
    binds (unbound if the cancellation comes first) or the exception it caught, is entangled
    with a `raise` or a jump, when several later handlers undo different things, or when the
    cancellation clause does not end in its `raise`.
    """

    code = "CF204"
    name = "cancel-clause-skips-cleanup"
    message = "the `CancelledError` clause re-raises without the cleanup the handler after it runs"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except", b"ancelled")
    reads_context_by_name = True

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_skip_cleanup_after_cancel_clause(code)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A coroutine that may never suspend: whether an await of the `try` suspends is
        read in it."""
        return may_never_suspend(code.coroutines)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        if self.options.target_version < (3, 8):
            return updated_node  # CancelledError was an Exception: the later handler was moot
        if (
            cancellable_coroutine(
                original_node, self.parents(original_node), self.module, self.context.filename
            )
            is None
        ):
            return updated_node
        found = self.first_cancellation_handler(original_node)
        if found is None or found[1].is_broad or not found[1].cancellation:
            return updated_node
        index = found[0]
        clause = original_node.handlers[index]
        if not handler_exits(clause, self.names).always_reraises:
            return updated_node  # CF102's: the clause swallows
        undo = self._undo_after(original_node, index)
        if undo is None:
            return updated_node
        compensations, why_no_fix = undo
        if why_no_fix is None and not _ends_in_raise(clause):
            why_no_fix = "the cancellation clause does not end in its `raise`"
        safety = None
        if why_no_fix is None:
            safety = FixSafety.SAFE if compensations[0].only_undoes else FixSafety.UNSAFE
        if not self.report_handler(clause, safety, why_no_fix=why_no_fix):
            return updated_node
        handlers = list(updated_node.handlers)
        handlers[index] = _with_undo(handlers[index], compensations[0].lines)
        return updated_node.with_changes(handlers=handlers)

    def _undo_after(
        self, node: cst.Try, index: int
    ) -> tuple[list[Compensation], str | None] | None:
        """The undo of the handlers after the cancellation clause, with why it cannot be
        repeated there (None: it can); None when none undoes anything the clause skips."""
        function, cleanup_names = self.coroutine(node), self.options.cleanup_names
        found = [
            undo
            for handler in node.handlers[index + 1 :]
            if (undo := compensation(node, handler, function, self.names, cleanup_names))
            is not None
        ]
        clause_lines = statements(node.handlers[index].body)
        found = [
            undo
            for undo in found
            if not repeated_elsewhere(node, undo.lines)
            and not any(same_code(line, other) for line in undo.lines for other in clause_lines)
        ]
        if not found:
            return None
        if not all(undo.same_as(found[0]) for undo in found):
            return found, "the handlers after it undo different things"
        return found, found[0].why_not_repeatable


def _ends_in_raise(handler: cst.ExceptHandler) -> bool:
    lines = statements(handler.body)
    last = lines[-1] if lines else None
    return (
        isinstance(handler.body, cst.IndentedBlock)
        and isinstance(last, cst.SimpleStatementLine)
        and len(last.body) == 1
        and isinstance(last.body[0], cst.Raise)
        and last.body[0].cause is None
    )


def _with_undo(
    handler: cst.ExceptHandler, undo: tuple[cst.BaseStatement, ...]
) -> cst.ExceptHandler:
    """The clause with the undo lines (without their comments) right before its `raise`; the
    comment lines above that `raise` stay above the code they were written for."""
    body = handler.body
    assert isinstance(body, cst.IndentedBlock)
    *lines, last = body.body
    assert isinstance(last, cst.SimpleStatementLine)
    copies = [line.with_changes(leading_lines=()) for line in undo]
    copies[0] = copies[0].with_changes(leading_lines=last.leading_lines)
    last = last.with_changes(leading_lines=())
    return handler.with_changes(body=body.with_changes(body=[*lines, *copies, last]))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_skip_cleanup_after_cancel_clause(code: CoroutineCode) -> bool:
    """Whether some coroutine `try` has a handler naming a cancellation class followed by a
    handler that raises and does more than log (CF204's shape)."""
    names = with_aliases(code, CANCELLATION_NAMES)
    for try_node in code.tries:
        handlers = try_node.handlers
        first = next(
            (
                i
                for i, handler in enumerate(handlers)
                if any(last_name(expr) in names for expr in handler_types(handler))
            ),
            None,
        )
        if first is not None and any(map(undoes_then_raises, handlers[first + 1 :])):
            return True
    return False
