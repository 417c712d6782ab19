"""Benchmark cancelfix against ruff and flake8-async on real packages from PyPI.

Run from the repository root, in a virtualenv with the project and bench/requirements.txt:

    python -m venv .bench-venv && .bench-venv/bin/pip install -e . -r bench/requirements.txt
    .bench-venv/bin/python bench/run.py                                  # everything
    .bench-venv/bin/python bench/run.py --quick --corpus websockets      # a smoke run
    .bench-venv/bin/python bench/run.py --corpus homeassistant --runs 3 --json out.json
    .bench-venv/bin/python bench/run.py --cancelfix "/other/venv/bin/python -m codemods"

Each package is downloaded once with `pip download` (a wheel, else the sdist, as
scripts/corpus.py does) into the cache directory, `.bench/` at the repository root. Every run
extracts its `.py` files, and nothing else, into a temporary directory outside the repository
(cancelfix's file discovery would skip a git-ignored directory inside it), and runs each
command there as a fresh process:

- cancelfix `check --no-cache .` (cold), `check --cache-dir DIR .` after one untimed run that
  fills DIR (warm), `fix --diff --no-cache .` and `fix --diff --unsafe-fixes --no-cache .`;
- `bench/floor.py .`: the first two stages of a cold check alone (start-up, discovery, byte
  prefilter, stdlib parse of what it lets through), the least a cold check can cost;
- `ruff check --isolated --select ASYNC --no-cache --quiet .`, the fastest tool users have;
- `flake8-async --enable ASYNC103,ASYNC104 FILES...`, the only tool that detects part of what
  cancelfix does (slow: it has its own, smaller, number of runs).

After each corpus, `bench/slowest.py .` (once, untimed) gives the CPU time of each file in fix
mode, alone, and the report lists the ten slowest.

Wall time is the median over the runs, and so is CPU time (user and system, of the command
and every process it waited for: its workers), which a loaded machine changes least; the fix
targets are given in both. Peak memory is the largest, over the runs, of the
resident memory of the whole process tree (cancelfix has worker processes), sampled from /proc
every few milliseconds (`ru_maxrss` only for a command too short to sample: it also counts the
memory of the benchmark itself, which the command is forked from). Linux only.

It prints Markdown to stdout: the machine, one row per corpus and tool with the ratio to ruff,
the targets (PASS/FAIL), the slowest files in fix mode, and how cancelfix's time grows with 1x,
2x and 4x the Home Assistant files. It writes a bar chart (`--png`) if matplotlib is installed
(the only import outside the standard library). Exit status: 0, or 1 if a command failed, 2 if
the benchmark cannot start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes  # type: ignore[import-not-found,unused-ignore]

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))  # scripts/pypi.py fetches the corpora
from pypi import (  # noqa: E402
    CORPUS_PACKAGES,
    FetchError,
    download,
    extract_python_files,
    python_files,
)

DEFAULT_CACHE_DIR = REPO_ROOT / ".bench"
DEFAULT_PNG = REPO_ROOT / "bench" / "results.png"
FLOOR_SCRIPT = REPO_ROOT / "bench" / "floor.py"
SLOWEST_SCRIPT = REPO_ROOT / "bench" / "slowest.py"
SLOWEST_SHOWN = 10
CORPORA = {spec.partition("==")[0]: spec for spec in CORPUS_PACKAGES}
"""Every package of the corpus (`scripts/corpus.py`'s default packages), by name."""
REFERENCE_CORPUS = "homeassistant"
"""The corpus the targets and the scaling are measured on."""
SCALES = (1, 2, 4)
SAMPLE_SECONDS = 0.005
ACCEPTED_EXIT_CODES = (0, 1)
"""0: nothing found, 1: findings (or a diff); anything else is an error."""
CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
"""Configuration the tools would pick up from a parent of the corpus directory."""
TIMES = "\N{MULTIPLICATION SIGN}"

COLD, WARM, FIX, FIX_UNSAFE, FLOOR = "cold", "warm", "fix-diff", "fix-unsafe", "floor"
RUFF, FLAKE8_ASYNC = "ruff", "flake8-async"
CANCELFIX_TOOLS = (COLD, WARM, FIX, FIX_UNSAFE)
FIX_TOOLS = (FIX, FIX_UNSAFE)
LABELS = {
    COLD: "cancelfix check (cold)",
    WARM: "cancelfix check (warm)",
    FIX: "cancelfix fix --diff",
    FIX_UNSAFE: "cancelfix fix --diff --unsafe-fixes",
    FLOOR: "cancelfix stages 1-2 alone",
    RUFF: "ruff --select ASYNC",
    FLAKE8_ASYNC: "flake8-async ASYNC103,104",
}
COLOURS = {
    COLD: "#1f77b4",
    WARM: "#6baed6",
    FIX: "#08306b",
    FIX_UNSAFE: "#2171b5",
    FLOOR: "#c6dbef",
    RUFF: "#ff7f0e",
    FLAKE8_ASYNC: "#d62728",
}


class BenchError(Exception):
    """The benchmark cannot run at all."""


class CommandError(Exception):
    """A measured command failed: its measurements are left out and the failure reported."""


# --- options ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    corpora: tuple[str, ...]
    runs: int
    slow_runs: int
    scaling: bool
    cache_dir: Path
    cancelfix: tuple[str, ...]
    json: Path | None
    png: Path


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of runs >= 1, got {text}")
    return value


def _runs_or_none(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of runs >= 0, got {text}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--corpus",
        action="append",
        choices=list(CORPORA),
        help="measure only this corpus (repeatable; default: all)",
    )
    parser.add_argument("--runs", type=_positive, default=5, help="runs of the fast tools")
    parser.add_argument(
        "--slow-runs",
        type=_runs_or_none,
        default=1,
        help="runs of flake8-async (0: not measured, its rows and target n/a)",
    )
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1x/2x/4x runs")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: one run of each, no scaling"
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument(
        "--cancelfix",
        default=shlex.join([sys.executable, "-m", "codemods"]),
        metavar="COMMAND",
        help="how to run cancelfix (default: %(default)s)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write all numbers as JSON")
    parser.add_argument("--png", type=Path, default=DEFAULT_PNG, metavar="FILE")
    args = parser.parse_args(argv)
    chosen = set(args.corpus or CORPORA)
    return Options(
        corpora=tuple(name for name in CORPORA if name in chosen),
        runs=1 if args.quick else args.runs,
        slow_runs=min(1, args.slow_runs) if args.quick else args.slow_runs,
        scaling=not (args.quick or args.no_scaling),
        cache_dir=args.cache_dir,
        cancelfix=tuple(shlex.split(args.cancelfix)),
        json=args.json,
        png=args.png,
    )


# --- corpora ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    name: str
    spec: str
    root: Path
    """The copy that is measured, outside the repository."""
    files: tuple[str, ...]
    lines: int


def copy_python_files(source: Path, destination: Path) -> list[str]:
    """Copy the `.py` files of `source` to `destination` (and nothing else); their paths."""
    files = python_files(source)
    for relpath in files:
        target = destination / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relpath, target)
    return files


