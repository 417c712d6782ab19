"""Do fixed files pass a ruff user's gates? Measured over the corpus of `scripts/corpus.py`.

Run from the repository root, with the project's virtualenv:

    .venv/bin/python scripts/gates.py                       # the ten default packages
    .venv/bin/python scripts/gates.py --package anyio==4.4.0 --no-defaults --json out.json

For each package (fetched and cached as `corpus.py` does), its `.py` files are copied into a
temporary directory and formatted with `ruff format`, as a project that uses ruff keeps them.
Then, in two copies of that tree, `cancelfix fix --unsafe-fixes` runs once without a formatter
and once with `formatter = "ruff"`. On the files a fix changed, and only those, it compares
with the formatted originals:

- `ruff check --select I,F401,E3,W,PIE790 --preview` (sorted imports, unused imports, blank
  lines, whitespace, a `pass` left in front of a statement): the findings that are new;
- `ruff format --check`: files that now need reformatting. Without the formatter, a fix may
  make a line too long for the formatter's taste (it indents code into `try:`), so reformatting
  that only rewraps a line longer than the line length is counted apart. With
  `formatter = "ruff"` nothing may need reformatting at all.

Ruff runs with `--isolated` (its defaults), the same settings for the originals and the fixed
files. Exits 1 when anything new is found (line length aside without the formatter), 2 when a
package cannot be fetched.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts share corpus.py
from corpus import DEFAULT_CACHE_DIR, DEFAULT_PACKAGES, REPO_ROOT, Package, cli_config, fetch
from pypi import FetchError, python_files

LINT_SELECTION = "I,F401,E3,W,PIE790"
LINE_LENGTH = 88
"""Ruff's default, which `--isolated` runs use."""
RUFF = (sys.executable, "-m", "ruff")
TIMEOUT_SECONDS = 1800


@dataclass
class Run:
    """One `cancelfix fix` over a package and what the gates say about the files it changed."""

    changed: int = 0
    new_findings: Counter[str] = field(default_factory=Counter)
    """New lint findings on the changed files, by code."""
    reformat: list[str] = field(default_factory=list)
    """Changed files that `ruff format --check` rejects for more than line length."""
    reformat_line_length: list[str] = field(default_factory=list)
    """Changed files that only need long lines rewrapped."""
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class PackageGates:
    package: str
    files: int
    plain: Run
    formatted: Run


def ruff(
    *arguments: str, cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*RUFF, *arguments], cwd=cwd, input=stdin, capture_output=True, timeout=TIMEOUT_SECONDS
    )


def lint(tree: Path, relpaths: Sequence[str]) -> dict[str, Counter[str]]:
    """Ruff's findings in the files, counted by file and code."""
    if not relpaths:
        return {}
    done = ruff(
        "check", "--isolated", "--preview", "--select", LINT_SELECTION, "--no-cache",
        "--output-format", "json", "--exit-zero", *relpaths, cwd=tree,
    )  # fmt: skip
    counts: dict[str, Counter[str]] = {relpath: Counter() for relpath in relpaths}
    for finding in json.loads(done.stdout):
        relpath = os.path.relpath(finding["filename"], tree)
        counts.setdefault(relpath, Counter())[finding["code"] or "syntax-error"] += 1
    return counts


def reformatting(tree: Path, relpath: str) -> list[str] | None:
    """The lines `ruff format` would change in a file (as a diff's removed lines); None when it
    would change nothing."""
    text = (tree / relpath).read_bytes()
    done = ruff("format", "--isolated", "--stdin-filename", relpath, "-", cwd=tree, stdin=text)
    if done.returncode != 0 or done.stdout == text:
        return None
    before = text.decode("utf-8", "replace").splitlines()
    after = done.stdout.decode("utf-8", "replace").splitlines()
    diff = list(difflib.unified_diff(before, after, lineterm="", n=0))[2:]  # no file names
    return [line[1:] for line in diff if line.startswith("-")] or [""]


def copy_tree(source: Path, destination: Path, relpaths: Sequence[str]) -> None:
    for relpath in relpaths:
        target = destination / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relpath, target)


