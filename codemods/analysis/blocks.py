"""Statements as lists: comparing them, finding the ways out of them, the names they bind and
read, and moving them without losing their comments."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.scope import assigned_targets, children, walk_same_frame


def statements(body: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The statements of a block; those of a one-line suite (`try: x()`) as separate lines."""
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=[statement]) for statement in body.body]
    assert isinstance(body, cst.IndentedBlock)
    return list(body.body)


_EMPTY_MODULE = cst.Module(body=[])


def sole_expression(line: cst.BaseStatement) -> cst.BaseExpression | None:
    """The expression of a line that is one expression statement (`await self._t`,
    `self._api.unsubscribe()`), else None."""
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        small = line.body[0]
        if isinstance(small, cst.Expr):
            return small.value
    return None


def same_code(first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Whether two statements are the same code, whatever their whitespace, comments or
    redundant parentheses: their syntax trees are compared, not their text."""
    if type(first) is not type(second):
        return False  # (statements of different kinds never have the same syntax tree)
    if first.deep_equals(second):
        return True
    return _syntax_tree(first) == _syntax_tree(second)


@functools.lru_cache(maxsize=1024)
def _syntax_tree(statement: cst.CSTNode) -> str:
    """The statement's syntax tree, dumped; remembered, as rules compare each handler line
    with every statement of its `try` (nodes hash by identity: a changed tree is made of new
    nodes)."""
    return ast.dump(ast.parse(_EMPTY_MODULE.code_for_node(statement)))


def lines_equal(first: Sequence[cst.CSTNode], second: Sequence[cst.CSTNode]) -> bool:
    return len(first) == len(second) and all(map(same_code, first, second))


def jumps_out(node: cst.CSTNode) -> Iterator[cst.Return | cst.Break | cst.Continue]:
    """The statements by which control jumps out of the code around `node` from inside it: a
    `return`, or a `break`/`continue` that is not inside a loop of its own."""
    pending: list[tuple[cst.CSTNode, bool]] = [(node, False)]
    while pending:
        current, in_loop = pending.pop()
        kind = type(current)  # (by type: every node is tested, and none has subclasses)
        if kind in _NEW_FRAME:
            continue
        if kind is cst.Return or (kind in _LOOP_JUMPS and not in_loop):
            yield cast("cst.Return | cst.Break | cst.Continue", current)
            continue
        if type(current) is cst.For or type(current) is cst.While:
            # A loop's `else` belongs to the code around it: a break there leaves it.
            pending.append((current.body, True))
            if current.orelse is not None:
                pending.append((current.orelse, in_loop))
            continue
        pending.extend((child, in_loop) for child in reversed(children(current)))


_NEW_FRAME = frozenset((cst.FunctionDef, cst.Lambda, cst.ClassDef))
_LOOP_JUMPS = frozenset((cst.Break, cst.Continue))


def leaves_block(node: cst.CSTNode) -> bool:
    return next(jumps_out(node), None) is not None


def may_exit_early(node: cst.CSTNode) -> bool:
    """Whether code after `node` may be skipped: a jump out, or a `raise`."""
    return leaves_block(node) or any(type(n) is cst.Raise for n in walk_same_frame(node))


def bound_names(nodes: Iterable[cst.CSTNode]) -> set[str]:
    """Names and attribute chains that `nodes` (re)bind or delete in their own frame:
    assignments, `for`/`with`/`except ... as` targets, `:=`, `case` captures, imports, `del`,
    nested defs."""
    found: set[str] = set()
    for node in nodes:
        for child in walk_same_frame(node):
            found.update(names_bound_by(child))
    return found


_BINDERS = frozenset(
    (
        cst.Assign,
        cst.AnnAssign,
        cst.AugAssign,
        cst.For,
        cst.CompFor,
        cst.AsName,
        cst.NamedExpr,
        cst.Del,
        cst.MatchAs,
        cst.MatchStar,
        cst.MatchMapping,
        cst.ImportAlias,
        cst.FunctionDef,
        cst.ClassDef,
    )
)
"""The nodes that bind names, compared by type: asked of every node of a walk (node classes
are ABCs, `isinstance` against them is slow, and these have no subclasses)."""


def names_bound_by(node: cst.CSTNode) -> Iterable[str]:
    """The names and attribute chains that the node itself binds (one statement, target or
    clause of a walk), each as often as it binds it."""
    if type(node) not in _BINDERS:
        return
    targets: list[cst.BaseExpression] = list(assigned_targets(node))
    if isinstance(node, cst.For | cst.CompFor):
        targets.append(node.target)
    elif isinstance(node, cst.AsName):
        if isinstance(node.name, cst.BaseExpression):
            targets.append(node.name)
    elif isinstance(node, cst.NamedExpr | cst.Del):
        targets.append(node.target)
    elif isinstance(node, cst.MatchAs | cst.MatchStar) and node.name is not None:
        targets.append(node.name)
    elif isinstance(node, cst.MatchMapping) and node.rest is not None:
        targets.append(node.rest)
    elif isinstance(node, cst.ImportAlias) and node.asname is None:
        yield node.evaluated_name.split(".")[0]  # (an `as` name is its `AsName`'s)
    elif isinstance(node, cst.FunctionDef | cst.ClassDef):
        yield node.name.value
    for target in targets:
        yield from _target_names(target)


def _target_names(target: cst.BaseExpression) -> Iterable[str]:
    if isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            yield from _target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _target_names(target.value)
    elif (name := get_full_name_for_node(target)) is not None:
        yield name


def referenced_names(node: cst.CSTNode) -> set[str]:
    """The names and attribute chains `node` mentions in its own frame: `conn`, `self`,
    `self._conn` and `self._conn.close` in `await self._conn.close()`."""
    return {
        name
        for child in walk_same_frame(node)
        if isinstance(child, cst.Name | cst.Attribute)
        and (name := get_full_name_for_node(child)) is not None
    }


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    assert isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    return statement.leading_lines


def header_end(body: cst.BaseSuite) -> cst.TrailingWhitespace:
    """The end of the line that opens a block (`try:  # comment`); for a one-line suite
    (`try: x()  # comment`), the end of that line."""
    if isinstance(body, cst.IndentedBlock):
        return body.header
    assert isinstance(body, cst.SimpleStatementSuite)
    return body.trailing_whitespace


def end_comments(lines: Iterable[cst.CSTNode]) -> list[cst.Comment]:
    """The end-of-line comments of simple lines (`x()  # noqa`), one-line suites included:
    where a `# noqa` for a finding on them stands."""
    return [
        line.trailing_whitespace.comment
        for line in lines
        if isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite)
        and line.trailing_whitespace.comment is not None
    ]


def comments_of(statement: cst.BaseStatement) -> list[cst.EmptyLine]:
    """A statement's own comment lines, and its end-of-line comment as a line of its own."""
    lines = [line for line in leading_lines(statement) if line.comment is not None]
    return lines + [cst.EmptyLine(comment=comment) for comment in end_comments([statement])]


def comments_within(node: cst.CSTNode) -> list[cst.Comment]:
    """Every comment inside `node`, in order: above it, at its line ends, between its
    arguments."""
    found: list[cst.Comment] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, cst.Comment):
            found.append(current)
        pending.extend(reversed(children(current)))
    return found


