"""The project's own review set: real async packages, every finding and fix judged by hand.

Run from the repository root, with the project's virtualenv:

    python scripts/review.py                     # run, compare with the verdicts, print the table
    python scripts/review.py --show new          # + each unjudged finding with its code and fix
    python scripts/review.py --record            # add unjudged findings to the verdict file
    python scripts/review.py --package arq       # only some packages of the set
    python scripts/review.py suites ...          # a project's own tests, before and after fixing

The packages and the verdicts live in `review/verdicts.json` (see `review/README.md`). Each
package is downloaded once (a wheel, else the sdist, by `pypi.py` through the corpus script's
`fetch`) into the cache directory (default `/work/cache/review`, outside the repository), then:

- `cancelfix check --output-format json` runs over the extracted tree, and
- `cancelfix fix --unsafe-fixes --output-format json` over a fresh copy of it,

both with a configuration that excludes nothing (and keeps the default per-file ignores: no
cleanup rule in test files, as a user gets it). Each finding gets a key that survives line
shifts: package, version, path, code, the qualified name of the enclosing function, the text of
the flagged line, and which of several identical (function, text) findings it is. The fix of a
finding is the part of its file's diff nearest to it, without line numbers.

Compared with the verdict file, the script lists new findings to read, known false positives
still reported, findings that disappeared, and fixes whose diff changed; it prints per package
and rule, in library code: findings, real / false / debatable / unjudged, precision (real /
(real + false)), fixes right / partial / wrong (safe and unsafe), duplicates (one path, line,
column and code reported twice) and check/fix disagreements (check calls a finding report-only
that fix rewrites, or the two give another fix kind, or one reports what the other does not).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the scripts share their machinery
from corpus import EXTRACTED_MARKER, Package, cli_config, fetch, table
from pypi import FetchError, python_files

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VERDICTS = REPO_ROOT / "review" / "verdicts.json"
DEFAULT_CACHE_DIR = Path("/work/cache/review")
CLI_TIMEOUT_SECONDS = 1800
FINDING_VERDICTS = ("real", "false", "debatable")
FIX_VERDICTS = ("right", "partial", "wrong")
TEST_DIRS = frozenset({"test", "tests", "testing", "test_utils"})
EXAMPLE_DIRS = frozenset({"examples", "example", "docs", "doc", "benchmarks"})
SHOW_CONTEXT_LINES = 30


# --- the key of a finding ---------------------------------------------------------------------


def scope_of(path: str) -> str:
    """`test`, `example` or `library`, from the path alone (a verdict may say otherwise)."""
    parts = path.split("/")
    name = parts[-1]
    if TEST_DIRS & set(parts[:-1]) or name == "conftest.py":
        return "test"
    if name.startswith("test_") or name.endswith("_test.py"):
        return "test"
    if EXAMPLE_DIRS & set(parts[:-1]):
        return "example"
    return "library"


@dataclass(frozen=True)
class Function:
    qualname: str
    first_line: int
    last_line: int


def functions(source: str) -> list[Function]:
    """Every function of a module with its lines, outermost first."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    found.append(Function(name, first, child.end_lineno or child.lineno))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def enclosing(functions_: Sequence[Function], line: int) -> Function | None:
    """The innermost function around `line`."""
    around = [f for f in functions_ if f.first_line <= line <= f.last_line]
    return min(around, key=lambda f: f.last_line - f.first_line, default=None)


