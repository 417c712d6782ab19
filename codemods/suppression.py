"""What silences a rule where: `# noqa` comments on a line, a file-level `# cancelfix: noqa`,
and the configuration's `per-file-ignores`, the way ruff reads its own."""

from __future__ import annotations

import functools
import io
import os
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass

_CODE = r"[A-Z]+[0-9]+"
_CODES = rf"(?P<codes>{_CODE}(?:[\s,]+{_CODE})*)"
_NOQA = re.compile(rf"#\s*noqa(?::\s*{_CODES})?", re.IGNORECASE)
_FILE_NOQA = re.compile(rf"#\s*cancelfix\s*:\s*(?i:noqa)(?:\s*:\s*(?i:{_CODES}))?\s*$")

ALIASES: dict[str, frozenset[str]] = {"CF303": frozenset({"RUF006"})}
"""Codes of other tools whose `# noqa` also silences one of ours: the same finding, already
silenced for ruff (RUF006, asyncio-dangling-task, flags what CF303 flags)."""


def noqa_codes(comment: str) -> frozenset[str] | None:
    """The codes a comment's `# noqa: ...` names; empty for a bare `# noqa` (every code);
    None when the comment has no `# noqa`."""
    match = _NOQA.search(comment)
    if match is None:
        return None
    return _split(match.group("codes"))


def noqa_span(comment: str) -> tuple[frozenset[str] | None, int] | None:
    """The codes of a comment's `# noqa: ...` (None for a bare `# noqa`) and the offset where
    they end (where more codes go); None when the comment has no `# noqa`."""
    match = _NOQA.search(comment)
    if match is None:
        return None
    if match.group("codes") is None:
        return None, match.end()
    return _split(match.group("codes")), match.end("codes")


def _split(codes: str | None) -> frozenset[str]:
    return frozenset(code.upper() for code in re.split(r"[\s,]+", codes or "") if code)


def suppresses(comment: str, code: str) -> bool:
    """Whether a comment is `# noqa` (every code) or `# noqa: ...` naming `code` (or a code
    of another tool that flags the same thing, see `ALIASES`)."""
    codes = noqa_codes(comment)
    if codes is None:
        return False
    return not codes or code in codes or bool(codes & ALIASES.get(code, frozenset()))


def file_noqa(source: bytes) -> frozenset[str] | None:
    """The codes a file-level `# cancelfix: noqa: CF203` (on a line of its own) silences in
    the whole file; empty for a bare `# cancelfix: noqa` (every code); None without one."""
    if b"cancelfix" not in source:  # most files: no need to tokenize
        return None
    found: set[str] = set()
    everything = False
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type != tokenize.COMMENT or token.line.strip() != token.string:
                continue
            if (match := _FILE_NOQA.search(token.string)) is not None:
                codes = _split(match.group("codes"))
                everything |= not codes
                found |= codes
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        pass  # the parser reports the file; what was read so far still counts
    if everything:
        return frozenset()
    return frozenset(found) if found else None


@dataclass(frozen=True)
class PerFileIgnore:
    """One entry of `per-file-ignores`: rule prefixes silenced in the files a glob matches,
    or (`!pattern`) in those it does not match.

    As in ruff, the glob is anchored at the configuration's directory and also tried against
    a file's name alone, `*` matches across `/`, and `{a,b}` is either."""

    pattern: str
    """The glob as written, without the `!`."""
    root: str
    """The absolute directory that relative patterns start from."""
    prefixes: tuple[str, ...]
    negated: bool = False

    @classmethod
    def parse(cls, pattern: str, prefixes: Iterable[str], root: str) -> PerFileIgnore:
        negated = pattern.startswith("!")
        return cls(pattern.removeprefix("!"), root, tuple(p.upper() for p in prefixes), negated)

    def matches(self, path: str) -> bool:
        absolute = os.path.abspath(path).replace(os.sep, "/")
        pattern = os.path.expanduser(self.pattern).replace(os.sep, "/")
        glob = _glob(pattern)
        if os.path.isabs(pattern):
            hit = bool(glob.fullmatch(absolute))
        else:  # the root is a directory's name, not a glob: `[` in it is a bracket
            anchor = re.escape(self.root.replace(os.sep, "/").rstrip("/") + "/")
            hit = bool(re.fullmatch(anchor + glob.pattern, absolute))
        hit = hit or bool(glob.fullmatch(absolute.rsplit("/", 1)[-1]))
        return hit != self.negated

    def silences(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.prefixes)

    def __str__(self) -> str:
        """As written in `--per-file-ignores`: `tests/*:CF303,CF1`."""
        return f"{'!' if self.negated else ''}{self.pattern}:{','.join(self.prefixes)}"


@functools.lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    """A glob as a regular expression: `*` and `**` any text, `**/` any directories or none,
    `?` one character, `[...]` a class, `{a,b}` either (globset's rules, which ruff's
    per-file-ignores use)."""
    parts, depth, index = [], 0, 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index) and (index == 0 or pattern[index - 1] == "/"):
            parts.append("(?:.*/)?")  # `**/`: in every directory, the top one included
            index += 2
        elif char == "*":
            parts.append(".*")
            while index + 1 < len(pattern) and pattern[index + 1] == "*":
                index += 1
        elif char == "?":
            parts.append(".")
        elif char == "[" and (end := pattern.find("]", index + 2)) > 0:
            body = pattern[index + 1 : end]
            parts.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = end
        elif char == "{":
            depth += 1
            parts.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            parts.append(")")
        elif char == "," and depth:
            parts.append("|")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts) + ")" * depth)


@dataclass(frozen=True)
class FileExemptions:
    """What silences rules in a whole file: its file-level `noqa` (see `file_noqa`) and the
    per-file-ignores entries that apply to it."""

    noqa: frozenset[str] | None
    entries: tuple[PerFileIgnore, ...]

    @classmethod
    def of(
        cls, path: str, source: bytes, per_file_ignores: Iterable[PerFileIgnore]
    ) -> FileExemptions:
        return cls(file_noqa(source), tuple(e for e in per_file_ignores if e.matches(path)))

    def silences(self, code: str) -> bool:
        if self.noqa is not None and (not self.noqa or code in self.noqa):
            return True
        return any(entry.silences(code) for entry in self.entries)
