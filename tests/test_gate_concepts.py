"""The concepts that the stdlib gates and the LibCST rules both need, pinned equal over every
node of every fixture: a gate that understands a concept less than the rule does loses
findings (an async comprehension that was no cancellation point, a loop's `else` whose
`break` did not leave the `finally`).

Nodes are matched by position; lines with non-ASCII text are left out (the stdlib counts
columns in bytes, LibCST in characters).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from codemods.analysis.blocks import leaves_block
from codemods.analysis.scope import dotted_name, has_cancellation_point
from codemods.prefilter import statements
from codemods.rules.jump_in_finally import _may_jump_out
from tests.conftest import FIXTURES

CASES = sorted(FIXTURES.glob("CF*-*/*.py"))
Key = tuple[int, int, int, int]


def _stdlib_nodes(source: bytes) -> dict[Key, list[ast.AST]]:
    found: dict[Key, list[ast.AST]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt | ast.expr) and node.end_lineno is not None:
            key = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset or 0)
            found.setdefault(key, []).append(node)
    return found


def _cst_nodes(source: bytes) -> Iterator[tuple[Key, cst.CSTNode]]:
    wrapper = MetadataWrapper(cst.parse_module(source))
    lines = [*source.splitlines(), b""]
    for node, where in wrapper.resolve(PositionProvider).items():
        assert isinstance(where, CodeRange)
        start, end = where.start, where.end
        if all(line.isascii() for line in lines[start.line - 1 : end.line]):
            yield (start.line, start.column, end.line, end.column), node


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _parses(source: bytes) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:  # newer syntax than this Python's
        return False
    return True


_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)


def _nests_a_frame(node: ast.AST) -> bool:
    frames = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    return any(isinstance(child, frames) for child in ast.walk(node))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every node of every fixture
def test_both_layers_mean_the_same(case: Path) -> None:
    """Cancellation points and jumps out of a block, over every statement; dotted names
    (`self._task`), over every name and attribute."""
    source = case.read_bytes()
    if not _parses(source):
        pytest.skip("newer syntax than this Python's")
    stdlib = _stdlib_nodes(source)
    compared = 0
    for key, node in _cst_nodes(source):
        for other in stdlib.get(key, ()):
            if isinstance(node, _STATEMENTS) and isinstance(other, ast.stmt):
                _assert_statement_concepts(node, other)
                compared += 1
            elif isinstance(node, cst.Name | cst.Attribute) and isinstance(
                other, ast.Name | ast.Attribute
            ):
                assert statements.dotted(other) == dotted_name(node), ast.unparse(other)
    assert compared > 0


def _assert_statement_concepts(node: cst.CSTNode, other: ast.stmt) -> None:
    libcst_says = has_cancellation_point(node)
    stdlib_says = statements.has_cancellation_point(other)
    # The stdlib test also looks into nested frames: it may only say more there.
    if _nests_a_frame(other):
        assert stdlib_says or not libcst_says, ast.unparse(other)
    else:
        assert stdlib_says == libcst_says, ast.unparse(other)
    assert _may_jump_out([other]) == leaves_block(node), ast.unparse(other)
