"""Run cancelfix over real packages from PyPI and check its safety contract on every file.

Run from the repository root, with the project's virtualenv:

    .venv/bin/python scripts/corpus.py                      # the default corpus
    .venv/bin/python scripts/corpus.py --show 5             # + 5 sample diffs per rule
    .venv/bin/python scripts/corpus.py --package anyio==4.4.0 --no-defaults --json out.json

Each package is downloaded once with `pip download` (a wheel, else the sdist) into the cache
directory (`.corpus/` at the repository root, git-ignored) and extracted into
`.corpus/src/<name>-<version>/` (by `pypi.py`, which the benchmark shares). Only its `.py`
files are extracted and checked (a compiled wheel's `.pyx`, `.pxd`, `.c` and `.so` files are
not). There are two passes over every package.

The engine pass runs every `.py` file through the engine in fix mode with all rules, with
unsafe fixes, then again with safe fixes only where the first run changed something or failed.
Nothing is written back. For every file and run it checks:

- no crash: no exception escapes `process_path`, no internal error, no timeout (a file over
  FILE_TIMEOUT_SECONDS), no worker death (a file whose worker never returns a result); engine
  errors are counted and listed with their reason, and files that CPython itself cannot compile,
  such as Python 2 test data, count as "unparseable input" instead;
- every changed file parses with `libcst.parse_module` and `compile()`s (if the original did);
- second run clean: a second `process_source` over the new text changes nothing and reports
  nothing fixable;
- an unchanged file has no fixed finding and no fixable finding left, and the file on disk is
  never modified; a safe-only run never applies an unsafe fix.
- the findings in the focused module the engine analyses (`codemods.prefilter.focus`) are the
  findings of the whole module: same rules, positions and fix safety.
- the drift property, on every file (those the gates skip too): the engine with its gates
  (each rule's byte test and stdlib candidate check) gives exactly the findings of the rules
  run on the whole module with every gate off (`prefilter=False`).

The CLI pass copies the package's `.py` files into a fresh temporary directory (outside the
repository, whose discovery would skip the git-ignored `.corpus/`) and runs the real command
there, `python -m codemods fix --unsafe-fixes --output-format json`, with a configuration that
excludes nothing, ignores no `.gitignore` and targets the engine pass's default Python. It
checks:

- no crash: no traceback, the JSON report is complete, every error listed is an input CPython
  rejects too (no internal error, no worker death), the exit code is the one the report implies;
- the files changed on disk are exactly those with fixed findings, and the same as the engine
  pass's (and the same number of fixes);
- every changed file parses and `compile()`s (if the original did);
- `compile()` of every unchanged file still works: it is byte-identical, and compiles iff the
  original did;
- second run clean: the same command run again changes no file, fixes nothing, finds nothing
  more to fix (only the report-only findings the first run left), and exits the same way.

It prints one row per package and one per rule, and the CLI figures, lists errors and contract
violations, and exits 1 if there is any contract violation or crash (2 if a package cannot be
fetched).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import json
import multiprocessing
import multiprocessing.pool
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType

import libcst as cst

from codemods import target_version
from codemods.engine import process_path, process_source, report_only_lines
from codemods.model import FileOutcome, Finding, FixSafety, Mode, RuleOptions, Settings
from codemods.registry import all_rules

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts share pypi.py
from pypi import CORPUS_PACKAGES, FetchError, download, extract_python_files, python_files

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = REPO_ROOT / ".corpus"
DEFAULT_PACKAGES = CORPUS_PACKAGES
FILE_TIMEOUT_SECONDS = 120
"""Budget for one engine call on one file; a file over it is reported as a crash."""
WATCHDOG_SECONDS = 5 * FILE_TIMEOUT_SECONDS
"""With no result from any worker for this long, the files not done count as lost: their
worker died or hung where the alarm could not stop it. A file takes at most four engine calls."""
CLI_TIMEOUT_SECONDS = 1800
"""Budget for one run of the command over one package."""
DIFF_CONTEXT_LINES = 6
PROGRESS_EVERY = 500
EXTRACTED_MARKER = ".extracted"

RULE_CODES = tuple(rule.code for rule in all_rules())
RUNS: dict[str, Settings] = {
    "unsafe": Settings(Mode.FIX, RULE_CODES, RuleOptions(unsafe_fixes=True)),
    "safe": Settings(Mode.FIX, RULE_CODES, RuleOptions(unsafe_fixes=False)),
}
"""The passes over a file, in order; samples and finding counts come from the first."""


# --- fetching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    name: str
    version: str

    @classmethod
    def parse(cls, spec: str) -> Package:
        match = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s=]+)\s*", spec)
        if match is None:
            raise argparse.ArgumentTypeError(f"expected NAME==VERSION, got {spec!r}")
        return cls(match[1], match[2])

    @property
    def key(self) -> str:
        """The name as PyPI compares it (PEP 503)."""
        return re.sub(r"[-_.]+", "-", self.name).lower()

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"

    @property
    def label(self) -> str:
        return f"{self.key}-{self.version}"


def fetch(package: Package, cache_dir: Path) -> Path:
    """The extracted source tree of `package`, downloading and extracting it if needed."""
    source_dir = cache_dir / "src" / package.label
    if (source_dir / EXTRACTED_MARKER).exists():
        return source_dir
    archive = download(package.spec, cache_dir / "downloads" / package.label)
    partial = source_dir.with_name(source_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    extract_python_files(archive, partial)
    shutil.rmtree(source_dir, ignore_errors=True)
    partial.rename(source_dir)
    (source_dir / EXTRACTED_MARKER).write_text(archive.name + "\n")
    return source_dir


# --- checking one file (runs in worker processes) ---------------------------------------------


@dataclass(frozen=True)
class Task:
    package: str
    root: str
    relpath: str


@dataclass
class RunSummary:
    findings: list[tuple[str, str | None, bool]] = field(default_factory=list)
    """(code, fix safety or None, fixed) for every finding."""
    changed: bool = False


@dataclass(frozen=True)
class Sample:
    """One hunk of a fix's diff, with the rules whose fixed findings it shows."""

    package: str
    relpath: str
    line: int
    codes: tuple[str, ...]
    unsafe: bool
    diff: str


