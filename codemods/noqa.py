"""`cancelfix check --add-noqa`: a `# noqa: CFxxx` on every line with a finding, as ruff's
`--add-noqa` does, to adopt the tool on a code base and fix what it finds over time.

A line's existing `# noqa: ...` keeps its codes and takes the new ones; a bare `# noqa` already
silences everything; another comment (`# type: ignore`) keeps its place, the `noqa` follows it.
A line that cannot end in a comment (inside a string, before a backslash) is left alone. Run
twice, the second run changes nothing: the codes are there already.
"""

from __future__ import annotations

import io
import tokenize
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from codemods.model import Finding, digest
from codemods.suppression import noqa_span
from codemods.writer import write_atomic


@dataclass
class Added:
    """What `add_to_files` did."""

    directives: int = 0
    """Lines given a `# noqa` or new codes in theirs."""
    skipped: list[tuple[str, int]] = field(default_factory=list)
    """(path, line) of findings on lines that cannot take a comment."""
    errors: list[tuple[str, str]] = field(default_factory=list)


def _line_ends(source: bytes) -> tuple[str, dict[int, int]]:
    """The encoding, and each line that may end in a comment (its physical line ends the
    statement, or a line within brackets) with the column its comment starts at, or -1."""
    ends: dict[int, int] = {}
    comments: dict[int, int] = {}
    tokens = list(tokenize.tokenize(io.BytesIO(source).readline))
    for token in tokens:
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.start[1]
        elif token.type in (tokenize.NEWLINE, tokenize.NL):
            ends[token.start[0]] = comments.get(token.start[0], -1)
    return tokens[0].string, ends


def with_noqa(
    source: bytes, codes_by_line: Mapping[int, Iterable[str]]
) -> tuple[bytes, int, list[int]]:
    """`source` with the codes added to a `# noqa` on each line; the lines changed, and
    those skipped because they cannot end in a comment. Raises SyntaxError and
    tokenize.TokenError for source that does not tokenize."""
    encoding, ends = _line_ends(source)
    lines = source.decode(encoding).splitlines(keepends=True)
    changed, skipped = 0, []
    for number, codes in sorted(codes_by_line.items()):
        if number not in ends or number > len(lines):
            skipped.append(number)
            continue
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        new = _with_codes(body, ends[number], sorted(set(codes)))
        if new != body:
            lines[number - 1] = new + line[len(body) :]
            changed += 1
    return "".join(lines).encode(encoding), changed, skipped


def _with_codes(line: str, comment_at: int, codes: list[str]) -> str:
    if comment_at < 0:
        return f"{line.rstrip()}  # noqa: {', '.join(codes)}"
    span = noqa_span(line[comment_at:])
    if span is None:  # another comment: the noqa follows it
        return f"{line.rstrip()}  # noqa: {', '.join(codes)}"
    existing, end = span
    if existing is None or not (missing := [c for c in codes if c not in existing]):
        return line  # a bare noqa silences everything; or the codes are all there
    end += comment_at
    return f"{line[:end]}, {', '.join(missing)}{line[end:]}"


def add_to_files(findings: Iterable[tuple[str, Finding]]) -> Added:
    """Add `# noqa` comments for `findings` (positions in the files as they are) and write
    the files that change."""
    by_path: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path, finding in findings:
        by_path[path][finding.line].add(finding.code)
    added = Added()
    for path, codes_by_line in sorted(by_path.items()):
        try:
            with open(path, "rb") as file:
                source = file.read()
            new_source, changed, skipped = with_noqa(source, codes_by_line)
            if changed:
                write_atomic(path, new_source, digest(source))
        except (OSError, SyntaxError, tokenize.TokenError, UnicodeDecodeError) as error:
            added.errors.append((path, f"cannot add noqa: {error}"))
            continue
        except Exception as error:  # the writer's stale or read-only file
            added.errors.append((path, f"cannot add noqa: {error}"))
            continue
        added.directives += changed
        added.skipped += [(path, number) for number in skipped]
    return added
