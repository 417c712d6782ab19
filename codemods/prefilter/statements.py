"""The one walk of a module's stdlib `ast` that the rules' candidate checks read.

LibCST's parse and metadata cost ten times more than `ast.parse`. Before paying that, the
engine asks each rule's candidate check (`Rule.is_candidate`, in the rule's module) about the
`CoroutineCode` gathered here; a False answer must mean "certainly no finding". The helpers
below are what several candidate checks share. Names are matched loosely here (no import
resolution); the rules resolve them properly.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

from codemods.analysis.cleanup import is_cleanup_name
from codemods.analysis.names import CANCELLATION_CLASSES, CANCELLATION_FACTORIES

CANCELLATION_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name in CANCELLATION_CLASSES | CANCELLATION_FACTORIES
)
"""`CancelledError`, `Cancelled`, `get_cancelled_exc_class`: last parts, matched loosely."""


def last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


@dataclass(frozen=True)
class CoroutineCode:
    """What the candidate checks look at, gathered in one walk of a module's stdlib AST."""

    tries: list[ast.Try | ast.TryStar]
    """`try` statements of coroutines with a cancellation point in their body."""
    blocks: list[list[ast.stmt]]
    """The statement lists of coroutines: bodies, `else` and `finally` blocks."""
    aliases: dict[str, set[str]]
    """`from x import Name as Alias`: the aliases of each imported name."""
    modules: set[str]
    """The names `import x` and `import x as y` bind."""
    withs: list[ast.With]
    """`with` statements of coroutines."""
    finally_tries: list[ast.Try | ast.TryStar]
    """Coroutine `try` statements with a `finally`."""
    coroutines: list[ast.AsyncFunctionDef]
    """The coroutines themselves (each nested one on its own)."""
    discarded_calls: list[ast.Call]
    """The calls whose result an expression statement of a function (`def` or `async def`)
    discards."""
    bindings: list[ast.arg | ast.Assign | ast.AnnAssign]
    """The parameters and assignments of functions."""

    # The walk above reads statements only; these read expressions too, so they are
    # computed for the few files whose bytes let CF301 and CF302 through.
    @functools.cached_property
    def future_names(self) -> set[str]:
        """Names and attribute chains any function binds to a call that says Task or Future
        (`self._worker = loop.create_task(...)`) or annotates as one (`worker: asyncio.Task`)."""
        return {name for node in self.bindings for name in _future_bindings(node)}

    @functools.cached_property
    def awaited(self) -> list[ast.expr]:
        """What coroutines await (the operands of their `await` expressions)."""
        return [node.value for node in self._coroutine_nodes if isinstance(node, ast.Await)]

    @functools.cached_property
    def coroutine_calls(self) -> set[str]:
        """Last names of the functions coroutines call (`task.cancel()` -> "cancel")."""
        return {
            name
            for node in self._coroutine_nodes
            if isinstance(node, ast.Call) and (name := last_name(node.func)) is not None
        }

    @functools.cached_property
    def _coroutine_nodes(self) -> list[ast.AST]:
        """Every node in a coroutine's own frame (not in a nested def, lambda or class)."""
        found: list[ast.AST] = []
        pending: list[ast.AST] = [node for coroutine in self.coroutines for node in coroutine.body]
        while pending:
            node = pending.pop()
            if isinstance(node, _NEW_FRAME):
                continue
            found.append(node)
            pending.extend(ast.iter_child_nodes(node))
        return found


_NEW_FRAME = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class ModuleCode:
    """A module's code in parts: each function and method (the "units"), and the rest
    (module and class bodies without their functions). A rule's shape lies within one part,
    so that a part no candidate check accepts can be left out of the analysis."""

    units: list[tuple[Function, CoroutineCode]]
    rest: CoroutineCode
    owners: dict[Function, tuple[ast.ClassDef, ...]]
    """The classes around each method (outermost first); a module-level function has none."""
    top_classes: dict[str, list[ast.ClassDef]]
    """The classes defined at the module's top level, by name."""

    def may_apply(self, is_candidate: Callable[[CoroutineCode], bool]) -> bool:
        return is_candidate(self.rest) or any(is_candidate(code) for _, code in self.units)

    def classes_read_from(self, function: Function) -> set[ast.ClassDef]:
        """The classes whose methods a rule may read about code in `function`, when it reads
        the methods of that code's class and of its base classes defined at the module's top
        level, by name (as `codemods.analysis.setup` does): the classes around `function` and
        in it, with their bases so found."""
        pending = [*self.owners.get(function, ())]
        pending += [node for node in ast.walk(function) if isinstance(node, ast.ClassDef)]
        found: set[ast.ClassDef] = set()
        while pending:
            cls = pending.pop()
            if cls not in found:
                found.add(cls)
                bases = (name for base in cls.bases if (name := dotted(base)) is not None)
                pending += [base for name in bases for base in self.top_classes.get(name, ())]
        return found


