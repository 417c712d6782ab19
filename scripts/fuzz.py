"""A long fuzzing run of the engine's safety contract: the generators and checks of
tests/test_fuzz.py with many more examples.

Run from the repository root, with the project's virtualenv:

    .venv/bin/python scripts/fuzz.py                          # 5000 examples per generator
    .venv/bin/python scripts/fuzz.py --examples 500 --strategy mutated --strategy vocabulary
    .venv/bin/python scripts/fuzz.py --minutes 20 --seed 1 --out /tmp/fuzz_findings

Generators: `hypothesmith` (whole programs from the grammar), `embedded` (hypothesmith blocks
in async templates), `vocabulary` (async code from the rules' vocabulary), `mutated` (mutated
fixture files). Every example is checked with all rules, safe and unsafe fixes, each target
(py39 and py311 by default), and with every gate off (the drift property: the same findings).

Unlike the tests, a broken property does not stop the run: each violation is recorded, the
smallest input per kind of violation is kept, reduced line by line at the end, and written to
the output directory (`<kind>.py` and `<kind>.txt` with the message and the command to
reproduce it). The run prints counts per generator, and exits 1 if any property broke.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from codemods import target_version  # noqa: E402
from tests.test_fuzz import (  # noqa: E402
    DRIFT,
    STRATEGIES,
    ContractViolation,
    check_contract,
    compile_error,
)


class _OutOfTime(BaseException):
    """Stops Hypothesis's loop (a BaseException, so it is not taken for a test failure)."""


@dataclass
class Finding:
    kind: str
    message: str
    strategy: str
    target: tuple[int, int]
    source: bytes
    count: int = 1


@dataclass
class Stats:
    examples: int = 0
    checks: int = 0
    compiled: int = 0
    input_errors: int = 0
    with_findings: int = 0
    changed: int = 0
    seconds: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    fixed: Counter[str] = field(default_factory=Counter)
    compared: int = 0
    violations: Counter[str] = field(default_factory=Counter)


def violation_of(source: bytes, target: tuple[int, int]) -> ContractViolation | None:
    try:
        check_contract(source, target)
    except ContractViolation as violation:
        return violation
    return None


