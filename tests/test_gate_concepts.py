"""The concepts that the stdlib gates and the LibCST rules both need, pinned over every node
of every fixture: a gate that understands a concept less than the rule does loses findings
(an async comprehension that was no cancellation point, a loop's `else` whose `break` did
not leave the `finally`, `suppress(Exception)` before 3.8, `pool.release(connection=conn)`).
Equal where both must agree; elsewhere the gate may only say more (let more through).

Nodes are matched by position; lines with non-ASCII text are left out (the stdlib counts
columns in bytes, LibCST in characters).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from codemods.analysis.blocks import bound_names, leaves_block
from codemods.analysis.blocks import statements as suite_statements
from codemods.analysis.cleanup import (
    always_cleans_up,
    called_name,
    cleaned_resources,
    is_cleanup_line,
)
from codemods.analysis.compensation import Effect, Judge
from codemods.analysis.exits import handler_exits
from codemods.analysis.handlers import Handler
from codemods.analysis.names import ExceptionNames, module_names
from codemods.analysis.scope import assigned_targets, dotted_name, has_cancellation_point, walk
from codemods.analysis.swallowing import yields_in
from codemods.analysis.vocabulary import DEFAULT_CLEANUP_NAMES
from codemods.model import RuleOptions
from codemods.prefilter import statements
from codemods.prefilter.statements import _future_bindings
from codemods.registry import all_rules
from codemods.rules.await_cancelled_task import _binds_future
from codemods.rules.broad_except_swallows_cancel import may_catch_everything
from codemods.rules.cancelled_error_not_reraised import may_catch_cancellation
from codemods.rules.cleanup_skipped_on_cancel import _acquired, _may_acquire, _may_clean
from codemods.rules.jump_in_finally import _may_jump_out
from codemods.rules.release_after_awaits import (
    _cleanup_operands,
    _is_plain_return,
    _may_be_cleanup,
    _may_be_plain_return,
)
from codemods.rules.suppress_swallows_cancel import may_suppress
from tests.conftest import FIXTURES

CASES = sorted(FIXTURES.glob("CF*-*/*.py"))
Key = tuple[int, int, int, int]


def _stdlib_nodes(source: bytes) -> dict[Key, list[ast.AST]]:
    found: dict[Key, list[ast.AST]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt | ast.expr | ast.ExceptHandler) and node.end_lineno:
            key = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset or 0)
            found.setdefault(key, []).append(node)
    return found


def _cst_nodes(source: bytes) -> Iterator[tuple[Key, cst.CSTNode]]:
    _, at = _cst_positions(source)
    for node, key in at.items():
        yield key, node


def _cst_positions(source: bytes) -> tuple[cst.Module, dict[cst.CSTNode, Key]]:
    """The module LibCST parses, and where each of its nodes stands."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    lines = [*source.splitlines(), b""]
    at: dict[cst.CSTNode, Key] = {}
    for node, where in wrapper.resolve(PositionProvider).items():
        assert isinstance(where, CodeRange)
        start, end = where.start, where.end
        if all(line.isascii() for line in lines[start.line - 1 : end.line]):
            at[node] = (start.line, start.column, end.line, end.column)
    return wrapper.module, at


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _parses(source: bytes) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:  # newer syntax than this Python's
        return False
    return True


_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)


def _nests_a_frame(node: ast.AST) -> bool:
    frames = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    return any(isinstance(child, frames) for child in ast.walk(node))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every node of every fixture
def test_both_layers_mean_the_same(case: Path) -> None:
    """Cancellation points and jumps out of a block, over every statement; dotted names
    (`self._task`), over every name and attribute."""
    source = case.read_bytes()
    if not _parses(source):
        pytest.skip("newer syntax than this Python's")
    stdlib = _stdlib_nodes(source)
    compared = 0
    for key, node in _cst_nodes(source):
        for other in stdlib.get(key, ()):
            if isinstance(node, _STATEMENTS) and isinstance(other, ast.stmt):
                _assert_statement_concepts(node, other)
                compared += 1
            elif isinstance(node, cst.Name | cst.Attribute) and isinstance(
                other, ast.Name | ast.Attribute
            ):
                assert statements.dotted(other) == dotted_name(node), ast.unparse(other)
    assert compared > 0


