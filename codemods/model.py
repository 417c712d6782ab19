"""The data a run passes around: settings in, findings and file outcomes out.

Plain dataclasses without LibCST, so that the command starts, and answers from its cache,
without importing the parser.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from codemods import target_version
from codemods.analysis.vocabulary import DEFAULT_CLEANUP_NAMES
from codemods.suppression import PerFileIgnore


class FixSafety(enum.StrEnum):
    SAFE = "safe"
    UNSAFE = "unsafe"


class Severity(enum.StrEnum):
    """How much a rule's findings matter, as editors and code-scanning tools rank them."""

    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


@dataclass(frozen=True)
class Finding:
    """One report of a rule. Lines and columns are 1-based, as editors show them."""

    code: str
    name: str
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    fix: FixSafety | None
    fixed: bool = False
    held_in: str | None = None
    """The function (qualified name) whose findings are fixed whole or reported whole, where
    this finding's own fix was lowered to that of a finding of swallowed cancellation in it
    (see `codemods.whole_functions`)."""
    swallows: bool = False
    """The finding says its function swallows the caller's cancellation though its rule is
    not a CF1 rule (CF301's `try` and `suppress` shapes): its function is fixed whole or
    reported whole, as for a CF1 finding."""


@dataclass(frozen=True)
class RuleOptions:
    apply_fixes: bool = True
    unsafe_fixes: bool = False
    target_version: tuple[int, int] = target_version.DEFAULT
    cleanup_names: frozenset[str] = DEFAULT_CLEANUP_NAMES

    def allows(self, fix: FixSafety | None) -> bool:
        return fix is FixSafety.SAFE or (fix is FixSafety.UNSAFE and self.unsafe_fixes)


class Mode(enum.Enum):
    CHECK = "check"
    FIX = "fix"
    DIFF = "diff"


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to process a file; small and picklable."""

    mode: Mode
    rule_codes: tuple[str, ...]
    options: RuleOptions
    offer_fixes: bool = False
    """In check mode, compute the fixes too (to offer them, as SARIF does)."""
    per_file_ignores: tuple[PerFileIgnore, ...] = ()

    @property
    def computes_fixes(self) -> bool:
        return self.mode is not Mode.CHECK or self.offer_fixes


@dataclass(frozen=True)
class FileOutcome:
    path: str
    findings: tuple[Finding, ...] = ()
    """What the rules found in the file as read; `fixed` marks those the new source fixes."""
    remaining: tuple[Finding, ...] = ()
    """When fixed: what is left in the new source (positions in the new text)."""
    error: str | None = None
    new_source: bytes | None = None
    original_digest: str | None = None
    """The digest of the bytes the outcome comes from (where they were read from a file)."""
    diff: str | None = None
    parsed: bool = False
    """Whether the prefilter let the file through to the parser."""
    partly_fixed: tuple[str, ...] = ()
    """When fixed: the functions a fix changed that still swallow the cancellation (a CF1
    finding left in them). None by construction, unless a fix makes a function swallow anew."""
    dependencies: tuple[tuple[str, str | None], ...] = ()
    """The other files the analysis looked at (the modules of the file's package that it
    imports: `codemods.analysis.siblings`), each with the digest of its bytes (None: no such
    file). The outcome holds while they are unchanged."""

    @property
    def changed(self) -> bool:
        return self.new_source is not None


def digest(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()