@dataclass
class Record:
    """One finding of the current run, with what check and fix said about it."""

    package: str
    version: str
    path: str
    code: str
    function: str
    line_digest: str
    """A digest of the flagged line's text: a key that survives lines moving, while the
    repository keeps none of the packages' code."""
    occurrence: int = 0
    line: int = 0
    column: int = 0
    message: str = ""
    check_fix: str | None = None
    fix_kind: str | None = None
    fixed: bool = False
    diff: str | None = None
    """The fix's diff of the finding's function (shown, never stored: `diff_digest` is)."""

    @property
    def diff_digest(self) -> str | None:
        return None if self.diff is None else digest(self.diff)

    @property
    def key(self) -> tuple[str, str, str, str, str, str, int]:
        return key_of(vars(self))

    @property
    def position(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


def digest(text: str) -> str:
    """What the verdicts keep of the packages' code: a digest, enough to tell it changed."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def key_of(entry: dict[str, object]) -> tuple[str, str, str, str, str, str, int]:
    fields = ("package", "version", "path", "code", "function", "line_digest")
    return (*(str(entry[name]) for name in fields), int(str(entry.get("occurrence", 0))))  # type: ignore[return-value]


def number_occurrences(records: list[Record]) -> None:
    """Identical (path, code, function, line) findings are told apart by their order."""
    seen: Counter[tuple[str, ...]] = Counter()
    for record in sorted(records, key=lambda r: (r.path, r.line, r.column, r.code)):
        base = (record.path, record.code, record.function, record.line_digest)
        record.occurrence = seen[base]
        seen[base] += 1


# --- running the command ----------------------------------------------------------------------


def run_command(
    tree: Path, config: Path, arguments: Sequence[str], paths: Sequence[str] = (".",)
) -> dict[str, object]:
    """`python -m codemods ARGUMENTS --output-format json PATHS` in `tree`; its JSON report."""
    command = [sys.executable, "-m", "codemods", *arguments, "--config", str(config)]
    command += ["--output-format", "json", "--no-color", "--no-cache", *paths]
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "GIT_CEILING_DIRECTORIES": str(tree.parent)}
    done = subprocess.run(
        command, cwd=tree, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS
    )
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        last = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise RuntimeError(f"{' '.join(arguments)} in {tree}: no JSON report: {last}") from error
    assert isinstance(document, dict)
    return document


def _findings(document: dict[str, object]) -> list[dict[str, object]]:
    findings = document["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        finding["path"] = os.path.normpath(str(finding["path"])).replace(os.sep, "/")
    return findings


@dataclass
class PackageRun:
    """What check and fix said about one package."""

    package: Package
    records: list[Record] = field(default_factory=list)
    duplicates: list[tuple[str, int, int, str]] = field(default_factory=list)
    disagreements: list[tuple[tuple[str, int, str], str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_package(package: Package, root: Path) -> PackageRun:
    """Check `root` as it is, fix a copy of it, and key every finding."""
    with tempfile.TemporaryDirectory(prefix="cancelfix-review-") as temp:
        config = Path(temp) / "cancelfix.toml"
        config.write_text(cli_config())
        tree = Path(temp) / package.label
        shutil.copytree(root, tree)
        # Both runs in the copy, under the configuration's directory: the per-file ignores
        # of test files (the default, as a user gets it) are anchored there.
        check = run_command(tree, config, ["check"])
        fix = run_command(tree, config, ["fix", "--unsafe-fixes"])
        changed = {
            path: ((root / path).read_text("utf-8"), (tree / path).read_text("utf-8"))
            for path in python_files(root)
            if (root / path).read_bytes() != (tree / path).read_bytes()
        }
    run = PackageRun(package)
    run.errors = [f"{e['path']}: {e['reason']}" for e in check["errors"]]  # type: ignore[attr-defined]
    checked, fixed = _findings(check), _findings(fix)
    for finding in fixed:
        if not finding["fixed"] and str(finding["path"]) in changed:
            finding["line"] = original_line(
                *changed[str(finding["path"])], int(str(finding["line"]))
            )
    run.duplicates = duplicates(checked)
    run.disagreements = disagreements(checked, fixed)
    run.records = records(package, root, checked, fixed, changed)
    return run


def position(finding: dict[str, object]) -> tuple[str, int, int, str]:
    return (
        str(finding["path"]),
        int(str(finding["line"])),
        int(str(finding["column"])),
        str(finding["code"]),
    )


def place(finding: dict[str, object]) -> tuple[str, int, str]:
    """Path, line and code: a fix that re-indents a block moves the columns in it."""
    return (str(finding["path"]), int(str(finding["line"])), str(finding["code"]))


def duplicates(findings: Iterable[dict[str, object]]) -> list[tuple[str, int, int, str]]:
    """Positions (path, line, column, code) reported more than once."""
    counts = Counter(position(finding) for finding in findings)
    return sorted(where for where, count in counts.items() if count > 1)


def original_line(before: str, after: str, line: int) -> int:
    """Where line `line` of the fixed text was in the original: the fix run reports what it
    left at its place in the file it wrote."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    for tag, first, _, new_first, new_last in matcher.get_opcodes():
        if new_first < line <= new_last:
            return first + line - new_first if tag == "equal" else first + 1
    return line


def disagreements(
    checked: Sequence[dict[str, object]], fixed: Sequence[dict[str, object]]
) -> list[tuple[tuple[str, int, str], str]]:
    """Where check and `fix --unsafe-fixes` disagree on a finding or on its fix kind."""
    in_check = defaultdict(list)
    for finding in checked:
        in_check[place(finding)].append(finding["fix"])
    in_fix = defaultdict(list)
    for finding in fixed:
        in_fix[place(finding)].append((finding["fix"], finding["fixed"]))
    problems = []
    for where in sorted(in_check.keys() | in_fix.keys()):
        kinds_check = sorted(map(str, in_check[where]))
        kinds_fix = sorted(str(kind) for kind, _ in in_fix[where])
        if kinds_check != kinds_fix:
            problems.append((where, f"check says fix {kinds_check}, fix says {kinds_fix}"))
        elif "None" in kinds_check and any(done for _, done in in_fix[where]):
            problems.append((where, "check calls it report-only, fix rewrites it"))
    return problems


def records(
    package: Package,
    root: Path,
    checked: Sequence[dict[str, object]],
    fixed: Sequence[dict[str, object]],
    changed: dict[str, tuple[str, str]],
) -> list[Record]:
    """The check run's findings, keyed, with the fix run's kind and diff for each."""
    fix_of = {position(f): f for f in fixed}
    sources: dict[str, tuple[list[str], list[Function]]] = {}
    result = []
    for finding in checked:
        path = str(finding["path"])
        if path not in sources:
            text = (root / path).read_text("utf-8", errors="replace")
            sources[path] = (text.splitlines(), functions(text))
        lines, functions_ = sources[path]
        line = int(str(finding["line"]))
        function = enclosing(functions_, line)
        record = Record(
            package.key,
            package.version,
            path,
            str(finding["code"]),
            function.qualname if function else "<module>",
            digest(lines[line - 1].strip() if 0 < line <= len(lines) else ""),
            line=line,
            column=int(str(finding["column"])),
            message=str(finding["message"]),
            check_fix=None if finding["fix"] is None else str(finding["fix"]),
        )
        in_fix = fix_of.get(position(finding))
        if in_fix is not None:
            record.fix_kind = None if in_fix["fix"] is None else str(in_fix["fix"])
            record.fixed = bool(in_fix["fixed"])
        if record.fixed and path in changed:
            record.diff = fix_diff(*changed[path], line, function)
        result.append(record)
    number_occurrences(result)
    return result


def fix_diff(before: str, after: str, line: int, function: Function | None) -> str:
    """The hunks of a file's diff that change the line's function (all of them outside one),
    their `@@` headers without line numbers so that a line shift changes nothing."""
    hunks: list[tuple[list[int], list[str]]] = []
    old_line = 0
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3)
    for text in list(lines)[2:]:
        if text.startswith("@@"):
            old_line = int(text.split()[1].lstrip("-").split(",")[0])
            hunks.append(([], ["@@"]))
            continue
        hunks[-1][1].append(text)
        if text.startswith("+"):
            hunks[-1][0].append(old_line - 1)  # an inserted line counts at the line before it
            continue
        if text.startswith("-"):
            hunks[-1][0].append(old_line)
        old_line += 1

    def touches(changed: list[int]) -> bool:
        first, last = (function.first_line, function.last_line) if function else (1, old_line)
        return any(first <= number <= last for number in changed)

    picked = [body for changed, body in hunks if touches(changed)]
    if not picked and hunks:
        picked = [min(hunks, key=lambda hunk: min(abs(n - line) for n in hunk[0]))[1]]
    return "\n".join(text for body in picked for text in body) + "\n"