@dataclass
class FileResult:
    package: str
    relpath: str
    parsed: bool = False
    seconds: float = 0.0
    runs: dict[str, RunSummary] = field(default_factory=dict)
    unparseable: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Engine error reason -> the runs that reported it (with a traceback for crashes)."""
    violations: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    drift_findings: int | None = None
    """Findings of the rules with every gate off, when the drift property was checked."""


class FileTimeout(BaseException):
    """Raised by the alarm in a worker; a BaseException so that the engine cannot swallow it."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise FileTimeout


def _init_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    signal.signal(signal.SIGALRM, _on_alarm)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def compile_error(source: bytes, path: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    except RecursionError:
        return "RecursionError"
    return None


def crash_summary(source: bytes, path: str, settings: Settings) -> str:
    """Re-run the engine without its safety net to report where an internal error comes from."""
    try:
        with deadline(FILE_TIMEOUT_SECONDS):
            process_source(source, path, settings)
    except Exception as error:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [frame for frame in frames if f"{os.sep}codemods{os.sep}" in frame.filename]
        where = " <- ".join(
            f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"
            for frame in reversed(ours[-4:])
        )
        return f"{type(error).__name__}: {error} [at {where}]"
    except FileTimeout:
        return "timed out when re-run"
    return "not reproduced by process_source"


def check_file(task: Task) -> FileResult:
    path = os.path.join(task.root, task.relpath)
    result = FileResult(task.package, task.relpath)
    start = time.perf_counter()
    with open(path, "rb") as file:
        source = file.read()
    for label, settings in RUNS.items():
        try:
            with deadline(FILE_TIMEOUT_SECONDS):
                outcome = process_path(path, settings)
        except FileTimeout:
            reason = f"timeout: over {FILE_TIMEOUT_SECONDS}s"
            result.errors.setdefault(reason, []).append(label)
            result.violations.append(f"{label}: crash: {reason}")
            continue
        except (Exception, SystemExit) as error:
            result.violations.append(f"{label}: exception escaped: {type(error).__name__}: {error}")
            continue
        result.parsed |= outcome.parsed
        result.runs[label] = RunSummary(
            [(f.code, f.fix.value if f.fix else None, f.fixed) for f in outcome.findings],
            outcome.changed,
        )
        if outcome.error is not None:
            record_error(result, outcome.error, source, path, settings, label)
        result.violations += [
            f"{label}: {problem}" for problem in verify(outcome, source, settings)
        ]
        if label == "unsafe" and outcome.new_source is not None:
            result.samples = samples(task, source, outcome.new_source, outcome.findings)
        if label == "unsafe" and outcome.error is None and not outcome.changed:
            # Nothing to fix even with unsafe fixes: a safe-only run has nothing to fix either
            # (rules find the same things whatever fixes are allowed), so skip it; this halves
            # the time on a corpus where most files have no fix.
            result.runs["safe"] = result.runs[label]
            break
    if result.parsed:
        result.violations += focus_violations(source, path)
    result.violations += drift_violations(source, path, result)
    with open(path, "rb") as file:
        if file.read() != source:
            result.violations.append("the file was modified on disk")
    result.seconds = time.perf_counter() - start
    return result


FOCUS_CHECK = Settings(Mode.CHECK, RULE_CODES, RuleOptions(unsafe_fixes=True))


def focus_violations(source: bytes, path: str) -> list[str]:
    """The findings in the focused module (see `codemods.prefilter.focus`) must be the whole
    module's."""
    try:
        with deadline(FILE_TIMEOUT_SECONDS):
            focused = process_source(source, path, FOCUS_CHECK)
            whole = process_source(source, path, FOCUS_CHECK, focus=False)
    except FileTimeout:
        return ["focus: timeout"]
    if (focused.findings, focused.error) == (whole.findings, whole.error):
        return []

    def keys(outcome: FileOutcome) -> set[str]:
        return {f"{f.code}@{f.line}:{f.column} ({f.fix})" for f in outcome.findings}

    differ = sorted(keys(focused) ^ keys(whole)) or [f"errors {focused.error} / {whole.error}"]
    return [f"focus: findings differ from the whole module's: {', '.join(differ)}"]


def drift_violations(source: bytes, path: str, result: FileResult) -> list[str]:
    """The rules behind their gates must find exactly what they find with every gate off."""
    try:
        with deadline(FILE_TIMEOUT_SECONDS):
            gated = process_source(source, path, FOCUS_CHECK)
            ungated = process_source(source, path, FOCUS_CHECK, prefilter=False)
    except FileTimeout:
        return ["drift: timeout"]
    result.drift_findings = len(ungated.findings)
    if gated.error is not None or gated.findings == ungated.findings:
        return []
    differ = sorted(
        {f"{f.code}@{f.line}:{f.column} ({f.fix})" for f in gated.findings}
        ^ {f"{f.code}@{f.line}:{f.column} ({f.fix})" for f in ungated.findings}
    )
    return [f"drift: the gates change the findings: {', '.join(differ)}"]


def record_error(
    result: FileResult, error: str, source: bytes, path: str, settings: Settings, label: str
) -> None:
    input_error = error.startswith(("syntax error", "cannot decode", "too deeply nested to parse"))
    if input_error and compile_error(source, path) is not None:
        result.unparseable = error  # CPython rejects it too: not the tool's fault
        return
    if input_error:
        error = f"LibCST rejects code CPython accepts: {error}"
    elif error.startswith("internal error"):
        error = f"internal error: {crash_summary(source, path, settings)}"
        result.violations.append(f"{label}: crash: {error}")
    result.errors.setdefault(error, []).append(label)


def verify(outcome: FileOutcome, source: bytes, settings: Settings) -> list[str]:
    """The safety contract for one outcome, and one truth; returns the problems found."""
    return _verify_contract(outcome, source, settings) or one_truth(outcome, source, settings)


def one_truth(outcome: FileOutcome, source: bytes, settings: Settings) -> list[str]:
    """One finding per place and code, and `check` reports what `fix` reports."""
    places = [(f.code, f.line, f.column) for f in outcome.findings]
    if len(set(places)) != len(places):
        return ["two findings of one code at one place"]
    if not outcome.findings:
        return []
    check = process_source(source, outcome.path, replace(settings, mode=Mode.CHECK))
    if [(f.code, f.line, f.column, f.fix) for f in check.findings] != [
        (f.code, f.line, f.column, f.fix) for f in outcome.findings
    ]:
        return ["check and fix report different findings or fix kinds"]
    return []


def _verify_contract(outcome: FileOutcome, source: bytes, settings: Settings) -> list[str]:
    options = settings.options
    fixed = [finding for finding in outcome.findings if finding.fixed]
    if not options.unsafe_fixes and any(finding.fix is FixSafety.UNSAFE for finding in fixed):
        return ["an unsafe fix was applied without unsafe fixes"]
    new_source = outcome.new_source
    if new_source is None:
        if fixed:
            return ["findings are marked fixed but the file is unchanged"]
        if outcome.error is None and any(options.allows(f.fix) for f in outcome.findings):
            return ["a fixable finding was left unfixed without an error"]
        return []
    if outcome.error is not None:
        return [f"changed although it reports an error: {outcome.error}"]
    if new_source == source:
        return ["new source returned but identical to the original"]
    if not fixed:
        return ["changed without any fixed finding"]
    try:
        cst.parse_module(new_source)
    except cst.ParserSyntaxError as error:
        return [f"fixed code does not parse: {error.message} at line {error.raw_line}"]
    if compile_error(source, outcome.path) is None:
        problem = compile_error(new_source, outcome.path)
        if problem is not None:
            return [f"fixed code does not compile: {problem}"]
    held = report_only_lines(source, outcome.findings, options)
    new_lines = new_source.splitlines()
    if not held <= {line.strip() for line in new_lines}:
        return ["fix rewrote a line that check reported without a fix"]
    try:
        with deadline(FILE_TIMEOUT_SECONDS):
            again = process_source(new_source, outcome.path, settings)
    except FileTimeout:
        return ["second pass timed out"]
    except Exception as error:
        return [f"second pass raised {type(error).__name__}: {error}"]
    problems = []
    if again.error is not None:
        problems.append(f"second pass fails: {again.error}")
    # Another rule's fix may make a finding on a held line fixable: a second run fixes it.
    unheld = [f for f in again.findings if new_lines[f.line - 1].strip() not in held]
    if again.new_source is not None and any(f.fixed for f in unheld):
        problems.append("not idempotent: a second pass changes the code again")
    left = sorted({f"{f.code}@{f.line}" for f in unheld if options.allows(f.fix)})
    if left:
        problems.append(f"second pass still reports fixable findings: {', '.join(left)}")
    return problems


_HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def samples(
    task: Task, source: bytes, new_source: bytes, findings: Sequence[Finding]
) -> list[Sample]:
    """Split the diff into hunks and tag each with the fixed findings it shows.

    A finding points at a handler's header; its change may lie further down (an appended
    `raise`), so a finding outside every hunk goes to the next hunk below it.
    """
    before = source.decode("utf-8", "replace").splitlines(keepends=True)
    after = new_source.decode("utf-8", "replace").splitlines(keepends=True)
    name = f"{task.package}/{task.relpath}"
    lines = list(difflib.unified_diff(before, after, name, name, n=DIFF_CONTEXT_LINES))
    hunks: list[tuple[int, int, list[str]]] = []
    for line in lines[2:]:
        header = _HUNK_HEADER.match(line)
        if header:
            start, length = int(header[1]), int(header[2] or 1)
            hunks.append((start, start + length, []))
        hunks[-1][2].append(line if line.endswith("\n") else line + "\n")
    tags: list[set[str]] = [set() for _ in hunks]
    unsafe = [False for _ in hunks]
    for finding in findings:
        if not finding.fixed:
            continue
        for index, (_, end, _) in enumerate(hunks):
            if finding.line < end:  # inside this hunk, or the first hunk below it
                tags[index].add(finding.code)
                unsafe[index] |= finding.fix is FixSafety.UNSAFE
                break
    return [
        Sample(
            task.package,
            task.relpath,
            start,
            tuple(sorted(codes)) or ("import",),
            is_unsafe,
            "".join(text),
        )
        for (start, _, text), codes, is_unsafe in zip(hunks, tags, unsafe, strict=True)
    ]


# --- aggregating and reporting ----------------------------------------------------------------


@dataclass
class PackageReport:
    package: str
    files: int = 0
    parsed: int = 0
    findings: Counter[str] = field(default_factory=Counter)
    fixed: Counter[str] = field(default_factory=Counter)
    """Fixes applied, keyed by run label."""
    changed: Counter[str] = field(default_factory=Counter)
    """Files changed, keyed by run label."""
    unparseable: int = 0
    errors: int = 0
    violations: int = 0
    seconds: float = 0.0
    changed_files: list[str] = field(default_factory=list)
    """Files the unsafe run changed, for the cross-check with the command."""


@dataclass
class Totals:
    packages: list[PackageReport] = field(default_factory=list)
    rule_kinds: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(code, fix kind) -> findings, from the unsafe run."""
    rule_fixed: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(code, run label) -> fixes applied."""
    unparseable: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, str]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    slowest: list[tuple[float, str]] = field(default_factory=list)
    cli: list[CliReport] = field(default_factory=list)
    cli_errors: list[tuple[str, str]] = field(default_factory=list)
    drift_files: int = 0
    drift_findings: int = 0


