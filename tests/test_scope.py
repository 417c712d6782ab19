"""`scope.children` reads a node's children from its fields: the same nodes, in the same
order, as LibCST's `children`, which rebuilds the node to collect them."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from codemods.analysis import scope
from codemods.analysis.scope import children

FIXTURES = sorted(Path(__file__).parent.parent.joinpath("fixtures").glob("*/*.py"))


def _assert_same_children(module: cst.Module) -> None:
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        expected = node.children
        assert [id(child) for child in children(node)] == [id(child) for child in expected], node
        pending.extend(expected)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: f"{path.parent.name}/{path.stem}")
@pytest.mark.slow  # every node of every fixture
def test_children_of_every_node_of_a_fixture_are_libcsts(fixture: Path) -> None:
    _assert_same_children(cst.parse_module(fixture.read_bytes()))


def test_a_field_libcst_visits_only_when_set_is_learnt_when_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An f-string expression's format spec is visited only when there is one: the first
    # expression (which teaches the type) has none, the second has one, the third none again.
    monkeypatch.setattr(scope, "_CHILD_FIELDS", {})
    source = 'f"{a}" + f"{b:>{width}}" + f"{c!r}"\n'
    _assert_same_children(cst.parse_module(source))


@pytest.mark.parametrize(
    "source",
    [
        "from . import (a, b)\nfrom .m import *\n",
        "match x:\n    case [1, *rest] | {'k': v, **kw} if v:\n        pass\n",
        "type Alias[T: int = str, *Ts, **P] = list[T]\n",
        "try:\n    pass\nexcept* (A, B) as group:\n    pass\n",
        "async def f():\n    async with a as (b, c), d:\n        [x async for x in y if await z]\n",
        "lambda a, /, b=1, *c, d, **e: (yield)\n",
    ],
)
def test_children_of_rare_syntax_are_libcsts(source: str) -> None:
    _assert_same_children(cst.parse_module(source))
