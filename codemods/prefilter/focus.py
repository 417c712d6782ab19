"""The part of a module the rules need to see: LibCST's cost follows the code it is given.

LibCST's parse, its name metadata and each rule's visit cost time in proportion to the whole
module, while a finding lies within one function. So the engine first gives the rules a
*focused* copy of the module, where every function that no candidate check accepts (and that
no rule reads for context) is reduced to a stub over the same lines: `def name():` and a
string that spans the rest. Line numbers, columns and the names the module binds stay the
same, so the findings are those of the whole module. Fixes are still computed on the whole module.
"""

from __future__ import annotations

import ast
import re

_INDENT = re.compile(rb"[ \t\f]*")


def first_line(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The function's first line: that of its first decorator, else of `def`."""
    return min([decorator.lineno for decorator in function.decorator_list] + [function.lineno])


def stubbed(source: bytes, functions: list[ast.FunctionDef | ast.AsyncFunctionDef]) -> bytes:
    """`source` with each of `functions` reduced to a stub that binds the same name:
    `def name():` on its first line opens a triple-quoted string, which its last line closes,
    its other lines left empty. (Empty lines outside a string would each be a node for every
    rule to visit; the string keeps them at the cost of one token.)

    A function whose first line is one of the first two is left whole: it may share them
    with a coding declaration, which must stay where CPython looks for it. So is one with a
    non-ASCII name, which the stub would have to spell in the file's encoding.
    """
    lines = source.splitlines(keepends=True)
    for function in functions:
        first, last = first_line(function), function.end_lineno
        if first <= 2 or last is None or not function.name.isascii():
            continue
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


def _end(line: bytes) -> bytes:
    """The line break that ends `line` (none on a last line without one)."""
    return line[len(line.rstrip(b"\r\n")) :]