def add_file(totals: Totals, report: PackageReport, result: FileResult) -> None:
    where = f"{result.package}/{result.relpath}"
    report.files += 1
    report.parsed += result.parsed
    for label, run in result.runs.items():
        report.changed[label] += run.changed
        if label == "unsafe" and run.changed:
            report.changed_files.append(result.relpath)
        for code, kind, fixed in run.findings:
            if fixed:
                report.fixed[label] += 1
                totals.rule_fixed[code, label] += 1
            if label == "unsafe":
                report.findings[code] += 1
                totals.rule_kinds[code, kind or "none"] += 1
    if result.unparseable is not None:
        report.unparseable += 1
        totals.unparseable.append((where, result.unparseable))
    report.errors += bool(result.errors)
    for reason, labels in result.errors.items():
        totals.errors.append((where, f"[{'+'.join(labels)}] {reason}"))
    report.violations += bool(result.violations)
    totals.violations += [(where, violation) for violation in result.violations]
    totals.samples += result.samples
    totals.slowest.append((result.seconds, where))
    if result.drift_findings is not None:
        totals.drift_files += 1
        totals.drift_findings += result.drift_findings


def run_package(
    pool: multiprocessing.pool.Pool, totals: Totals, package: Package, root: Path
) -> bool:
    """The engine pass over one package; whether the pool is still usable. If a worker is
    lost, its files are reported and the pool is terminated."""
    files = python_files(root)
    # Largest files first, so that no big file is left alone at the end of the run.
    files.sort(key=lambda relpath: -(root / relpath).stat().st_size)
    tasks = [Task(package.label, str(root), relpath) for relpath in files]
    report = PackageReport(package.label)
    start = time.perf_counter()
    print(f"checking {package.label}: {len(tasks)} files", file=sys.stderr, flush=True)
    pending = {task.relpath for task in tasks}
    # One file per task, so that a dead worker loses exactly the file it held.
    results = pool.imap_unordered(check_file, tasks, chunksize=1)
    while pending:
        try:
            result = results.next(timeout=WATCHDOG_SECONDS)
        except multiprocessing.TimeoutError:
            for relpath in sorted(pending):
                lost = FileResult(package.label, relpath)
                reason = f"no result in {WATCHDOG_SECONDS}s: the worker died or hung"
                lost.errors[reason] = ["unsafe"]
                lost.violations.append(f"crash: {reason}")
                add_file(totals, report, lost)
            pool.terminate()
            pool.join()
            return False
        pending.discard(result.relpath)
        add_file(totals, report, result)
        if report.files % PROGRESS_EVERY == 0:
            seconds = time.perf_counter() - start
            print(f"  {report.files}/{len(tasks)} files, {seconds:.0f}s", file=sys.stderr)
    report.seconds = time.perf_counter() - start
    totals.packages.append(report)
    return True


