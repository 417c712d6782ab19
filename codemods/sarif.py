"""SARIF 2.1.0, for code-scanning upload: one run, a reportingDescriptor per rule, a result
per finding, with the file's fixes attached to every finding they fix."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from codemods import __version__
from codemods.model import Finding, Mode, Severity
from codemods.output import Report
from codemods.registry import all_rules
from codemods.rule import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/cancelfix/"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "note"}
"""SARIF's level for each rule severity (SARIF has "note" where LSP has "information")."""

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@")


def to_sarif(report: Report) -> str:
    """The report as a SARIF log. After `fix`, the results are what is left; otherwise every
    finding, with the fixes that would apply."""
    rules = list(all_rules())
    index = {rule.code: position for position, rule in enumerate(rules)}
    findings = report.remaining if report.mode is Mode.FIX else report.findings
    fixes = {} if report.mode is Mode.FIX else _file_fixes(report)
    results = [
        {
            **_result(path, finding, index[finding.code], rules[index[finding.code]]),
            **(
                {"fixes": [fixes[path]]}
                if path in fixes and report.options.allows(finding.fix)
                else {}
            ),
        }
        for path, finding in findings
    ]
    run = {
        "tool": {
            "driver": {
                "name": "cancelfix",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "invocations": [_invocation(report)],
        "results": results,
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False)


def _result(path: str, finding: Finding, rule_index: int, rule: type[Rule]) -> dict[str, object]:
    """A finding as a SARIF result, without fixes, at its rule's level."""
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": LEVELS[rule.severity],
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(path)},
                    "region": {
                        "startLine": finding.line,
                        "startColumn": finding.column,
                        "endLine": finding.end_line,
                        "endColumn": finding.end_column,
                    },
                }
            }
        ],
    }


def _invocation(report: Report) -> dict[str, object]:
    """Whether the run succeeded, with a notification per file it could not process."""
    return {
        "executionSuccessful": not report.errors,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": reason},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)}}}],
            }
            for path, reason in report.errors
        ],
    }


def _descriptor(rule: type[Rule]) -> dict[str, object]:
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": _section(documentation, "What it does")},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"fix": "/".join(kind.value for kind in rule.fix_kinds) or "none"},
    }


def _section(documentation: str, title: str) -> str:
    """The text of a `## title` section of a rule's documentation, joined into one line."""
    _, _, rest = documentation.partition(f"## {title}\n")
    return " ".join(rest.split("\n## ", 1)[0].split())


def _uri(path: str) -> str:
    """A relative path as a URI reference (forward slashes), or an absolute `file:` URI."""
    as_path = Path(path)
    return as_path.as_uri() if as_path.is_absolute() else as_path.as_posix()


def _file_fixes(report: Report) -> dict[str, dict[str, object]]:
    """Each changed file's fixes, as one SARIF fix of whole-line replacements: a file's fixes
    are applied together, so every finding they fix carries the same one."""
    codes: dict[str, set[str]] = {}
    for path, finding in report.findings:
        if report.options.allows(finding.fix):
            codes.setdefault(path, set()).add(finding.code)
    return {
        path: _fix(path, diff, sorted(codes[path]))
        for path, diff in report.diffs.items()
        if path in codes
    }


def _fix(path: str, diff: str, codes: list[str]) -> dict[str, object]:
    return {
        "description": {"text": f"Apply cancelfix's fixes to this file ({', '.join(codes)})."},
        "artifactChanges": [
            {"artifactLocation": {"uri": _uri(path)}, "replacements": list(_replacements(diff))}
        ],
    }


def _replacements(diff: str) -> Iterator[dict[str, object]]:
    """Each hunk of a unified diff as a SARIF replacement of the lines it covers."""
    lines = diff.splitlines(keepends=True)
    position = 0
    while position < len(lines):
        match = _HUNK.match(lines[position])
        position += 1
        if match is None:
            continue
        start, count = int(match.group(1)), int(match.group(2) or "1")
        inserted: list[str] = []
        last_kind = ""
        while position < len(lines) and lines[position][:1] in (" ", "-", "+", "\\"):
            line = lines[position]
            position += 1
            if line.startswith("\\"):  # "No newline at end of file", of the line before
                if last_kind in (" ", "+"):
                    inserted[-1] = inserted[-1].rstrip("\n")
                continue
            last_kind = line[:1]
            if last_kind in (" ", "+"):
                inserted.append(line[1:])
        first = start if count else start + 1
        yield {
            "deletedRegion": {
                "startLine": first,
                "startColumn": 1,
                "endLine": first + count,
                "endColumn": 1,
            },
            "insertedContent": {"text": "".join(inserted)},
        }