def reached_by_name(readers: Iterable[Function], functions: Iterable[Function]) -> set[Function]:
    """The functions of `functions` whose name one of `readers` spells (as a name or an
    attribute: `helper` of `await helper()`, `_cleanup` of `self._cleanup()`), or one of the
    functions so found, in turn."""
    by_name: dict[str, list[Function]] = {}
    for function in functions:
        by_name.setdefault(function.name, []).append(function)
    reached: set[Function] = set()
    pending = list(readers)
    while pending and by_name:
        for name in _spelled(pending.pop()):
            found = by_name.pop(name, [])
            reached.update(found)
            pending += found
    return reached


def _spelled(function: Function) -> set[str]:
    """The names and attribute names that the code of `function` spells."""
    spelled: set[str] = set()
    for node in ast.walk(function):
        kind = type(node)  # (by type: every node of the function)
        if kind is ast.Name:
            spelled.add(cast(ast.Name, node).id)
        elif kind is ast.Attribute:
            spelled.add(cast(ast.Attribute, node).attr)
    return spelled


def coroutine_code(tree: ast.Module) -> CoroutineCode:
    """The coroutine code of the whole module in one part: what the parts of `module_code`
    hold, together. Each candidate check asks whether some `try`, block, call or binding of
    the code has a shape, so one that is false of the whole module is false of each part:
    most modules stop there, spared the walk that sets each function apart."""
    return _coroutine_code(tree.body, {}, set())


def module_code(tree: ast.Module) -> ModuleCode:
    """The coroutine code of a module's parts, in one walk."""
    # One for all parts: imports serve the whole module.
    aliases: dict[str, set[str]] = {}
    modules: set[str] = set()
    units: list[tuple[Function, CoroutineCode]] = []
    owners: dict[Function, tuple[ast.ClassDef, ...]] = {}
    rest: list[ast.stmt] = []
    pending: list[tuple[ast.stmt, tuple[ast.ClassDef, ...]]] = [(node, ()) for node in tree.body]
    while pending:
        statement, around = pending.pop(0)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            units.append((statement, _coroutine_code([statement], aliases, modules)))
            if around:
                owners[statement] = around
        elif isinstance(statement, ast.ClassDef):
            pending[:0] = [(node, (*around, statement)) for node in statement.body]
        else:
            rest.append(statement)
    top_classes: dict[str, list[ast.ClassDef]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top_classes.setdefault(node.name, []).append(node)
    return ModuleCode(units, _coroutine_code(rest, aliases, modules), owners, top_classes)


def _coroutine_code(
    roots: Sequence[ast.AST], aliases: dict[str, set[str]], modules: set[str]
) -> CoroutineCode:
    """The coroutine code below `roots`: in an `async def`'s own frame (not in a nested def,
    lambda or class). Only statements are read (and parameters): the candidate checks look at
    statements, and expressions are most of a module's nodes."""
    code = CoroutineCode([], [], aliases, modules, [], [], [], [], [])
    # Each node with whether its frame is a coroutine's, and whether it is a function's.
    # (Node types are compared with `is`: the walk tests every statement of the module, and
    # the stdlib's statement classes have no subclasses.)
    stack: list[tuple[ast.AST, bool, bool]] = [(root, False, False) for root in roots]
    while stack:
        node, in_coroutine, in_function = stack.pop()
        kind = type(node)
        if kind is ast.AsyncFunctionDef or kind is ast.FunctionDef:
            in_coroutine = kind is ast.AsyncFunctionDef
            in_function = True
            if in_coroutine:
                code.coroutines.append(cast(ast.AsyncFunctionDef, node))
        elif kind is ast.ClassDef:
            in_coroutine = in_function = False
        elif kind is ast.ImportFrom or kind is ast.Import:
            _gather_import(cast(ast.Import | ast.ImportFrom, node), code)
        if in_function:
            if kind is ast.Expr:
                discarded = without_await(cast(ast.Expr, node).value)
                if isinstance(discarded, ast.Call):
                    code.discarded_calls.append(discarded)
            elif kind is ast.arg or kind is ast.Assign or kind is ast.AnnAssign:
                code.bindings.append(cast(ast.arg | ast.Assign | ast.AnnAssign, node))
        fields = _BLOCK_FIELDS.get(kind)
        if fields is None:
            fields = _block_fields(kind)
        if not fields:
            continue  # a simple statement (or a parameter): nothing below it to read
        if in_coroutine:
            _gather_coroutine_statement(node, code)
        if kind is ast.AsyncFunctionDef or kind is ast.FunctionDef:
            parameters = _parameters(cast(Function, node))
            stack += [(parameter, in_coroutine, True) for parameter in parameters]
        for field in fields:
            block = getattr(node, field)
            if block:
                if in_coroutine and field not in _CLAUSE_FIELDS:
                    code.blocks.append(block)
                stack += [(child, in_coroutine, in_function) for child in block]
    return code


def _gather_import(node: ast.Import | ast.ImportFrom, code: CoroutineCode) -> None:
    if isinstance(node, ast.ImportFrom):
        for alias in node.names:
            if alias.asname:
                code.aliases.setdefault(alias.name, set()).add(alias.asname)
    else:
        code.modules.update(alias.asname or alias.name.split(".")[0] for alias in node.names)


def _gather_coroutine_statement(node: ast.AST, code: CoroutineCode) -> None:
    """What a `try` or a `with` of a coroutine's frame adds to `code`."""
    if isinstance(node, ast.Try | ast.TryStar):
        if can_be_cancelled(node):
            code.tries.append(node)
        if node.finalbody:
            code.finally_tries.append(node)
    elif isinstance(node, ast.With):
        code.withs.append(node)


def _parameters(function: Function) -> list[ast.arg]:
    arguments = function.args
    parameters = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    return parameters + [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]


_BLOCK_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}

