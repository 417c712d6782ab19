"""Where nodes are in a module's code, computed for one statement at a time.

LibCST's PositionProvider regenerates the whole module to place every node in it, which costs
as much as a rule's visit; a finding needs the place of a few nodes in one statement. So the
innermost statement that holds them is regenerated alone, from line 1 and at its indentation,
and moved to where its text stands in the module's code. Where that text is not found exactly
once (the same text twice, counting the end of a module without a final line break, where
it stands without its own), the enclosing statements are tried in turn, up to the outermost
function; where none is, the whole module's positions are used. The code of a module that
a fix rebuilt is generated when first needed (a fraction of the whole module's positions).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState


class _Recorder:
    """What PositionProvidingCodegenState records into (it expects a provider)."""

    def __init__(self) -> None:
        self._computed: dict[cst.CSTNode, CodeRange] = {}


class StatementPositions:
    """Positions of nodes of the module in `wrapper`, whose code (in the module's encoding)
    is `code` if known (else generated when needed)."""

    def __init__(self, wrapper: MetadataWrapper, code: bytes | None = None) -> None:
        self._wrapper = wrapper
        self._module = wrapper.module
        self._code = code
        self._placed: dict[cst.CSTNode, tuple[Mapping[cst.CSTNode, CodeRange], int] | None] = {}

    def of(self, node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> CodeRange:
        """The range of `node`, which lies in the last of `ancestors` (outermost first, from
        the module down; they may be unknown: empty)."""
        if ancestors and _stands_in(node, ancestors[-1]):
            ancestors = [*ancestors, node]  # (a statement of the block: placed alone first)
        for root, indents in _roots(ancestors):
            if root not in self._placed:
                self._placed[root] = self._place(root, indents)
            placed = self._placed[root]
            if placed is not None and node in placed[0]:
                span, lines = placed[0][node], placed[1]
                return CodeRange(_moved(span.start, lines), _moved(span.end, lines))
        return self._wrapper.resolve(PositionProvider)[node]

    def _place(
        self, root: cst.CSTNode, indents: list[str | None]
    ) -> tuple[Mapping[cst.CSTNode, CodeRange], int] | None:
        """The positions within `root` as if it began the module, and how many lines down
        it begins; None where its text is not found exactly once at a line's start."""
        if self._code is None:
            self._code = self._module.bytes
        recorder = _Recorder()
        state = PositionProvidingCodegenState(
            default_indent=self._module.default_indent,
            default_newline=self._module.default_newline,
            provider=recorder,  # type: ignore[arg-type]  # only its `_computed` is used
            indent_tokens=[
                self._module.default_indent if indent is None else indent for indent in indents
            ],
        )
        root._codegen(state)
        try:
            text = "".join(state.tokens).encode(self._module.encoding)
        except UnicodeEncodeError:
            return None
        code = self._code
        offset = code.find(text)
        if not text or offset < 0 or code.find(text, offset + 1) >= 0:
            return None
        if not self._module.has_trailing_newline and code.endswith(
            text[: -len(state.tokens[-1].encode(self._module.encoding))]
        ):
            return None  # the module's last line, without its line break, may be the one
        if offset and code[offset - 1 : offset] not in (b"\n", b"\r"):
            return None
        # Line breaks as LibCST counts them: \r\n, \r or \n.
        lines = code.count(b"\n", 0, offset) + code.count(b"\r", 0, offset)
        return recorder._computed, lines - code.count(b"\r\n", 0, offset)


def _roots(ancestors: Sequence[cst.CSTNode]) -> Iterator[tuple[cst.CSTNode, list[str | None]]]:
    """The statements among `ancestors` that stand on lines of their own, innermost first, up
    to the outermost function or the top-level statement, each with the indentation of the
    blocks it stands in. (An inner statement is cheaper to place; its text is more likely to
    be found twice.)"""
    statements: list[tuple[cst.CSTNode, list[str | None]]] = []
    indents: list[str | None] = []
    for parent, ancestor in itertools.pairwise(ancestors):
        if isinstance(ancestor, cst.SimpleStatementLine | cst.BaseCompoundStatement) and (
            isinstance(parent, cst.Module | cst.IndentedBlock)
        ):
            statements.append((ancestor, list(indents)))
        if isinstance(ancestor, cst.IndentedBlock):
            indents.append(ancestor.indent)
    outermost_function = next(
        (index for index, (node, _) in enumerate(statements) if isinstance(node, cst.FunctionDef)),
        0,
    )
    return reversed(statements[outermost_function:])


def _stands_in(node: cst.CSTNode, block: cst.CSTNode) -> bool:
    """Whether `node` is one of the statements of `block`, a module or an indented block."""
    return isinstance(block, cst.Module | cst.IndentedBlock) and any(
        statement is node for statement in block.body
    )


def _moved(position: CodePosition, lines: int) -> CodePosition:
    return CodePosition(position.line + lines, position.column)
