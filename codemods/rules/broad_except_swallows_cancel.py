from __future__ import annotations

import libcst as cst

from codemods.analysis.handler_rule import SwallowingRule
from codemods.analysis.handlers import Handler, TryT
from codemods.analysis.reraise import ReraisingClause, reraising_clause
from codemods.analysis.swallowing import AWAITS_EXISTING_FUTURE, YIELD_IN_HANDLER, Judgement
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import catches_everything
from codemods.prefilter.statements import CoroutineCode, broad_classes, has_handler_for


class BroadExceptSwallowsCancel(SwallowingRule):
    """
    ## What it does
    Flags a bare `except:`, an `except BaseException:`, or a tuple holding either, in a
    coroutine, when the handler has a path that does not re-raise and the `try` body contains a
    cancellation point (`await`, `async with`, `async for`).

    Not flagged: handlers that call `uncancel()` or test `cancelling()` (deliberate), a
    cancellation raised again later in the function, `task.cancel()` followed by `await task` or
    `await asyncio.gather(*tasks)` (the child's cancellation: CF301's and CF302's concern), code
    outside `async def`, and `except Exception:`, which does not catch `CancelledError` since
    Python 3.8.

    ## Why is this bad?
    `asyncio.CancelledError` derives from `BaseException`, so these handlers catch it. A handler
    that does not re-raise turns `task.cancel()` into nothing: a worker loop that can never be
    stopped, an `asyncio.timeout()` that never fires, a `TaskGroup` that cannot shut down.

    ## Example
    ```python
    async def reader(conn):
        while True:
            try:
                await conn.read_message()
            except:
                log.exception("read failed")
    ```

    Use instead:
    ```python
    async def reader(conn):
        while True:
            try:
                await conn.read_message()
            except asyncio.CancelledError:
                raise
            except:
                log.exception("read failed")
    ```

    ## Fix safety
    The fix inserts `except asyncio.CancelledError: raise` immediately before the broad handler,
    spelled as the module already spells the exception (`aio.CancelledError`, `CancelledError`;
    `trio.Cancelled` or `anyio.get_cancelled_exc_class()` in trio or anyio code), adding
    `import asyncio` only when needed. When the broad handler runs cleanup (a call named like
    `close`, `release`, `rollback`, `_close_channel`...), the inserted clause first repeats the
    handler's statements up to its last cleanup call or state change (log lines and back-off
    sleeps aside), so cancellation does not skip cleanup the original ran. On a
    `try`/`except*` the clause is `except* asyncio.CancelledError as cancelled:` ending in
    `raise cancelled.exceptions[0] from None`: a bare `raise` there would re-raise an exception
    group, which asyncio does not treat as cancellation (`asyncio.timeout()` would let it escape
    instead of raising `TimeoutError`).

    The fix is safe when the clause leaves out nothing that matters once the exception
    propagates: only cancellation changes path, and it propagates after the same cleanup. It is
    unsafe when the handler does more than that before it swallows (reconnects, calls
    `task_done()`, updates attributes...): those steps no longer run on cancellation, and a
    person should decide whether some must. Logging, a back-off `sleep` and local retry counters
    do not count. It is unsafe too when the swallowing path goes on to code after the `try` that
    the clause skips (a `return` of a value, a log line: anything but a bare `return` or the
    coroutine's end) and that cannot move into the `finally`; the message names the line.

    The clause never skips code after the `try` (or after the loop a `break` leaves) that the
    swallowing let run: where every path of the `try` goes on to it and it ends the function,
    it moves into the `try`'s `finally` with the fix; otherwise the finding is reported only.
    Reported only too, with the reason in the message: a handler that re-raises on some paths
    only (it chooses when to stop), cleanup entangled with `return`/`break`/`continue`, a
    `yield` in the handler of an async generator, a `try` that only awaits an existing task or
    future (`await self._task`), and a place where no spelling of the exception is usable.
    Not flagged: a handler that re-raises every cancellation (an `isinstance` test for an
    error class of the project routes none there), one that hands the exception on
    (`fut.set_exception(exc)`), and one whose swallowing leads to the end of a coroutine
    that returns nothing, after at most some teardown (CF105).

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup.
    - `target-version`: under `py37`, where `CancelledError` was an `Exception`,
      `except Exception:` is treated as broad too; from `py311` an `except*` gets the
      `except*` clause above.

    ## See also
    - CF102: a handler that names `CancelledError` and does not re-raise it.
    - CF202: `except Exception:` cleanup that cancellation skips.
    """

    code = "CF101"
    name = "broad-except-swallows-cancel"
    message = "broad `except` swallows `CancelledError`; let cancellation propagate"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and catches_everything(
            source, broad_classes(options.target_version)
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_catch_everything(code, options.target_version)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        return self._check(original_node, updated_node)

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.TryStar:
        return self._check(original_node, updated_node)

    def _check(self, original: TryT, updated: TryT) -> TryT:
        found = self.first_cancellation_handler(original)
        if found is None or not found[1].is_broad:
            return updated
        index = found[0]
        handler = original.handlers[index]
        if self.yields_when_cancelled(original, handler):
            self.report_handler(handler, None, why_no_fix=YIELD_IN_HANDLER)
            return updated
        exits = self.swallowing_paths(original, handler)
        if exits is None:
            return updated
        judgement = self.judge(original, handler, exits)
        if judgement.ends:
            return updated  # swallow-then-end: CF105's concern
        clause, why_no_fix = self._clause(original, updated, index, judgement)
        safety = None
        if clause is not None:
            safe = clause.complete and judgement.why_unsafe is None
            safety = FixSafety.SAFE if safe else FixSafety.UNSAFE
        # The skipped code is named where it alone makes the fix unsafe.
        why_unsafe = judgement.why_unsafe if clause is not None and clause.complete else None
        if not self.report_handler(handler, safety, why_no_fix=why_no_fix, why_unsafe=why_unsafe):
            return updated
        assert clause is not None
        spelling = self.cancellation_spelling_at(handler)
        assert spelling is not None
        self.require_import(spelling)
        if judgement.tail_to_finally:
            self.tails_to_move.add(original)
        handlers: list[Handler] = list(updated.handlers)
        handlers.insert(index, clause.handler)
        return updated.with_changes(handlers=handlers)

    def _clause(
        self, original: TryT, updated: TryT, index: int, judgement: Judgement
    ) -> tuple[ReraisingClause | None, str | None]:
        """The re-raising clause to insert before the handler, or None and why there is none."""
        handler = original.handlers[index]
        spelling = self.cancellation_spelling_at(handler)
        if spelling is None:
            return None, "no spelling of the cancellation class is usable here"
        if judgement.reason is not None:
            return None, judgement.reason
        if self.may_be_childs_cancellation(original):
            return None, AWAITS_EXISTING_FUTURE
        clause = reraising_clause(
            updated.handlers[index],
            spelling.expression,
            self.options.cleanup_names,
            self.group_binding(handler),
            self.coroutine(original),
        )
        if clause is None:
            return None, "the handler's work is entangled with `return`/`break`/`continue`"
        return clause, None


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_catch_everything(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a bare `except:` or a handler naming a broad class."""
    return has_handler_for(code, broad_classes(target_version), swallowing=True)
