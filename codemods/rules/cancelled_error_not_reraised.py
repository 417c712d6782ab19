from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from codemods.analysis.exits import Exit, ExitPaths, Jump
from codemods.analysis.handler_rule import SwallowingRule
from codemods.analysis.handlers import Handler, TryNode, TryT
from codemods.analysis.names import Caught
from codemods.analysis.reraise import (
    PlansOnTry,
    is_inert,
    reraise_statement,
    reraising_clause,
    with_reraise,
)
from codemods.analysis.scope import walk_same_frame
from codemods.analysis.swallowing import (
    AWAITS_EXISTING_FUTURE,
    YIELD_IN_HANDLER,
    Judgement,
    returns_value,
)
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.source_text import catches_cancellation
from codemods.prefilter.statements import (
    CANCELLATION_NAMES,
    CoroutineCode,
    broad_classes,
    has_handler_for,
)


@dataclass(frozen=True)
class _Reraise:
    """Make the handler re-raise: replace its jumps by `raise`, and append one if it falls off."""

    jumps: frozenset[cst.CSTNode]
    append: bool
    binding: cst.AsName | None
    """The name an `except*` handler gets bound to, so that it can re-raise its member."""


@dataclass(frozen=True)
class _Split:
    """Give the cancellation exception of a tuple handler its own re-raising clause."""

    cancellation_type: cst.BaseExpression
    remaining_type: cst.BaseExpression
    binding: cst.AsName | None
    function: cst.FunctionDef

    def clause(self, handler: Handler, cleanup_names: frozenset[str]) -> Handler | None:
        clause = reraising_clause(
            handler, self.cancellation_type, cleanup_names, self.binding, self.function
        )
        return clause.handler if clause else None


