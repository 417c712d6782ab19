from __future__ import annotations

import libcst as cst

from codemods.analysis.exits import Exit, ExitPaths
from codemods.analysis.handler_rule import SwallowingRule
from codemods.analysis.handlers import Handler, TryNode, TryT, with_header_comments
from codemods.analysis.names import Caught
from codemods.analysis.reraise import (
    PlansOnTry,
    reraise_statement,
    reraising_clause,
    with_reraise,
)
from codemods.analysis.swallowing import (
    AWAITS_EXISTING_FUTURE,
    Judgement,
    awaited_unguarded_after_cancel,
    suppress_ends_coroutine,
    suppressed_cancellation,
)
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import catches_cancellation
from codemods.prefilter.statements import (
    CANCELLATION_NAMES,
    CoroutineCode,
    broad_classes,
    has_handler_for,
)
from codemods.rules.suppress_swallows_cancel import may_suppress


class TaskEndsNormallyWhenCancelled(PlansOnTry, SwallowingRule):
    """
    ## What it does
    Flags a handler that catches the cancellation of a coroutine (`except CancelledError`, a
    bare `except:`, `except BaseException`) and, without re-raising, leads to the coroutine's
    end: what runs after it is at most teardown (no `while` loop of its own: that would be
    the coroutine going on with its work), and the coroutine returns nothing on any path, or
    `None` on its other failures too (a wrapper of fire-and-forget work). A `while` whose
    condition the handler clears (`self.keep_alive = False`) ends there too. Typically the
    top-level loop of a background task. Also a `with suppress(CancelledError)` block after
    which the coroutine only ends (CF103 reports the others).

    ## Why is this bad?
    The task does stop, so this is milder than swallow-and-continue (CF101, CF102). But it
    ends as if it had finished its work: `task.cancelled()` is False, a `TaskGroup` or
    `asyncio.timeout()` around it cannot tell that it was cancelled (a timeout expiring there
    returns normally instead of raising `TimeoutError`), and whoever awaits it to learn how it
    ended is told "done".

    ## Example
    ```python
    async def _heartbeat(self):
        try:
            while True:
                await self._conn.ping()
                await asyncio.sleep(30)
        except asyncio.CancelledError:
            log.debug("heartbeat stopped")
    ```

    Use instead:
    ```python
    async def _heartbeat(self):
        try:
            while True:
                await self._conn.ping()
                await asyncio.sleep(30)
        except asyncio.CancelledError:
            log.debug("heartbeat stopped")
            raise
    ```

    ## Fix safety
    The handler re-raises at the end of its work: `raise` appended, or its `break` or bare
    `return` replaced by `raise`. A broad handler gets an `except asyncio.CancelledError:`
    clause before it, which repeats the handler's cleanup and state changes and re-raises.

    The fix is always unsafe: a caller that stops the task with `task.cancel(); await task`
    and no guard for the `CancelledError` used to go on, and now raises. It never skips the
    teardown after the `try` (or after the loop a `break` leaves) that the swallowing path
    runs: where every path of the `try` goes on to it and it ends the function, it moves into
    the `try`'s `finally` with the fix; otherwise the finding is reported only, and its
    message names the first line a `raise` would skip (`self._exited.set()` that `stop()`
    waits for, a goodbye message). Reported only too: a handler that also catches other
    exceptions in a tuple, a `try` that only awaits an existing task or future, a `return`
    or `break` in a nested handler, and a `suppress()` block (it cannot re-raise).

    ## See also
    - CF102: a cancellation handler that lets the coroutine go on (loop, retry, return a value).
    - CF101: a broad handler that does the same.
    """

    code = "CF105"
    name = "task-ends-normally-when-cancelled"
    message = "cancelled coroutine ends normally: the swallowed `CancelledError` leads to its end"
    fix_kinds = (FixSafety.UNSAFE,)
    required_bytes = (b"async",)

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return (
            super().may_apply(source, options)
            and (b"except" in source or b"suppress" in source)
            and catches_cancellation(source, broad_classes(options.target_version))
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_end_on_cancellation(code, options.target_version)

    _planned: dict[TryNode, tuple[int, bool]]
    """The handlers (by index) that re-raise once their `try` is left, and whether a `raise`
    is appended to them (they fall off their end)."""

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self._planned = {}
        self.jumps_to_raise = {}

    def plan(self, node: TryNode) -> None:
        found = self.first_cancellation_handler(node)
        if found is None:
            return
        index, caught = found
        handler = node.handlers[index]
        if self.yields_when_cancelled(node, handler):
            return  # CF101's or CF102's
        exits = self.swallowing_paths(node, handler)
        if exits is None:
            return
        judgement = self.judge(node, handler, exits)
        if not judgement.ends:
            return
        why_no_fix = self._why_no_fix(node, handler, caught, exits, judgement)
        fix = None if why_no_fix else FixSafety.UNSAFE
        if self.report_handler(handler, fix, why_no_fix=why_no_fix):
            self._planned[node] = (index, Exit.FALLTHROUGH in exits.kinds)
            if not caught.is_broad:
                raising = reraise_statement(self._bound(handler))
                self.jumps_to_raise |= dict.fromkeys((j.statement for j in exits.jumps), raising)
            if judgement.tail_to_finally:
                self.tails_to_move.add(node)

    def visit_With(self, node: cst.With) -> None:
        found = suppressed_cancellation(node, self.parents(node), self.names)
        if found is None or not suppress_ends_coroutine(node, self.parents(node), found[1]):
            return
        message = f"{self.message} (report only: {SUPPRESS_HAS_NO_HANDLER})"
        flagged = found[0]
        self.report(
            flagged, None, through=flagged, comments=with_header_comments(node), message=message
        )

    def _why_no_fix(
        self,
        node: TryNode,
        handler: Handler,
        caught: Caught,
        exits: ExitPaths,
        judgement: Judgement,
    ) -> str | None:
        if self.may_be_childs_cancellation(node):
            return AWAITS_EXISTING_FUTURE
        if judgement.reason is not None:
            return judgement.reason
        if awaited_unguarded_after_cancel(self.module, self.coroutine(node)):
            return OWNER_AWAITS_UNGUARDED
        if caught.others and not caught.is_broad:
            return "the handler also catches other exceptions"
        if any(jump.in_nested_handler for jump in exits.jumps):
            return "a `return` or `break` sits in a nested handler"
        if caught.is_broad:
            return self._why_no_clause(node, handler)
        return None

    def _why_no_clause(self, node: TryNode, handler: Handler) -> str | None:
        """Why no re-raising clause can go before a broad handler: one that leaves out work
        of the handler other than cleanup (a reply, `self.abort_stream()`) changes what a
        cancellation does beyond the re-raise."""
        spelling = self.cancellation_spelling_at(handler)
        if spelling is None:
            return "no spelling of the cancellation class is usable here"
        clause = reraising_clause(
            handler,
            spelling.expression,
            self.options.cleanup_names,
            self.group_binding(handler),
            self.coroutine(node),
        )
        if clause is None:
            return "the handler's work is entangled with `return`/`break`/`continue`"
        if not clause.complete:
            return "a cancellation clause before the handler would skip its work"
        return None

    def _bound(self, handler: Handler) -> Handler:
        """The handler, bound to a name where an `except*` re-raise needs one."""
        return handler.with_changes(name=self.group_binding(handler) or handler.name)

    def apply(self, original: TryT, updated: TryT) -> TryT:
        planned = self._planned.pop(original, None)
        if planned is None:
            return updated
        index, append = planned
        handlers: list[Handler] = list(updated.handlers)
        handler = original.handlers[index]
        if not self.names.caught(handler).is_broad:
            bound = self._bound(handlers[index])
            handlers[index] = with_reraise(bound) if append else bound
            return updated.with_changes(handlers=handlers)
        spelling = self.cancellation_spelling_at(handler)
        assert spelling is not None
        clause = reraising_clause(
            handlers[index],
            spelling.expression,
            self.options.cleanup_names,
            self.group_binding(handler),
            self.coroutine(original),
        )
        if clause is None:
            return updated  # the verification pass reports what is left
        self.require_import(spelling)
        handlers.insert(index, clause.handler)
        return updated.with_changes(handlers=handlers)


OWNER_AWAITS_UNGUARDED = (
    "its owner cancels the task and then awaits it unguarded, relying on its normal end: "
    "re-raising would raise there too"
)
SUPPRESS_HAS_NO_HANDLER = "`suppress()` cannot re-raise; a `try` with a re-raising handler can"


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_end_on_cancellation(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a handler that might catch a CancelledError (broad
    or named), or some coroutine `with` suppresses one: what this rule judges."""
    return has_handler_for(
        code, CANCELLATION_NAMES | broad_classes(target_version), swallowing=True
    ) or may_suppress(code, target_version)
