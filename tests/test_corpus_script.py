"""scripts/corpus.py on a tiny local package: no network, a few seconds."""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

from codemods.model import FileOutcome, Finding, FixSafety, Mode, RuleOptions, Settings
from tests import samples

pytestmark = pytest.mark.slow  # the long-run script, on a tiny package

ROOT = Path(__file__).resolve().parent.parent


def _load_corpus():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("corpus", ROOT / "scripts" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["corpus"] = module  # the worker processes unpickle functions by module name
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()

FIXABLE = samples.SWALLOWING.encode()
REPORT_ONLY = b"""from contextlib import suppress


async def drain(queue):
    with suppress(BaseException):
        await queue.get()
"""
PYTHON_2 = b"""import asyncio


async def worker(queue):
    try:
        await queue.get()
    except asyncio.CancelledError:
        print "cancelled"
"""
PLAIN = b"def add(a, b):\n    return a + b\n"


def make_package(cache: Path, label: str, files: dict[str, bytes]) -> None:
    """An extracted package in the cache, as `fetch` leaves it: nothing to download."""
    root = cache / "src" / label
    for relpath, source in files.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_bytes(source)
    (root / corpus.EXTRACTED_MARKER).write_text("tiny.whl\n")


def test_package_spec() -> None:
    package = corpus.Package.parse(" Foo_Bar.baz == 1.2 ")
    assert (package.key, package.label, package.spec) == (
        "foo-bar-baz",
        "foo-bar-baz-1.2",
        "Foo_Bar.baz==1.2",
    )
    with pytest.raises(Exception, match="NAME==VERSION"):
        corpus.Package.parse("foo>=1")


def test_default_corpus_has_the_ten_packages() -> None:
    keys = {corpus.Package.parse(spec).key for spec in corpus.DEFAULT_PACKAGES}
    assert keys == {
        "homeassistant",
        "aiohttp",
        "redis",
        "tornado",
        "websockets",
        "anyio",
        "asyncpg",
        "aiokafka",
        "starlette",
        "uvicorn",
    }


def test_fetch_extracts_a_downloaded_wheel_and_only_py_files_count(tmp_path: Path) -> None:
    package = corpus.Package("tiny", "1.0")
    downloads = tmp_path / "downloads" / package.label
    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "tiny-1.0-cp311-cp311-linux_x86_64.whl", "w") as wheel:
        wheel.writestr("tiny/__init__.py", PLAIN)
        wheel.writestr("tiny/sub/mod.py", FIXABLE)
        wheel.writestr("tiny/_speedups.pyx", "def f(): pass\n")
        wheel.writestr("tiny/_speedups.c", "int f(void) { return 0; }\n")
        wheel.writestr("tiny/_speedups.cpython-311-x86_64-linux-gnu.so", b"\x7fELF")
        wheel.writestr("tiny/types.pyi", "def f() -> None: ...\n")
    root = corpus.fetch(package, tmp_path)
    assert root == tmp_path / "src" / "tiny-1.0"
    assert corpus.python_files(root) == ["tiny/__init__.py", "tiny/sub/mod.py"]
    assert corpus.fetch(package, tmp_path) == root  # extracted once