# --- the command-line pass ----------------------------------------------------------------------


INPUT_ERRORS = ("syntax error", "cannot decode", "too deeply nested to parse")
"""Engine errors about the input: expected where CPython rejects the file too."""
CRASH_ERRORS = ("internal error", "worker crashed")
"""Command errors that are crashes of the tool."""


@dataclass
class CliReport:
    package: str
    files: int = 0
    findings: int = 0
    """Findings the first run reported: fixed ones and those left."""
    fixed: Counter[str] = field(default_factory=Counter)
    """Fixes the first run applied, keyed by fix kind (safe, unsafe)."""
    changed: int = 0
    left: int = 0
    unparseable: int = 0
    errors: int = 0
    exit_codes: list[int] = field(default_factory=list)
    second_changed: int = 0
    second_fixed: int = 0
    second_fixable: int = 0
    not_compiling: int = 0
    violations: int = 0
    seconds: float = 0.0


def cli_config() -> str:
    """The command's configuration: every `.py` file, the engine pass's target version."""
    major, minor = target_version.DEFAULT
    return f'exclude = []\nrespect-gitignore = false\ntarget-version = "py{major}{minor}"\n'


def compiles(task: tuple[str, str]) -> bool:
    """Whether root/relpath compiles (runs in the pool)."""
    root, relpath = task
    path = os.path.join(root, relpath)
    with open(path, "rb") as file:
        return compile_error(file.read(), path) is None


