from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.handlers import with_header_comments
from codemods.analysis.suspension import done_before, may_never_suspend, suspending
from codemods.analysis.swallowing import suppress_ends_coroutine, suppressed_cancellation
from codemods.model import RuleOptions
from codemods.prefilter.source_text import catches_cancellation
from codemods.prefilter.statements import (
    CANCELLATION_NAMES,
    CoroutineCode,
    broad_classes,
    last_name,
    with_aliases,
)
from codemods.rule import Rule


class SuppressSwallowsCancel(Rule):
    """
    ## What it does
    Flags `with contextlib.suppress(...)` naming `BaseException`, `asyncio.CancelledError`
    (or `trio.Cancelled`, anyio's cancellation class) around a cancellation point in a
    coroutine.

    Not flagged: `task.cancel()` followed by `with suppress(CancelledError): await task`, which
    CF301 reports and fixes, and a block after which the coroutine only ends (nothing but
    teardown after it, no value returned): CF105 reports that milder case. Nor a block whose
    awaits cannot suspend, where no cancellation arrives: of a future completed just before
    (`fut.set_exception(err)`, then `with suppress(BaseException): await fut` to mark its
    exception retrieved), or of a coroutine function that never suspends, defined in the
    module or in another module of its package that it imports.

    ## Why is this bad?
    `suppress` is an `except ...: pass` in disguise. When the coroutine is cancelled inside
    the block, the `CancelledError` is swallowed and the coroutine carries on after the `with`:
    `task.cancel()` stops nothing, `asyncio.timeout()` never raises `TimeoutError`, a
    `TaskGroup` cannot shut down.

    ## Example
    ```python
    async def heartbeat(conn):
        while True:
            with contextlib.suppress(BaseException):
                await conn.ping()
            await asyncio.sleep(30)
    ```

    Use instead:
    ```python
    async def heartbeat(conn):
        while True:
            with contextlib.suppress(Exception):
                await conn.ping()
            await asyncio.sleep(30)
    ```

    ## Fix safety
    No fix: the rule reports only. Which exceptions the block should ignore (`Exception`, or
    the specific errors) is the author's choice.

    ## See also
    - CF301: `task.cancel()`, then `await task` in `suppress(CancelledError)`.
    """

    code = "CF103"
    name = "suppress-swallows-cancel"
    message = "`suppress()` swallows `CancelledError` around an `await`; cancellation is lost"
    fix_kinds = ()
    required_bytes = (b"async", b"suppress")
    reads_context_by_name = True

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and catches_cancellation(
            source, broad_classes(options.target_version)
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return may_suppress(code, options.target_version)

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """A coroutine that may never suspend: whether an await in the block suspends is
        read in it."""
        return may_never_suspend(code.coroutines)

    def visit_With(self, node: cst.With) -> None:
        found = suppressed_cancellation(node, self.parents(node), self.names)
        if found is None:
            return
        flagged, function = found
        done = done_before(node, self.parents(node))
        if not suspending(self.module, function, self.context.filename).within(node.body, done):
            return  # no cancellation can arrive in the block
        if suppress_ends_coroutine(node, self.parents(node), function):
            return  # swallow-then-end: CF105's concern
        self.report(flagged, None, through=flagged, comments=with_header_comments(node))


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def may_suppress(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `with` calls `suppress` (or what `from ... import suppress as
    x` binds) naming a broad class (`BaseException`; `Exception` too before 3.8) or a
    cancellation class."""
    suppress = with_aliases(code, frozenset({"suppress"}))
    caught = with_aliases(code, CANCELLATION_NAMES | broad_classes(target_version))
    return any(
        isinstance(item.context_expr, ast.Call)
        and last_name(item.context_expr.func) in suppress
        and any(last_name(arg) in caught for arg in item.context_expr.args)
        for node in code.withs
        for item in node.items
    )
