"""What a run prints: findings, errors, diffs and the summary, as text or JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace

import click

from codemods.model import FileOutcome, Finding, Mode, RuleOptions


@dataclass
class Report:
    """Everything a run found, gathered as outcomes stream in (new file contents are not kept)."""

    mode: Mode
    options: RuleOptions
    files: int = 0
    parsed: int = 0
    findings: list[tuple[str, Finding]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    reported_whole: set[tuple[str, str]] = field(default_factory=set)
    """(path, function) of the functions none of whose findings the run fixes, because it
    may not fix their swallowed cancellation: fixing the rest would leave them partly fixed."""
    partly_fixed: list[tuple[str, str]] = field(default_factory=list)
    """(path, function) of the functions a fix changed that still swallow the cancellation."""

    def add(self, outcome: FileOutcome, *, error: str | None = None) -> None:
        """Count an outcome; `error` says its fixes could not be written after all."""
        self.files += 1
        self.parsed += outcome.parsed
        error = error or outcome.error
        if error:
            self.errors.append((outcome.path, error))
        self.reported_whole |= {
            (outcome.path, f.held_in)
            for f in outcome.findings
            if f.held_in and not self.options.allows(f.fix)
        }
        if outcome.changed and error is None:
            if self.mode is Mode.FIX:
                # Fixed ones where they were; what is left where it is now, in the new text.
                self.findings += [(outcome.path, f) for f in outcome.findings if f.fixed]
                self.findings += [(outcome.path, f) for f in outcome.remaining]
            elif self.mode is Mode.DIFF:
                # Nothing was written: every position is in the file as it is.
                self.findings += [(outcome.path, f) for f in outcome.findings]
            else:
                # A check that computed the fixes to offer them (SARIF): nothing is fixed.
                self.findings += [(outcome.path, replace(f, fixed=False)) for f in outcome.findings]
            if self.mode is not Mode.CHECK:
                self.changed.append(outcome.path)
                self.partly_fixed += [(outcome.path, name) for name in outcome.partly_fixed]
            if outcome.diff:
                self.diffs[outcome.path] = outcome.diff
        else:
            self.findings += [(outcome.path, replace(f, fixed=False)) for f in outcome.findings]

    def sort(self) -> None:
        self.findings.sort(key=lambda item: (item[0], item[1].line, item[1].column, item[1].code))
        self.errors.sort()
        self.changed.sort()
        self.partly_fixed.sort()

    @property
    def fixed(self) -> list[tuple[str, Finding]]:
        return [(path, finding) for path, finding in self.findings if finding.fixed]

    @property
    def remaining(self) -> list[tuple[str, Finding]]:
        return [(path, finding) for path, finding in self.findings if not finding.fixed]

    def summary(self) -> dict[str, int]:
        remaining = self.remaining
        return {
            "files": self.files,
            "files_parsed": self.parsed,
            "files_changed": len(self.changed),
            "findings": len(remaining),
            "fixed": len(self.fixed),
            "fixable": sum(self.options.allows(f.fix) for _, f in remaining),
            "fixable_with_unsafe_fixes": sum(f.fix is not None for _, f in remaining),
            "errors": len(self.errors),
            "functions_reported_whole": len(self.reported_whole),
            "functions_partly_fixed": len(self.partly_fixed),
        }

    def functions(self) -> dict[str, list[dict[str, str]]]:
        """The functions reported whole, and those partly fixed (none, by construction)."""
        return {
            "reported_whole": [
                {"path": path, "function": name} for path, name in sorted(self.reported_whole)
            ],
            "partly_fixed": [{"path": path, "function": name} for path, name in self.partly_fixed],
        }


def plural(count: int, word: str, *, plural_form: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural_form or word + 's'}"


def format_finding(path: str, finding: Finding, options: RuleOptions) -> str:
    location = click.style(f"{path}:{finding.line}:{finding.column}:", bold=True)
    code = click.style(finding.code, fg="red", bold=True)
    marker = " " + click.style("[*]", fg="cyan") if options.allows(finding.fix) else ""
    return f"{location} {code} {finding.message}{marker}"


def summary_line(report: Report) -> str:
    counts = report.summary()
    parts = []
    if report.mode is not Mode.CHECK and counts["fixed"]:
        verb = "Fixed" if report.mode is Mode.FIX else "Would fix"
        files = plural(counts["files_changed"], "file")
        parts.append(f"{verb} {plural(counts['fixed'], 'finding')} in {files}.")
    remaining = counts["findings"]
    if remaining:
        left = "remaining" if parts else "found"
        parts.append(f"{plural(remaining, 'finding')} {left}{_fixability(counts)}.")
    elif not parts and not counts["errors"]:
        parts.append(f"All checks passed ({plural(counts['files'], 'file')} checked).")
    if counts["errors"]:
        parts.append(f"{plural(counts['errors'], 'file')} could not be processed.")
    return " ".join(parts + _wholeness(report))


def _wholeness(report: Report) -> list[str]:
    """How many functions were reported whole (none of their findings fixed: fixing part
    would leave them swallowing the cancellation), and which were partly fixed: none, unless
    a fix made a function swallow the cancellation anew."""
    parts = []
    if report.reported_whole:
        whole = plural(len(report.reported_whole), "function")
        why = "fixing part of one would leave it swallowing the cancellation"
        parts.append(f"{whole} reported whole: {why}.")
    if report.partly_fixed:
        names = ", ".join(f"{path}:{name}" for path, name in report.partly_fixed)
        partly = plural(len(report.partly_fixed), "function")
        parts.append(f"{partly} partly fixed, still swallowing the cancellation: {names}.")
    return parts


def _fixability(counts: dict[str, int]) -> str:
    """How the findings left divide up (`: 2 fixable with ..., 1 fixable only with ...`): the
    parts add up to the total, so that none reads as findings on top of it."""
    fixable = counts["fixable"]
    hidden = counts["fixable_with_unsafe_fixes"] - fixable
    manual = counts["findings"] - fixable - hidden
    parts = []
    if fixable:
        parts.append(f"{fixable} fixable with `cancelfix fix`")
    if hidden:
        parts.append(f"{hidden} fixable only with `--unsafe-fixes`")
    if parts and manual:
        parts.append(f"{manual} not fixable")
    return ": " + ", ".join(parts) if parts else ""


def statistics(report: Report) -> list[dict[str, object]]:
    """`--statistics`: per rule with findings left, most first, as ruff counts them."""
    counts = Counter(finding.code for _, finding in report.remaining)
    fixable = Counter(f.code for _, f in report.remaining if report.options.allows(f.fix))
    names = {finding.code: finding.name for _, finding in report.remaining}
    return [
        {
            "code": code,
            "name": names[code],
            "count": count,
            "fixable": fixable[code] > 0,
            "fixable_count": fixable[code],
        }
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def changed_file_line(path: str, fixed: list[Finding]) -> str:
    counts = Counter(finding.code for finding in fixed)
    codes = ", ".join(f"{code} x{n}" if n > 1 else code for code, n in sorted(counts.items()))
    return f"Fixed {path} ({codes})"


def to_json(report: Report, *, diffs: bool) -> str:
    """The stable machine interface: findings, errors, summary (and diffs with --diff)."""
    document: dict[str, object] = {
        "findings": [
            {
                "path": path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "code": f.code,
                "name": f.name,
                "message": f.message,
                "fix": f.fix.value if f.fix else None,
                "fixed": f.fixed,
            }
            for path, f in report.findings
        ],
        "errors": [{"path": path, "reason": reason} for path, reason in report.errors],
        "functions": report.functions(),
        "summary": report.summary(),
    }
    if diffs:
        document["diffs"] = {path: report.diffs[path] for path in report.changed}
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding left and per error."""
    lines = []
    for path, f in report.remaining:
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (
                ("file", path),
                ("line", f.line),
                ("col", f.column),
                ("endLine", f.end_line),
                ("endColumn", f.end_column),
                ("title", f.code),
            )
        )
        lines.append(f"::error {properties}::{_escape_data(f'{f.code} {f.message}')}")
    for path, reason in report.errors:
        lines.append(f"::error file={_escape_property(path)}::{_escape_data(reason)}")
    return "\n".join(lines)