def build_scaled(source: Path, destination: Path, copies: int) -> list[str]:
    """`copies` copies of `source`'s `.py` files, in `destination`/copy1, copy2, ...; the
    names of those directories."""
    names = [f"copy{index}" for index in range(1, copies + 1)]
    for name in names:
        copy_python_files(source, destination / name)
    return names


def count_lines(root: Path, files: Iterable[str]) -> int:
    return sum(len((root / relpath).read_bytes().splitlines()) for relpath in files)


def prepare_corpus(name: str, cache_dir: Path, workdir: Path) -> Corpus:
    spec = CORPORA[name]
    root = workdir / name
    try:
        extract_python_files(download(spec, cache_dir / spec.replace("==", "-")), root)
    except FetchError as error:
        raise BenchError(str(error)) from error
    files = python_files(root)
    if not files:
        raise BenchError(f"{spec} has no .py files")
    return Corpus(name, spec, root, tuple(files), count_lines(root, files))


def parent_configs(directory: Path) -> list[Path]:
    """Configuration files in the parents of `directory` that a tool could pick up."""
    return [
        parent / name
        for parent in directory.resolve().parents
        for name in CONFIG_FILES
        if (parent / name).is_file()
    ]


# --- running one command ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    rss_mb: float
    exit_code: int
    cpu_seconds: float | None = None
    """User and system CPU time of the command and every process it waited for (its
    workers): what a loaded machine changes least."""


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (processes that exit meanwhile are left out)."""
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                pending += [int(child) for child in children.read_text().split()]
            except (OSError, ValueError):
                continue
    return tree


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def rss_kb(pid: int) -> int:
    """The resident memory of `pid`, 0 if it is gone."""
    # statm's second field is the number VmRSS shows, in pages, and cheaper to parse.
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


class TreeMemorySampler:
    """Samples the summed resident memory of a process tree in a thread, keeping the peak."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while True:
            total = sum(rss_kb(pid) for pid in process_tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def run_command(argv: Sequence[str], cwd: Path) -> Run:
    """Run `argv` in `cwd` once, measuring its wall time and peak memory."""
    # Caching is chosen on the command line alone, whatever the caller's environment says.
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANCELFIX_")}
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            with TreeMemorySampler(process.pid) as sampler:
                # wait4, not Popen.wait: its ru_maxrss stands in when no sample was taken.
                _, status, usage = os.wait4(process.pid, 0)
                seconds = time.perf_counter() - start
        except BaseException:
            process.kill()
            process.wait()
            raise
        process.returncode = exit_code = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    # A Python tool that crashes exits 1 too, the same as "findings": look for the traceback.
    if exit_code not in ACCEPTED_EXIT_CODES or "Traceback (most recent call last)" in errors:
        last = errors.strip().splitlines()[-1:] or ["no error output"]
        raise CommandError(f"`{shlex.join(argv)}` exited {exit_code}: {last[0]}")
    # A child's ru_maxrss counts the memory of this process, which it was forked from: it is
    # only the fallback for a command that ends before the first sample.
    peak_kb = sampler.peak_kb or usage.ru_maxrss  # ru_maxrss is in KB on Linux
    return Run(seconds, peak_kb / 1024, exit_code, usage.ru_utime + usage.ru_stime)


# --- the tools --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commands:
    """How to run each tool, with the cancelfix cache options that this version has."""

    cancelfix: tuple[str, ...]
    ruff: str
    flake8_async: str
    check_no_cache: tuple[str, ...]
    fix_no_cache: tuple[str, ...]
    has_cache_dir: bool


@dataclass(frozen=True)
class Tool:
    key: str
    argv: tuple[str, ...]
    slow: bool = False
    prepare: tuple[str, ...] = ()
    """A command run once, untimed, before the timed runs (to fill the warm cache)."""

    @property
    def label(self) -> str:
        return LABELS[self.key]


def find_executable(name: str) -> str:
    """`name` next to the interpreter running this script, else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} not found: pip install -r bench/requirements.txt")
    return found


def supports(cancelfix: Sequence[str], command: str, option: Sequence[str], cwd: Path) -> bool:
    """Whether cancelfix's `command` accepts `option` (a newer option may be missing)."""
    argv = [*cancelfix, command, *option, "--help"]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode == 0:
        return True
    if "No such option" in done.stderr:
        print(
            f"warning: `{command} {option[0]}` is not supported by this cancelfix: "
            f"measuring `{command}` without it",
            file=sys.stderr,
        )
        return False
    raise BenchError(f"`{shlex.join(argv)}` exited {done.returncode}: {done.stderr.strip()}")


def resolve_commands(cancelfix: tuple[str, ...], cwd: Path) -> Commands:
    """The commands; `cwd` is where to ask cancelfix about its options: not the repository,
    where `python -m codemods` would import its source instead of the installed one."""
    no_cache = ["--no-cache"]
    return Commands(
        cancelfix=cancelfix,
        ruff=find_executable("ruff"),
        flake8_async=find_executable("flake8-async"),
        check_no_cache=tuple(no_cache) if supports(cancelfix, "check", no_cache, cwd) else (),
        fix_no_cache=tuple(no_cache) if supports(cancelfix, "fix", no_cache, cwd) else (),
        has_cache_dir=supports(cancelfix, "check", ["--cache-dir", "cache"], cwd),
    )


def cold_tool(commands: Commands, paths: Sequence[str]) -> Tool:
    return Tool(COLD, (*commands.cancelfix, "check", *commands.check_no_cache, *paths))


def ruff_tool(commands: Commands, paths: Sequence[str]) -> Tool:
    # --isolated: no user-level or parent configuration changes what ruff checks.
    argv = (commands.ruff, "check", "--isolated", "--select", "ASYNC", "--no-cache", "--quiet")
    return Tool(RUFF, (*argv, *paths))


def all_tools(commands: Commands, files: Sequence[str], cache_dir: Path) -> list[Tool]:
    cache = ("--cache-dir", str(cache_dir)) if commands.has_cache_dir else ()
    warm = (*commands.cancelfix, "check", *cache, ".")
    fix = (*commands.cancelfix, "fix", "--diff", *commands.fix_no_cache, ".")
    # --diff: the fixes are computed and nothing is written, so every run sees the same files.
    fix_unsafe = (*commands.cancelfix, "fix", "--diff", "--unsafe-fixes", *commands.fix_no_cache)
    # flake8-async takes files only: given a directory it fails, given none it checks the
    # files of the enclosing git repository.
    flake8 = (commands.flake8_async, "--enable", "ASYNC103,ASYNC104", *files)
    return [
        cold_tool(commands, ["."]),
        Tool(WARM, warm, prepare=warm),
        Tool(FIX, fix),
        Tool(FIX_UNSAFE, (*fix_unsafe, ".")),
        Tool(FLOOR, (sys.executable, str(FLOOR_SCRIPT), ".")),
        ruff_tool(commands, ["."]),
        Tool(FLAKE8_ASYNC, flake8, slow=True),
    ]


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Measurement:
    corpus: str
    tool: str
    files: int
    lines: int
    runs: list[Run] = field(default_factory=list)
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        """The median wall time; None if a run failed (the others do not count) or none ran."""
        return None if self.error else median([run.seconds for run in self.runs])

    @property
    def cpu_seconds(self) -> float | None:
        """The median CPU time; None as for `seconds`, or where a run has none."""
        cpu = [run.cpu_seconds for run in self.runs]
        if self.error or not cpu or None in cpu:
            return None
        return median([value for value in cpu if value is not None])

    @property
    def rss_mb(self) -> float | None:
        """The peak resident memory over the runs; None as for `seconds`."""
        return None if self.error else max((run.rss_mb for run in self.runs), default=None)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(jobs: Sequence[tuple[Tool, Measurement]], cwd: Path, runs: int, slow_runs: int) -> None:
    """Add to each measurement the runs of its tool in `cwd`. The tools take turns, one run
    each at a time, so that a change in the machine's load affects them all alike."""

    def attempt(tool: Tool, result: Measurement, argv: Sequence[str]) -> Run | None:
        try:
            return run_command(argv, cwd)
        except CommandError as error:
            result.error = str(error)
            print(f"{result.corpus}: {tool.label}: {error}", file=sys.stderr)
            return None

    for tool, result in jobs:
        if tool.prepare:
            attempt(tool, result, tool.prepare)
    for turn in range(max(runs, slow_runs)):
        for tool, result in jobs:
            if result.error is not None or turn >= (slow_runs if tool.slow else runs):
                continue
            run = attempt(tool, result, tool.argv)
            if run is not None:
                result.runs.append(run)
                progress = f"{format_seconds(run.seconds)} s, {run.rss_mb:.0f} MB"
                print(f"{result.corpus}: {tool.label}: {progress}", file=sys.stderr)


def measure_corpus(
    corpus: Corpus, commands: Commands, workdir: Path, runs: int, slow_runs: int
) -> list[Measurement]:
    tools = all_tools(commands, corpus.files, workdir / f"{corpus.name}-cache")
    files, lines = len(corpus.files), corpus.lines
    jobs = [(tool, Measurement(corpus.name, tool.key, files, lines)) for tool in tools]
    measure(jobs, corpus.root, runs, slow_runs)
    return [result for _, result in jobs]


@dataclass(frozen=True)
class SlowFile:
    corpus: str
    path: str
    seconds: float
    """CPU time of `bench/slowest.py`'s one process for this file, in fix mode."""


def slowest_files(corpus: Corpus) -> list[SlowFile]:
    """The corpus's slowest files in fix mode (`bench/slowest.py`, run once, untimed)."""
    argv = [sys.executable, str(SLOWEST_SCRIPT), ".", str(SLOWEST_SHOWN)]
    done = subprocess.run(
        argv, cwd=corpus.root, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or ["no error output"]
        print(f"{corpus.name}: slowest files: exited {done.returncode}: {last[0]}", file=sys.stderr)
        return []
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return [SlowFile(corpus.name, row["path"], row["seconds"]) for row in rows]


@dataclass(frozen=True)
class ScalePoint:
    copies: int
    cold: Measurement
    ruff: Measurement


def measure_scaling(
    corpus: Corpus, commands: Commands, workdir: Path, runs: int
) -> list[ScalePoint]:
    """cancelfix's cold check and ruff on 1x, 2x, 4x the corpus's files (all sizes taking
    turns too: the ratios between them are what matters)."""
    root = workdir / f"{corpus.name}-scaled"
    names = build_scaled(corpus.root, root, max(SCALES))
    points, jobs = [], []
    for copies in SCALES:
        label = f"{corpus.name} {copies}{TIMES}"
        files, lines = len(corpus.files) * copies, corpus.lines * copies
        cold, ruff = (Measurement(label, tool, files, lines) for tool in (COLD, RUFF))
        points.append(ScalePoint(copies, cold, ruff))
        jobs += [
            (cold_tool(commands, names[:copies]), cold),
            (ruff_tool(commands, names[:copies]), ruff),
        ]
    measure(jobs, root, runs, runs)
    return points


# --- the machine ------------------------------------------------------------------------------


@dataclass
class Machine:
    cpus: int
    platform: str
    python: str
    versions: dict[str, str]
    load_start: tuple[float, float, float]
    load_end: tuple[float, float, float] | None = None


def command_output(argv: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
    except OSError as error:
        return f"unknown ({error})"
    return done.stdout.strip() or done.stderr.strip() or f"unknown (exit {done.returncode})"


def flake8_async_version(executable: str, cwd: Path) -> str:
    """flake8-async has no --version: ask the interpreter in its script's #! line."""
    with open(executable, "rb") as script:
        first = script.readline().decode(errors="replace")
    if not first.startswith("#!"):
        return "unknown"
    code = "import importlib.metadata as m; print(m.version('flake8-async'))"
    return "flake8-async " + command_output([*shlex.split(first[2:]), "-c", code], cwd)


def describe_machine(commands: Commands, cwd: Path) -> Machine:
    return Machine(
        cpus=len(os.sched_getaffinity(0)),
        platform=platform.platform(),
        python=platform.python_version(),
        versions={
            "cancelfix": command_output([*commands.cancelfix, "--version"], cwd),
            RUFF: command_output([commands.ruff, "--version"], cwd),
            FLAKE8_ASYNC: flake8_async_version(commands.flake8_async, cwd),
        },
        load_start=os.getloadavg(),
    )


# --- reporting --------------------------------------------------------------------------------


def format_seconds(seconds: float | None) -> str:
    """Seconds with enough digits for a ratio between two of them: 0.013, 4.62, 16.3."""
    if seconds is None:
        return "n/a"
    digits = 3 if seconds < 0.1 else 2 if seconds < 10 else 1
    return f"{seconds:.{digits}f}"


def format_ratio(value: float | None) -> str:
    """A ratio with two significant digits or more: 0.42x, 2.1x, 57x."""
    if value is None:
        return "n/a"
    digits = 0 if value >= 10 else 1 if value >= 1 else 2
    return f"{value:.{digits}f}{TIMES}"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[object]], text_columns: int = 2
) -> str:
    """A Markdown table, padded to read as plain text too; the columns after the first
    `text_columns` hold numbers and are right-aligned."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(3, *(len(row[i]) for row in cells)) for i in range(len(header))]
    numeric = [index >= text_columns for index in range(len(header))]

    def line(row: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(row, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (width - 1) + (":" if right else "-")
        for width, right in zip(widths, numeric, strict=True)
    ]
    return "\n".join([line(cells[0]), line(rule), *(line(row) for row in cells[1:])])


def find(results: Sequence[Measurement], corpus: str, tool: str) -> Measurement | None:
    return next((r for r in results if r.corpus == corpus and r.tool == tool), None)


def results_table(results: Sequence[Measurement]) -> str:
    rows = []
    for result in results:
        ruff = find(results, result.corpus, RUFF)
        versus = ratio(result.seconds, ruff.seconds if ruff else None)
        rows.append(
            [
                result.corpus,
                LABELS[result.tool],
                f"{result.files:,}",
                f"{result.lines:,}",
                "error" if result.error else format_seconds(result.seconds),
                "n/a" if versus is None else f"{format_ratio(versus)} ruff",
                format_seconds(result.cpu_seconds),
                "n/a" if result.rss_mb is None else f"{result.rss_mb:.0f}",
            ]
        )
    header = [
        *("corpus", "tool", "files", "lines", "wall s (median)", "vs ruff"),
        *("CPU s (median)", "peak RSS MB"),
    ]
    return markdown_table(header, rows)


@dataclass(frozen=True)
class Target:
    description: str
    value: float | None
    limit: float
    at_most: bool
    """Whether the value must be at most the limit (else at least)."""
    unit: str = TIMES
    """" MB" (a memory size), " s" (seconds), else a ratio."""

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        passed = self.value <= self.limit if self.at_most else self.value >= self.limit
        return "PASS" if passed else "FAIL"

    def show(self, value: float | None) -> str:
        if value is None:
            return "n/a"
        if self.unit == " MB":
            return f"{value:.0f} MB"
        return f"{format_seconds(value)} s" if self.unit == " s" else format_ratio(value)

    @property
    def goal(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}{self.unit}"


def targets(
    results: Sequence[Measurement],
    slowest: Sequence[SlowFile] = (),
    corpus: str = REFERENCE_CORPUS,
) -> list[Target]:
    """The targets on the reference `corpus`, fix mode's on every corpus measured."""

    def seconds(tool: str, where: str = corpus) -> float | None:
        result = find(results, where, tool)
        return result.seconds if result else None

    def cpu(tool: str, where: str = corpus) -> float | None:
        result = find(results, where, tool)
        return result.cpu_seconds if result else None

    memory = [r.rss_mb for r in results if r.tool in CANCELFIX_TOOLS and r.rss_mb is not None]
    found = [
        Target("cold `check` / stages 1-2 alone", ratio(seconds(COLD), seconds(FLOOR)), 1.5, True),
        Target("cold `check` / stages 1-2 alone (CPU)", ratio(cpu(COLD), cpu(FLOOR)), 1.5, True),
        Target("warm `check` / ruff", ratio(seconds(WARM), seconds(RUFF)), 0.7, True),
        Target(
            "flake8-async / cold `check`", ratio(seconds(FLAKE8_ASYNC), seconds(COLD)), 100, False
        ),
    ]
    for name in dict.fromkeys(result.corpus for result in results):
        found += [
            Target(
                f"{name}: `{LABELS[tool].removeprefix('cancelfix ')}` / cold `check`{suffix}",
                ratio(measure(tool, name), measure(COLD, name)),
                1.5,
                True,
            )
            for measure, suffix in ((seconds, ""), (cpu, " (CPU)"))
            for tool in FIX_TOOLS
        ]
    slowest_seconds = max((file.seconds for file in slowest), default=None)
    return [
        *found,
        Target("slowest file in fix mode (CPU)", slowest_seconds, 2, True, " s"),
        Target("cancelfix peak RSS (any command)", max(memory, default=None), 200, True, " MB"),
    ]


def targets_table(found: Sequence[Target]) -> str:
    rows = [[t.description, t.goal, t.show(t.value), t.status] for t in found]
    return markdown_table(["target", "goal", "measured", "result"], rows, 1)


def scaling_table(points: Sequence[ScalePoint]) -> str:
    def per_thousand_files(result: Measurement) -> str:
        return format_seconds(ratio(result.seconds, result.files / 1000))

    def versus_base(result: Measurement, base: Measurement) -> str:
        return format_ratio(ratio(result.seconds, base.seconds))

    base = points[0]
    rows = [
        [
            f"{point.copies}{TIMES}",
            f"{point.cold.files:,}",
            format_seconds(point.cold.seconds),
            per_thousand_files(point.cold),
            versus_base(point.cold, base.cold),
            "n/a" if point.cold.rss_mb is None else f"{point.cold.rss_mb:.0f}",
            format_seconds(point.ruff.seconds),
            per_thousand_files(point.ruff),
            versus_base(point.ruff, base.ruff),
        ]
        for point in points
    ]
    header = ["size", "files", "cold check s", "s / 1k files", f"vs 1{TIMES}", "peak RSS MB"]
    header += ["ruff s", "s / 1k files", f"vs 1{TIMES}"]
    return markdown_table(header, rows, text_columns=1)


def machine_lines(machine: Machine, options: Options) -> list[str]:
    def load(values: tuple[float, float, float] | None) -> str:
        return "n/a" if values is None else " ".join(f"{value:.2f}" for value in values)

    return [
        f"- machine: {machine.cpus} CPUs, {machine.platform}, Python {machine.python}",
        "- versions: " + "; ".join(machine.versions.values()),
        f"- load average (1, 5, 15 min): {load(machine.load_start)} at the start, "
        f"{load(machine.load_end)} at the end",
        f"- runs: {options.runs} per command, {options.slow_runs} for flake8-async; "
        "wall time is the median, peak RSS the largest (whole process tree)",
    ]


def failures(results: Sequence[Measurement], scaling: Sequence[ScalePoint]) -> list[Measurement]:
    measured = [*results, *(p.cold for p in scaling), *(p.ruff for p in scaling)]
    return [result for result in measured if result.error is not None]


def slowest_table(slowest: Sequence[SlowFile]) -> str:
    ranked = sorted(slowest, key=lambda file: file.seconds, reverse=True)[:SLOWEST_SHOWN]
    rows = [[file.corpus, file.path, format_seconds(file.seconds)] for file in ranked]
    return markdown_table(["corpus", "file", "CPU s"], rows)


def report(
    machine: Machine,
    options: Options,
    results: Sequence[Measurement],
    scaling: Sequence[ScalePoint],
    slowest: Sequence[SlowFile] = (),
) -> str:
    parts = ["## Benchmark", "\n".join(machine_lines(machine, options)), results_table(results)]
    if not any(result.corpus == REFERENCE_CORPUS for result in results):
        parts.append(f"(the first three targets: measured on {REFERENCE_CORPUS}, not in this run)")
    parts += ["### Targets", targets_table(targets(results, slowest))]
    if slowest:
        heading = "### Slowest files in fix mode (`fix --diff --unsafe-fixes`, one process)"
        parts += [heading, slowest_table(slowest)]
    if scaling:
        parts += [f"### Scaling ({REFERENCE_CORPUS}, copied 1, 2, 4 times)", scaling_table(scaling)]
    errors = failures(results, scaling)
    if errors:
        parts.append("\n".join(f"- ERROR {r.corpus}, {LABELS[r.tool]}: {r.error}" for r in errors))
    return "\n\n".join(parts)


def as_json(
    machine: Machine,
    options: Options,
    corpora: Sequence[Corpus],
    results: Sequence[Measurement],
    scaling: Sequence[ScalePoint],
    slowest: Sequence[SlowFile] = (),
) -> dict[str, object]:
    def numbers(result: Measurement) -> dict[str, object]:
        return {
            **asdict(result),
            "median_seconds": result.seconds,
            "median_cpu_seconds": result.cpu_seconds,
            "peak_rss_mb": result.rss_mb,
        }

    return {
        "machine": asdict(machine),
        "runs": options.runs,
        "slow_runs": options.slow_runs,
        "corpora": [
            {"name": c.name, "spec": c.spec, "files": len(c.files), "lines": c.lines}
            for c in corpora
        ],
        "results": [numbers(result) for result in results],
        "targets": [
            {**asdict(target), "status": target.status} for target in targets(results, slowest)
        ],
        "slowest_files": [asdict(file) for file in slowest],
        "scaling": [
            {"copies": p.copies, "cold": numbers(p.cold), "ruff": numbers(p.ruff)} for p in scaling
        ],
    }


# --- the chart --------------------------------------------------------------------------------


def write_chart(results: Sequence[Measurement], path: Path, subtitle: str) -> bool:
    """A grouped bar chart of the median wall times; False if matplotlib is missing."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # type: ignore[import-not-found,unused-ignore]
        from matplotlib.figure import Figure  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print(
            "matplotlib is not installed: no chart (pip install -r bench/requirements.txt)",
            file=sys.stderr,
        )
        return False
    figure = Figure(figsize=(9, 5), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    _draw_bars(axes, results)
    axes.set_title(f"Wall time, median (lower is better)\n{subtitle}", fontsize=10)
    # Below the axes, where it hides no bar.
    figure.legend(loc="outside lower center", ncols=5, fontsize=8, frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return True


def _draw_bars(axes: Axes, results: Sequence[Measurement]) -> None:
    corpora = list(dict.fromkeys(result.corpus for result in results))
    tools = list(dict.fromkeys(result.tool for result in results))
    height = 0.8 / len(tools)
    longest = 0.0
    for index, tool in enumerate(tools):
        offset = (index - (len(tools) - 1) / 2) * height
        positions, values = [], []
        for row, corpus in enumerate(corpora):
            result = find(results, corpus, tool)
            if result is not None and result.seconds is not None:
                positions.append(row + offset)
                values.append(result.seconds)
        if not values:
            continue
        longest = max(longest, *values)
        bars = axes.barh(positions, values, height=height, label=LABELS[tool], color=COLOURS[tool])
        axes.bar_label(
            bars, [f"{format_seconds(value)} s" for value in values], padding=2, fontsize=7
        )
    files = {result.corpus: result.files for result in results}
    axes.set_yticks(range(len(corpora)), [f"{name}\n{files[name]:,} files" for name in corpora])
    axes.invert_yaxis()
    axes.set_xscale("log")
    if longest:
        axes.set_xlim(right=longest * 5)  # room for the value labels
    axes.set_xlabel("seconds (log scale)")


# --- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    # Stopped with SIGTERM, still stop the command measured and remove the temporary files.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    workdir = Path(tempfile.mkdtemp(prefix="cancelfix-bench-"))
    try:
        return run(options, workdir)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(options: Options, workdir: Path) -> int:
    if workdir.resolve().is_relative_to(REPO_ROOT):
        raise BenchError(f"the temporary directory {workdir} is inside the repository")
    for config in parent_configs(workdir):
        print(f"warning: {config} may configure the tools measured", file=sys.stderr)
    commands = resolve_commands(options.cancelfix, workdir)
    machine = describe_machine(commands, workdir)
    corpora = [prepare_corpus(name, options.cache_dir, workdir) for name in options.corpora]

    results: list[Measurement] = []
    slowest: list[SlowFile] = []
    for corpus in corpora:
        results += measure_corpus(corpus, commands, workdir, options.runs, options.slow_runs)
        slowest += slowest_files(corpus)
    reference = next((c for c in corpora if c.name == REFERENCE_CORPUS), None)
    scaling: list[ScalePoint] = []
    if options.scaling and reference is not None:
        scaling = measure_scaling(reference, commands, workdir, options.runs)
    machine.load_end = os.getloadavg()

    print(report(machine, options, results, scaling, slowest))
    subtitle = f"{machine.cpus} CPUs, {'; '.join(machine.versions.values())}"
    if write_chart(results, options.png, subtitle):
        print(f"\nchart: {options.png}", file=sys.stderr)
    if options.json:
        numbers = as_json(machine, options, corpora, results, scaling, slowest)
        options.json.write_text(json.dumps(numbers, indent=2, default=str) + "\n")
    return 1 if failures(results, scaling) else 0


if __name__ == "__main__":
    sys.exit(main())