def test_fetch_keeps_a_member_escaping_its_archive_inside(tmp_path: Path) -> None:
    package = corpus.Package("evil", "1.0")
    downloads = tmp_path / "downloads" / package.label
    downloads.mkdir(parents=True)
    with zipfile.ZipFile(downloads / "evil-1.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("../outside.py", PLAIN)
        wheel.writestr("evil/data.json", "{}")
    source_dir = corpus.fetch(package, tmp_path)
    assert not (tmp_path / "src" / "outside.py").exists()
    assert corpus.python_files(source_dir) == ["outside.py"]  # `..` dropped; only .py files


def test_check_file(tmp_path: Path) -> None:
    for name, source in [("fix.py", FIXABLE), ("py2.py", PYTHON_2), ("plain.py", PLAIN)]:
        (tmp_path / name).write_bytes(source)
    fixed = corpus.check_file(corpus.Task("tiny", str(tmp_path), "fix.py"))
    assert fixed.violations == [] and fixed.errors == {} and fixed.parsed
    assert fixed.runs["unsafe"].changed and fixed.runs["safe"].changed
    assert fixed.runs["unsafe"].findings == [("CF102", "safe", True)]
    assert [sample.codes for sample in fixed.samples] == [("CF102",)]
    assert (tmp_path / "fix.py").read_bytes() == FIXABLE  # nothing written back
    assert fixed.drift_findings == 1  # the rules with every gate off find it too

    python_2 = corpus.check_file(corpus.Task("tiny", str(tmp_path), "py2.py"))
    assert python_2.unparseable is not None and python_2.errors == {}
    assert python_2.violations == []

    plain = corpus.check_file(corpus.Task("tiny", str(tmp_path), "plain.py"))
    assert (plain.parsed, plain.violations, plain.errors) == (False, [], {})
    assert plain.runs["safe"] is plain.runs["unsafe"]  # nothing to fix: one run is enough
    assert plain.drift_findings == 0  # skipped by the gates, and nothing found without them


def _finding(fixed: bool, fix: FixSafety | None = FixSafety.SAFE) -> Finding:
    return Finding("CF102", "name", "message", 8, 9, 8, 30, fix, fixed)


@pytest.mark.parametrize(
    ("outcome", "problem"),
    [
        (FileOutcome("a.py", (_finding(True),)), "marked fixed but the file is unchanged"),
        (FileOutcome("a.py", (_finding(False),)), "fixable finding was left unfixed"),
        (
            FileOutcome("a.py", (_finding(True),), new_source=b"async def f(:\n"),
            "fixed code does not parse",
        ),
        (
            FileOutcome("a.py", (_finding(True),), new_source=b"def f():\n    await g()\n"),
            "fixed code does not compile",
        ),
        (FileOutcome("a.py", (_finding(False),), new_source=PLAIN), "without any fixed finding"),
        (FileOutcome("a.py", (_finding(True),), new_source=FIXABLE), "identical to the original"),
        (
            FileOutcome("a.py", (_finding(True),), new_source=FIXABLE.replace(b"queue", b"q")),
            "second pass still reports fixable findings",
        ),
    ],
)
def test_verify_reports_contract_violations(outcome: FileOutcome, problem: str) -> None:
    settings = Settings(Mode.FIX, corpus.RULE_CODES, RuleOptions(unsafe_fixes=True))
    problems = corpus.verify(outcome, FIXABLE, settings)
    assert any(problem in text for text in problems), problems


def test_verify_rejects_an_unsafe_fix_in_a_safe_run() -> None:
    outcome = FileOutcome("a.py", (_finding(True, FixSafety.UNSAFE),), new_source=PLAIN)
    settings = Settings(Mode.FIX, corpus.RULE_CODES, RuleOptions(unsafe_fixes=False))
    assert corpus.verify(outcome, FIXABLE, settings) == [
        "an unsafe fix was applied without unsafe fixes"
    ]


def test_whole_run_on_a_tiny_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        "tiny/fix.py": FIXABLE,
        "tiny/report_only.py": REPORT_ONLY,
        "tiny/py2.py": PYTHON_2,
        "tiny/plain.py": PLAIN,
        "build/ignored_by_default.py": FIXABLE,  # the command must check it all the same
    }
    make_package(tmp_path, "tiny-1.0", files)
    numbers = tmp_path / "numbers.json"
    argv = ["--no-defaults", "--package", "tiny==1.0", "--cache-dir", str(tmp_path)]
    code = corpus.main([*argv, "--jobs", "1", "--json", str(numbers)])
    out = capsys.readouterr().out
    assert "CONTRACT VIOLATIONS: 0" in out, out
    assert code == 0
    document = json.loads(numbers.read_text())
    assert document["drift"] == {"files": 5, "findings": 3}
    [engine] = document["per_package"]
    assert (engine["files"], engine["unparseable"], engine["errors"]) == (5, 1, 0)
    assert engine["fixed"] == {"unsafe": 2, "safe": 2}
    assert sorted(engine["changed_files"]) == ["build/ignored_by_default.py", "tiny/fix.py"]
    [cli] = document["cli"]
    assert cli["files"] == 5 and cli["fixed"] == {"safe": 2}
    assert (cli["changed"], cli["left"], cli["unparseable"], cli["errors"]) == (2, 1, 1, 0)
    assert cli["exit_codes"] == [2, 2]  # the Python 2 file is an error for the command
    assert (cli["second_changed"], cli["second_fixed"], cli["second_fixable"]) == (0, 0, 0)
    assert (cli["not_compiling"], cli["violations"]) == (0, 0)
    # The originals are untouched: the command ran on a copy.
    assert (tmp_path / "src" / "tiny-1.0" / "tiny" / "fix.py").read_bytes() == FIXABLE


def test_cli_pass_reports_a_command_that_breaks_its_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_package(tmp_path, "tiny-1.0", {"fix.py": FIXABLE})
    root = tmp_path / "src" / "tiny-1.0"
    left = {"path": "fix.py", "line": 8, "code": "CF102", "fix": "safe", "fixed": False}
    summary = {"files": 1, "files_changed": 0, "fixed": 0, "fixable": 1}
    lazy = corpus.CliRun(0, {"findings": [left], "errors": [], "summary": summary})
    monkeypatch.setattr(corpus, "run_cli", lambda tree, config, jobs: lazy)
    engine = corpus.PackageReport("tiny-1.0", changed_files=["fix.py"])
    engine.fixed["unsafe"] = 1
    totals = corpus.Totals()
    with corpus.multiprocessing.Pool(1) as pool:
        report = corpus.cli_package(
            pool, totals, corpus.Package("tiny", "1.0"), root, engine, jobs=1
        )
    reasons = [reason for _, reason in totals.violations]
    assert "cli: first run exits 0, not 1" in reasons
    assert "cli: first run leaves 1 fixable findings" in reasons
    assert "cli: second run still has 1 fixable findings" in reasons
    assert "cli: 0 fixes, the engine pass 1" in reasons
    assert any(reason.startswith("cli: changed files differ") for reason in reasons)
    assert report.violations == len(reasons)


def test_cli_pass_reports_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_package(tmp_path, "tiny-1.0", {"fix.py": FIXABLE})
    crashed = corpus.CliRun(1, None, "traceback: RuntimeError: boom")
    monkeypatch.setattr(corpus, "run_cli", lambda tree, config, jobs: crashed)
    totals = corpus.Totals()
    with corpus.multiprocessing.Pool(1) as pool:
        corpus.cli_package(
            pool,
            totals,
            corpus.Package("tiny", "1.0"),
            tmp_path / "src" / "tiny-1.0",
            corpus.PackageReport("tiny-1.0"),
            jobs=1,
        )
    assert totals.violations == [
        ("tiny-1.0", "cli: crash: first run: traceback: RuntimeError: boom")
    ]
