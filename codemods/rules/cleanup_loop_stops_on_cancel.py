from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.blocks import header_end, jumps_out, statements
from codemods.analysis.cleanup import called_name, contains_cleanup, is_cleanup_name
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.handler_rule import HandlerRule
from codemods.analysis.scope import enclosing_coroutine, has_cancellation_point, walk_same_frame
from codemods.model import FixSafety, RuleOptions
from codemods.prefilter.statements import CoroutineCode, calls_cleanup, last_name
from codemods.prefilter.statements import has_cancellation_point as may_suspend


class CleanupLoopStopsOnCancel(HandlerRule):
    """
    ## What it does
    Flags a loop in a coroutine that runs cleanups one by one and carries on when one fails
    (`for cb in reversed(self._cleanups): try: await cb() except Exception as e:
    errors.append(e)`), when nothing in it catches cancellation. A loop counts as cleanup
    when the coroutine is named like cleanup (`close`, `shutdown`, `aclose`, see
    `cleanup-names`), the loop goes over something named so (`self._cleanups`,
    `self._on_close`), or each turn calls a cleanup. In those names "cancel" does not count:
    `_on_cancel_frame` looping over `on_cancel_callbacks` notifies listeners of a
    cancellation, it cleans nothing up.

    ## Why is this bad?
    The loop is written so that one failing cleanup does not keep the others from running.
    A cancellation is not an `Exception`: cancelled while it waits for one cleanup, the
    coroutine skips every cleanup after it, and the connections, files and subscriptions they
    would have closed stay open. Shutdown under a timeout (`asyncio.timeout()`,
    `TaskGroup` cancellation) is exactly when this happens.

    ## Example
    ```python
    async def aclose(self):
        errors = []
        for callback in reversed(self._cleanups):
            try:
                await callback()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise ExceptionGroup("cleanup failed", errors)
    ```

    Use instead:
    ```python
    async def aclose(self):
        errors = []
        cancelled = None
        for callback in reversed(self._cleanups):
            try:
                await callback()
            except Exception as exc:
                errors.append(exc)
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        if errors:
            raise ExceptionGroup("cleanup failed", errors)
    ```

    ## Fix safety
    Notes a cancellation in a clause of its own and goes on with the remaining cleanups; right
    after the loop it re-raises that very `CancelledError`, so the coroutine still ends
    cancelled (and `asyncio.timeout()` still turns it into `TimeoutError`). What followed the
    loop is skipped on cancellation, as before.

    Safe: on every path without cancellation the code does what it did; cancelled, it runs
    the cleanups it used to skip, then propagates the same cancellation. A cleanup that hangs
    now delays the cancelled coroutine until it is cancelled again, as a `finally` would.

    Not flagged when a turn may `break` or `return`, or the loop has an `else`. Report only
    when no spelling of the cancellation exception is usable there.
    """

    code = "CF206"
    name = "cleanup-loop-stops-on-cancel"
    message = "a cancellation in this cleanup loop skips the remaining cleanups"
    fix_kinds = (FixSafety.SAFE,)
    required_bytes = (b"async", b"for", b"except")

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_collect_cleanup_errors(code, options.cleanup_names)

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.For | cst.FlattenSentinel[cst.BaseStatement]:
        if self.options.target_version < (3, 8):
            return updated_node
        function = enclosing_coroutine(self.parents(original_node))
        if function is None or not self._collects_errors(original_node, function):
            return updated_node
        spelling = self.cancellation_spelling_at(original_node)
        safety = FixSafety.SAFE if spelling is not None else None
        # A noqa comment stands where the finding is: at the end of the `for` line.
        header = header_end(original_node.body).comment
        comments = [header] if header is not None else []
        if not self.report(original_node, safety, keyword="for", comments=comments):
            return updated_node
        assert spelling is not None
        self.require_import(spelling)
        cancelled = self.fresh_name(original_node, "cancelled", function)
        error = self.fresh_name(original_node, "cancel_error", function)
        return _noting_cancellation(updated_node, spelling.expression, cancelled, error)

    def _collects_errors(self, node: cst.For, function: cst.FunctionDef) -> bool:
        """A `for` (not `async for`) whose body is one `try` that can be cancelled, whose
        handlers carry on after an error and none catches cancellation, over cleanups."""
        if node.asynchronous is not None or node.orelse is not None:
            return False
        body = statements(node.body)
        if len(body) != 1 or not isinstance(body[0], cst.Try):
            return False
        try_node = body[0]
        if try_node.orelse is not None or try_node.finalbody is not None:
            return False
        if not has_cancellation_point(try_node.body) or any(
            isinstance(jump, cst.Return | cst.Break) for jump in jumps_out(try_node)
        ):
            return False
        if self.first_cancellation_handler(try_node) is not None:
            return False
        carries_on = any(
            handler_exits(handler, self.names).kinds & {Exit.FALLTHROUGH, Exit.CONTINUE}
            for handler in try_node.handlers
        )
        return carries_on and self._runs_cleanups(node, try_node, function)

    def _runs_cleanups(self, node: cst.For, try_node: cst.Try, function: cst.FunctionDef) -> bool:
        cleanup_names = self.options.cleanup_names
        if contains_cleanup(try_node.body, cleanup_names, loose=True):
            return True
        # In a name, "cancel" says as often that something reacts to a cancellation
        # (`_on_cancel_frame`, `on_consumer_cancel_callbacks`: notifications) as that it
        # cancels: the names of the coroutine and of the loop's iterable count without it.
        naming = cleanup_names - {"cancel"}
        if is_cleanup_name(function.name.value, naming, loose=True):
            return True
        return any(_named_like_cleanup(child, naming) for child in walk_same_frame(node.iter))


