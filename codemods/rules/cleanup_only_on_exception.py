from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.blocks import bound_names, referenced_names, same_code, statements
from codemods.analysis.cleanup import (
    always_cleans_up,
    is_cleanup_line,
    only_cleanup_and_quiet_logging,
)
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.handlers import guarded_coroutine
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import cleanup_calls
from codemods.prefilter.statements import CoroutineCode, calls_cleanup, last_name, with_aliases


class CleanupOnlyOnException(HandlerRule):
    """
    ## What it does
    Flags `except Exception:` in a coroutine when every path through the handler cleans up (a
    call named like `rollback`, `close`, `release`... see "Options") and then re-raises, and the
    `try` body contains a cancellation point: the rollback pattern.

    ## Why is this bad?
    Since Python 3.8 `asyncio.CancelledError` derives from `BaseException`, not `Exception`.
    The handler that rolls back a transaction or hands a broken connection back never runs
    when the coroutine is cancelled mid-transaction: the transaction stays open, the pooled
    connection is returned dirty or never returned.

    ## Example
    ```python
    async def transfer(conn, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("UPDATE accounts SET ...", amount)
            await tx.commit()
        except Exception:
            await tx.rollback()
            raise
    ```

    Use instead:
    ```python
    async def transfer(conn, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute("UPDATE accounts SET ...", amount)
            await tx.commit()
        except BaseException:
            await tx.rollback()
            raise
    ```

    ## Fix safety
    The fix widens `except Exception` to `except BaseException`. The cleanup stays in the
    handler rather than moving to `finally`: on success the transaction is committed, the
    connection kept, the subscription alive; only failures must undo them. (When the success
    path runs the same cleanup, CF201 moves it to `finally` instead.)

    The fix is safe when the handler does nothing but clean up, log at debug or info level and
    re-raise: only cancellation and interpreter exit change path, and they now clean up too
    before propagating unchanged. It is unsafe when the handler does more (logs an error, counts
    failures, records state, notifies someone): that now happens on every cancellation too.

    No fix is offered when widening would turn a cancellation into another error: a path raises
    another exception (`raise DBError() from exc`); the handler uses a name the `try` binds
    (`tx = await conn.begin()` inside it), which a cancellation may arrive before; or a later
    handler catches what `Exception` does not (`except KeyboardInterrupt:`).

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup.

    ## See also
    - CF201: the same cleanup on the success path too, which belongs in `finally`.
    """

    code = "CF202"
    name = "cleanup-only-on-exception"
    message = "`except Exception` cleanup is skipped on cancellation; catch `BaseException`"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except", b"Exception")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and cleanup_calls(source, options.cleanup_names)

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return options.target_version >= (3, 8) and may_clean_up_then_raise(
            code, options.cleanup_names
        )

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        if self.options.target_version < (3, 8):
            return updated_node  # CancelledError was an Exception: the handler runs
        if guarded_coroutine(original_node, self.parents(original_node)) is None:
            return updated_node
        if self.first_cancellation_handler(original_node) is not None:
            return updated_node
        handlers = list(updated_node.handlers)
        for index, handler in enumerate(original_node.handlers):
            if not self._cleans_up_then_raises(original_node, handler):
                continue
            if self.report_handler(handler, self._safety(original_node, index)):
                handlers[index] = _widened(handlers[index])
        return updated_node.with_changes(handlers=handlers)

    def _cleans_up_then_raises(self, node: cst.Try, handler: cst.ExceptHandler) -> bool:
        if handler.type is None or "builtins.Exception" not in self.names.names_of(handler.type):
            return False
        lines = statements(handler.body)
        if not always_cleans_up(lines, self.options.cleanup_names):
            return False
        kinds = handler_exits(handler, self.names).kinds
        if not kinds or not kinds <= {Exit.RERAISE, Exit.RAISE_OTHER}:
            return False
        return not self._cleaned_elsewhere(node, lines)

    def _cleaned_elsewhere(self, node: cst.Try, lines: list[cst.BaseStatement]) -> bool:
        """Whether the success path (CF201's case) or `finally` runs the same cleanup."""
        elsewhere = statements(node.body)
        if node.orelse is not None:
            elsewhere += statements(node.orelse.body)
        if node.finalbody is not None:
            elsewhere += statements(node.finalbody.body)
        cleanup = [line for line in lines if is_cleanup_line(line, self.options.cleanup_names)]
        return any(same_code(line, other) for line in cleanup for other in elsewhere)

    def _safety(self, node: cst.Try, index: int) -> FixSafety | None:
        """None (report only) when widening would turn a cancellation into another error:
        the handler raises one, uses a name the `try` may not have bound yet, or takes the
        `KeyboardInterrupt` (or other `BaseException`) a later handler was there for."""
        handler = node.handlers[index]
        if Exit.RAISE_OTHER in handler_exits(handler, self.names).kinds:
            return None
        if index + 1 < len(node.handlers):
            return None
        if not referenced_names(handler.body).isdisjoint(bound_names(statements(node.body))):
            return None
        lines = statements(handler.body)
        if only_cleanup_and_quiet_logging(lines, self.options.cleanup_names):
            return FixSafety.SAFE
        return FixSafety.UNSAFE


def _widened(handler: cst.ExceptHandler) -> cst.ExceptHandler:
    assert handler.type is not None
    if isinstance(handler.type, cst.Name):
        return handler.with_changes(type=handler.type.with_changes(value="BaseException"))
    return handler.with_changes(type=cst.Name("BaseException"))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_clean_up_then_raise(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` has an `except Exception` that cleans up and raises (the
    rollback pattern, CF202's shape)."""
    names = with_aliases(code, frozenset({"Exception"}))
    return any(
        handler.type is not None
        and last_name(handler.type) in names
        and calls_cleanup(handler, cleanup_names)
        and any(isinstance(node, ast.Raise) for node in ast.walk(handler))
        for try_node in code.tries
        for handler in try_node.handlers
    )
