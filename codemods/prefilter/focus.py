"""The part of a module the rules need to see: LibCST's cost follows the code it is given.

LibCST's parse, its name metadata and each rule's visit cost time in proportion to the whole
module, while a finding lies within one function. So the engine first gives the rules a
*focused* copy of the module, where every function that no candidate check accepts (and that
no rule reads for context) is reduced to a stub over the same lines: `def name():` and a
string that spans the rest. Line numbers, columns and the names the module binds stay the
same, so the findings are those of the whole module.

Fixes are computed on the focused module too, and `unstubbed` gives each stub back the lines
it stood for. A fix's choices may depend on code outside the function it changes in two ways
that a stub hides: whether an import it leaves unused is still used elsewhere, and whether a
name it introduces is taken. Where a stub spells such a name, `unstubbed` declines, and the
engine computes the fixes on the whole module.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

Function = ast.FunctionDef | ast.AsyncFunctionDef

_INDENT = re.compile(rb"[ \t\f]*")


def first_line(function: Function) -> int:
    """The function's first line: that of its first decorator, else of `def`."""
    return min([decorator.lineno for decorator in function.decorator_list] + [function.lineno])


def stubbable(source: bytes, functions: Sequence[Function]) -> list[Function]:
    """The functions of `functions` that may be reduced to stubs: not one that (or a function
    nested in it) declares a name `global`, whose bindings of that name are the module's,
    which a judgement of the module's functions reads (`codemods.analysis.suspension`)."""
    if b"global" not in source:  # (most modules: no walk of each function)
        return list(functions)
    return [
        function
        for function in functions
        if not any(isinstance(node, ast.Global) for node in ast.walk(function))
    ]


def stubbed(source: bytes, functions: Sequence[Function]) -> bytes:
    """`source` with each of `functions` reduced to a stub that binds the same name:
    `def name():` on its first line opens a triple-quoted string, which its last line closes,
    its other lines left empty. (Empty lines outside a string would each be a node for every
    rule to visit; the string keeps them at the cost of one token.)

    A function whose first line is one of the first two is left whole: it may share them
    with a coding declaration, which must stay where CPython looks for it. So is one with a
    non-ASCII name, which the stub would have to spell in the file's encoding.
    """
    lines = source.splitlines(keepends=True)
    for function, (first, last) in _spans(functions):
        indent = _INDENT.match(lines[first - 1])
        assert indent is not None
        stub = indent.group() + b"def " + function.name.encode() + b"(): "
        if first == last:
            lines[first - 1] = stub + b"..." + _end(lines[first - 1])
            continue
        lines[first - 1] = stub + b'"""' + _end(lines[first - 1])
        for number in range(first + 1, last):
            lines[number - 1] = _end(lines[number - 1])
        lines[last - 1] = b'"""' + _end(lines[last - 1])
    return b"".join(lines)


def _spans(functions: Sequence[Function]) -> list[tuple[Function, tuple[int, int]]]:
    """The functions `stubbed` reduces, in source order, with their first and last lines."""
    spans = []
    for function in functions:
        first, last = first_line(function), function.end_lineno
        if first > 2 and last is not None and function.name.isascii():
            spans.append((function, (first, last)))
    return sorted(spans, key=lambda span: span[1])