# --- verdicts ---------------------------------------------------------------------------------


@dataclass
class Verdicts:
    packages: list[str]
    entries: list[dict[str, object]]

    @classmethod
    def load(cls, path: Path) -> Verdicts:
        document = json.loads(path.read_text("utf-8")) if path.exists() else {}
        return cls(list(document.get("packages", [])), list(document.get("findings", [])))

    def save(self, path: Path) -> None:
        self.entries.sort(key=lambda entry: (key_of(entry), entry.get("line", 0)))
        document = {"packages": self.packages, "findings": self.entries}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", "utf-8")

    def by_key(self) -> dict[tuple[str, str, str, str, str, str, int], dict[str, object]]:
        return {key_of(entry): entry for entry in self.entries}


def fix_verdict(entry: dict[str, object] | None) -> dict[str, object]:
    fix = entry.get("fix") if entry else None
    return fix if isinstance(fix, dict) else {}


@dataclass
class Changes:
    new: list[Record] = field(default_factory=list)
    false_still: list[tuple[Record, dict[str, object]]] = field(default_factory=list)
    disappeared: list[dict[str, object]] = field(default_factory=list)
    diff_changed: list[tuple[Record, dict[str, object]]] = field(default_factory=list)
    fix_new: list[Record] = field(default_factory=list)
    wrong_still: list[tuple[Record, dict[str, object]]] = field(default_factory=list)