_CLAUSE_FIELDS = frozenset({"handlers", "cases"})
"""The block fields that hold clauses (`except`, `case`), not statements."""


def _block_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of `node_type` that may hold statements or clauses (each a list)."""
    fields = _BLOCK_FIELDS.get(node_type)
    if fields is None:
        fields = _BLOCK_FIELDS[node_type] = tuple(
            field
            for field in ("body", "orelse", "finalbody", "handlers", "cases")
            if field in node_type._fields
        )
    return fields


_FUTURE_WORDS = ("task", "future")


def _says_future(node: ast.expr | None) -> bool:
    """A call or annotation whose names say Task or Future, in any case."""
    return node is not None and any(
        isinstance(child, ast.Name | ast.Attribute)
        and any(word in (last_name(child) or "").lower() for word in _FUTURE_WORDS)
        for child in ast.walk(node)
    )


def _future_bindings(node: ast.arg | ast.Assign | ast.AnnAssign) -> list[str]:
    """What `node` binds to something that says Task or Future (see `future_names`)."""
    if isinstance(node, ast.arg):
        return [node.arg] if _says_future(node.annotation) else []
    value = node.value
    if isinstance(value, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        value = value.elt
    says = isinstance(value, ast.Call) and _says_future(value.func)
    if isinstance(node, ast.AnnAssign):
        says = says or _says_future(node.annotation)
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return [name for target in targets if says and (name := dotted(target)) is not None]


def with_aliases(code: CoroutineCode, names: frozenset[str]) -> frozenset[str]:
    return names.union(*(code.aliases.get(name, ()) for name in names))


def can_be_cancelled(node: ast.Try | ast.TryStar) -> bool:
    return any(map(has_cancellation_point, node.body))


def is_cancellation_point(node: ast.AST) -> bool:
    """`await`, `async for`, `async with` and an async comprehension's `async for`."""
    return isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith) or (
        isinstance(node, ast.comprehension) and bool(node.is_async)
    )


def has_cancellation_point(statement: ast.AST) -> bool:
    return any(map(is_cancellation_point, ast.walk(statement)))


def handler_types(handler: ast.ExceptHandler) -> Iterator[ast.expr]:
    pending = [handler.type] if handler.type else []
    while pending:
        expr = pending.pop()
        if isinstance(expr, ast.Tuple):
            pending += expr.elts
        else:
            yield expr


