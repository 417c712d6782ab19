"""The shortcuts of a fixing pass give what the full work would: a rule's look tells whether
its rebuilding visit would change the module, and a fixed tree is copied where it must be."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods import engine
from codemods.model import RuleOptions
from codemods.registry import rule_by_code
from tests.conftest import FIXTURES

CASES = sorted(FIXTURES.glob("CF*-*/*.py"))
UNSAFE = RuleOptions(unsafe_fixes=True)


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_look_with_fixes_on_finds_what_the_fixing_visit_finds(path: Path) -> None:
    """The rule of each fixture: `changed` after a look is `changed` after the rebuilding
    visit, and where nothing changes the findings are the same."""
    source = path.read_bytes()
    rule_class = rule_by_code(path.parent.name.split("-")[0])
    looked = rule_class(CodemodContext(filename=str(path)), UNSAFE)
    looked.look(MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True))
    fixing = rule_class(CodemodContext(filename=str(path)), UNSAFE)
    fixed = fixing.run(MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True))
    assert looked.changed == fixing.changed
    if not fixing.changed:
        assert looked.findings == fixing.findings
        assert fixed.bytes == source


def test_a_fixed_tree_is_copied_only_where_a_node_stands_twice() -> None:
    line = cst.parse_statement("await cleanup()\n")
    single = cst.Module(body=[line, cst.parse_statement("await cleanup()\n")])
    twice = cst.Module(body=[line, line])

    assert engine._rewrapped(single).module is single
    copied = engine._rewrapped(twice).module
    assert copied is not twice and copied.code == twice.code
    assert copied.body[0] is not copied.body[1]
