"""The edits that turn one text into another, by whole lines (so that they hold whatever unit
the client counts characters in)."""

from __future__ import annotations

import difflib

from lsprotocol import types
from pygls.workspace import PositionCodec

from codemods.server.text import split_lines


def _line_start(lines: list[str], index: int, codec: PositionCodec) -> types.Position:
    """The start of line `index`; for the index after the last line, the end of the text
    (which, after a final line break, is the start of the empty line that follows it)."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return types.Position(index, 0)
    return types.Position(len(lines) - 1, codec.client_num_units(lines[-1]))


def text_edits(old: str, new: str, codec: PositionCodec) -> list[types.TextEdit]:
    """Edits, none overlapping another and in document order, that give `new` from `old`."""
    old_lines, new_lines = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    return [
        types.TextEdit(
            range=types.Range(_line_start(old_lines, i1, codec), _line_start(old_lines, i2, codec)),
            new_text="".join(new_lines[j1:j2]),
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