class CancelledErrorNotReraised(PlansOnTry, SwallowingRule):
    """
    ## What it does
    Flags an `except CancelledError` handler (also `trio.Cancelled`,
    `anyio.get_cancelled_exc_class()`, alone or in a tuple) in a coroutine when some path
    through it does not re-raise: it falls off its end, returns, breaks, continues, or raises
    another exception (`raise Other() from exc` does not propagate cancellation).

    Not flagged: handlers that call `uncancel()` or test `cancelling()` (deliberate), a
    cancellation raised again later in the function, and `task.cancel()` followed by
    `await task` inside the `try`, where the error is the child's (CF301's concern). Nor a
    handler that raises on every path and re-raises the cancellation on some (`if closed:
    raise ConnectionClosedError` then `raise`: a translation on purpose), one that raises a
    stored exception object (`raise self._exception`, which may be the cancellation), or a
    `try` that only awaits a future another function of the module cancels (`await
    self._done` where `self._done.cancel()` is the owner's "stopped" signal: the error is
    the future's).

    ## Why is this bad?
    Cancellation is cooperative: `task.cancel()` only asks. A coroutine that catches the
    `CancelledError` and carries on keeps running after it was told to stop, so shutdown hangs,
    `asyncio.timeout()` and `wait_for` never fire, and a `TaskGroup` cannot cancel its children.

    ## Example
    ```python
    async def consume(queue):
        while True:
            try:
                item = await queue.get()
            except asyncio.CancelledError:
                log.info("ignoring cancellation")
                continue
            await handle(item)
    ```

    Use instead:
    ```python
    async def consume(queue):
        while True:
            try:
                item = await queue.get()
            except asyncio.CancelledError:
                log.info("ignoring cancellation")
                raise
            await handle(item)
    ```

    ## Fix safety
    A handler that falls off its end gets a `raise` appended (a trailing `pass` or `...`
    becomes `raise`, its comment kept above it); in an `except*` handler,
    `raise <group>.exceptions[0] from None`, binding the group if needed, because a bare `raise`
    there re-raises an exception group, which asyncio does not treat as cancellation. This fix is
    safe, unless the swallowing path goes on to code after the `try` (or after its loop) that
    the `raise` skips: a `return` of a value (`return response`), a log line, anything but a
    bare `return` or the coroutine's end. Such code moves into the `finally` where that is
    right for every path (below); otherwise the fix is unsafe, and the message names the line.

    A `break`/`continue`/bare `return` that leaves the handler is replaced by `raise`. This fix
    is unsafe: the loop no longer goes on after a cancellation. A tuple handler is split: the
    cancellation exception gets its own clause before it, which repeats the handler's cleanup
    and state changes (`self._conn = None`, a flag a `finally` reads) and re-raises. This fix
    is unsafe too.

    A fix never skips code that the swallowing path runs after the handler: any statement after
    the `try` (or after the loop a `break` leaves) that does more than log, sleep or return.
    Where every path of the `try` goes on to that code and it ends the function, it moves into
    the `try`'s `finally` with the fix; otherwise the finding is reported only, and its message
    says so. Reported only, with the reason in the message, too: a handler that re-raises on
    some paths only (`if self._closing: raise`: it chooses when to stop), one with a branch
    of its own for the cancellation (`elif isinstance(e, CancelledError):`), a tuple handler
    that turns the cancellation into another exception (`raise QueueEmpty()`: a split-out
    `raise` would bypass the callers' handlers for it), one that returns a
    value when cancelled (a partial result, on purpose), a `yield` in the handler of an async
    generator (the cancelled generator suspends there), a jump in a nested `except`, and a
    `try` that only awaits an existing task or future (`await self._task`: the
    `CancelledError` may be that task's). A handler that hands the exception on
    (`fut.set_exception(exc)`, `queue.put_nowait(exc)`) is not flagged; nor is one whose
    swallowing leads to the end of a coroutine that returns nothing, after at most some
    teardown: that is CF105.

    ## Options
    - `cleanup-names`, `extend-cleanup-names`: the calls that count as cleanup after the `try`.
    - `target-version`: from `py311`, `except*` handlers are fixed as above.

    ## See also
    - CF101: a broad handler (`except:`, `except BaseException:`) that swallows cancellation.
    - CF105: a swallowed cancellation that ends the coroutine normally.
    - CF301: `except CancelledError: pass` around an `await` of a task just cancelled.
    """

    code = "CF102"
    name = "cancelled-error-not-reraised"
    message = "`CancelledError` is caught and not re-raised; cancellation is swallowed"
    fix_kinds = (FixSafety.SAFE, FixSafety.UNSAFE)
    required_bytes = (b"async", b"except", b"ancel")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and catches_cancellation(
            source, broad_classes(options.target_version)
        )

    _planned: dict[TryNode, tuple[int, _Reraise | _Split]]
    """Fixes decided when a `try` is entered, applied when it is left."""

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_catch_cancellation(code, options.target_version)

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self._planned = {}
        self.jumps_to_raise = {}

    def plan(self, node: TryNode) -> None:
        found = self.first_cancellation_handler(node)
        if found is None:
            return
        index, caught = found
        if caught.is_broad:
            return  # CF101's concern
        handler = node.handlers[index]
        if self.yields_when_cancelled(node, handler):
            self.report_handler(handler, None, why_no_fix=YIELD_IN_HANDLER)
            return
        exits = self.swallowing_paths(node, handler)
        if exits is None:
            return
        judgement = self.judge(node, handler, exits)
        if judgement.ends:
            return  # swallow-then-end: CF105's concern
        fix, why_no_fix = self._fix(node, handler, caught, exits, judgement)
        safety = fix[1] if fix else None
        # The skipped code is named where it alone makes the fix unsafe.
        plain = fix is not None and isinstance(fix[0], _Reraise) and not fix[0].jumps
        why_unsafe = judgement.why_unsafe if plain else None
        if self.report_handler(handler, safety, why_no_fix=why_no_fix, why_unsafe=why_unsafe):
            assert fix is not None  # report_handler applies only a fix that exists
            self._planned[node] = (index, fix[0])
            if isinstance(fix[0], _Reraise):
                bound = handler.with_changes(name=fix[0].binding or handler.name)
                raising = reraise_statement(bound)
                self.jumps_to_raise |= dict.fromkeys(fix[0].jumps, raising)
            if judgement.tail_to_finally:
                self.tails_to_move.add(node)

    def _fix(
        self,
        node: TryNode,
        handler: Handler,
        caught: Caught,
        exits: ExitPaths,
        judgement: Judgement,
    ) -> tuple[tuple[_Reraise | _Split, FixSafety] | None, str | None]:
        """The fix and its safety, or None and why there is none."""
        if self.may_be_childs_cancellation(node):
            return None, AWAITS_EXISTING_FUTURE
        if judgement.reason is not None:
            return None, judgement.reason
        if any(
            isinstance(jump.statement, cst.Return) and returns_value(jump.statement)
            for jump in exits.jumps
        ):
            return None, "the handler returns a value when cancelled, on purpose"
        if caught.others and Exit.RAISE_OTHER in exits.kinds:
            return None, TRANSLATES
        if caught.others:
            split = self._split(node, handler, caught)
            if split is None:
                return None, "the tuple handler cannot be split here"
            return (split, FixSafety.UNSAFE), None
        reraise = self._reraise(handler, exits)
        if reraise is None:
            return None, "the handler raises another exception, or jumps from a nested handler"
        unsafe = reraise.jumps or judgement.why_unsafe
        return (reraise, FixSafety.UNSAFE if unsafe else FixSafety.SAFE), None

    def _reraise(self, handler: Handler, exits: ExitPaths) -> _Reraise | None:
        if Exit.RAISE_OTHER in exits.kinds:
            return None
        if not all(_replaceable(jump) for jump in exits.jumps):
            return None
        return _Reraise(
            jumps=frozenset(jump.statement for jump in exits.jumps),
            append=Exit.FALLTHROUGH in exits.kinds,
            binding=self.group_binding(handler),
        )

    def _split(self, node: TryNode, handler: Handler, caught: Caught) -> _Split | None:
        types = handler.type
        if (
            not isinstance(types, cst.Tuple)
            or len(types.elements) != len(caught.cancellation) + len(caught.others)
            or any(isinstance(element, cst.StarredElement) for element in types.elements)
        ):
            return None  # nested or starred tuples: leave them to a human
        split = _Split(
            _as_type(caught.cancellation),
            _without(types, caught.cancellation),
            self.group_binding(handler),
            self.coroutine(node),
        )
        return split if split.clause(handler, self.options.cleanup_names) else None

    def apply(self, original: TryT, updated: TryT) -> TryT:
        planned = self._planned.pop(original, None)
        if planned is None:
            return updated
        index, fix = planned
        handlers: list[Handler] = list(updated.handlers)
        handler = handlers[index]
        if isinstance(fix, _Split):
            # Built from the handler as other fixes left it, like CF101's clause.
            clause = fix.clause(handler, self.options.cleanup_names)
            if clause is None:
                return updated  # the verification pass reports what is left
            whitespace = handler.whitespace_after_except
            if not whitespace.value:
                whitespace = cst.SimpleWhitespace(" ")
            handlers[index : index + 1] = [
                clause,
                handler.with_changes(type=fix.remaining_type, whitespace_after_except=whitespace),
            ]
        else:
            handler = handler.with_changes(name=fix.binding or handler.name)
            handlers[index] = with_reraise(handler) if fix.append else handler
        return updated.with_changes(handlers=handlers)


