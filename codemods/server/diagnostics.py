"""Outcomes as LSP diagnostics: one per finding, or one for a document the run could not
analyse (at the syntax error, where that is the reason)."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types
from pygls.workspace import PositionCodec

from codemods.model import FileOutcome, Finding, Severity
from codemods.registry import rule_by_code

SOURCE = "cancelfix"
DEFAULT_DOCUMENTATION_URL = "https://github.com/cancelfix/cancelfix/blob/main/docs/rules/{code}.md"
"""Where a rule's page is: its file in the repository (`{code}` is the rule's code)."""

_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFORMATION: types.DiagnosticSeverity.Information,
}


@dataclass(frozen=True)
class Place:
    """A document's lines and how its client counts characters."""

    lines: Sequence[str]
    codec: PositionCodec

    def position(self, line: int, column: int) -> types.Position:
        """The client's position of a 1-based line and column (in code points)."""
        line = min(max(line, 1), max(len(self.lines), 1))
        text = self.lines[line - 1].rstrip("\r\n") if self.lines else ""
        column = min(max(column, 1), len(text) + 1)
        return types.Position(line - 1, self.codec.client_num_units(text[: column - 1]))


def finding_range(finding: Finding, place: Place) -> types.Range:
    return types.Range(
        place.position(finding.line, finding.column),
        place.position(finding.end_line, finding.end_column),
    )


def of_finding(finding: Finding, place: Place, documentation_url: str) -> types.Diagnostic:
    fix = f" ({finding.fix.value} fix available)" if finding.fix is not None else ""
    return types.Diagnostic(
        range=finding_range(finding, place),
        message=f"{finding.message}{fix}",
        severity=_SEVERITIES[rule_by_code(finding.code).severity],
        code=finding.code,
        code_description=types.CodeDescription(documentation_url.format(code=finding.code)),
        source=SOURCE,
        data={"name": finding.name, "fix": finding.fix},
    )


def of_error(reason: str, text: str, place: Place) -> types.Diagnostic:
    """The one diagnostic of a document that was not analysed: at its syntax error if it has
    one, else at its start."""
    start = end = place.position(1, 1)
    error = _syntax_error(text)
    if error is not None and error.lineno is not None:
        start = place.position(error.lineno, error.offset or 1)
        if error.end_lineno is not None and error.end_offset is not None:
            end = place.position(error.end_lineno, error.end_offset)
        end = max(start, end, key=lambda p: (p.line, p.character))
    return types.Diagnostic(
        range=types.Range(start, end),
        message=reason,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def _syntax_error(text: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def of_outcome(
    outcome: FileOutcome, text: str, place: Place, documentation_url: str
) -> list[types.Diagnostic]:
    if outcome.error is not None and not outcome.findings:
        return [of_error(outcome.error, text, place)]
    return [of_finding(finding, place, documentation_url) for finding in outcome.findings]
