"""Positions placed one statement at a time are LibCST's own, for every node of every fixture,
and where the statement's text cannot be placed, LibCST's positions are used instead."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods.analysis.scope import children
from codemods.positions import StatementPositions

FIXTURES = sorted(Path(__file__).parent.parent.joinpath("fixtures").glob("*/*.py"))


def _with_ancestors(module: cst.Module) -> Iterator[tuple[cst.CSTNode, Sequence[cst.CSTNode]]]:
    """Every node, with its ancestors outermost first and the node itself last (as a rule's
    stack holds them)."""
    pending: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(module, ())]
    while pending:
        node, above = pending.pop()
        stack = (*above, node)
        yield node, stack
        pending.extend((child, stack) for child in children(node))


def _assert_placed_as_libcst_does(code: bytes, known: bytes | None) -> None:
    wrapper = MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True)
    expected = wrapper.resolve(PositionProvider)
    positions = StatementPositions(wrapper, known)
    for node, stack in _with_ancestors(wrapper.module):
        if node in expected:  # (LibCST places no whitespace that its code leaves out)
            assert positions.of(node, stack) == expected[node], (type(node).__name__, node)
    # As a rule reports a statement of the block it visits: the node below the stack.
    positions = StatementPositions(wrapper, known)
    for node, stack in _with_ancestors(wrapper.module):
        if node in expected and len(stack) > 1:
            assert positions.of(node, stack[:-1]) == expected[node], (type(node).__name__, node)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.stem}")
@pytest.mark.slow  # every node of every fixture
def test_every_node_of_a_fixture_is_placed_where_libcst_places_it(fixture: Path) -> None:
    code = fixture.read_bytes()
    _assert_placed_as_libcst_does(code, code)


@pytest.mark.parametrize(
    "code",
    [
        # The same function twice: its text is found twice, so the class is placed instead.
        b"class A:\n    def f(self):\n        return 1\n\n    def f(self):\n        return 1\n",
        # The same statement in two functions: each function is placed instead.
        b"def f():\n    x = 1\n    return x\n\n\ndef g():\n    x = 1\n    return x + 1\n",
        # Two identical top-level statements: the whole module's positions.
        b"x = 1\nx = 1\n",
        # The last statement has no line break, which its regenerated text has.
        b"import os\n\ndef f():\n    return os",
        # ... and its text, with a line break, stands earlier too: that one is not it.
        b'"""Doc."""\n"""Doc."""',
        b"def f():\n    pass\n\n\ndef g():\n    pass",
        b"def f():\r\n\treturn 1\r\n\r\n\r\ndef f():\r\n\treturn 1",
        b"async def f():\r\n    try:\r\n        await g()\r\n    except BaseException:\r\n"
        b"        pass\r\n",
        b"def f():\r    x = 1\r    return x\r",
        b"async def f():\n\ttry:\n\t\tawait g()  # \xc3\xa9t\xc3\xa9\n\texcept:\n\t\tpass\n",
        b"# coding: latin-1\ndef f():\n    return '\xe9t\xe9'\n",
        b"if x:\n    def f():\n        with a:\n            pass\n        # trailing\n",
        b"def f():\n    '''\nx = 1\n'''\n    x = 1\n",
    ],
)
def test_odd_layouts_are_placed_where_libcst_places_them(code: bytes) -> None:
    _assert_placed_as_libcst_does(code, code)


def test_without_the_code_the_whole_module_is_placed() -> None:
    code = b"def f():\n    x = 1\n    return x\n"
    _assert_placed_as_libcst_does(code, None)


def test_a_statement_is_regenerated_once_for_all_its_nodes() -> None:
    code = b"def f():\n    try:\n        x = 1\n    finally:\n        y = 2\n"
    wrapper = MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True)
    positions = StatementPositions(wrapper, code)
    for node, stack in _with_ancestors(wrapper.module):
        if node is not wrapper.module:
            positions.of(node, stack)
    assert PositionProvider not in wrapper._metadata
