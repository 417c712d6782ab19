"""A cheap over-approximation, on the stdlib `ast`, of "this file may have a finding".

LibCST's parse and metadata cost ten times more than `ast.parse`. Before paying that, the
engine asks each rule's candidate check; a False answer must mean "certainly no finding".
Names are matched loosely here (no import resolution); the rules resolve them properly.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from codemods.analysis.cleanup import is_cleanup_name
from codemods.analysis.names import CANCELLATION_CLASSES, CANCELLATION_FACTORIES

_CANCELLATION_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name in CANCELLATION_CLASSES | CANCELLATION_FACTORIES
)
"""`CancelledError`, `Cancelled`, `get_cancelled_exc_class`: last parts, matched loosely."""


def _last_name(node: ast.expr) -> str | None:
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
    """Coroutine `try` statements with a cancellation point and a `finally` that may jump
    out (`return`, `break`, `continue`)."""
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
            if isinstance(node, ast.Call) and (name := _last_name(node.func)) is not None
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

    def may_apply(self, is_candidate: Callable[[CoroutineCode], bool]) -> bool:
        return is_candidate(self.rest) or any(is_candidate(code) for _, code in self.units)


def module_code(tree: ast.Module) -> ModuleCode:
    """The coroutine code of a module's parts, in one walk."""
    # One for all parts: imports serve the whole module.
    aliases: dict[str, set[str]] = {}
    modules: set[str] = set()
    units: list[tuple[Function, CoroutineCode]] = []
    rest: list[ast.stmt] = []
    pending = list(tree.body)
    while pending:
        statement = pending.pop(0)
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            units.append((statement, _coroutine_code([statement], aliases, modules)))
        elif isinstance(statement, ast.ClassDef):
            pending[:0] = statement.body
        else:
            rest.append(statement)
    return ModuleCode(units, _coroutine_code(rest, aliases, modules))


def _coroutine_code(
    roots: Sequence[ast.AST], aliases: dict[str, set[str]], modules: set[str]
) -> CoroutineCode:
    """The coroutine code below `roots`: in an `async def`'s own frame (not in a nested def,
    lambda or class). Only statements are read (and parameters): the candidate checks look at
    statements, and expressions are most of a module's nodes."""
    code = CoroutineCode([], [], aliases, modules, [], [], [], [], [])
    # Each node with whether its frame is a coroutine's, and whether it is a function's.
    stack: list[tuple[ast.AST, bool, bool]] = [(root, False, False) for root in roots]
    while stack:
        node, in_coroutine, in_function = stack.pop()
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            in_coroutine = isinstance(node, ast.AsyncFunctionDef)
            in_function = True
            if isinstance(node, ast.AsyncFunctionDef):
                code.coroutines.append(node)
        elif isinstance(node, ast.ClassDef):
            in_coroutine = in_function = False
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.asname:
                    code.aliases.setdefault(alias.name, set()).add(alias.asname)
        elif isinstance(node, ast.Import):
            code.modules.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        if in_function:
            if isinstance(node, ast.Expr):
                discarded = _awaited(node.value)
                if isinstance(discarded, ast.Call):
                    code.discarded_calls.append(discarded)
            if isinstance(node, ast.arg | ast.Assign | ast.AnnAssign):
                code.bindings.append(node)
        if in_coroutine:
            if isinstance(node, ast.Try | ast.TryStar):
                if _can_be_cancelled(node):
                    code.tries.append(node)
                guarded = [*node.body, *node.handlers, *node.orelse]
                if _may_jump_out(node.finalbody) and any(map(_has_cancellation_point, guarded)):
                    code.finally_tries.append(node)
            if isinstance(node, ast.With):
                code.withs.append(node)
            for field in _block_fields(type(node)):
                block = getattr(node, field)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    code.blocks.append(block)
        stack.extend((child, in_coroutine, in_function) for child in _statement_parts(node))
    return code