def to_markdown(report: Report) -> str:
    """A summary for a CI job page: findings and fixes per rule, files, errors."""
    counts = report.summary()
    found = Counter(f.code for _, f in report.findings)
    fixed = Counter(f.code for _, f in report.fixed)
    names = {f.code: f.name for _, f in report.findings}
    lines = ["## cancelfix", ""]
    if found:
        lines += ["| rule | name | findings | fixed |", "| --- | --- | ---: | ---: |"]
        lines += [
            f"| {code} | {names[code]} | {found[code]} | {fixed[code]} |" for code in sorted(found)
        ]
        lines.append("")
    parts = [f"{plural(counts['files'], 'file')} checked"]
    if report.mode is not Mode.CHECK:
        done = "changed" if report.mode is Mode.FIX else "to change"
        fixes = plural(counts["fixed"], "fix", plural_form="fixes")
        parts += [
            f"{plural(counts['files_changed'], 'file')} {done}",
            f"{fixes} {'applied' if report.mode is Mode.FIX else 'proposed'}",
        ]
    parts += [
        f"{plural(counts['findings'], 'finding')} left ({counts['fixable']} fixable)",
        plural(counts["errors"], "error"),
    ]
    lines.append(", ".join(parts) + ".")
    for path, reason in report.errors:
        lines.append(f"- `{path}`: {reason}")
    return "\n".join(lines) + "\n"