def compare(runs: Sequence[PackageRun], verdicts: Verdicts) -> Changes:
    """What the current run says that the verdicts do not know, or know otherwise."""
    known = verdicts.by_key()
    changes = Changes()
    seen = set()
    for run in runs:
        for record in run.records:
            entry = known.get(record.key)
            seen.add(record.key)
            if entry is None or entry.get("verdict") is None:
                changes.new.append(record)
                continue
            if entry["verdict"] == "false":
                changes.false_still.append((record, entry))
            fix = fix_verdict(entry)
            if record.diff is not None and not fix:
                changes.fix_new.append(record)
            elif fix and fix.get("diff_digest") != record.diff_digest:
                changes.diff_changed.append((record, entry))
            elif fix.get("verdict") == "wrong":
                changes.wrong_still.append((record, entry))
    checked = {(run.package.key, run.package.version) for run in runs}
    for entry in verdicts.entries:
        if (entry["package"], entry["version"]) in checked and key_of(entry) not in seen:
            changes.disappeared.append(entry)
    return changes


def record_changes(runs: Sequence[PackageRun], verdicts: Verdicts) -> int:
    """Add the current run's findings the file does not know (unjudged), refresh the lines and
    fix kinds of known ones, and unjudge a fix whose diff changed. Returns how many were added."""
    known = verdicts.by_key()
    added = 0
    for record in (record for run in runs for record in run.records):
        entry = known.get(record.key)
        if entry is None:
            entry = {name: getattr(record, name) for name in _KEY_FIELDS}
            entry.update(verdict=None, pattern=None, reason="")
            verdicts.entries.append(entry)
            known[record.key] = entry
            added += 1
        entry["line"] = record.line
        entry.setdefault("scope", scope_of(record.path))
        entry["check_fix"] = record.check_fix
        fix = fix_verdict(entry)
        if record.diff is None:
            entry["fix"] = None
        elif fix.get("diff_digest") != record.diff_digest:
            was = f"the diff changed; was {fix['verdict']}: {fix.get('reason')}" if fix else ""
            entry["fix"] = {
                "kind": record.fix_kind,
                "verdict": None,
                "reason": was,
                "diff_digest": record.diff_digest,
            }
        else:
            fix["kind"] = record.fix_kind
    return added