@dataclass
class CliRun:
    exit_code: int | None = None
    document: dict[str, object] | None = None
    crash: str | None = None


def run_cli(tree: Path, config: Path, jobs: int) -> CliRun:
    """`python -m codemods fix --unsafe-fixes` over `tree`, from inside it, as a user runs it."""
    command = [sys.executable, "-m", "codemods", "fix", "--unsafe-fixes", "--config", str(config)]
    command += ["--output-format", "json", "--no-color", "--jobs", str(jobs), "."]
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "GIT_CEILING_DIRECTORIES": str(tree.parent)}
    try:
        done = subprocess.run(
            command,
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return CliRun(crash=f"timed out after {CLI_TIMEOUT_SECONDS}s")
    run = CliRun(done.returncode)
    last = (done.stderr.strip().splitlines() or ["(no output on stderr)"])[-1]
    if "Traceback (most recent call last)" in done.stderr:
        run.crash = f"traceback: {last}"
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        run.crash = run.crash or f"no JSON report (exit code {done.returncode}): {last}"
        return run
    if not isinstance(document, dict) or not {"findings", "errors", "summary"} <= set(document):
        run.crash = run.crash or "incomplete JSON report"
        return run
    run.document = document
    return run


def _relpath(tree: Path, path: str) -> str:
    return os.path.relpath(os.path.join(tree, path), tree)


def _items(run: CliRun, key: str) -> list[dict[str, object]]:
    assert run.document is not None
    items = run.document[key]
    assert isinstance(items, list)
    return items


def _summary(run: CliRun) -> dict[str, int]:
    assert run.document is not None
    summary = run.document["summary"]
    assert isinstance(summary, dict)
    return summary


def _fixable(run: CliRun, tree: Path) -> int:
    """Findings left that `--unsafe-fixes` could fix, outside files with an error (whose fixes
    the engine rejected, say: those are errors, not findings left)."""
    failed = {_relpath(tree, str(error["path"])) for error in _items(run, "errors")}
    return sum(
        1
        for finding in _items(run, "findings")
        if not finding["fixed"]
        and finding["fix"] is not None
        and _relpath(tree, str(finding["path"])) not in failed
    )


def _expected_exit(run: CliRun) -> int:
    if _items(run, "errors"):
        return 2
    return 1 if any(not finding["fixed"] for finding in _items(run, "findings")) else 0


def _show(paths: set[str], limit: int = 3) -> str:
    listed = sorted(paths)
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more


def cli_package(
    pool: multiprocessing.pool.Pool,
    totals: Totals,
    package: Package,
    root: Path,
    engine: PackageReport,
    jobs: int,
) -> CliReport:
    """The command-line pass over one package (see the module's documentation)."""
    files = python_files(root)
    report = CliReport(package.label, files=len(files))
    violations: list[tuple[str, str]] = []

    def violation(relpath: str | None, reason: str) -> None:
        where = f"{package.label}/{relpath}" if relpath else package.label
        violations.append((where, f"cli: {reason}"))

    start = time.perf_counter()
    print(f"running the command on {package.label}", file=sys.stderr, flush=True)
    tasks = [(str(root), relpath) for relpath in files]
    compiled_before = dict(zip(files, pool.map(compiles, tasks, chunksize=16), strict=True))
    with tempfile.TemporaryDirectory(prefix="cancelfix-corpus-") as temp:
        tree = Path(temp) / package.label
        for relpath in files:
            (tree / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / relpath, tree / relpath)
        config = Path(temp) / "cancelfix.toml"
        # No per-file ignores (CF2 is off in test files by default): the command must fix
        # what the engine pass, which reads every file alike, fixed.
        config.write_text(cli_config() + "per-file-ignores = {}\n")

        first = run_cli(tree, config, jobs)
        report.exit_codes.append(-1 if first.exit_code is None else first.exit_code)
        if first.crash or first.document is None:
            violation(None, f"crash: first run: {first.crash}")
        else:
            after_first = check_first_run(report, violation, root, tree, first)
            if compiled_before.keys() != after_first.digests.keys():
                violation(None, "the tree lost or gained files")
            check_compiles(pool, report, violation, tree, compiled_before, after_first)
            check_against_engine(report, violation, engine, first, tree)
            second = run_cli(tree, config, jobs)
            report.exit_codes.append(-1 if second.exit_code is None else second.exit_code)
            if second.crash or second.document is None:
                violation(None, f"crash: second run: {second.crash}")
            else:
                check_second_run(report, violation, tree, first, second, after_first)
        for error in _items(first, "errors") if first.document else []:
            relpath = _relpath(tree, str(error["path"]))
            reason = str(error["reason"])
            input_error = reason.startswith(INPUT_ERRORS)
            if input_error and not compiled_before.get(relpath, True):
                report.unparseable += 1
                continue
            report.errors += 1
            totals.cli_errors.append((f"{package.label}/{relpath}", reason))
            if reason.startswith(CRASH_ERRORS):
                violation(relpath, f"crash: {reason}")
    report.violations = len(violations)
    report.seconds = time.perf_counter() - start
    totals.violations += violations
    totals.cli.append(report)
    return report


Violation = Callable[[str | None, str], None]


@dataclass
class TreeState:
    changed: set[str]
    """The files that differ from the originals."""
    digests: dict[str, bytes]
    """Every file's content digest."""


def check_first_run(
    report: CliReport, violation: Violation, root: Path, tree: Path, first: CliRun
) -> TreeState:
    """Check the first run's report and the tree it left."""
    findings = _items(first, "findings")
    summary = _summary(first)
    fixed = [finding for finding in findings if finding["fixed"]]
    report.findings = len(findings)
    report.fixed.update(str(finding["fix"]) for finding in fixed)
    report.left = len(findings) - len(fixed)
    if first.exit_code != _expected_exit(first):
        violation(None, f"first run exits {first.exit_code}, not {_expected_exit(first)}")
    if summary["files"] != report.files:
        violation(None, f"the command checked {summary['files']} of {report.files} files")
    state = TreeState(set(), {})
    changed = state.changed
    for relpath in python_files(tree):
        new = (tree / relpath).read_bytes()
        state.digests[relpath] = hashlib.sha256(new).digest()
        if new != (root / relpath).read_bytes():
            changed.add(relpath)
            try:
                cst.parse_module(new)
            except cst.ParserSyntaxError as error:
                violation(relpath, f"fixed code does not parse: {error.message}")
    report.changed = len(changed)
    fixed_paths = {_relpath(tree, str(finding["path"])) for finding in fixed}
    if changed - fixed_paths:
        violation(None, f"changed without a fixed finding: {_show(changed - fixed_paths)}")
    if fixed_paths - changed:
        violation(None, f"fixed findings in unchanged files: {_show(fixed_paths - changed)}")
    if summary["files_changed"] != len(changed):
        violation(None, f"reports {summary['files_changed']} changed files, not {len(changed)}")
    fixable = _fixable(first, tree)
    if fixable:
        violation(None, f"first run leaves {fixable} fixable findings")
    return state


def check_compiles(
    pool: multiprocessing.pool.Pool,
    report: CliReport,
    violation: Violation,
    tree: Path,
    compiled_before: dict[str, bool],
    state: TreeState,
) -> None:
    """`compile()` every file of the tree after the fixes: a changed file must compile if the
    original did; an unchanged one must compile iff the original did."""
    files = sorted(state.digests)
    tasks = [(str(tree), relpath) for relpath in files]
    compiled_after = dict(zip(files, pool.map(compiles, tasks, chunksize=16), strict=True))
    for relpath in files:
        before, after = compiled_before.get(relpath, False), compiled_after[relpath]
        is_changed = relpath in state.changed
        if is_changed and before and not after:
            report.not_compiling += 1
            violation(relpath, "changed file does not compile")
        elif not is_changed and before != after:
            report.not_compiling += 1
            violation(relpath, f"unchanged file compiled {before}, now {after}")


def check_against_engine(
    report: CliReport, violation: Violation, engine: PackageReport, first: CliRun, tree: Path
) -> None:
    """The command and the engine pass's unsafe run must change the same files, as much."""
    fixed = [finding for finding in _items(first, "findings") if finding["fixed"]]
    cli_changed = {_relpath(tree, str(finding["path"])) for finding in fixed}
    engine_changed = set(engine.changed_files)
    if cli_changed != engine_changed:
        only = _show(cli_changed - engine_changed), _show(engine_changed - cli_changed)
        violation(None, f"changed files differ from the engine pass: +[{only[0]}] -[{only[1]}]")
    if len(fixed) != engine.fixed["unsafe"]:
        violation(None, f"{len(fixed)} fixes, the engine pass {engine.fixed['unsafe']}")


def check_second_run(
    report: CliReport,
    violation: Violation,
    tree: Path,
    first: CliRun,
    second: CliRun,
    state: TreeState,
) -> None:
    """Second run clean: no file changes, nothing fixed, nothing more to fix, same exit."""
    for relpath, digest in sorted(state.digests.items()):
        if hashlib.sha256((tree / relpath).read_bytes()).digest() != digest:
            report.second_changed += 1
            violation(relpath, "not idempotent: the second run changed the file")
    summary = _summary(second)
    report.second_fixed = summary["fixed"]
    report.second_fixable = _fixable(second, tree)
    if summary["fixed"] or summary["files_changed"]:
        violation(None, f"second run fixed {summary['fixed']} in {summary['files_changed']} files")
    if report.second_fixable:
        violation(None, f"second run still has {report.second_fixable} fixable findings")

    def left(run: CliRun) -> Counter[tuple[str, object, object]]:
        return Counter(
            (_relpath(tree, str(f["path"])), f["line"], f["code"])
            for f in _items(run, "findings")
            if not f["fixed"]
        )

    if left(first) != left(second):
        difference = (left(first) - left(second)) + (left(second) - left(first))
        violation(None, f"second run reports other findings: {sorted(difference)[:3]}")
    errors = [
        sorted(str(error["path"]) for error in _items(run, "errors")) for run in (first, second)
    ]
    if errors[0] != errors[1]:
        violation(None, "second run reports other errors")
    if second.exit_code != _expected_exit(second) or second.exit_code != first.exit_code:
        violation(None, f"second run exits {second.exit_code}, first {first.exit_code}")


# --- printing ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join(
            [first, *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        )

    rule = "  ".join("-" * width for width in widths)
    return "\n".join(
        [line(cells[0]), rule, *(line(row) for row in cells[1:-1]), rule, line(cells[-1])]
    )


def package_table(totals: Totals) -> str:
    header = ["package", "files", "parsed", *RULE_CODES, "fixed safe", "fixed unsafe"]
    header += ["changed safe", "changed unsafe", "unparseable", "errors", "violations", "seconds"]
    total = PackageReport("TOTAL")
    rows: list[list[object]] = []
    for report in [*totals.packages, total]:
        if report is not total:
            total.files += report.files
            total.parsed += report.parsed
            total.findings += report.findings
            total.fixed += report.fixed
            total.changed += report.changed
            total.unparseable += report.unparseable
            total.errors += report.errors
            total.violations += report.violations
            total.seconds += report.seconds
        rows.append(
            [
                report.package,
                report.files,
                report.parsed,
                *(report.findings[code] for code in RULE_CODES),
                report.fixed["safe"],
                report.fixed["unsafe"],
                report.changed["safe"],
                report.changed["unsafe"],
                report.unparseable,
                report.errors,
                report.violations,
                f"{report.seconds:.1f}",
            ]
        )
    return table(header, rows)


def rule_table(totals: Totals) -> str:
    header = ["rule", "findings", "safe fix", "unsafe fix", "report only"]
    header += ["fixed safe", "fixed unsafe"]
    rows: list[list[object]] = []
    for code in [*RULE_CODES, "TOTAL"]:
        codes = set(RULE_CODES) if code == "TOTAL" else {code}
        kinds = Counter[str]()
        for (rule, kind), count in totals.rule_kinds.items():
            kinds[kind] += count if rule in codes else 0
        fixed = Counter[str]()
        for (rule, label), count in totals.rule_fixed.items():
            fixed[label] += count if rule in codes else 0
        row = [code, kinds.total(), kinds["safe"], kinds["unsafe"], kinds["none"]]
        rows.append([*row, fixed["safe"], fixed["unsafe"]])
    return table(header, rows)


def cli_table(totals: Totals) -> str:
    header = ["package", "files", "findings", "fixed safe", "fixed unsafe", "changed", "left"]
    header += ["unparseable", "errors", "exit 1st/2nd", "2nd changed", "2nd fixed", "2nd fixable"]
    header += ["not compiling", "violations", "seconds"]
    total = CliReport("TOTAL")
    rows: list[list[object]] = []
    for report in [*totals.cli, total]:
        if report is not total:
            for name, value in vars(report).items():
                if isinstance(value, int | float | Counter) and name != "package":
                    setattr(total, name, getattr(total, name) + value)
        codes = "/".join(map(str, report.exit_codes)) or "-"
        rows.append(
            [
                report.package,
                report.files,
                report.findings,
                report.fixed["safe"],
                report.fixed["unsafe"],
                report.changed,
                report.left,
                report.unparseable,
                report.errors,
                codes,
                report.second_changed,
                report.second_fixed,
                report.second_fixable,
                report.not_compiling,
                report.violations,
                f"{report.seconds:.1f}",
            ]
        )
    return table(header, rows)


def grouped(entries: Sequence[tuple[str, str]], title: str, limit: int) -> str:
    """`entries` grouped by reason (numbers masked), each with up to `limit` example paths."""
    groups: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for path, reason in entries:
        groups[re.sub(r"\d+", "N", reason)].append((path, reason))
    lines = [f"{title}: {len(entries)}"]
    for items in sorted(groups.values(), key=lambda items: (-len(items), items[0][1])):
        lines.append(f"  {len(items)} x {items[0][1]}")
        lines += [f"      {path}" for path, _ in sorted(items)[:limit]]
        if len(items) > limit:
            lines.append(f"      ... and {len(items) - limit} more")
    return "\n".join(lines)


def pick_samples(totals: Totals, per_rule: int) -> list[tuple[str, Sample]]:
    """Up to `per_rule` hunks per rule, spread evenly over a stable ordering of them all."""
    package_order = {report.package: index for index, report in enumerate(totals.packages)}
    ordered = sorted(totals.samples, key=lambda s: (package_order[s.package], s.relpath, s.line))
    picked: list[tuple[str, Sample]] = []
    for code in [*RULE_CODES, "import"]:
        candidates = [sample for sample in ordered if code in sample.codes]
        count = min(per_rule, len(candidates))
        picked += [(code, candidates[i * len(candidates) // count]) for i in range(count)]
    return picked


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--package",
        action="append",
        type=Package.parse,
        default=[],
        metavar="NAME==VER",
        help="add a package to the corpus, or override the version of a default one",
    )
    parser.add_argument("--no-defaults", action="store_true", help="only the --package ones")
    parser.add_argument(
        "--no-cli", action="store_true", help="skip the pass that runs the command itself"
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--show", type=int, default=0, metavar="N", help="N sample diffs per rule")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the numbers as JSON")
    parser.add_argument("--list", type=int, default=5, metavar="N", help="example paths per reason")
    args = parser.parse_args(argv)

    packages = {} if args.no_defaults else {p.key: p for p in map(Package.parse, DEFAULT_PACKAGES)}
    packages.update({package.key: package for package in args.package})
    if not packages:
        parser.error("no packages to check")
    try:
        roots = {package: fetch(package, args.cache_dir.resolve()) for package in packages.values()}
    except (FetchError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    totals = Totals()
    start = time.perf_counter()
    pool = multiprocessing.Pool(args.jobs, initializer=_init_worker)
    try:
        for package, root in roots.items():
            if not run_package(pool, totals, package, root):
                pool = multiprocessing.Pool(args.jobs, initializer=_init_worker)
            if not args.no_cli:
                cli_package(pool, totals, package, root, totals.packages[-1], args.jobs)
    finally:
        pool.terminate()
        pool.join()
    elapsed = time.perf_counter() - start

    if args.show:
        for code, sample in pick_samples(totals, args.show):
            tags = "+".join([*sample.codes, "unsafe" if sample.unsafe else "safe"])
            print(f"===== {code} [{tags}] {sample.package}/{sample.relpath}:{sample.line}")
            print(sample.diff)
    totals.slowest.sort(reverse=True)
    print(grouped(totals.unparseable, "unparseable input (CPython rejects it too)", args.list))
    print(grouped(totals.errors, "engine errors", args.list))
    if not args.no_cli:
        print(grouped(totals.cli_errors, "command errors (not unparseable input)", args.list))
    print(grouped(totals.violations, "CONTRACT VIOLATIONS", args.list))
    print(
        "slowest files: "
        + ", ".join(f"{path} {seconds:.1f}s" for seconds, path in totals.slowest[:5])
    )
    print()
    print(package_table(totals))
    print()
    print(rule_table(totals))
    if not args.no_cli:
        print("\n`python -m codemods fix --unsafe-fixes`, run twice on a copy of each package:\n")
        print(cli_table(totals))
    drifted = sum(violation.startswith("drift:") for _, violation in totals.violations)
    print(
        f"\ndrift property (gates on vs off): {totals.drift_files} files, "
        f"{totals.drift_findings} findings compared, {drifted} files differ"
    )
    files = sum(report.files for report in totals.packages)
    print(f"\n{files} files in {elapsed:.1f}s with {args.jobs} processes")

    if args.json:
        numbers = {
            "packages": [package.spec for package in packages.values()],
            "rules": list(RULE_CODES),
            "seconds": round(elapsed, 2),
            "jobs": args.jobs,
            "per_package": [
                {**vars(report), "seconds": round(report.seconds, 2)} for report in totals.packages
            ],
            "per_rule": {
                code: {
                    "findings": {k: n for (c, k), n in totals.rule_kinds.items() if c == code},
                    "fixed": {run: n for (c, run), n in totals.rule_fixed.items() if c == code},
                }
                for code in RULE_CODES
            },
            "unparseable": [{"path": p, "reason": r} for p, r in totals.unparseable],
            "errors": [{"path": p, "reason": r} for p, r in totals.errors],
            "violations": [{"path": p, "reason": r} for p, r in totals.violations],
            "cli": [{**vars(report), "seconds": round(report.seconds, 2)} for report in totals.cli],
            "cli_errors": [{"path": p, "reason": r} for p, r in totals.cli_errors],
            "drift": {"files": totals.drift_files, "findings": totals.drift_findings},
        }
        args.json.write_text(json.dumps(numbers, indent=2) + "\n")
    return 1 if totals.violations else 0


if __name__ == "__main__":
    sys.exit(main())