def unstubbed(fixed: bytes, source: bytes, functions: Sequence[Function]) -> bytes | None:
    """`fixed`, the module `stubbed(source, functions)` after fixes, with each stub's lines
    those of `source` again; None when that would not be the whole module fixed (see the
    module's docstring), or when a stub is no longer there as it was."""
    restored = _restored(fixed, source, functions)
    if restored is None:
        return None
    whole, stubs = restored
    try:
        chosen = _chosen(stubbed(source, functions), fixed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # (syntax newer than this Python's)
    return None if chosen.seen_in(b"".join(stubs)) else whole


def still_stubbed(
    fixed: bytes, source: bytes, functions: Sequence[Function]
) -> list[Function] | None:
    """Where `unstubbed` declines because stubs spell names the fixes chose: the functions
    of `functions` that spell none of them. Fixes computed with only those stubbed may be
    the whole module's (`unstubbed` says). None where the stubs are not all found."""
    restored = _restored(fixed, source, functions)
    if restored is None:
        return None
    try:
        chosen = _chosen(stubbed(source, functions), fixed)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    spans = _spans(functions)
    pairs = zip(spans, restored[1], strict=True)
    return [function for (function, _), stub in pairs if not chosen.seen_in(stub)]


def _restored(
    fixed: bytes, source: bytes, functions: Sequence[Function]
) -> tuple[bytes, list[bytes]] | None:
    """`fixed` with each stub's lines those of `source` again, and the code of each stub (in
    the order of `_spans`); None when a stub is no longer there as it was."""
    focused = stubbed(source, functions)
    lines = source.splitlines(keepends=True)
    starts = _line_starts(focused)
    parts: list[bytes] = []
    stub_text: list[bytes] = []
    done = searched = 0
    for _, (first, last) in _spans(functions):
        stub = focused[starts[first - 1] : starts[last]]
        # The stub is the first text like it after the one before, in both modules: fixes
        # only add code, and no fix writes `def name(): """`.
        if _find_line(focused, stub, searched) != starts[first - 1]:
            return None
        found = _find_line(fixed, stub, done)
        if found < 0:
            return None
        whole = b"".join(lines[first - 1 : last])
        parts += [fixed[done:found], whole]
        stub_text.append(whole)
        done, searched = found + len(stub), starts[last]
    parts.append(fixed[done:])
    return b"".join(parts), stub_text


def _line_starts(text: bytes) -> list[int]:
    """The offset of each line's start, and the text's length after the last."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _find_line(text: bytes, block: bytes, start: int) -> int:
    """The first offset from `start` where `block` starts a line of `text`; -1 if none."""
    found = text.find(block, start)
    while found > 0 and text[found - 1 : found] not in (b"\n", b"\r"):
        found = text.find(block, found + 1)
    return found


_WORD = re.compile(rb"[A-Za-z_][A-Za-z_0-9]*")
_GLOBAL = re.compile(rb"\bglobal\b([^\r\n;#]*)")


@dataclass(frozen=True)
class _Chosen:
    """What the fixes of a focused module chose that code left out of it may change."""

    focused: bytes
    fixed: bytes
    names: set[str]
    """The names they bind anew, and those of the imports they remove."""

    def seen_in(self, stubs: bytes) -> bool:
        """Whether the fixes may have chosen otherwise with the stubbed code `stubs` in view:
        it spells one of `names`, or declares `global` a name (one the focused module does
        not bind) that the fixes spell more often."""
        declared = {name for names in _GLOBAL.findall(stubs) for name in _WORD.findall(names)}
        if any(_count(name, self.fixed) > _count(name, self.focused) for name in declared):
            return True
        stub_words = set(_WORD.findall(stubs))
        return any(not name.isascii() or name.encode() in stub_words for name in self.names)


def _chosen(focused: bytes, fixed: bytes) -> _Chosen:
    (bound_before, imported_before), (bound_after, imported_after) = map(
        _bindings, (focused, fixed)
    )
    removed = imported_before - imported_after
    return _Chosen(focused, fixed, (bound_after - bound_before) | removed.keys())


def _count(name: bytes, source: bytes) -> int:
    return len(re.findall(rb"\b" + re.escape(name) + rb"\b", source))


def _bindings(source: bytes) -> tuple[set[str], Counter[str]]:
    """The names the module binds (assigns, catches as, imports), and those its imports
    bind, each as often as it is imported."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (SyntaxWarning: the engine reports none)
        tree = ast.parse(source)
    bound: set[str] = set()
    imported: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name is not None:
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                name = alias.asname or alias.name
                if isinstance(node, ast.Import) and alias.asname is None:
                    name = name.split(".")[0]
                imported[name] += 1
    return bound | imported.keys(), imported


def _end(line: bytes) -> bytes:
    """The line break that ends `line` (none on a last line without one)."""
    return line[len(line.rstrip(b"\r\n")) :]