def _assert_statement_concepts(node: cst.CSTNode, other: ast.stmt) -> None:
    libcst_says = has_cancellation_point(node)
    stdlib_says = statements.has_cancellation_point(other)
    # The stdlib test also looks into nested frames: it may only say more there.
    if _nests_a_frame(other):
        assert stdlib_says or not libcst_says, ast.unparse(other)
    else:
        assert stdlib_says == libcst_says, ast.unparse(other)
    assert _may_jump_out([other]) == leaves_block(node), ast.unparse(other)


def _parsed(case: Path) -> bytes:
    source = case.read_bytes()
    if not _parses(source):
        pytest.skip("newer syntax than this Python's")
    return source


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every handler and `with` of every fixture
def test_gates_see_every_handler_type_the_rules_see(case: Path) -> None:
    """A handler the rules take for catching cancellation (CF101) or for catching
    everything (CF102), where it may swallow it; for naming a cancellation class (CF204);
    and a `suppress(...)` they take for swallowing it (CF103): the stdlib gates let each
    through, on either side of 3.8."""
    source = _parsed(case)
    tree, stdlib = ast.parse(source), _stdlib_nodes(source)
    module, at = _cst_positions(source)
    code = statements.module_code(tree).rest  # the imports serve every part alike
    compared = 0
    for target_version in ((3, 7), (3, 11)):
        names = ExceptionNames(module_names(module), target_version)
        for node, key in at.items():
            for other in stdlib.get(key, ()):
                if isinstance(node, Handler) and isinstance(other, ast.ExceptHandler):
                    _assert_handler_gates(names, node, replace(code, tries=[_try(other)]))
                    compared += 1
                elif (
                    isinstance(node, cst.With)
                    and isinstance(other, ast.With)
                    and any(names.suppresses_cancellation(item.item) for item in node.items)
                ):
                    gate = replace(code, withs=[other])
                    assert may_suppress(gate, target_version), ast.unparse(other)
    assert compared > 0 or not any(isinstance(node, ast.ExceptHandler) for node in ast.walk(tree))


def _try(handler: ast.ExceptHandler) -> ast.Try:
    return ast.Try(body=[], handlers=[handler], orelse=[], finalbody=[])


def _assert_handler_gates(
    names: ExceptionNames, handler: Handler, code: statements.CoroutineCode
) -> None:
    caught, version = names.caught(handler), names.target_version
    shown = cst.Module([]).code_for_node(handler)
    # A handler that cannot swallow: `test_a_handler_that_may_not_swallow_always_reraises`.
    swallowing = statements.may_swallow(code.tries[0].handlers[0])
    if caught.catches_cancellation and swallowing:
        assert may_catch_cancellation(code, version), shown
    if caught.is_broad and swallowing:
        assert may_catch_everything(code, version), shown
    if caught.cancellation:
        assert statements.has_handler_for(code, statements.CANCELLATION_NAMES), shown


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every statement of every fixture
def test_gates_see_every_acquisition_and_cleanup_the_rules_see(case: Path) -> None:
    """What CF203 takes for acquired (`conn = await connect()`, `await lock.acquire()`) and
    for cleaned up (`conn.close()`, `pool.release(conn)`), over every line; the callee's name
    that the cleanup vocabulary judges, over every call."""
    source = _parsed(case)
    stdlib = _stdlib_nodes(source)
    _, at = _cst_positions(source)
    compared = 0
    for node, key in at.items():
        if isinstance(node, cst.Call) and (name := called_name(node)) is not None:
            for other in stdlib.get(key, ()):
                if isinstance(other, ast.Call):
                    assert statements.last_name(other.func) == name, ast.unparse(other)
        if not isinstance(node, cst.SimpleStatementLine) or any(s not in at for s in node.body):
            continue
        found = [_statement_at(at[small], stdlib) for small in node.body]
        shown = "; ".join(map(ast.unparse, found))
        acquired = _may_acquire(found[0]) if len(found) == 1 else set()
        assert _acquired(node) <= acquired, shown
        cleaned = set().union(*(_may_clean(part, DEFAULT_CLEANUP_NAMES) for part in found))
        # `close(force=True)`: LibCST names the constant, which nothing acquires.
        cleaned |= {"True", "False", "None"}
        assert cleaned_resources(node, DEFAULT_CLEANUP_NAMES) <= cleaned, shown
        compared += 1
    assert compared > 0