def _statement_parts(node: ast.AST) -> Iterator[ast.AST]:
    """The statements, clauses and parameters directly in `node`, not its expressions."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        arguments = node.args
        yield from (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        yield from (arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None)
    for field in _block_fields(type(node)):
        block = getattr(node, field)
        if isinstance(block, list):
            yield from block


_BLOCK_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _block_fields(node_type: type[ast.AST]) -> tuple[str, ...]:
    """The fields of `node_type` that may hold statements or clauses."""
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
        and any(word in (_last_name(child) or "").lower() for word in _FUTURE_WORDS)
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
    return [name for target in targets if says and (name := _dotted(target)) is not None]


def _with_aliases(code: CoroutineCode, names: frozenset[str]) -> frozenset[str]:
    return names.union(*(code.aliases.get(name, ()) for name in names))


def _can_be_cancelled(node: ast.Try | ast.TryStar) -> bool:
    return any(map(_has_cancellation_point, node.body))


def _may_jump_out(block: list[ast.stmt]) -> bool:
    """Whether a `return`, or a `break`/`continue` outside a loop of the block's own, stands in
    the block (not in nested functions or classes)."""
    pending: list[tuple[ast.AST, bool]] = [(statement, False) for statement in block]
    while pending:
        node, in_loop = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return) or (
            isinstance(node, ast.Break | ast.Continue) and not in_loop
        ):
            return True
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            # A loop's `else` belongs to the code around it: a break there leaves it.
            pending += [(child, True) for child in node.body]
            pending += [(child, in_loop) for child in node.orelse]
            continue
        pending += [(child, in_loop) for child in ast.iter_child_nodes(node)]
    return False


def _is_cancellation_point(node: ast.AST) -> bool:
    """`await`, `async for`, `async with` and an async comprehension's `async for`."""
    return isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith) or (
        isinstance(node, ast.comprehension) and bool(node.is_async)
    )


def _has_cancellation_point(statement: ast.AST) -> bool:
    return any(map(_is_cancellation_point, ast.walk(statement)))


def _handler_types(handler: ast.ExceptHandler) -> Iterator[ast.expr]:
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


def may_catch_everything(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a bare `except:` or a handler naming a broad class."""
    return _has_handler_for(code, broad_classes(target_version))


def may_catch_cancellation(code: CoroutineCode, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a handler that might catch a CancelledError."""
    return _has_handler_for(code, _CANCELLATION_NAMES | broad_classes(target_version))


def _has_handler_for(code: CoroutineCode, names: frozenset[str]) -> bool:
    """Whether some coroutine `try` has a bare `except:` or a handler naming one of `names`
    (or an alias of one)."""
    names = _with_aliases(code, names)
    return any(
        handler.type is None or any(_last_name(expr) in names for expr in _handler_types(handler))
        for try_node in code.tries
        for handler in try_node.handlers
    )


def _calls_cleanup(node: ast.AST, cleanup_names: frozenset[str]) -> bool:
    return any(
        isinstance(child, ast.Call)
        and (name := _last_name(child.func)) is not None
        and is_cleanup_name(name, cleanup_names, loose=True)
        for child in ast.walk(node)
    )


def _cleans_up_in_handler(try_node: ast.Try | ast.TryStar, cleanup_names: frozenset[str]) -> bool:
    return any(_calls_cleanup(handler, cleanup_names) for handler in try_node.handlers)


def _ends_with_cleanup(block: list[ast.stmt], cleanup_names: frozenset[str]) -> bool:
    """`...; conn.close()`, also followed by `conn = None`, `await proc.wait()` or a final
    `return`, `break` or `continue`."""
    end = len(block)
    if end and isinstance(block[end - 1], ast.Return | ast.Break | ast.Continue):
        end -= 1
    while end and _completes_cleanup(block[end - 1]):
        end -= 1
    return bool(end) and _is_cleanup_statement(block[end - 1], cleanup_names)


def _completes_cleanup(statement: ast.stmt) -> bool:
    """`x = None` or `[await] x.wait()`: what may follow cleanup calls at the end of a block."""
    if isinstance(statement, ast.Assign):
        return isinstance(statement.value, ast.Constant) and statement.value.value is None
    return isinstance(statement, ast.Expr) and _last_name(_awaited(statement.value)) == "wait"


def _is_cleanup_statement(statement: ast.stmt, cleanup_names: frozenset[str]) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(_awaited(statement.value), ast.Call)
        and _calls_cleanup(statement, cleanup_names)
    )


def may_suppress(code: CoroutineCode) -> bool:
    """Whether some coroutine `with` calls `suppress` (or what `from ... import suppress as
    x` binds) naming `BaseException` or a cancellation class."""
    suppress = _with_aliases(code, frozenset({"suppress"}))
    caught = _with_aliases(code, _CANCELLATION_NAMES | {"BaseException"})
    return any(
        isinstance(item.context_expr, ast.Call)
        and _last_name(item.context_expr.func) in suppress
        and any(_last_name(arg) in caught for arg in item.context_expr.args)
        for node in code.withs
        for item in node.items
    )