def without(
    body: Sequence[cst.BaseStatement], removed: set[int], *, keep_comments: bool = True
) -> list[cst.BaseStatement]:
    """`body` without the statements at `removed`. Their comments stay on the statement that
    follows (a `pass` if none does) unless the caller moves them with the code."""
    kept: list[cst.BaseStatement] = []
    orphans: list[cst.EmptyLine] = []
    for index, statement in enumerate(body):
        if index in removed:
            if keep_comments:
                orphans += comments_of(statement)
            continue
        if orphans:
            statement = statement.with_changes(leading_lines=[*leading_lines(statement), *orphans])
            orphans = []
        kept.append(statement)
    if orphans or not kept:
        kept.append(cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=orphans))
    return kept


def split_blank_lines_above(
    statement: cst.BaseStatement,
) -> tuple[list[cst.EmptyLine], cst.BaseStatement]:
    """The blank lines above `statement` (up to its first comment line), and the statement
    without them: for the first statement of a new block, right below its header."""
    lines = list(leading_lines(statement))
    blank = 0
    while blank < len(lines) and lines[blank].comment is None:
        blank += 1
    return lines[:blank], statement.with_changes(leading_lines=lines[blank:])


def without_blank_lines_above(statement: cst.BaseStatement) -> cst.BaseStatement:
    return split_blank_lines_above(statement)[1]


def try_finally(body: list[cst.BaseStatement], cleanup: Sequence[cst.BaseStatement]) -> cst.Try:
    """`try: <body> finally: <cleanup>`, taking over the blank lines above the body."""
    blank, body[0] = split_blank_lines_above(body[0])
    final = [without_blank_lines_above(cleanup[0]), *cleanup[1:]]
    return cst.Try(
        body=cst.IndentedBlock(body=body),
        finalbody=cst.Finally(body=cst.IndentedBlock(body=final)),
        leading_lines=blank,
    )