def _named_like_cleanup(node: cst.CSTNode, cleanup_names: frozenset[str]) -> bool:
    """`self._cleanups`, `self._on_close`, `closers`: a name with a cleanup word in it."""
    if isinstance(node, cst.Attribute):
        name = node.attr.value
    elif isinstance(node, cst.Name):
        name = node.value
    elif isinstance(node, cst.Call):
        name = called_name(node) or ""
    else:
        return False
    lowered = name.lower()
    return any(word in lowered for word in cleanup_names if len(word) > 3)


def _noting_cancellation(
    loop: cst.For, exception: cst.BaseExpression, cancelled: str, error: str
) -> cst.FlattenSentinel[cst.BaseStatement]:
    """`cancelled = None`, the loop with a clause noting a cancellation, then the re-raise."""
    body = loop.body
    assert isinstance(body, cst.IndentedBlock)
    try_node = body.body[0]
    assert isinstance(try_node, cst.Try)
    note = cst.ExceptHandler(
        type=exception,
        name=cst.AsName(name=cst.Name(error)),
        body=cst.IndentedBlock(
            body=[
                cst.SimpleStatementLine(
                    body=[
                        cst.Assign(
                            targets=[cst.AssignTarget(target=cst.Name(cancelled))],
                            value=cst.Name(error),
                        )
                    ]
                )
            ]
        ),
    )
    new_try = try_node.with_changes(handlers=[*try_node.handlers, note])
    start = cst.SimpleStatementLine(
        body=[
            cst.Assign(
                targets=[cst.AssignTarget(target=cst.Name(cancelled))], value=cst.Name("None")
            )
        ],
        leading_lines=loop.leading_lines,
    )
    loop = loop.with_changes(leading_lines=(), body=body.with_changes(body=[new_try]))
    reraise = cst.If(
        test=cst.Comparison(
            left=cst.Name(cancelled),
            comparisons=[cst.ComparisonTarget(operator=cst.IsNot(), comparator=cst.Name("None"))],
        ),
        body=cst.IndentedBlock(
            body=[cst.SimpleStatementLine(body=[cst.Raise(exc=cst.Name(cancelled))])]
        ),
    )
    return cst.FlattenSentinel([start, loop, reraise])


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_collect_cleanup_errors(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine block has a `for` without `else` whose body is one `try`
    without `else` or `finally`, with a handler and a cancellation point, over cleanups: a
    cleanup call in the `try`, a coroutine named like one, or a cleanup word in what the loop
    iterates over (CF206's shape)."""
    named = any(
        is_cleanup_name(coroutine.name, cleanup_names, loose=True) for coroutine in code.coroutines
    )
    return any(
        isinstance(statement, ast.For)
        and not statement.orelse
        and len(statement.body) == 1
        and isinstance(try_node := statement.body[0], ast.Try)
        and bool(try_node.handlers)
        and not (try_node.orelse or try_node.finalbody)
        and any(map(may_suspend, try_node.body))
        and (
            named
            or any(calls_cleanup(part, cleanup_names) for part in try_node.body)
            or _may_name_cleanups(statement.iter, cleanup_names)
        )
        for block in code.blocks
        for statement in block
    )


def _may_name_cleanups(iterable: ast.expr, cleanup_names: frozenset[str]) -> bool:
    """Whether a name in `iterable` has a cleanup word in it (`_named_like_cleanup`)."""
    words = [word for word in cleanup_names if len(word) > 3]
    return any(
        any(word in name.lower() for word in words)
        for node in ast.walk(iterable)
        if isinstance(node, ast.Name | ast.Attribute) and (name := last_name(node)) is not None
    )
