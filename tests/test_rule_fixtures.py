"""Snapshot tests: every file under fixtures/<CODE>-<name>/ is one case.

Files named `ok_*.py` are negative cases: no finding of the folder's rule, whose fix leaves
the file byte-identical (another rule may take the case: a CF1 negative that is CF301's idiom).
Every other file must produce at least one finding of its folder's rule. For each case the
findings are a snapshot, and so are the safe-fixed output and the output with unsafe fixes,
each where it differs from the stage before it (so negative cases store no output at all).
Every fixed output is checked to be a fixed point (a second run changes nothing), and the
rules together must give what they give one after another.

A case may start with a comment `# cancelfix: target-version=py37` to set the target. A
snapshot whose case is gone (renamed or deleted) fails a test, rather than staying unread.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from codemods import target_version
from codemods.engine import MAX_FIX_ROUNDS, process_source, report_only_lines
from codemods.model import Finding, Mode, RuleOptions, Settings
from codemods.prefilter.statements import module_code
from codemods.registry import all_rules, rule_by_code
from tests.conftest import FIXTURES, ROOT

_DIRECTIVE = re.compile(rb"#\s*cancelfix:\s*target-version=(py\d+)")

CASES = sorted(FIXTURES.glob("CF*-*/*.py"))
SNAPSHOTS = ROOT / "tests" / "snapshots"
FINDINGS, FIXED, UNSAFE_FIXED = "findings.txt", "fixed.py", "unsafe-fixed.py"
"""What a case's snapshots are called: `<case stem>.<output>`, in `<snapshots>/<fixture folder>`."""


def _options(source: bytes, *, unsafe: bool) -> RuleOptions:
    match = _DIRECTIVE.search(source.split(b"\n", 1)[0])
    version = target_version.parse(match.group(1).decode()) if match else target_version.DEFAULT
    return RuleOptions(unsafe_fixes=unsafe, target_version=version)


def _all_codes() -> tuple[str, ...]:
    return tuple(rule.code for rule in all_rules())


def _run(
    source: bytes, name: str, mode: Mode, *, unsafe: bool, codes: tuple[str, ...] | None = None
) -> tuple[bytes, list[Finding]]:
    settings = Settings(mode, codes or _all_codes(), _options(source, unsafe=unsafe))
    outcome = process_source(source, name, settings)
    assert outcome.error is None, outcome.error
    return outcome.new_source or source, list(outcome.findings)


def _render(findings: list[Finding]) -> str:
    lines = [
        f"{f.line}:{f.column}-{f.end_line}:{f.end_column} {f.code} fix={f.fix or 'none'}"
        for f in findings
    ]
    return "\n".join(lines) + "\n"


def _compiles(source: bytes) -> bool:
    try:
        compile(source, "<fixture>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


def _assert_stage(snapshot, name: str, output: bytes, *, previous: bytes) -> None:  # type: ignore[no-untyped-def]
    """Snapshot an output only where it differs from the stage before (source, safe fixes),
    so no snapshot merely repeats its input."""
    stale = Path(snapshot.snapshot_dir) / name
    if output == previous:
        assert not stale.exists(), f"stale snapshot {name}: the output equals the stage before"
    else:
        snapshot.assert_match(output.decode(), name)


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_every_rule_has_fixtures() -> None:
    folders = {path.parent.name.split("-", 1)[0] for path in CASES}
    for rule in all_rules():
        assert rule.code in folders, f"{rule.code} has no fixtures/{rule.code}-{rule.name}/"
        assert (FIXTURES / f"{rule.code}-{rule.name}").is_dir()


def orphan_snapshots(snapshots: Path, fixtures: Path) -> list[str]:
    """The files under `snapshots` that are no snapshot of a case under `fixtures`."""
    orphans = []
    for path in sorted(snapshots.rglob("*")):
        relative = path.relative_to(snapshots)
        cases = [
            fixtures / relative.parent / f"{path.name.removesuffix(f'.{output}')}.py"
            for output in (FINDINGS, FIXED, UNSAFE_FIXED)
            if path.name.endswith(f".{output}")
        ]
        if path.is_file() and not (len(relative.parts) == 2 and any(c.is_file() for c in cases)):
            orphans.append(relative.as_posix())
    return orphans


def test_every_snapshot_has_its_case() -> None:
    assert orphan_snapshots(SNAPSHOTS, FIXTURES) == []


def test_snapshot_of_a_renamed_case_is_an_orphan(tmp_path: Path) -> None:
    fixtures, snapshots = tmp_path / "fixtures", tmp_path / "snapshots"
    for name in ("CF101-x/kept.py", "CF101-x/a.b.py"):
        (fixtures / name).parent.mkdir(parents=True, exist_ok=True)
        (fixtures / name).write_text("pass\n")
    kept = ["CF101-x/a.b.findings.txt", "CF101-x/kept.findings.txt", "CF101-x/kept.fixed.py"]
    kept.append("CF101-x/kept.unsafe-fixed.py")
    orphans = ["CF101-x/gone.findings.txt", "CF101-x/kept.txt", "CF999-y/kept.fixed.py"]
    orphans += ["CF101-x/deeper/kept.fixed.py", "stray.txt"]
    for name in kept + orphans:
        (snapshots / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshots / name).write_text("")

    assert orphan_snapshots(snapshots, fixtures) == sorted(orphans)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_fixture(case: Path, snapshot) -> None:  # type: ignore[no-untyped-def]
    source = case.read_bytes()
    code = case.parent.name.split("-", 1)[0]
    snapshot.snapshot_dir = SNAPSHOTS / case.parent.name

    _, findings = _run(source, case.name, Mode.CHECK, unsafe=True)
    safe_fixed, _ = _run(source, case.name, Mode.FIX, unsafe=False)
    unsafe_fixed, _ = _run(source, case.name, Mode.FIX, unsafe=True)

    snapshot.assert_match(_render(findings), f"{case.stem}.{FINDINGS}")
    if case.name.startswith("ok_"):
        assert [f for f in findings if f.code == code] == [], "negative case has findings"
        alone, _ = _run(source, case.name, Mode.FIX, unsafe=True, codes=(code,))
        assert alone == source
    else:
        assert any(f.code == code for f in findings), f"positive case has no {code} finding"
    _assert_stage(snapshot, f"{case.stem}.{FIXED}", safe_fixed, previous=source)
    _assert_stage(snapshot, f"{case.stem}.{UNSAFE_FIXED}", unsafe_fixed, previous=safe_fixed)

    original_compiles = _compiles(source)
    for fixed, unsafe in ((safe_fixed, False), (unsafe_fixed, True)):
        again, again_findings = _run(fixed, case.name, Mode.FIX, unsafe=unsafe)
        # Only what the first run reported without a fix (and left alone) may be fixed now.
        held = report_only_lines(source, findings, _options(source, unsafe=unsafe))
        lines = fixed.splitlines()
        refixed = [f for f in again_findings if f.fixed and lines[f.line - 1].strip() not in held]
        assert again == fixed or not refixed, "fixing the fixed output changed it again"
        # Newer syntax (PEP 758) cannot compile on the interpreter running the tests.
        assert _compiles(fixed) or not original_compiles


POSITIVE_CASES = [case for case in CASES if not case.name.startswith("ok_")]


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=_case_id)
@pytest.mark.slow  # every fixture, each rule alone and all together
def test_rules_compose(case: Path) -> None:
    """All rules at once give what the rules give one after another, sweep after sweep until
    nothing changes: no rule's fix depends on being run together with another. As in a run,
    no fix applies on the line of a finding the first check reported without a fix (another
    rule's fix may have made it fixable; `check` said it was not)."""
    source = case.read_bytes()
    together, _ = _run(source, case.name, Mode.FIX, unsafe=True)
    _, first = _run(source, case.name, Mode.CHECK, unsafe=True)
    lines = source.splitlines()
    frozen = {lines[f.line - 1].strip() for f in first if f.fix is None}
    one_by_one = source
    for _ in range(MAX_FIX_ROUNDS):
        before = one_by_one
        for code in _all_codes():
            settings = Settings(Mode.FIX, (code,), _options(one_by_one, unsafe=True))
            outcome = process_source(one_by_one, case.name, settings)
            assert outcome.error is None, outcome.error
            current = one_by_one.splitlines()
            if not any(f.fixed and current[f.line - 1].strip() in frozen for f in outcome.findings):
                one_by_one = outcome.new_source or one_by_one
        if one_by_one == before:
            break
    assert one_by_one == together


