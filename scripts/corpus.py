"""Run cancelfix over real packages from PyPI and check its safety contract on every file.

Run from the repository root, with the project's virtualenv:

    .venv/bin/python scripts/corpus.py                      # the default corpus
    .venv/bin/python scripts/corpus.py --show 5             # + 5 sample diffs per rule
    .venv/bin/python scripts/corpus.py --package anyio==4.4.0 --no-defaults --json out.json

Each package is downloaded once with `pip download` (a wheel, else the sdist) into the cache
directory (`.corpus/` at the repository root, git-ignored) and extracted into
`.corpus/src/<name>-<version>/`. Every `.py` file then goes through the engine in fix mode with
all rules, with unsafe fixes, then again with safe fixes only where the first run changed
something or failed. Nothing is ever written back.

For every file and run this checks:

- no exception escapes `process_path` (engine errors are counted and listed with their reason;
  files that CPython itself cannot compile, such as Python 2 test data, count as
  "unparseable input" instead);
- a changed file parses with `libcst.parse_module` and `compile()`s (if the original did);
- a second `process_source` over the new text changes nothing and reports nothing fixable;
- an unchanged file has no fixed finding and no fixable finding left, and the file on disk is
  never modified; a safe-only run never applies an unsafe fix.

It prints one row per package and one per rule, lists errors and contract violations, and exits
1 if there is any contract violation (2 if a package cannot be fetched).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import multiprocessing
import multiprocessing.pool
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import traceback
import warnings
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import libcst as cst

from codemods.engine import FileOutcome, Mode, Settings, process_path, process_source
from codemods.registry import all_rules
from codemods.rule import Finding, FixSafety, RuleOptions

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = REPO_ROOT / ".corpus"
DEFAULT_PACKAGES = (
    "homeassistant==2024.3.3",
    "aiohttp==3.14.5",
    "redis==8.1.0",
    "tornado==6.6.1",
    "websockets==17.4",
)
FILE_TIMEOUT_SECONDS = 120
"""Budget for one engine call on one file; a file over it is reported as an error."""
DIFF_CONTEXT_LINES = 6
PROGRESS_EVERY = 500
ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")
EXTRACTED_MARKER = ".extracted"

RULE_CODES = tuple(rule.code for rule in all_rules())
RUNS: dict[str, Settings] = {
    "unsafe": Settings(Mode.FIX, RULE_CODES, RuleOptions(unsafe_fixes=True)),
    "safe": Settings(Mode.FIX, RULE_CODES, RuleOptions(unsafe_fixes=False)),
}
"""The passes over a file, in order; samples and finding counts come from the first."""


# --- fetching ---------------------------------------------------------------------------------


class FetchError(Exception):
    pass


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
    archive = download(package, cache_dir / "downloads" / package.label)
    partial = source_dir.with_name(source_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    extract(archive, partial)
    shutil.rmtree(source_dir, ignore_errors=True)
    partial.rename(source_dir)
    (source_dir / EXTRACTED_MARKER).write_text(archive.name + "\n")
    return source_dir


def _archives(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.name.endswith(ARCHIVE_SUFFIXES))


def download(package: Package, directory: Path) -> Path:
    """Download a wheel of `package` (else its sdist) into `directory`, unless one is there."""
    found = _archives(directory)
    if not found:
        directory.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
        pip += ["--quiet", "-d", str(directory)]
        errors = []
        for kind in ("--only-binary=:all:", "--no-binary=:all:"):
            print(f"downloading {package.spec} ({kind})", file=sys.stderr)
            done = subprocess.run([*pip, kind, package.spec], capture_output=True, text=True)
            if done.returncode == 0:
                break
            errors.append(done.stderr.strip().splitlines()[-1:] or ["pip failed"])
        found = _archives(directory)
        if not found:
            raise FetchError(f"cannot download {package.spec}: {errors}")
    if len(found) > 1:
        raise FetchError(f"several archives in {directory}: {[path.name for path in found]}")
    return found[0]


def extract(archive: Path, destination: Path) -> None:
    destination.mkdir(parents=True)
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zipped:
            root = destination.resolve()
            for member in zipped.namelist():
                if not (root / member).resolve().is_relative_to(root):
                    raise FetchError(f"{archive.name}: member {member!r} escapes the archive")
            zipped.extractall(destination)
    else:
        with tarfile.open(archive) as tarred:
            tarred.extractall(destination, filter="data")


def python_files(source_dir: Path) -> list[str]:
    """Relative paths of the `.py` files under `source_dir`, sorted."""
    return sorted(
        str(path.relative_to(source_dir))
        for path in source_dir.rglob("*.py")
        if path.is_file() and not path.is_symlink()
    )


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
            result.errors.setdefault(f"timeout: over {FILE_TIMEOUT_SECONDS}s", []).append(label)
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
    with open(path, "rb") as file:
        if file.read() != source:
            result.violations.append("the file was modified on disk")
    result.seconds = time.perf_counter() - start
    return result


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
    result.errors.setdefault(error, []).append(label)


def verify(outcome: FileOutcome, source: bytes, settings: Settings) -> list[str]:
    """The safety contract for one outcome; returns the problems found."""
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
    if again.new_source is not None:
        problems.append("not idempotent: a second pass changes the code again")
    left = sorted({f"{f.code}@{f.line}" for f in again.findings if options.allows(f.fix)})
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


def add_file(totals: Totals, report: PackageReport, result: FileResult) -> None:
    where = f"{result.package}/{result.relpath}"
    report.files += 1
    report.parsed += result.parsed
    for label, run in result.runs.items():
        report.changed[label] += run.changed
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


def run_package(
    pool: multiprocessing.pool.Pool, totals: Totals, package: Package, root: Path
) -> None:
    files = python_files(root)
    # Largest files first, so that no big file is left alone at the end of the run.
    files.sort(key=lambda relpath: -(root / relpath).stat().st_size)
    tasks = [Task(package.label, str(root), relpath) for relpath in files]
    report = PackageReport(package.label)
    start = time.perf_counter()
    print(f"checking {package.label}: {len(tasks)} files", file=sys.stderr, flush=True)
    for done, result in enumerate(pool.imap_unordered(check_file, tasks, chunksize=4), 1):
        add_file(totals, report, result)
        if done % PROGRESS_EVERY == 0:
            seconds = time.perf_counter() - start
            print(f"  {done}/{len(tasks)} files, {seconds:.0f}s", file=sys.stderr, flush=True)
    report.seconds = time.perf_counter() - start
    totals.packages.append(report)


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
    except (FetchError, OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    totals = Totals()
    start = time.perf_counter()
    with multiprocessing.Pool(args.jobs, initializer=_init_worker) as pool:
        for package, root in roots.items():
            run_package(pool, totals, package, root)
    elapsed = time.perf_counter() - start

    if args.show:
        for code, sample in pick_samples(totals, args.show):
            tags = "+".join([*sample.codes, "unsafe" if sample.unsafe else "safe"])
            print(f"===== {code} [{tags}] {sample.package}/{sample.relpath}:{sample.line}")
            print(sample.diff)
    totals.slowest.sort(reverse=True)
    print(grouped(totals.unparseable, "unparseable input (CPython rejects it too)", args.list))
    print(grouped(totals.errors, "engine errors", args.list))
    print(grouped(totals.violations, "CONTRACT VIOLATIONS", args.list))
    print(
        "slowest files: "
        + ", ".join(f"{path} {seconds:.1f}s" for seconds, path in totals.slowest[:5])
    )
    print()
    print(package_table(totals))
    print()
    print(rule_table(totals))
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
        }
        args.json.write_text(json.dumps(numbers, indent=2) + "\n")
    return 1 if totals.violations else 0


if __name__ == "__main__":
    sys.exit(main())