def reduce(source: bytes, target: tuple[int, int], kind: str) -> bytes:
    """Delete chunks of lines, then single lines, while the same kind of violation stays (and
    the input still compiles if it did)."""
    must_compile = compile_error(source) is None

    def still_fails(lines: list[bytes]) -> bool:
        candidate = b"".join(lines)
        if must_compile and compile_error(candidate) is not None:
            return False
        violation = violation_of(candidate, target)
        return violation is not None and violation.kind == kind

    lines = source.splitlines(keepends=True)
    chunk = max(len(lines) // 2, 1)
    while chunk >= 1:
        start = 0
        while start < len(lines):
            candidate = lines[:start] + lines[start + chunk :]
            if candidate and still_fails(candidate):
                lines = candidate
            else:
                start += chunk
        chunk //= 2
    return b"".join(lines)


def slug(kind: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")


def fuzz(
    name: str,
    examples: int,
    targets: list[tuple[int, int]],
    stop_at: float,
    findings: dict[str, Finding],
    run_seed: int | None,
) -> Stats:
    stats = Stats()
    started = time.perf_counter()

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(source=STRATEGIES[name])
    def run(source: bytes) -> None:
        if time.monotonic() > stop_at:
            raise _OutOfTime
        stats.examples += 1
        for target in targets:
            stats.checks += 1
            try:
                report = check_contract(source, target)
            except ContractViolation as violation:
                stats.violations[violation.kind] += 1
                record(findings, violation, name, target, source)
                continue
            stats.compiled += report.compiled
            stats.input_errors += report.error is not None
            stats.with_findings += bool(report.codes)
            stats.changed += report.changed
            stats.codes.update(report.codes)
            stats.fixed.update(report.fixed)
            stats.compared += report.compared

    if run_seed is not None:
        run = seed(run_seed)(run)
    printed = io.StringIO()  # Hypothesis reports a stopped run as a failure with its seed
    try:
        with contextlib.redirect_stdout(printed):
            run()
    except _OutOfTime:
        pass
    else:
        print(printed.getvalue(), end="")
    stats.seconds = time.perf_counter() - started
    return stats


def record(
    findings: dict[str, Finding],
    violation: ContractViolation,
    strategy: str,
    target: tuple[int, int],
    source: bytes,
) -> None:
    known = findings.get(violation.kind)
    if known is None:
        findings[violation.kind] = Finding(violation.kind, str(violation), strategy, target, source)
        print(f"  violation ({strategy}): {violation}", file=sys.stderr)
        return
    known.count += 1
    if len(source) < len(known.source):
        known.message, known.strategy, known.target, known.source = (
            str(violation),
            strategy,
            target,
            source,
        )


def write_findings(findings: dict[str, Finding], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for finding in findings.values():
        print(f"reducing {finding.kind!r} ({len(finding.source)} bytes)...", file=sys.stderr)
        reduced = reduce(finding.source, finding.target, finding.kind)
        violation = violation_of(reduced, finding.target)
        base = out / slug(finding.kind)
        base.with_suffix(".py").write_bytes(reduced)
        version = target_version.format_version(finding.target)
        base.with_suffix(".txt").write_text(
            f"kind: {finding.kind}\n"
            f"seen: {finding.count} times (first from the {finding.strategy!r} generator)\n"
            f"target: {version}\n"
            f"message on the reduced input: {violation}\n"
            f"message on the original input: {finding.message}\n"
            f"reproduce: .venv/bin/python -c 'from tests.test_fuzz import check_contract; "
            f'check_contract(open("{base.with_suffix(".py")}", "rb").read(), {finding.target})\'\n'
        )
        print(f"  -> {base.with_suffix('.py')}", file=sys.stderr)


def print_table(all_stats: dict[str, Stats]) -> None:
    header = ("generator", "examples", "checks", "compiles", "input err", "findings", "fixed")
    print(f"{header[0]:<13}" + "".join(f"{column:>10}" for column in header[1:]) + "   seconds")
    for name, stats in all_stats.items():
        values = (
            stats.examples,
            stats.checks,
            stats.compiled,
            stats.input_errors,
            stats.with_findings,
            stats.changed,
        )
        print(f"{name:<13}" + "".join(f"{value:>10}" for value in values), end="")
        print(f"{stats.seconds:>10.0f}")
    codes: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    for stats in all_stats.values():
        codes.update(stats.codes)
        fixed.update(stats.fixed)
    compared = sum(stats.compared for stats in all_stats.values())
    drift = sum(stats.violations[DRIFT] for stats in all_stats.values())
    checks = sum(stats.checks for stats in all_stats.values())
    print(f"drift property (gates on vs off): {checks} checks, {compared} findings, {drift} differ")
    print("checks with a finding / with a fix, per rule:")
    for code in sorted(codes):
        print(f"  {code}: {codes[code]} / {fixed[code]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000, help="examples per generator")
    parser.add_argument(
        "--strategy", action="append", choices=sorted(STRATEGIES), help="default: all"
    )
    parser.add_argument(
        "--target", action="append", help="py39, py311... (default: py39 and py311)"
    )
    parser.add_argument("--minutes", type=float, help="stop after this long in total")
    parser.add_argument("--seed", type=int, help="seed Hypothesis for a reproducible run")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "fuzz_findings")
    parser.add_argument("--json", type=Path, help="also write the counts to this file")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", SyntaxWarning)  # hypothesmith compiles what it generates

    names = args.strategy or list(STRATEGIES)
    targets = [target_version.parse(name) for name in args.target or ["py39", "py311"]]
    budget = args.minutes * 60 if args.minutes else float("inf")
    stop_at = time.monotonic() + budget
    findings: dict[str, Finding] = {}
    all_stats: dict[str, Stats] = {}
    for index, name in enumerate(names):
        # Share what is left of the time budget among the generators still to run.
        left = stop_at - time.monotonic()
        own_stop = time.monotonic() + left / (len(names) - index)
        print(f"fuzzing {name}: up to {args.examples} examples", file=sys.stderr)
        all_stats[name] = fuzz(name, args.examples, targets, own_stop, findings, args.seed)
    print_table(all_stats)
    if findings:
        write_findings(findings, args.out)
    print(f"violations: {sum(finding.count for finding in findings.values())}", end="")
    print("".join(f"\n  {finding.kind}: {finding.count}" for finding in findings.values()))
    if args.json:
        payload = {
            name: {
                "examples": stats.examples,
                "checks": stats.checks,
                "compiled": stats.compiled,
                "input_errors": stats.input_errors,
                "with_findings": stats.with_findings,
                "changed": stats.changed,
                "drift_findings_compared": stats.compared,
                "seconds": round(stats.seconds, 1),
                "codes": dict(stats.codes),
                "fixed": dict(stats.fixed),
                "violations": dict(stats.violations),
            }
            for name, stats in all_stats.items()
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