@pytest.mark.parametrize("case", POSITIVE_CASES, ids=_case_id)
def test_prefilters_let_every_finding_through(case: Path) -> None:
    """The byte prefilter and the stdlib-AST candidate check of each rule accept every file
    the rule has a finding in: they may only skip files where it certainly has none."""
    source = case.read_bytes()
    options = _options(source, unsafe=True)
    _, findings = _run(source, case.name, Mode.CHECK, unsafe=True)
    try:
        code = module_code(ast.parse(source))
    except SyntaxError:  # newer syntax than this Python's: the engine skips the check too
        code = None
    for rule_code in {finding.code for finding in findings}:
        rule = rule_by_code(rule_code)
        assert rule.may_apply(source, options), f"{rule_code}'s byte prefilter skips it"
        if code is not None:
            accepted = code.may_apply(functools.partial(rule.is_candidate, options=options))
            assert accepted, f"{rule_code}'s candidate check skips it"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("mode", [Mode.CHECK, Mode.FIX])
@pytest.mark.slow  # every fixture, twice per mode
def test_focus_finds_what_the_whole_module_has(case: Path, mode: Mode) -> None:
    """The rules find the same (positions, fix safety, fixes) in the focused module, where
    the functions no candidate check accepts are stubs, as in the whole module."""
    source = case.read_bytes()
    settings = Settings(mode, _all_codes(), _options(source, unsafe=True))
    focused = process_source(source, case.name, settings)
    whole = process_source(source, case.name, settings, focus=False)
    assert focused == whole


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("mode", [Mode.CHECK, Mode.FIX])
@pytest.mark.slow  # every fixture, gated and ungated, per mode
def test_gates_keep_every_finding(case: Path, mode: Mode) -> None:
    """The drift property: the pipeline with its gates (each rule's byte test and stdlib
    candidate check, the focus) gives exactly what the rules give with every gate off, on the
    whole module. A gate that forgets a shape the rule's LibCST detection knows loses findings."""
    source = case.read_bytes()
    settings = Settings(mode, _all_codes(), _options(source, unsafe=True))
    gated = process_source(source, case.name, settings)
    ungated = process_source(source, case.name, settings, prefilter=False)
    assert (gated.findings, gated.remaining, gated.new_source) == (
        ungated.findings,
        ungated.remaining,
        ungated.new_source,
    )


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every fixture, each rule alone, gated and ungated
def test_each_rule_alone_keeps_its_findings_through_its_gates(case: Path) -> None:
    """Each rule's own gates, with no other rule to let the file through, keep its findings."""
    source = case.read_bytes()
    for code in _all_codes():
        settings = Settings(Mode.CHECK, (code,), _options(source, unsafe=True))
        gated = process_source(source, case.name, settings)
        ungated = process_source(source, case.name, settings, prefilter=False)
        assert gated.findings == ungated.findings, code
