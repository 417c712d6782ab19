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

from codemods.engine import process_source
from codemods.model import Finding, Mode, RuleOptions, Settings
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


FIXED_CASES = [path for path in CASES if not path.name.startswith("ok_")]


@pytest.mark.parametrize("path", FIXED_CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_findings_left_after_fixing_are_those_a_check_of_the_output_finds(path: Path) -> None:
    """Every rule over each fixture, unsafe fixes on: the findings the fix leaves (some
    taken from the fixing pass's looks, not looked for again) are where `check` finds them
    in the fixed code."""
    codes = tuple(rule.code for rule in all_rules())
    fixed = process_source(path.read_bytes(), path.name, Settings(Mode.FIX, codes, UNSAFE))
    assert fixed.error is None, fixed.error
    if fixed.new_source is None:
        return
    checked = process_source(fixed.new_source, path.name, Settings(Mode.CHECK, codes, UNSAFE))
    assert [_place(f) for f in fixed.remaining] == [_place(f) for f in checked.findings]


def _place(finding: Finding) -> tuple[str, int, int, int, int]:
    return (finding.code, finding.line, finding.column, finding.end_line, finding.end_column)


@pytest.mark.parametrize("offset", range(4))
@pytest.mark.slow  # a module of two dozen fixtures, fixed and checked
def test_the_findings_left_where_several_rules_fix_one_module_are_those_check_finds(
    offset: int,
) -> None:
    """A module made of a case of every rule's fixtures (the `offset`-th of each), where
    rule after rule fixes in one pass and moves the lines of the findings the rules before
    it found: what the fix leaves is what `check` finds in its output."""
    parts = []
    for directory in sorted({path.parent for path in FIXED_CASES}):
        cases = sorted(path for path in FIXED_CASES if path.parent == directory)
        parts.append(cases[offset % len(cases)].read_bytes())
    source = b"\n\n".join(parts)
    codes = tuple(rule.code for rule in all_rules())
    fixed = process_source(source, "several.py", Settings(Mode.FIX, codes, UNSAFE))
    assert fixed.error is None, fixed.error
    assert fixed.new_source is not None
    checked = process_source(fixed.new_source, "several.py", Settings(Mode.CHECK, codes, UNSAFE))
    assert fixed.remaining
    assert [_place(f) for f in fixed.remaining] == [_place(f) for f in checked.findings]
