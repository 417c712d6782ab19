"""An editor's buffer as the run reads it (bytes) and as LSP counts it (lines, code units)."""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
"""A line with its line break: LSP breaks lines at \\n, \\r\\n and \\r only (str.splitlines
also breaks at form feeds and other separators, which Python code may hold)."""


def split_lines(text: str) -> list[str]:
    return _LINE.findall(text)


@dataclass(frozen=True)
class Buffer:
    """A document's text and the bytes a file of that text would hold."""

    text: str
    source: bytes
    encoding: str

    @classmethod
    def of(cls, text: str) -> Buffer:
        """Encoded as a file with the buffer's coding declaration (PEP 263) would be, so that
        the run decodes it back to the same text; UTF-8 where that encoding cannot hold it."""
        utf8 = text.encode("utf-8")
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(utf8).readline)
            encoding = codecs.lookup(encoding).name
            if encoding not in ("utf-8", "utf-8-sig"):
                return cls(text, text.encode(encoding), encoding)
        except (SyntaxError, LookupError, UnicodeEncodeError):
            pass  # the run reports an unknown or unusable declaration itself
        return cls(text, utf8, "utf-8")

    def decode(self, source: bytes) -> str:
        """The text of fixed bytes, read the way this buffer's bytes were written."""
        return source.decode(self.encoding)
