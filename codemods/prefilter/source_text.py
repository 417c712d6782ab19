"""Tests of a file's bytes, before any parser: the first and cheapest prefilter.

Each test over-approximates a shape the rules look for (a statement that calls something named
like cleanup, a bare `except:`), so that a False answer means the shape is certainly absent;
comments and strings may make a test answer True where there is nothing. The patterns start
with a literal, the only kind Python's `re` scans for quickly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

_GAP = rb"(?:[ \t]|\\\r?\n)*"
"""What may stand between two tokens of one line: blanks, or a backslash continuation."""
_NAME = rb"[\w\x80-\xff]"
"""A byte of an identifier (non-ASCII letters are UTF-8 bytes above 0x7f)."""

_BARE_EXCEPT = re.compile(rb"except" + _GAP + rb":")
_AWAITED_NAME = re.compile(rb"await[\s\\(]+[\w.\x80-\xff]+(?![\w.\x80-\xff]|[ \t]*[(\[])")
"""`await task`, `await self._task`: an awaited name or attribute chain, not a call."""
_STATEMENT_HEAD = re.compile(rb"[ \t(]*(?:await\b[ \t(]*)?")
"""What may open a statement that is a call: parentheses, `await`."""
_NAME_BYTES = frozenset(
    b"_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
) | frozenset(range(0x80, 0x100))


def catches_everything(source: bytes, broad: Iterable[str]) -> bool:
    """A bare `except:`, or a mention of a `broad` class such as `BaseException`."""
    return any(name.encode() in source for name in broad) or _BARE_EXCEPT.search(source) is not None


def catches_cancellation(source: bytes, broad: Iterable[str]) -> bool:
    """A handler that may catch cancellation: one that catches everything, or a mention of a
    cancellation class (`CancelledError`, `Cancelled`, `get_cancelled_exc_class`)."""
    return b"ancelled" in source or catches_everything(source, broad)


def calls_cancel(source: bytes) -> bool:
    return next(_calls(source, b"cancel", whole=True), None) is not None


def awaits_name(source: bytes) -> bool:
    return _AWAITED_NAME.search(source) is not None


_CALL_OPENS = rb"[\s\\)]*\("
"""What may stand between a callee's last name and its call's `(`: blanks, continuations, and
the brackets that close a parenthesised callee (`(stream.aclose)()`)."""
_NAME_REST = re.compile(_NAME + rb"*" + _CALL_OPENS)
_NAME_END = re.compile(rb"(?!" + _NAME + rb")" + _CALL_OPENS)


def _calls(source: bytes, word: bytes, *, whole: bool) -> Iterator[int]:
    """Where `source` calls `word` (or, unless `whole`, a name going on from `word`:
    `close_all(`). `bytes.find` scans ten times faster than a pattern could."""
    rest = _NAME_END if whole else _NAME_REST
    index = source.find(word)
    while index >= 0:
        if rest.match(source, index + len(word)):
            yield index
        index = source.find(word, index + 1)


def calls_as_statement(source: bytes, words: Iterable[bytes], *, whole: bool) -> bool:
    """Whether a statement is a call, maybe awaited, of a callee whose last name contains
    one of `words` (or, with `whole`, is one of them): `await self._conn.close()`,
    `loop.create_task(...)`."""
    return any(
        _starts_callee(source, index, whole)
        for word in words
        for index in _calls(source, word, whole=whole)
    )


def _starts_callee(source: bytes, index: int, whole: bool) -> bool:
    """Whether the text before `index` on its logical line may lead a statement's callee up
    to there: `await self._conn.`, `else: asyncio.get_running_loop().`; with `whole` false,
    also part of the last name (`conn.async_` before `close`)."""
    start = _line_start(source, index)
    while start and source.endswith((b"\\\n", b"\\\r\n", b"\\\r"), 0, start):
        start = _line_start(source, source.rfind(b"\\", 0, start))
    prefix = source[start:index]
    statement = prefix[max(prefix.rfind(b":"), prefix.rfind(b";")) + 1 :]
    if b"\\" in statement:
        statement = re.sub(rb"\\\r?\n|\\\r", b" ", statement)
    chain = statement[_STATEMENT_HEAD.match(statement).end() :]  # type: ignore[union-attr]
    if not whole:
        chain = chain.rstrip(bytes(_NAME_BYTES))
    chain = chain.rstrip()
    return (not chain or chain.endswith(b".")) and _is_chain(chain)


def _is_chain(text: bytes) -> bool:
    """Names, dots and bracketed groups (`asyncio.get_running_loop().`): no operator, comma,
    keyword or open bracket outside brackets, which would make the call part of a larger
    expression. A closing bracket too many (in a string) makes the answer yes."""
    if b" " in text or b"\t" in text:
        text = re.sub(rb"[ \t]*([.()\[\]{}])[ \t]*", rb"\1", text)
    depth = 0
    for byte in text:
        if byte in b"([{":
            depth += 1
        elif byte in b")]}":
            depth -= 1
            if depth < 0:
                return True
        elif depth == 0 and byte not in _NAME_BYTES and byte != ord("."):
            return False
    return depth == 0


def _line_start(source: bytes, index: int) -> int:
    return max(source.rfind(b"\n", 0, index), source.rfind(b"\r", 0, index)) + 1


def imported_as(source: bytes, names: Iterable[bytes]) -> bool:
    """`from asyncio import create_task as spawn`: one of `names` imported under an alias."""
    return any(re.search(re.escape(name) + rb"[\s\\]+as\b", source) for name in names)


@functools.lru_cache(maxsize=4)  # the rules ask in turn about the same file
def _cleanup_calls(source: bytes, cleanup_names: frozenset[str]) -> tuple[int, ...]:
    """Where `source`, lower-cased, calls names with a cleanup word (`releaseConn(`)."""
    lowered = source.lower()
    return tuple(
        index for word in _shortest(cleanup_names) for index in _calls(lowered, word, whole=False)
    )


@functools.lru_cache(maxsize=4)
def _shortest(names: frozenset[str]) -> tuple[bytes, ...]:
    """The lower-cased `names` that contain none of the others: a name that contains another
    (`aclose`, `close`) is found where that one is."""
    words = {name.lower().encode() for name in names}
    return tuple(
        sorted(word for word in words if not any(other in word for other in words - {word}))
    )


def cleanup_calls(source: bytes, cleanup_names: frozenset[str], at_least: int = 1) -> bool:
    """Whether `source` calls names with a cleanup word `at_least` times, in any case."""
    return len(_cleanup_calls(source, cleanup_names)) >= at_least


def cleanup_statement(source: bytes, cleanup_names: frozenset[str]) -> bool:
    """Whether a statement calls a name with a cleanup word: `await conn.async_close()`."""
    return any(
        _starts_callee(source, index, whole=False)
        for index in _cleanup_calls(source, cleanup_names)
    )
