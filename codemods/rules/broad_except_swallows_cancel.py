from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.candidates import may_catch_cancellation
from codemods.analysis.handlers import Handler, TryT, reraising_clause
from codemods.rule import FixSafety, Rule, RuleOptions


class BroadExceptSwallowsCancel(Rule):
    """
    ## What it does
    Flags a bare `except:`, an `except BaseException:`, or a tuple holding either, in a
    coroutine, when the handler has a path that does not re-raise and the `try` body contains a
    cancellation point (`await`, `async with`, `async for`).

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

    ## Fix
    Inserts `except asyncio.CancelledError: raise` (spelled as the module already spells it;
    `trio.Cancelled` or `anyio.get_cancelled_exc_class()` in trio or anyio code) immediately
    before the broad handler. When the broad handler runs cleanup (closing, releasing,
    rolling back...), the inserted clause first repeats the handler's statements up to its last
    cleanup call, so cancellation does not skip cleanup the original ran. On a `try`/`except*`
    the clause is `except* asyncio.CancelledError as cancelled:` ending in
    `raise cancelled.exceptions[0] from None`: a bare `raise` there would re-raise an exception
    group, which asyncio does not treat as cancellation (`asyncio.timeout()` would let it escape
    instead of raising TimeoutError). Under `--target-version py37`, where CancelledError was an
    `Exception`, `except Exception:` is treated as broad too.

    ## Fix safety
    Safe: only cancellation changes path, and it now propagates after the same cleanup. No fix
    is offered when that cleanup is entangled with `return`/`break`/`continue`/`raise`, or when
    no spelling of the exception is usable at that place.
    """

    code = "CF101"
    name = "broad-except-swallows-cancel"
    message = "broad `except` swallows `CancelledError`; let cancellation propagate"
    fix_kinds = (FixSafety.SAFE,)
    required_bytes = (b"async", b"except")

    @classmethod
    def is_candidate(cls, tree: ast.Module, options: RuleOptions) -> bool:
        return may_catch_cancellation(tree, options.target_version)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        return self._check(original_node, updated_node)

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.TryStar:
        return self._check(original_node, updated_node)

    def _check(self, original: TryT, updated: TryT) -> TryT:
        found = self.first_cancellation_handler(original)
        if found is None:
            return updated
        index, caught = found
        handler = original.handlers[index]
        exits = self.swallowing_paths(original, handler) if caught.is_broad else None
        if exits is None:
            return updated
        spelling = self.cancellation_spelling_at(handler)
        clause = None
        if spelling is not None and not self.skips_cleanup(original, exits):
            clause = reraising_clause(
                updated.handlers[index],
                spelling.expression,
                self.options.cleanup_names,
                self.group_binding(handler),
            )
        if not self.report_handler(handler, FixSafety.SAFE if clause else None):
            return updated
        assert spelling is not None and clause is not None
        self.require_import(spelling)
        handlers: list[Handler] = list(updated.handlers)
        handlers.insert(index, clause)
        return updated.with_changes(handlers=handlers)