def broad_classes(target_version: tuple[int, int]) -> frozenset[str]:
    """The classes that catch CancelledError without naming it: `Exception` too before 3.8."""
    if target_version < (3, 8):
        return frozenset({"BaseException", "Exception"})
    return frozenset({"BaseException"})


def has_handler_for(
    code: CoroutineCode, names: frozenset[str], *, swallowing: bool = False
) -> bool:
    """Whether some coroutine `try` has a bare `except:` or a handler naming one of `names`
    (or an alias of one); with `swallowing`, one that `may_swallow`."""
    names = with_aliases(code, names)
    return any(
        (handler.type is None or any(last_name(expr) in names for expr in handler_types(handler)))
        and (not swallowing or may_swallow(handler))
        for try_node in code.tries
        for handler in try_node.handlers
    )


def may_swallow(handler: ast.ExceptHandler) -> bool:
    """Whether a handler may let the exception it caught go unraised, or yields: what CF101,
    CF102 and CF105 judge (`handler_exits(...).always_reraises`, `yields_in`). Not a handler
    that ends in a bare `raise` with no `return`, `break`, `continue`, other `raise`, `try`
    or `yield` in it."""
    body = handler.body
    if not body or not isinstance(body[-1], ast.Raise) or body[-1].exc is not None:
        return True
    return any(
        isinstance(node, _MAY_LEAVE_OTHERWISE) or (isinstance(node, ast.Raise) and node.exc)
        for statement in body
        for node in walk_same_frame(statement)
    )


_MAY_LEAVE_OTHERWISE = (
    ast.Return,
    ast.Break,
    ast.Continue,
    ast.Try,
    ast.TryStar,
    ast.Yield,
    ast.YieldFrom,
)


def calls_cleanup(node: ast.AST, cleanup_names: frozenset[str]) -> bool:
    return any(
        isinstance(child, ast.Call)
        and (name := last_name(child.func)) is not None
        and is_cleanup_name(name, cleanup_names, loose=True)
        for child in ast.walk(node)
    )


def dotted(expr: ast.expr) -> str | None:
    """`conn` -> "conn", `self._conn` -> "self._conn"; None for anything else."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and (base := dotted(expr.value)) is not None:
        return f"{base}.{expr.attr}"
    return None


def full_name(expr: ast.expr) -> str | None:
    """As LibCST's `get_full_name_for_node`: `self._conn` -> "self._conn", `conns[0]` ->
    "conns", `pool.get()` -> "pool.get"; None for anything else."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return f"{full_name(expr.value)}.{expr.attr}"
    if isinstance(expr, ast.Call | ast.Subscript):
        return full_name(expr.func if isinstance(expr, ast.Call) else expr.value)
    return None


def without_await(expr: ast.expr) -> ast.expr:
    """`await x` -> `x`; anything else as it is."""
    return expr.value if isinstance(expr, ast.Await) else expr


_LOG_CALLS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "print"}
)


def undoes_then_raises(handler: ast.ExceptHandler) -> bool:
    """Whether a handler raises somewhere and does more than log: the compensating handler
    the gates of CF204 and CF205 look for."""
    return any(isinstance(node, ast.Raise) for node in ast.walk(handler)) and does_more_than_log(
        handler.body
    )


def does_more_than_log(body: list[ast.stmt]) -> bool:
    """Whether a handler body holds a statement other than `raise`, `pass` or a log call, at
    any depth: an `if` (or any compound statement) that only logs and raises in each of its
    blocks does no more. (The compensation CF202, CF204 and CF205 look for is a call or an
    assignment in the handler's blocks, never in a header.)"""
    return not all(map(_only_logs, body))


def _only_logs(node: ast.AST) -> bool:
    """A `raise`, a `pass`, a log call, or a compound statement (or a clause of one) whose
    blocks hold only those."""
    if isinstance(node, ast.Raise | ast.Pass):
        return True
    if isinstance(node, ast.Expr):
        return isinstance(node.value, ast.Call) and last_name(node.value.func) in _LOG_CALLS
    blocks = [getattr(node, field) for field in _block_fields(type(node))]
    return bool(blocks) and all(_only_logs(part) for block in blocks for part in block)


def binds_attribute(node: ast.arg | ast.Assign | ast.AnnAssign) -> bool:
    """An assignment to an attribute (`self._pending = {}`): a method that sets up or resets
    the object's state, which rules judging another method read for context."""
    targets = node.targets if isinstance(node, ast.Assign) else []
    targets += [node.target] if isinstance(node, ast.AnnAssign) else []
    return any(isinstance(part, ast.Attribute) for target in targets for part in ast.walk(target))