TRANSLATES = (
    "the handler turns the cancellation into another exception, on which its callers may "
    "act (a split-out `raise` would bypass their handlers)"
)


def _replaceable(jump: Jump) -> bool:
    """A jump that `raise` can replace: not in a nested handler, no return value with effects."""
    if jump.in_nested_handler:
        return False
    if isinstance(jump.statement, cst.Return):
        return is_inert(jump.statement.value)
    return True


def _as_type(expressions: tuple[cst.BaseExpression, ...]) -> cst.BaseExpression:
    if len(expressions) == 1:
        return expressions[0].with_changes(lpar=[], rpar=[])
    return cst.Tuple(
        elements=[
            cst.Element(expression.with_changes(lpar=[], rpar=[])) for expression in expressions
        ]
    )


def _without(types: cst.Tuple, removed: tuple[cst.BaseExpression, ...]) -> cst.BaseExpression:
    """The handler's tuple less `removed`, keeping its layout and comments."""
    kept = [element for element in types.elements if not any(element.value is r for r in removed)]
    last = types.elements[-1]
    if kept[-1] is not last:
        # The new last element takes the old one's comma: a trailing comma, the line break
        # before the closing parenthesis.
        kept[-1] = kept[-1].with_changes(comma=last.comma)
    has_comment = any(isinstance(node, cst.Comment) for node in walk_same_frame(types))
    if len(kept) == 1 and not has_comment:
        return kept[0].value
    if len(kept) == 1 and not isinstance(kept[0].comma, cst.Comma):
        kept[0] = kept[0].with_changes(comma=cst.Comma())
    return types.with_changes(elements=kept)


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_catch_cancellation(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a handler that might catch a CancelledError."""
    return has_handler_for(
        code, CANCELLATION_NAMES | broad_classes(target_version), swallowing=True
    )
