"""`# noqa` comments: which lines suppress which codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import libcst as cst
from libcst.metadata import BatchableMetadataProvider, PositionProvider

_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)

ALL_CODES: frozenset[str] = frozenset()
"""What a bare `# noqa` suppresses: every code on its line."""

Suppressions = Mapping[int, frozenset[str]]


def parse_noqa(comment: str) -> frozenset[str] | None:
    """The codes a comment suppresses (ALL_CODES for a bare noqa), None if it is no noqa."""
    match = _NOQA.search(comment)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return ALL_CODES
    return frozenset(code.upper() for code in re.split(r"[\s,]+", codes) if code)


def is_suppressed(suppressions: Suppressions, code: str, first_line: int, last_line: int) -> bool:
    for line in range(first_line, last_line + 1):
        codes = suppressions.get(line)
        if codes is not None and (not codes or code in codes):
            return True
    return False


class SuppressionProvider(BatchableMetadataProvider[Suppressions]):
    """Attaches to the Module node the file's `# noqa` comments, by line."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        super().__init__()
        self._by_line: dict[int, frozenset[str]] = {}

    def visit_Comment(self, node: cst.Comment) -> None:
        codes = parse_noqa(node.value)
        if codes is not None:
            self._by_line[self.get_metadata(PositionProvider, node).start.line] = codes

    def leave_Module(self, original_node: cst.Module) -> None:
        self.set_metadata(original_node, MappingProxyType(self._by_line))