_KEY_FIELDS = ("package", "version", "path", "code", "function", "line_digest", "occurrence")


# --- printing ---------------------------------------------------------------------------------


def scope(record: Record, entry: dict[str, object] | None) -> str:
    return str(entry["scope"]) if entry and entry.get("scope") else scope_of(record.path)


@dataclass
class Row:
    findings: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    fixes: Counter[str] = field(default_factory=Counter)
    """`safe right`, `unsafe wrong`, `safe unjudged`..."""
    duplicates: int = 0
    disagreements: int = 0

    def add(self, other: Row) -> None:
        self.findings += other.findings
        self.verdicts += other.verdicts
        self.fixes += other.fixes
        self.duplicates += other.duplicates
        self.disagreements += other.disagreements

    def cells(self) -> list[object]:
        real, false = self.verdicts["real"], self.verdicts["false"]
        precision = f"{100 * real / (real + false):.0f}%" if real + false else "-"
        fixes = [
            "/".join(str(self.fixes[f"{kind} {verdict}"]) for verdict in FIX_VERDICTS)
            for kind in ("safe", "unsafe")
        ]
        unjudged_fixes = self.fixes["safe unjudged"] + self.fixes["unsafe unjudged"]
        counts = [self.verdicts[v] for v in (*FINDING_VERDICTS, "unjudged")]
        tail = [*fixes, unjudged_fixes, self.duplicates, self.disagreements]
        return [self.findings, *counts, precision, *tail]


TABLE_HEADER = ["package", "rule", "findings", "real", "false", "debatable", "unjudged"]
TABLE_HEADER += ["precision", "safe fix r/p/w", "unsafe fix r/p/w", "fix unjudged"]
TABLE_HEADER += ["duplicates", "check/fix"]


def rows(runs: Sequence[PackageRun], verdicts: Verdicts, wanted: str) -> dict[tuple[str, str], Row]:
    """Per (package, rule), the findings of scope `wanted` with their verdicts."""
    known = verdicts.by_key()
    result: defaultdict[tuple[str, str], Row] = defaultdict(Row)
    for run in runs:
        scope_at: dict[str, str] = {}
        for record in run.records:
            entry = known.get(record.key)
            scope_at[record.path] = scope(record, entry)
            if scope_at[record.path] != wanted:
                continue
            row = result[(run.package.label, record.code)]
            row.findings += 1
            row.verdicts[
                str(entry["verdict"]) if entry and entry.get("verdict") else "unjudged"
            ] += 1
            if record.fixed and record.fix_kind:
                fix = fix_verdict(entry)
                row.fixes[f"{record.fix_kind} {fix.get('verdict') or 'unjudged'}"] += 1
        for path, *_, code in run.duplicates:
            if scope_at.get(path, scope_of(path)) == wanted:
                result[(run.package.label, code)].duplicates += 1
        for (path, _, code), _ in run.disagreements:
            if scope_at.get(path, scope_of(path)) == wanted:
                result[(run.package.label, code)].disagreements += 1
    return dict(result)


def verdict_table(runs: Sequence[PackageRun], verdicts: Verdicts, wanted: str) -> str:
    per = rows(runs, verdicts, wanted)
    body: list[list[object]] = []
    per_rule: defaultdict[str, Row] = defaultdict(Row)
    total = Row()
    for (label, code), row in sorted(per.items()):
        body.append([label, code, *row.cells()])
        per_rule[code].add(row)
        total.add(row)
    body += [["ALL", code, *row.cells()] for code, row in sorted(per_rule.items())]
    body.append(["TOTAL", "", *total.cells()])
    return table(TABLE_HEADER, body)


