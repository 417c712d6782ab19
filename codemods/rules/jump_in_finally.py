from __future__ import annotations

import ast

import libcst as cst

from codemods.analysis.blocks import end_comments, jumps_out
from codemods.analysis.scope import enclosing_coroutine, has_cancellation_point, walk_same_frame
from codemods.model import RuleOptions
from codemods.prefilter import statements
from codemods.prefilter.statements import CoroutineCode
from codemods.rule import Rule


class JumpInFinally(Rule):
    """
    ## What it does
    Flags `return`, `break` and `continue` that leave a `finally:` block of a coroutine's
    `try` when the code it guards (body, handlers, `else`) contains a cancellation point.

    ## Why is this bad?
    A jump out of `finally` discards the exception in flight, and in a coroutine that is often
    a `CancelledError`: the task keeps going as if nothing happened, so `task.cancel()`,
    `asyncio.timeout()` and `TaskGroup` shutdown silently fail. Errors vanish the same way.
    PEP 765 makes this a `SyntaxWarning` from Python 3.14.

    ## Example
    ```python
    async def fetch_all(client, urls):
        results = []
        for url in urls:
            try:
                results.append(await client.get(url))
            finally:
                continue
        return results
    ```

    Use instead:
    ```python
    async def fetch_all(client, urls):
        results = []
        for url in urls:
            try:
                results.append(await client.get(url))
            except Exception:
                continue
        return results
    ```

    ## Fix safety
    No fix: the rule reports only. Whether the jump belongs after the `try` or in a handler,
    and for which exceptions, is the author's choice.
    """

    code = "CF104"
    name = "jump-in-finally"
    message = "`return`/`break`/`continue` in `finally` swallows `CancelledError`"
    fix_kinds = ()
    required_bytes = (b"async", b"finally")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        return super().may_apply(source, options) and any(
            jump in source for jump in (b"return", b"break", b"continue")
        )

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        return any(
            _may_jump_out(node.finalbody)
            and any(
                map(statements.has_cancellation_point, [*node.body, *node.handlers, *node.orelse])
            )
            for node in code.finally_tries
        )

    def visit_Try(self, node: cst.Try) -> None:
        self._check(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._check(node)

    def _check(self, node: cst.Try | cst.TryStar) -> None:
        if node.finalbody is None or enclosing_coroutine(self.parents(node)) is None:
            return
        guarded = [node.body, *node.handlers, *([node.orelse] if node.orelse else [])]
        if not any(map(has_cancellation_point, guarded)):
            return
        jumps = set(jumps_out(node.finalbody.body))
        for line in walk_same_frame(node.finalbody.body):
            if not isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite):
                continue
            comments = end_comments([line])
            for jump in line.body:
                if jump in jumps:
                    self.report(jump, None, keyword=_KEYWORDS[type(jump)], comments=comments)


_KEYWORDS: dict[type[cst.BaseSmallStatement], str] = {
    cst.Return: "return",
    cst.Break: "break",
    cst.Continue: "continue",
}


# The gates: what a file needs for this rule to have a finding (False: certainly none).


def _may_jump_out(block: list[ast.stmt]) -> bool:
    """Whether a `return`, or a `break`/`continue` outside a loop of the block's own, stands in
    the block (not in nested functions or classes)."""
    pending: list[tuple[ast.AST, bool]] = [(statement, False) for statement in block]
    while pending:
        node, in_loop = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return) or (
            isinstance(node, ast.Break | ast.Continue) and not in_loop
        ):
            return True
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            # A loop's `else` belongs to the code around it: a break there leaves it.
            pending += [(child, True) for child in node.body]
            pending += [(child, in_loop) for child in node.orelse]
            continue
        pending += [(child, in_loop) for child in ast.iter_child_nodes(node)]
    return False
