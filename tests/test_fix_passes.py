"""The shortcuts of a fixing pass give what the full work would: a rule's look tells whether
its rebuilding visit would change the module, and a look with fixes on that changes nothing
finds what the verifying pass's look finds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods.model import RuleOptions
from codemods.registry import all_rules, rule_by_code
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


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_look_with_fixes_on_that_changes_nothing_finds_what_a_plain_look_finds(
    path: Path,
) -> None:
    """Every rule over each fixture, with fixes on (and no fix allowed on the lines of the
    fixture's findings, as in a later fixing pass) and off: where the look with fixes on
    changes nothing, its findings are those of the plain look. The pass that verifies a
    fixing pass takes the findings of the rules that looked last from the fixing pass."""
    source = path.read_bytes()
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    lines = frozenset(line.strip() for line in source.splitlines())
    for rule_class in all_rules():
        plain = rule_class(CodemodContext(filename=str(path)), replace(UNSAFE, apply_fixes=False))
        plain.look(wrapper)
        for frozen in (frozenset(), lines):
            fixing = rule_class(CodemodContext(filename=str(path)), UNSAFE)
            fixing.frozen_lines = frozen
            fixing.look(wrapper)
            if not fixing.changed:
                assert fixing.findings == plain.findings