def _statement_at(key: Key, stdlib: dict[Key, list[ast.AST]]) -> ast.stmt:
    return next(node for node in stdlib[key] if isinstance(node, ast.stmt))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every binding of every fixture
def test_gates_see_every_future_binding_the_rules_see(case: Path) -> None:
    """A parameter or assignment that CF301 takes for binding a Task or Future (`self._task =
    loop.create_task(...)`, `worker: asyncio.Task`): the stdlib gate names it too, and
    collects it from the function that holds it (so that the function stays as context)."""
    source = _parsed(case)
    tree, stdlib = ast.parse(source), _stdlib_nodes(source)
    module, at = _cst_positions(source)
    parts = statements.module_code(tree)
    gathered = set().union(*(code.future_names for _, code in parts.units))
    arguments = {
        (node.lineno, node.col_offset): node for node in ast.walk(tree) if isinstance(node, ast.arg)
    }
    for function in (node for node in walk(module) if isinstance(node, cst.FunctionDef)):
        for node in walk(function):
            for name in _future_names_bound(node) if node in at else ():
                if isinstance(node, cst.Param):
                    other = arguments[at[node][:2]]
                else:
                    other = _statement_at(at[node], stdlib)
                assert isinstance(other, ast.arg | ast.Assign | ast.AnnAssign)
                assert name in _future_bindings(other), ast.unparse(other)
                assert name in gathered, ast.unparse(other)


def _future_names_bound(node: cst.CSTNode) -> list[str]:
    """The names `node` binds to a Task or Future, as CF301 judges them."""
    if isinstance(node, cst.Param):
        candidates = [node.name.value]
    elif isinstance(node, cst.Assign | cst.AnnAssign):
        candidates = [name for target in assigned_targets(node) if (name := dotted_name(target))]
    else:
        return []
    return [name for name in candidates if _binds_future(node, {name})]


def _handler(source: str) -> ast.ExceptHandler:
    tree = ast.parse(source)
    assert isinstance(tree.body[0], ast.Try)
    return tree.body[0].handlers[0]


def test_a_handler_whose_blocks_only_log_and_raise_does_no_more() -> None:
    """The gates of CF202, CF204 and CF205 look into an `if` (or any compound statement) of
    a handler: one that only logs and raises in each block undoes nothing."""
    quiet = "try:\n    f()\nexcept E as err:\n    if err.status == 401:\n        raise A from err\n"
    quiet += "    else:\n        log.debug('x')\n    raise B from err\n"
    assert not statements.does_more_than_log(_handler(quiet).body)
    undoes = quiet.replace("log.debug('x')", "self._conn = None")
    assert statements.does_more_than_log(_handler(undoes).body)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every handler of every fixture
def test_a_handler_that_only_logs_never_compensates(case: Path) -> None:
    """Where the gate says a handler does no more than log, the rules' analysis finds no
    statement that cleans up or undoes before the handler is left (what `compensation`
    needs), even counting every name of the module as held."""
    source = _parsed(case)
    stdlib = _stdlib_nodes(source)
    module, _ = _cst_positions(source)
    held = frozenset(node.value for node in walk(module) if isinstance(node, cst.Name))
    judge = Judge(held, None, DEFAULT_CLEANUP_NAMES)
    for key, node in _cst_nodes(source):
        for other in stdlib.get(key, ()):
            if (
                isinstance(node, cst.ExceptHandler)
                and isinstance(other, ast.ExceptHandler)
                and not statements.does_more_than_log(other.body)
            ):
                body = list(node.body.body) if isinstance(node.body, cst.IndentedBlock) else []
                assert not always_cleans_up(body, DEFAULT_CLEANUP_NAMES), ast.unparse(other)
                assert not judge.always_undoes(body), ast.unparse(other)