def may_clean_up_twice(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` ends its body or `else` with a cleanup call, and cleans up
    in a handler too (CF201's shape)."""
    return any(
        _ends_with_cleanup(try_node.orelse or try_node.body, cleanup_names)
        or (try_node.orelse and _ends_with_cleanup(try_node.body, cleanup_names))
        for try_node in code.tries
        if _cleans_up_in_handler(try_node, cleanup_names)
    )


def may_clean_up_then_raise(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` has an `except Exception` that cleans up and raises (the
    rollback pattern, CF202's shape)."""
    names = _with_aliases(code, frozenset({"Exception"}))
    return any(
        handler.type is not None
        and _last_name(handler.type) in names
        and _calls_cleanup(handler, cleanup_names)
        and any(isinstance(node, ast.Raise) for node in ast.walk(handler))
        for try_node in code.tries
        for handler in try_node.handlers
    )


def _dotted(expr: ast.expr) -> str | None:
    """`conn` -> "conn", `self._conn` -> "self._conn"; None for anything else."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute) and (base := _dotted(expr.value)) is not None:
        return f"{base}.{expr.attr}"
    return None


def _acquired(statement: ast.stmt) -> set[str]:
    """What `x = ...`, `a, b = ...` or `[await] x.acquire()` may take to clean up later."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, ast.AnnAssign):
        targets = [statement.target]
    elif isinstance(statement, ast.Expr):
        call = _awaited(statement.value)
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "acquire"
        ):
            targets = [call.func.value]
    found: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets += target.elts
        elif (name := _dotted(target)) is not None:
            found.add(name)
    return found


def _cleaned(statement: ast.stmt, cleanup_names: frozenset[str]) -> set[str]:
    """What a statement `[await] x.close()` or `[await] pool.release(conn)` cleans up."""
    call = _awaited(statement.value) if isinstance(statement, ast.Expr) else None
    if not isinstance(call, ast.Call) or not _calls_cleanup(call, cleanup_names):
        return set()
    parts = [call.func.value] if isinstance(call.func, ast.Attribute) else []
    parts += call.args
    return {name for part in parts if (name := _dotted(part)) is not None}


def _awaited(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def may_skip_cleanup(code: CoroutineCode, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine block cleans up, as a statement, what an earlier statement of
    the block acquired, with a cancellation point in between (CF203's shape)."""
    for block in code.blocks:
        acquired_at: dict[str, int] = {}
        for index, statement in enumerate(block):
            for name in _cleaned(statement, cleanup_names) & acquired_at.keys():
                if any(map(_has_cancellation_point, block[acquired_at[name] + 1 : index])):
                    return True
            acquired_at.update(dict.fromkeys(_acquired(statement), index))
    return False


def _calls_named(expr: ast.expr, names: frozenset[str]) -> bool:
    return isinstance(expr, ast.Call) and _last_name(expr.func) in names


def may_await_cancelled_task(code: CoroutineCode) -> bool:
    """Whether some coroutine cancels something (`x.cancel()`) and awaits a name or an
    attribute chain (`await task`, `await self._task`): CF301's shape."""
    return "cancel" in code.coroutine_calls and any(
        _dotted(awaited) is not None for awaited in code.awaited
    )


def may_gather_cancelled_tasks(code: CoroutineCode) -> bool:
    """Whether some coroutine cancels something and awaits `gather(...)` without
    `return_exceptions=True` (CF302's shape)."""
    gather = _with_aliases(code, frozenset({"gather"}))
    return "cancel" in code.coroutine_calls and any(
        isinstance(awaited, ast.Call)
        and _calls_named(awaited, gather)
        and not any(
            keyword.arg == "return_exceptions"
            and isinstance(keyword.value, ast.Constant)
            and keyword.value.value is True
            for keyword in awaited.keywords
        )
        for awaited in code.awaited
    )


def may_discard_task(code: CoroutineCode) -> bool:
    """Whether some function calls `create_task` or `ensure_future` (or what `from asyncio
    import create_task as x` binds) as a statement, discarding the task (CF303's shape): on
    its own, on a module, or on something that may be an event loop (not a TaskGroup)."""
    spawners = _with_aliases(code, frozenset({"create_task", "ensure_future"}))
    return any(
        _last_name(call.func) in spawners and _may_be_loop_or_module(call.func, code)
        for call in code.discarded_calls
    )


def _may_be_loop_or_module(func: ast.expr, code: CoroutineCode) -> bool:
    """Whether the receiver of `func`, if any, may be a module or an event loop: a call
    (`asyncio.get_running_loop()`), a name or attribute ending in `loop`, or a chain that
    starts at an imported module."""
    if not isinstance(func, ast.Attribute):
        return True
    receiver = func.value
    if isinstance(receiver, ast.Call):
        return True
    last = _last_name(receiver)
    if last is not None and last.lower().endswith("loop"):
        return True
    while isinstance(receiver, ast.Attribute):
        receiver = receiver.value
    return isinstance(receiver, ast.Name) and receiver.id in code.modules
