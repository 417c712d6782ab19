"""scripts/review.py on a tiny fake package: no network."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_review():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("review", ROOT / "scripts" / "review.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["review"] = module
    spec.loader.exec_module(module)
    return module


review = _load_review()
corpus = sys.modules["corpus"]  # loaded by review.py, which shares its fetching

WORKER = """import asyncio


class Pump:
    async def run(self, queue):
        try:
            while True:
                await queue.get()
        except asyncio.CancelledError:
            pass
        return queue


async def drain(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            pass


async def serve(fut):
    try:
        await fut
    except asyncio.CancelledError:
        if fut.done():
            raise
        print("retry")
"""
TEST_FILE = """import asyncio


async def test_drain(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            pass
"""
PACKAGE = review.Package("fake", "1.0")


def make_package(cache: Path, files: dict[str, str]) -> Path:
    """An extracted package in the cache, as `fetch` leaves it: nothing to download."""
    root = cache / "src" / PACKAGE.label
    for relpath, source in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(source)
    (root / corpus.EXTRACTED_MARKER).write_text("fake.whl\n")
    return root


def record(**fields: object) -> object:
    values: dict[str, object] = {"package": "fake", "version": "1.0", "path": "fake/a.py"}
    values.update(code="CF102", function="f", line_digest=review.digest("except CancelledError:"))
    values.update(fields)
    return review.Record(**values)


def test_scope_comes_from_the_path() -> None:
    assert review.scope_of("pkg/core.py") == "library"
    assert review.scope_of("pkg/tests/helpers.py") == "test"
    assert review.scope_of("pkg/test_core.py") == "test"
    assert review.scope_of("pkg/core_test.py") == "test"
    assert review.scope_of("conftest.py") == "test"
    assert review.scope_of("examples/demo.py") == "example"
    assert review.scope_of("pkg/scripts/cli.py") == "library"  # shipped in the package


def test_functions_are_named_by_their_qualified_name() -> None:
    source = "class A:\n    async def f(self):\n        def g():\n            pass\n"
    source += "\n\nasync def h(): pass\n"
    functions = review.functions(source)
    assert [f.qualname for f in functions] == ["A.f", "A.f.g", "h"]
    assert review.enclosing(functions, 4).qualname == "A.f.g"
    assert review.enclosing(functions, 2).qualname == "A.f"
    assert review.enclosing(functions, 6) is None
    assert review.functions("def broken(:\n") == []


def test_identical_findings_in_one_function_are_told_apart_by_order() -> None:
    first, second = record(line=9), record(line=4)
    other = record(line=5, function="g")
    review.number_occurrences([first, second, other])
    assert (second.occurrence, first.occurrence, other.occurrence) == (0, 1, 0)
    assert first.key != second.key


def test_fix_diff_keeps_only_the_hunks_that_change_the_function() -> None:
    before = WORKER
    after = WORKER.replace("            pass\n", "            raise\n")
    functions = review.functions(before)
    run = review.enclosing(functions, 9)
    drain = review.enclosing(functions, 17)
    diff = review.fix_diff(before, after, 9, run)
    assert diff.count("\n+") == 1 and diff.count("\n-") == 1  # one hunk: drain's is apart
    assert diff.startswith("@@\n")  # no line numbers: a shift leaves it as it is
    assert review.fix_diff(before, after, 17, drain) != diff
    shifted = "\n\n" + before, "\n\n" + after
    assert review.fix_diff(*shifted, 11, review.enclosing(review.functions(shifted[0]), 11)) == diff


def test_original_line_maps_a_line_of_the_fixed_text_back() -> None:
    before = "a\nb\nc\nd\n"
    after = "a\ntry:\n    b\nfinally:\n    c\nd\n"
    assert review.original_line(before, after, 1) == 1
    assert review.original_line(before, after, 6) == 4
    assert review.original_line(before, "a\nx\nb\nc\nd\n", 4) == 3


def finding(line: int, fix: str | None, fixed: bool = False) -> dict[str, object]:
    return {"path": "a.py", "line": line, "column": 5, "code": "CF102", "fix": fix, "fixed": fixed}


def test_duplicates_and_check_fix_disagreements() -> None:
    checked = [finding(3, "safe"), finding(3, "safe"), finding(8, None), finding(12, "unsafe")]
    checked.append(finding(20, None))
    fixed = [finding(3, "safe", True), finding(3, "safe", True), finding(8, None, True)]
    fixed += [finding(12, "safe", True), finding(30, "safe", True)]
    assert review.duplicates(checked) == [("a.py", 3, 5, "CF102")]
    problems = dict(review.disagreements(checked, fixed))
    assert problems == {
        ("a.py", 8, "CF102"): "check calls it report-only, fix rewrites it",
        ("a.py", 12, "CF102"): "check says fix ['unsafe'], fix says ['safe']",
        ("a.py", 20, "CF102"): "check says fix ['None'], fix says []",
        ("a.py", 30, "CF102"): "check says fix [], fix says ['safe']",
    }


def verdicts_with(*entries: dict[str, object]) -> object:
    return review.Verdicts(["fake==1.0"], [dict(entry) for entry in entries])


def entry_of(rec: object, verdict: str | None, **extra: object) -> dict[str, object]:
    fields = {name: getattr(rec, name) for name in review._KEY_FIELDS}
    return {**fields, "verdict": verdict, "pattern": None, "reason": "", **extra}


def test_compare_lists_what_changed_since_the_verdicts() -> None:
    new = record(function="new", line=1)
    false = record(function="false", line=2, diff="@@\n-a\n+b\n", fixed=True, fix_kind="safe")
    changed = record(function="changed", line=3, diff="@@\n-a\n+c\n", fixed=True, fix_kind="safe")
    unjudged_fix = record(function="fix", line=4, diff="@@\n-x\n+y\n", fixed=True)
    gone = record(function="gone")
    judged = review.digest("@@\n-a\n+b\n")
    fix = {"kind": "safe", "verdict": "wrong", "reason": "", "diff_digest": judged}
    verdicts = verdicts_with(
        entry_of(false, "false", fix=fix),
        entry_of(changed, "real", fix={**fix, "verdict": "right"}),
        entry_of(unjudged_fix, "real", fix=None),
        entry_of(gone, "real"),
    )
    run = review.PackageRun(PACKAGE, records=[new, false, changed, unjudged_fix])
    changes = review.compare([run], verdicts)
    assert changes.new == [new]
    assert [r for r, _ in changes.false_still] == [false]
    assert [r for r, _ in changes.wrong_still] == [false]
    assert [r for r, _ in changes.diff_changed] == [changed]
    assert changes.fix_new == [unjudged_fix]
    assert [e["function"] for e in changes.disappeared] == ["gone"]
    other = review.PackageRun(review.Package("other", "2.0"), records=[])
    assert review.compare([other], verdicts).disappeared == []  # fake was not run


def test_record_adds_unjudged_findings_and_unjudges_a_changed_fix() -> None:
    kept = record(function="kept", line=7, diff="@@\n-a\n+b\n", fixed=True, fix_kind="safe")
    moved = record(function="moved", line=9, diff="@@\n-a\n+c\n", fixed=True, fix_kind="safe")
    old_fix = {
        "kind": "safe",
        "verdict": "right",
        "reason": "fine",
        "diff_digest": review.digest("@@\n-a\n+b\n"),
    }
    verdicts = verdicts_with(
        entry_of(kept, "real", fix=dict(old_fix)), entry_of(moved, "real", fix=dict(old_fix))
    )
    added = record(function="added", line=1, path="fake/tests/test_a.py")
    assert review.record_changes([review.PackageRun(PACKAGE, [kept, moved, added])], verdicts) == 1
    by_function = {entry["function"]: entry for entry in verdicts.entries}
    assert by_function["kept"]["fix"]["verdict"] == "right" and by_function["kept"]["line"] == 7
    assert by_function["moved"]["fix"]["verdict"] is None
    assert "was right: fine" in by_function["moved"]["fix"]["reason"]
    assert by_function["added"]["verdict"] is None and by_function["added"]["scope"] == "test"


def test_table_counts_verdicts_precision_and_fixes_in_library_code() -> None:
    judged = review.digest("d")
    real = record(function="a", line=1, fixed=True, fix_kind="safe", diff="d")
    false = record(function="b", line=2, fixed=True, fix_kind="unsafe", diff="d")
    debatable = record(function="c", line=3)
    unjudged = record(function="d", line=4, code="CF103")
    in_test = record(function="e", line=5, path="fake/tests/test_a.py")
    verdicts = verdicts_with(
        entry_of(real, "real", fix={"verdict": "right", "diff_digest": judged}),
        entry_of(false, "false", pattern="5", fix={"verdict": "wrong", "diff_digest": judged}),
        entry_of(debatable, "debatable"),
        entry_of(in_test, "false"),
    )
    run = review.PackageRun(PACKAGE, [real, false, debatable, unjudged, in_test])
    run.duplicates = [("fake/a.py", 1, 1, "CF102")]
    run.disagreements = [(("fake/tests/test_a.py", 5, "CF102"), "differ")]
    rows = review.rows([run], verdicts, "library")
    cf102 = rows[("fake-1.0", "CF102")]
    assert cf102.cells() == [3, 1, 1, 1, 0, "50%", "1/0/0", "0/0/1", 0, 1, 0]
    assert rows[("fake-1.0", "CF103")].cells()[4:6] == [1, "-"]
    assert review.rows([run], verdicts, "test")[("fake-1.0", "CF102")].disagreements == 1
    table = review.verdict_table([run], verdicts, "library")
    assert table.splitlines()[-1].split()[:3] == ["TOTAL", "4", "1"]
    summary = review.pattern_summary([run], verdicts, "library")
    assert "1 false positive, pattern 5: fake/fake/a.py:2 CF102" in summary
    assert "1 wrong unsafe fix, pattern 5" in summary


@pytest.mark.slow
def test_a_run_records_verdicts_and_survives_a_line_shift(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_package(tmp_path, {"fake/worker.py": WORKER, "fake/tests/test_w.py": TEST_FILE})
    verdict_file = tmp_path / "verdicts.json"
    verdict_file.write_text(json.dumps({"packages": ["fake==1.0"], "findings": []}))
    argv = ["--verdicts", str(verdict_file), "--cache-dir", str(tmp_path), "--scope", "library"]
    assert review.main([*argv, "--record", "--show", "new"]) == 1
    output = capsys.readouterr().out
    assert "new findings to read: 4" in output
    assert ">>    9         except asyncio.CancelledError:" in output  # the code shown
    assert "-            pass\n+            raise" in output  # and its fix
    entries = json.loads(verdict_file.read_text())["findings"]
    assert sorted((e["function"], e["code"], e["scope"]) for e in entries) == [
        ("Pump.run", "CF102", "library"),
        ("drain", "CF102", "library"),
        ("serve", "CF102", "library"),
        ("test_drain", "CF102", "test"),
    ]
    assert {e["function"]: e["fix"] is None for e in entries}["serve"]  # report only
    for entry in entries:
        entry.update(verdict="real", reason="judged")
        if entry["fix"]:
            entry["fix"].update(verdict="right", reason="judged")
    next(e for e in entries if e["function"] == "drain").update(verdict="false", pattern="5")
    verdict_file.write_text(json.dumps({"packages": ["fake==1.0"], "findings": entries}))

    (root / "fake/worker.py").write_text('"""Moved down."""\n\n\n' + WORKER)
    assert review.main(argv) == 0
    output = capsys.readouterr().out
    assert "new findings to read: 0" in output and "fixes whose diff changed: 0" in output
    assert "known false positives still reported: 1" in output and "in drain:" in output
    assert "check/fix" not in output.split("library code:")[0]
    assert "TOTAL" in output and "1 false positive, pattern 5" in output

    returning = WORKER.replace("            pass\n", "            return\n", 1)  # in Pump.run
    (root / "fake/worker.py").write_text(returning)
    assert review.main(argv) == 1
    output = capsys.readouterr().out
    assert "findings that disappeared: 0" in output
    assert "fixes whose diff changed: 1" in output  # `return` -> `raise` now


def test_junit_names_follow_pytest_node_ids() -> None:
    assert review.junit_name("tests/test_a.py::test_b[x-1]") == "tests.test_a::test_b[x-1]"
    assert review.junit_name("t/test_a.py::Case::test_b") == "t.test_a.Case::test_b"


SUITE = """import pytest


def test_passes():
    pass


def test_fails():
    assert False


@pytest.mark.skip(reason="no")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="known")
def test_xpasses():
    pass


class TestCase:
    def test_method(self):
        pass
"""


@pytest.mark.slow
def test_outcomes_of_a_pytest_run_per_test(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_suite.py").write_text(SUITE)
    found = review.outcomes(Path(sys.executable), project, ["tests"], "before")
    assert found == {
        "tests.test_suite::test_passes": "passed",
        "tests.test_suite::test_fails": "failed",
        "tests.test_suite::test_skipped": "skipped",
        "tests.test_suite::test_xfails": "xfailed",
        "tests.test_suite::test_xpasses": "xpassed",
        "tests.test_suite.TestCase::test_method": "passed",
    }
    assert "1 failed" in (tmp_path / "pytest-before.txt").read_text()
