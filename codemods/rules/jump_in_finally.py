from __future__ import annotations

import libcst as cst

from codemods.analysis.blocks import end_comments, jumps_out
from codemods.analysis.candidates import CoroutineCode
from codemods.analysis.scope import enclosing_coroutine, has_cancellation_point, walk_same_frame
from codemods.model import RuleOptions
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
        return bool(code.finally_tries)

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