def pattern_summary(runs: Sequence[PackageRun], verdicts: Verdicts, wanted: str) -> str:
    """False positives and wrong fixes of scope `wanted`, grouped by pattern, with examples."""
    known = verdicts.by_key()
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for run in runs:
        for record in run.records:
            entry = known.get(record.key)
            if entry is None or scope(record, entry) != wanted:
                continue
            where = f"{record.package}/{record.path}:{record.line} {record.code}"
            if entry.get("verdict") == "false":
                groups[f"false positive, pattern {entry.get('pattern')}"].append(where)
            fix = fix_verdict(entry)
            if fix.get("verdict") in ("wrong", "partial") and record.fixed:
                pattern = fix.get("pattern") or entry.get("pattern")
                label = f"{fix['verdict']} {record.fix_kind} fix, pattern {pattern}"
                groups[label].append(where)
    lines = [f"{wanted} code by pattern:"]
    for label, places in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
        lines.append(f"  {len(places):3} {label}: {shown}")
    return "\n".join(lines)


def source_excerpt(root: Path, record: Record) -> str:
    """The flagged line's function (or the lines around it), numbered, the line marked."""
    text = (root / record.path).read_text("utf-8", errors="replace")
    lines = text.splitlines()
    function = enclosing(functions(text), record.line)
    first, last = record.line - SHOW_CONTEXT_LINES, record.line + SHOW_CONTEXT_LINES
    if function is not None:
        first = max(first, function.first_line)
        last = min(last, function.last_line)
    first, last = max(first, 1), min(last, len(lines))
    return "\n".join(
        f"{'>>' if n == record.line else '  '}{n:5} {lines[n - 1]}" for n in range(first, last + 1)
    )


def describe(record: Record) -> str:
    fix = f"fix {record.check_fix}" if record.check_fix else "report only"
    where = f"{record.package}-{record.version}/{record.path}:{record.line}:{record.column}"
    return f"{where} {record.code} [{fix}] in {record.function}: {record.message}"


def print_changes(changes: Changes, show: str | None, roots: dict[str, Path]) -> None:
    print(f"new findings to read: {len(changes.new)}")
    for record in changes.new:
        print(f"  {describe(record)}")
    print(f"fixes not judged yet: {len(changes.fix_new)}")
    for record in changes.fix_new:
        print(f"  {describe(record)}")
    print(f"known false positives still reported: {len(changes.false_still)}")
    for record, entry in changes.false_still:
        print(f"  {describe(record)} -- pattern {entry.get('pattern')}: {entry.get('reason')}")
    print(f"known wrong fixes still made: {len(changes.wrong_still)}")
    for record, entry in changes.wrong_still:
        print(f"  {describe(record)} -- {fix_verdict(entry).get('reason')}")
    print(f"findings that disappeared: {len(changes.disappeared)}")
    for entry in changes.disappeared:
        where = f"{entry['package']}-{entry['version']}/{entry['path']}:{entry.get('line')}"
        print(f"  {where} {entry['code']} in {entry['function']} (was {entry.get('verdict')})")
    print(f"fixes whose diff changed: {len(changes.diff_changed)}")
    for record, entry in changes.diff_changed:
        print(f"  {describe(record)} (was {fix_verdict(entry).get('verdict')})")
    shown = {"new": changes.new + changes.fix_new, "changed": [r for r, _ in changes.diff_changed]}
    for record in shown.get(show or "", []):
        print(f"\n===== {describe(record)}")
        print(source_excerpt(roots[f"{record.package}-{record.version}"], record))
        if record.diff:
            print(f"----- {record.fix_kind} fix:\n{record.diff}", end="")


# --- the command ------------------------------------------------------------------------------