def run_fix(tree: Path, formatter: str | None, jobs: int) -> float:
    """`cancelfix fix --unsafe-fixes` over `tree`, from inside it; its wall time."""
    import time

    config = cli_config() + (f'formatter = "{formatter}"\n' if formatter else "")
    config_path = tree.parent / f"cancelfix-{tree.name}.toml"
    config_path.write_text(config)
    command = [sys.executable, "-m", "codemods", "fix", "--unsafe-fixes", "--config"]
    command += [str(config_path), "--no-cache", "-q", "--jobs", str(jobs), "."]
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "GIT_CEILING_DIRECTORIES": str(tree.parent)}
    start = time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=TIMEOUT_SECONDS)
    return time.perf_counter() - start


def judge(original: Path, fixed: Path, relpaths: Sequence[str], run: Run) -> None:
    """Fill `run` with what the gates find new in the files of `fixed` that differ."""
    changed = [r for r in relpaths if (original / r).read_bytes() != (fixed / r).read_bytes()]
    run.changed = len(changed)
    before, after = lint(original, changed), lint(fixed, changed)
    for relpath in changed:
        new = after[relpath] - before.get(relpath, Counter())
        run.new_findings += new
        run.examples += [f"{relpath}: {code}" for code in sorted(new)]
        if reformatting(original, relpath) is not None:
            continue  # ruff format does not settle this file: not the fix's doing
        removed = reformatting(fixed, relpath)
        if removed is None:
            continue
        if all(len(line) > LINE_LENGTH for line in removed if line.strip()):
            run.reformat_line_length.append(relpath)
        else:
            run.reformat.append(relpath)
            run.examples.append(f"{relpath}: needs `ruff format`")


def gate_package(package: Package, root: Path, jobs: int) -> PackageGates:
    relpaths = python_files(root)
    with tempfile.TemporaryDirectory(prefix=f"gates-{package.label}-") as temporary:
        base = Path(temporary)
        original = base / "original"
        copy_tree(root, original, relpaths)
        ruff("format", "--isolated", "--no-cache", ".", cwd=original)
        result = PackageGates(package.label, len(relpaths), Run(), Run())
        for formatter, run in ((None, result.plain), ("ruff", result.formatted)):
            fixed = base / (formatter or "plain")
            copy_tree(original, fixed, relpaths)
            run.seconds = run_fix(fixed, formatter, jobs)
            judge(original, fixed, relpaths, run)
    return result


def table(results: Sequence[PackageGates]) -> str:
    header = ("package", "files", "changed", "new I/F401/E3/W/PIE", "format", "(line length)")
    rows = [header]
    for result in results:
        for label, run in (("", result.plain), (" +ruff", result.formatted)):
            rows.append(
                (
                    f"{result.package}{label}",
                    str(result.files),
                    str(run.changed),
                    " ".join(f"{c}:{n}" for c, n in sorted(run.new_findings.items())) or "0",
                    str(len(run.reformat)),
                    str(len(run.reformat_line_length)),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def failures(results: Sequence[PackageGates]) -> int:
    """New findings, and files needing reformatting (any, with the formatter)."""
    return sum(
        sum(run.new_findings.values()) + len(run.reformat)
        for result in results
        for run in (result.plain, result.formatted)
    ) + sum(len(result.formatted.reformat_line_length) for result in results)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", action="append", type=Package.parse, default=[])
    parser.add_argument("--no-defaults", action="store_true", help="only the --package ones")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the figures as JSON")
    args = parser.parse_args(argv)
    packages = {} if args.no_defaults else {p.key: p for p in map(Package.parse, DEFAULT_PACKAGES)}
    packages.update({package.key: package for package in args.package})
    try:
        roots = {package: fetch(package, args.cache_dir.resolve()) for package in packages.values()}
    except (FetchError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results = []
    for package, root in roots.items():
        results.append(gate_package(package, root, args.jobs))
        print(f"{package.label}: done", file=sys.stderr, flush=True)
    print(table(results))
    for result in results:
        for run in (result.plain, result.formatted):
            for example in run.examples:
                print(f"  {result.package}/{example}")
    if args.json:
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=2))
    return 1 if failures(results) else 0


if __name__ == "__main__":
    sys.exit(main())
