"""The shape of the code: no function in `codemods/` longer than about 50 lines, so that each
one can be read at once. Exceptions are listed below, each with the reason it may stay long."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "codemods"
MAX_LINES = 50
"""The most lines a function may span, from its `def` (decorators aside) to its last line."""

ALLOWED = {
    # A declarative list of click options, one entry per option: long, and nothing to follow.
    "cli.py::_run_options",
}
"""Functions allowed to be longer, as `path relative to codemods/::qualified name`."""


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    """Every function and method below `tree`, with its qualified name (`Class.method`,
    `outer.inner`)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, f"{name}.")
        else:
            yield from _functions(node, prefix)


def _lengths() -> dict[str, int]:
    lengths = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for name, node in _functions(tree):
            assert node.end_lineno is not None
            key = f"{path.relative_to(PACKAGE).as_posix()}::{name}"
            lengths[key] = node.end_lineno - node.lineno + 1
    return lengths


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = {
        name: length
        for name, length in _lengths().items()
        if length > MAX_LINES and name not in ALLOWED
    }
    assert too_long == {}, f"split these functions (at most {MAX_LINES} lines each)"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_every_exception_is_still_needed(name: str) -> None:
    lengths = _lengths()
    assert name in lengths, "the function is gone: remove it from ALLOWED"
    assert lengths[name] > MAX_LINES, "the function is short now: remove it from ALLOWED"


def test_qualified_names_tell_methods_and_nested_functions_apart() -> None:
    tree = ast.parse(
        "class A:\n    def f(self):\n        def g():\n            pass\n\n"
        "def f():\n    if x:\n        def h():\n            pass\n"
    )
    assert [name for name, _ in _functions(tree)] == ["A.f", "A.f.g", "f", "f.h"]