def selected(verdicts: Verdicts, wanted: Sequence[str]) -> list[Package]:
    """The set's packages, or those named in `wanted` (NAME picks from the set, NAME==VERSION
    adds or overrides)."""
    packages = {p.key: p for p in map(Package.parse, verdicts.packages)}
    if not wanted:
        return list(packages.values())
    picked = []
    for spec in wanted:
        if "==" in spec:
            picked.append(Package.parse(spec))
            continue
        key = Package(spec, "0").key
        if key not in packages:
            raise SystemExit(f"error: {spec} is not in the review set; give NAME==VERSION")
        picked.append(packages[key])
    return picked


def review(args: argparse.Namespace) -> int:
    verdicts = Verdicts.load(args.verdicts)
    try:
        roots = {p: fetch(p, args.cache_dir.resolve()) for p in selected(verdicts, args.package)}
    except (FetchError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    runs = []
    for package, root in roots.items():
        print(f"reviewing {package.label}", file=sys.stderr, flush=True)
        runs.append(run_package(package, root))
    changes = compare(runs, verdicts)
    print_changes(changes, args.show, {p.label: root for p, root in roots.items()})
    for run in runs:
        for problem in run.errors:
            print(f"error: {run.package.label}/{problem}")
        for duplicate in run.duplicates:
            print("duplicate: {}/{}:{}:{} {}".format(run.package.label, *duplicate))
        for (path, line, code), problem in run.disagreements:
            print(f"check/fix: {run.package.label}/{path}:{line} {code}: {problem}")
    for wanted in args.scope:
        print(f"\n{wanted} code:\n{verdict_table(runs, verdicts, wanted)}")
        print(f"\n{pattern_summary(runs, verdicts, wanted)}")
    if args.record:
        added = record_changes(runs, verdicts)
        verdicts.save(args.verdicts)
        print(f"\nrecorded {added} new findings in {args.verdicts}")
    return 1 if changes.new or changes.fix_new or changes.diff_changed else 0


def suites_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="review.py suites", description=suites.__doc__)
    parser.add_argument("project", metavar="NAME==VER", help="the project (its sdist has tests)")
    parser.add_argument(
        "--requirement", "-r", action="append", default=[], help="a test requirement to install"
    )
    parser.add_argument(
        "--fix-path", action="append", default=[], help="what to fix (default: the whole tree)"
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument("tests", nargs="*", help="pytest arguments: test paths, -k ...")
    args = parser.parse_intermixed_args(argv)
    args.fix_path = args.fix_path or ["."]
    return suites(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["suites"]:
        return suites_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME[==VER]",
        help="only this package of the set (NAME), or another version or package (NAME==VER)",
    )
    parser.add_argument("--verdicts", type=Path, default=DEFAULT_VERDICTS)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR)
    parser.add_argument(
        "--show", choices=("new", "changed"), help="print the code and fix of these findings"
    )
    parser.add_argument(
        "--scope",
        action="append",
        choices=("library", "test", "example"),
        help="tables to print (default: library)",
    )
    parser.add_argument(
        "--record", action="store_true", help="add unjudged findings to the verdict file"
    )
    args = parser.parse_args(argv)
    args.scope = args.scope or ["library"]
    return review(args)


# --- a project's own tests before and after fixing --------------------------------------------

SUITE_TIMEOUT_SECONDS = 1800
SUMMARY_LINE = re.compile(r"^(PASSED|FAILED|ERROR|XFAIL|XPASS)\s+(\S+)")


def fetch_sdist(package: Package, cache_dir: Path) -> Path:
    """The whole source distribution of `package` (tests, data files and all), extracted."""
    tree = cache_dir / "sdist" / package.label
    if (tree / EXTRACTED_MARKER).exists():
        return tree
    downloads = cache_dir / "downloads-sdist" / package.label
    if not any(downloads.glob("*.tar.gz")):
        downloads.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:"]
        subprocess.run([*pip, "-q", "-d", str(downloads), package.spec], check=True)
    (archive,) = downloads.glob("*.tar.gz")
    shutil.rmtree(tree, ignore_errors=True)
    with tarfile.open(archive) as sdist:
        sdist.extractall(tree, filter="data")
    (top,) = [path for path in tree.iterdir() if path.is_dir()]
    (tree / EXTRACTED_MARKER).write_text(f"{archive.name}\n{top.name}\n")
    return tree


