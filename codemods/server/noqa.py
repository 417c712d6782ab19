"""The edit that adds `# noqa: CODE` to a flagged line, or the code to the line's `# noqa:`."""

from __future__ import annotations

import io
import re
import tokenize

from lsprotocol import types
from pygls.workspace import PositionCodec

from codemods.server.text import split_lines

_CODES = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)
"""A `# noqa:` with its codes, as `codemods.suppression` reads it."""


_LAYOUT = frozenset(
    {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)


def _line_end(text: str, line: int) -> tuple[bool, tokenize.TokenInfo | None]:
    """Whether a comment may end line `line` (1-based: not when a string goes on past the
    line, nor after a line continuation), and the comment that ends it already, if any."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return False, None
    if any(token.start[0] <= line < token.end[0] for token in tokens):
        return False, None
    ends = [token for token in tokens if token.end[0] == line and token.type not in _LAYOUT]
    if not ends:
        return False, None
    last = max(ends, key=lambda token: token.end[1])
    if last.type == tokenize.COMMENT:
        return True, last
    return not split_lines(text)[line - 1].rstrip("\r\n").endswith("\\"), None


def noqa_edit(text: str, line: int, code: str, codec: PositionCodec) -> types.TextEdit | None:
    """The edit that suppresses `code` on line `line` (1-based); None where no comment can
    stand at the line's end."""
    room, comment = _line_end(text, line)
    if not room:
        return None
    content = split_lines(text)[line - 1].rstrip("\r\n")
    if comment is not None and (found := _CODES.search(comment.string)):
        at = comment.start[1] + found.end()
        insertion = f", {code}"
    else:
        at = len(content)
        insertion = f"  # noqa: {code}"
    position = types.Position(line - 1, codec.client_num_units(content[:at]))
    return types.TextEdit(types.Range(position, position), insertion)