def _all_names(module: cst.Module) -> frozenset[str]:
    return frozenset(node.value for node in walk(module) if isinstance(node, cst.Name))


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every handler of every fixture
def test_a_handler_that_may_not_undo_first_never_compensates(case: Path) -> None:
    """Where CF205's gate says no statement of a handler may undo something before its
    first `raise` or `return`, the rules' analysis finds no cleanup or undo on every path
    before the handler is left (what `compensation` needs), even counting every name of
    the module as held."""
    source = _parsed(case)
    stdlib = _stdlib_nodes(source)
    module, at = _cst_positions(source)
    held = _all_names(module)
    for node, key in at.items():
        for other in stdlib.get(key, ()):
            if not isinstance(node, cst.ExceptHandler) or not isinstance(other, ast.ExceptHandler):
                continue
            if statements.may_undo_first(other.body, other.name, DEFAULT_CLEANUP_NAMES):
                continue
            body = suite_statements(node.body)
            judge = Judge(held, other.name, DEFAULT_CLEANUP_NAMES)
            assert not always_cleans_up(body, DEFAULT_CLEANUP_NAMES), ast.unparse(other)
            assert not judge.always_undoes(body), ast.unparse(other)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every statement of every fixture
def test_gates_see_every_undo_binding_and_release_the_rules_see(case: Path) -> None:
    """A statement `Judge` takes for undoing (every name held), the names a statement binds
    and, on a line CF207 takes for a cleanup or a plain `return`, what it cleans up: the
    stdlib gates see them too (what they find of the names and resources is a part of the
    rules')."""
    source = _parsed(case)
    stdlib = _stdlib_nodes(source)
    module, at = _cst_positions(source)
    judge = Judge(_all_names(module), None, DEFAULT_CLEANUP_NAMES)
    compared = 0
    for node, key in at.items():
        for other in (part for part in stdlib.get(key, ()) if isinstance(part, ast.stmt)):
            shown = ast.unparse(other)
            assert statements.bound_names([other]) <= bound_names([node]), shown
            if isinstance(node, cst.BaseSmallStatement) and judge.small(node) is Effect.UNDO:
                assert statements.may_undo(other), shown
            compared += 1
        if not isinstance(node, cst.SimpleStatementLine) or len(node.body) != 1:
            continue
        other = _statement_at(at[node.body[0]], stdlib) if node.body[0] in at else None
        if other is None:
            continue
        if _is_plain_return(node):
            assert _may_be_plain_return(other), ast.unparse(other)
        if is_cleanup_line(node, DEFAULT_CLEANUP_NAMES):
            assert _may_be_cleanup(other, DEFAULT_CLEANUP_NAMES), ast.unparse(other)
            resources = cleaned_resources(node, DEFAULT_CLEANUP_NAMES)
            assert _cleanup_operands(other) <= resources, ast.unparse(other)
    assert compared > 0


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.slow  # every handler of every fixture
def test_a_handler_that_may_not_swallow_always_reraises(case: Path) -> None:
    """Where the gates of CF101, CF102 and CF105 say a handler cannot swallow what it
    caught, the rules' exit analysis says it always re-raises, and it does not yield."""
    source = _parsed(case)
    stdlib = _stdlib_nodes(source)
    module, at = _cst_positions(source)
    names = ExceptionNames(module_names(module), (3, 11))
    for node, key in at.items():
        for other in stdlib.get(key, ()):
            if (
                isinstance(node, Handler)
                and isinstance(other, ast.ExceptHandler)
                and not statements.may_swallow(other)
            ):
                exits = handler_exits(node, names, as_cancellation=True)
                assert exits.always_reraises, ast.unparse(other)
                assert not yields_in(node), ast.unparse(other)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_check_true_of_a_part_is_true_of_the_whole_module(case: Path) -> None:
    """The engine asks each candidate check about the whole module's coroutine code first,
    and sets the functions apart only for the rules it accepts there: a check true of a part
    (a function, the module code around them) must be true of the whole."""
    try:
        tree = ast.parse(case.read_bytes())
    except SyntaxError:
        pytest.skip("syntax newer than this Python: the engine asks no candidate check")
    whole, code = statements.coroutine_code(tree), statements.module_code(tree)
    parts = [code.rest, *(part for _, part in code.units)]
    for target in ((3, 7), (3, 9), (3, 12)):
        options = RuleOptions(target_version=target)
        for rule in all_rules():
            if any(rule.is_candidate(part, options) for part in parts):
                assert rule.is_candidate(whole, options), (rule.code, target)