def test_venv(
    package: Package, cache_dir: Path, project: Path, requirements: Sequence[str]
) -> Path:
    """A throwaway virtualenv with the project installed editable (once: the work tree is
    always copied to the same place) and its test requirements (each time: more may be asked)."""
    venv = cache_dir / "venvs" / package.label
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "-e", str(project)], check=True)
    subprocess.run([*pip, "pytest", *requirements], check=True)
    return python


def junit_name(node_id: str) -> str:
    """`tests/test_a.py::Case::test[x]` as junit names it: `tests.test_a.Case::test[x]`."""
    path, *classes, name = node_id.split("::")
    module = path.removesuffix(".py").replace("/", ".")
    return f"{'.'.join([module, *classes])}::{name}"


def outcomes(python: Path, project: Path, tests: Sequence[str], label: str) -> dict[str, str]:
    """Each test's outcome (passed, failed, error, skipped, xfailed, xpassed) in one run."""
    report = project.parent / f"junit-{label}.xml"
    command = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA"]
    command += [f"--junitxml={report}", *tests]
    done = subprocess.run(
        command, cwd=project, capture_output=True, text=True, timeout=SUITE_TIMEOUT_SECONDS
    )
    (project.parent / f"pytest-{label}.txt").write_text(done.stdout + done.stderr)
    result: dict[str, str] = {}
    if not report.exists():  # pytest did not start: a usage or configuration error
        return result
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag: child.get("type", "") for child in case}
        if "failure" in kinds:
            result[name] = "failed"
        elif "error" in kinds:
            result[name] = "error"
        elif "skipped" in kinds:
            result[name] = "xfailed" if kinds["skipped"] == "pytest.xfail" else "skipped"
        else:
            result[name] = "passed"
    for match in map(SUMMARY_LINE.match, done.stdout.splitlines()):
        if match and match[1] == "XPASS" and junit_name(match[2]) in result:
            result[junit_name(match[2])] = "xpassed"  # junit calls it passed
    return result


def suites(args: argparse.Namespace) -> int:
    """Run a project's own tests, fix its source with `--unsafe-fixes`, run them again, and
    list every test whose outcome changed."""
    package = Package.parse(args.project)
    cache_dir = args.cache_dir.resolve() / "suites"
    pristine = fetch_sdist(package, cache_dir)
    top = (pristine / EXTRACTED_MARKER).read_text().split()[1]
    work = cache_dir / "work" / package.label
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine / top, work / top)
    project = work / top
    python = test_venv(package, cache_dir, project, args.requirement)
    before = outcomes(python, project, args.tests, "before")
    if not before:
        print(f"error: no tests ran; see {work}/pytest-before.txt", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cancelfix-suites-") as temp:
        config = Path(temp) / "cancelfix.toml"
        config.write_text(cli_config())
        report = run_command(project, config, ["fix", "--unsafe-fixes"], args.fix_path)
    fixed = [f for f in _findings(report) if f["fixed"]]
    after = outcomes(python, project, args.tests, "after")
    print(f"{package.label}: {len(fixed)} fixes applied in {len({f['path'] for f in fixed})} files")
    for finding in fixed:
        print("  fixed {path}:{line} {code} ({fix})".format(**finding))
    print(f"before: {dict(sorted(Counter(before.values()).items()))}")
    print(f"after:  {dict(sorted(Counter(after.values()).items()))}")
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    print(f"tests whose outcome changed: {len(changed)}")
    for name in changed:
        print(f"  {name}: {before.get(name, 'absent')} -> {after.get(name, 'absent')}")
    print(f"pytest output: {work}/pytest-before.txt, {work}/pytest-after.txt")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