def may_undo_first(body: list[ast.stmt], error: str | None, cleanup_names: frozenset[str]) -> bool:
    """Whether a statement of `body` that may clean up or undo state comes before the first
    `raise` or `return` that may leave it: what a handler's compensation needs (every path
    undoes before it leaves: `always_cleans_up`, `Judge.always_undoes`), read loosely.
    `error` is the name the handler binds the exception to: a statement that mentions it
    hands the error on, it undoes nothing."""
    for statement in body:
        if _may_undo_on_entry(statement, error, cleanup_names):
            return True
        if any(isinstance(node, ast.Raise | ast.Return) for node in walk_same_frame(statement)):
            return False
    return False


def _may_undo_on_entry(
    statement: ast.stmt, error: str | None, cleanup_names: frozenset[str]
) -> bool:
    if isinstance(statement, ast.If):
        return may_undo_first(statement.body, error, cleanup_names) and may_undo_first(
            statement.orelse, error, cleanup_names
        )
    if isinstance(statement, ast.Try | ast.TryStar | ast.With | ast.AsyncWith):
        return may_undo_first(statement.body, error, cleanup_names)
    if isinstance(statement, ast.For | ast.AsyncFor | ast.While):
        return any(calls_cleanup(part, cleanup_names) for part in statement.body)
    if _block_fields(type(statement)):
        return False  # `match`, definitions: neither analysis looks into them
    return calls_cleanup(statement, cleanup_names) or may_undo(statement, error)


def may_undo(statement: ast.stmt, error: str | None = None) -> bool:
    """Whether a simple statement may undo state as `Judge` reads it: a call that does not
    log, resetting an attribute to a constant or a name (`self._conn = None`), lowering a
    count, `del`; never one that mentions the caught exception `error`."""
    if error is not None and any(
        isinstance(node, ast.Name) and node.id == error for node in walk_same_frame(statement)
    ):
        return False
    if isinstance(statement, ast.Expr):
        call = without_await(statement.value)
        return isinstance(call, ast.Call) and not _is_logging_call(call)
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return not all(isinstance(target, ast.Name) for target in targets) and _is_inert(
            statement.value
        )
    if isinstance(statement, ast.AugAssign):
        return isinstance(statement.op, ast.Sub)
    return isinstance(statement, ast.Delete)


def _is_logging_call(call: ast.Call) -> bool:
    """As `codemods.analysis.cleanup.is_logging_call`: `log.info(...)`, `print(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr in _LOG_CALLS and func.attr != "print"
    return isinstance(func, ast.Name) and func.id == "print"


def _is_inert(value: ast.expr | None) -> bool:
    """A constant, a name or attribute chain, an empty collection (`None`, `previous`, `{}`):
    what `Judge` takes for a value that restores or clears state."""
    if value is None or isinstance(value, ast.Name | ast.Constant):
        return True
    if isinstance(value, ast.Attribute):
        return _is_inert(value.value)
    if isinstance(value, ast.Dict):
        return not value.keys
    return isinstance(value, ast.List | ast.Set | ast.Tuple) and not value.elts


def walk_same_frame(node: ast.AST) -> Iterator[ast.AST]:
    """`node` and its descendants, not entering nested functions, lambdas or classes (as
    `codemods.analysis.scope.walk_same_frame`)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        if not isinstance(current, _NEW_FRAME):
            pending.extend(ast.iter_child_nodes(current))


_SINGLE_TARGET = (
    ast.AnnAssign,
    ast.AugAssign,
    ast.NamedExpr,
    ast.For,
    ast.AsyncFor,
    ast.comprehension,
)


def bound_names(body: list[ast.stmt]) -> set[str]:
    """Names and attribute chains the statements of `body` bind in their own frame by
    assignment, `for`, `with ... as` or `:=` (`self._clients[key] = c` binds
    "self._clients", as `codemods.analysis.blocks.bound_names` reads it); a part of what
    that function finds."""
    found: set[str] = set()
    for statement in body:
        for node in walk_same_frame(statement):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, _SINGLE_TARGET):
                targets = [node.target]
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                targets = [node.optional_vars]
            found.update(name for target in targets for name in _target_names(target))
    return found


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    name = full_name(target)
    return [name] if name is not None else []
