"""The "does this handler re-raise on every path" judgement, one control-flow shape a case."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.names import ExceptionNames, module_names


class _HandlerExits(cst.CSTVisitor):
    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module = module
        self.kinds: set[Exit] | None = None

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        names = ExceptionNames(module_names(self.module), (3, 11))
        if self.kinds is None:  # the outer handler; nested ones are part of its body
            self.kinds = handler_exits(node, names).kinds


def _exits(handler_body: str) -> set[Exit]:
    source = "import asyncio\nimport contextlib\n\n\nasync def f(x):\n    try:\n        await x\n"
    source += "    except BaseException as exc:\n"
    source += textwrap.indent(textwrap.dedent(handler_body), "        ")
    module = cst.parse_module(source)
    visitor = _HandlerExits(module)
    module.visit(visitor)
    assert visitor.kinds is not None
    return visitor.kinds


CASES = {
    "bare raise": ("raise\n", {Exit.RERAISE}),
    "raise bound name": ("raise exc\n", {Exit.RERAISE}),
    "raise bound name from None": ("raise exc from None\n", {Exit.RERAISE}),
    "raise new cancellation": ("raise asyncio.CancelledError()\n", {Exit.RERAISE}),
    "raise other from exc": ("raise RuntimeError('x') from exc\n", {Exit.RAISE_OTHER}),
    "falls off": ("log(exc)\n", {Exit.FALLTHROUGH}),
    "if without else": ("if x:\n    raise\n", {Exit.RERAISE, Exit.FALLTHROUGH}),
    "if elif else all raise": (
        "if x:\n    raise\nelif y:\n    raise exc\nelse:\n    raise\n",
        {Exit.RERAISE},
    ),
    "return in one branch": ("if x:\n    return 1\nraise\n", {Exit.RETURN, Exit.RERAISE}),
    "for loop may run zero times": ("for i in x:\n    raise\n", {Exit.RERAISE, Exit.FALLTHROUGH}),
    "while True only exit is raise": ("while True:\n    raise\n", {Exit.RERAISE}),
    "while True with break": ("while True:\n    break\nraise\n", {Exit.RERAISE}),
    "break of a nested loop stays inside": ("for i in x:\n    break\n", {Exit.FALLTHROUGH}),
    "break leaves the handler": ("break\n", {Exit.BREAK}),
    "match with wildcard": (
        "match x:\n    case 1:\n        raise\n    case _:\n        raise exc\n",
        {Exit.RERAISE},
    ),
    "match without wildcard": (
        "match x:\n    case 1:\n        raise\n",
        {Exit.RERAISE, Exit.FALLTHROUGH},
    ),
    "finally that raises overrides": ("try:\n    return\nfinally:\n    raise\n", {Exit.RERAISE}),
    "cleanup in try, raise after": (
        "try:\n    await x.close()\nexcept Exception:\n    pass\nraise\n",
        {Exit.RERAISE},
    ),
    "nested handler catching cancellation swallows": (
        "try:\n    raise\nexcept BaseException:\n    pass\n",
        {Exit.FALLTHROUGH},
    ),
    "bare raise in a nested Exception handler is another exception": (
        "try:\n    await x.close()\nexcept Exception:\n    raise\nraise\n",
        {Exit.RERAISE, Exit.RAISE_OTHER},
    ),
    "suppress may swallow": (
        "with contextlib.suppress(BaseException):\n    raise\n",
        {Exit.RERAISE, Exit.FALLTHROUGH},
    ),
    "isinstance guard on cancellation": (
        "if isinstance(exc, asyncio.CancelledError):\n    raise\nlog(exc)\n",
        {Exit.RERAISE},
    ),
    "not isinstance Exception": ("if not isinstance(exc, Exception):\n    raise\n", {Exit.RERAISE}),
    "isinstance of an unrelated class": (
        "if isinstance(exc, ValueError):\n    raise\n",
        {Exit.FALLTHROUGH},
    ),
    "isinstance of an unknown class": (
        "if isinstance(exc, MyError):\n    raise\n",
        {Exit.RERAISE, Exit.FALLTHROUGH},
    ),
}


@pytest.mark.parametrize(("body", "expected"), CASES.values(), ids=CASES.keys())
def test_exits(body: str, expected: set[Exit]) -> None:
    assert _exits(body) == expected
