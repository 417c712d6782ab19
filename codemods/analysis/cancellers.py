"""The coroutine that runs as a task, and what whoever cancels that task does next.

A long-running coroutine (`self._poll = asyncio.create_task(self._poll_loop())`) is often
stopped by a method that cancels its task and then cleans up itself (`self._poll.cancel()`,
then `await self._api.unsubscribe()`). The coroutine's own `except Exception:` handler that
makes the same call is not skipped by that cancellation: the cleanup is the canceller's
job. Widening the handler would run it twice on every designed stop, and report the stop as
the error the handler logs.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator, Sequence
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import sole_expression
from codemods.analysis.cleanup import call_of, called_name, words
from codemods.analysis.names import imported_roots, module_names
from codemods.analysis.scope import dotted_name, method_receiver, walk, walk_same_frame
from codemods.analysis.suspension import suspensions
from codemods.prefilter.statements import CoroutineCode, Function, last_name


def tasks_running(scope: cst.CSTNode, coroutine: cst.FunctionDef) -> set[str]:
    """The names and attribute chains that code in `scope` binds to a task running
    `coroutine`: `self._poll = asyncio.create_task(self._poll_loop())`, or any call handed a
    call of the coroutine's name."""
    return {name for name, started in _task_bindings(scope) if coroutine.name.value in started}


def coroutines_run_by(scope: cst.CSTNode, task: str) -> set[str]:
    """The names of the coroutine functions whose calls code in `scope` hands to the call it
    binds the name or attribute chain `task` to (the converse of `tasks_running`)."""
    return set().union(*(started for name, started in _task_bindings(scope) if name == task))


@functools.lru_cache(maxsize=4)  # asked of the module for each coroutine and reference
def _task_bindings(scope: cst.CSTNode) -> tuple[tuple[str, frozenset[str]], ...]:
    """Each name or attribute chain an assignment in `scope` binds to a call, with the last
    names of the calls handed to that call (`create_task(self._poll_loop())`: `_poll_loop`)."""
    found: list[tuple[str, frozenset[str]]] = []
    for node in walk(scope):
        # (By type: every node is tested, and `Assign` has no subclasses.)
        if type(node) is cst.Assign and isinstance(node.value, cst.Call):
            started = frozenset(
                (get_full_name_for_node(arg.value.func) or "").rsplit(".", 1)[-1]
                for arg in node.value.args
                if isinstance(arg.value, cst.Call)
            )
            for target in node.targets:
                if started and (name := dotted_name(target.target)) is not None:
                    found.append((name, started))
    return tuple(found)


def cleaned_up_by_canceller(
    module: cst.Module,
    ancestors: Sequence[cst.CSTNode],
    coroutine: cst.FunctionDef,
    lines: Sequence[cst.BaseStatement],
) -> bool:
    """Whether the cleanup `lines` of `coroutine` (whose ancestors are `ancestors`, nearest
    first) are calls that the canceller of its task makes too: a function of its class (of
    the module, for a module-level coroutine) cancels a task running it and then makes each
    of those calls on the same object (`self._api.unsubscribe`)."""
    calls = [_called(line) for line in lines]
    if not calls or None in calls:
        return False
    scope = next((a for a in ancestors if isinstance(a, cst.ClassDef)), module)
    tasks = tasks_running(scope, coroutine)
    return bool(tasks) and any(
        set(calls) <= _calls_after_cancelling(function, tasks)
        for function in _functions(scope)
        if function is not coroutine
    )


def _called(line: cst.BaseStatement) -> str | None:
    """The function that a statement like `await self._api.unsubscribe(...)` calls."""
    call = call_of(sole_expression(line))
    return get_full_name_for_node(call.func) if call is not None else None


def _functions(scope: cst.CSTNode) -> Iterator[cst.FunctionDef]:
    # (By type: every node is tested, and `FunctionDef` has no subclasses.)
    return (node for node in walk(scope) if type(node) is cst.FunctionDef)


def _calls_after_cancelling(function: cst.FunctionDef, tasks: set[str]) -> set[str]:
    """The functions that `function` calls after it cancels one of `tasks`."""
    called: set[str] = set()
    cancelled = False
    for node in walk_same_frame(function.body):
        receiver = method_receiver(node, "cancel")
        if receiver is not None and dotted_name(receiver) in tasks:
            cancelled = True
        elif cancelled and type(node) is cst.Call:
            called.add(get_full_name_for_node(node.func) or "")
    return called


# A program's main: cancelled only when the program is interrupted, which then exits.

_LOOP_RUNNERS = frozenset({"run_until_complete"})
"""Event loop methods that run a coroutine to its end (`asyncio.run` is matched by its
qualified name, as `run` alone says too little)."""
_MAIN_NAMES = frozenset({"main", "amain", "async_main"})
"""Public names that conventionally say a program's entry, not a library's coroutine."""
_CLOSING = frozenset({"close", "aclose", "wait_closed", "disconnect"})
"""The cleanup the exit of the process does itself: what it closes lives in the process
(`stop`, `shutdown` and `release` may end something another process holds)."""


def cancelled_only_at_exit(
    module: cst.Module, coroutine: cst.FunctionDef, lines: Sequence[cst.BaseStatement]
) -> bool:
    """Whether skipping the cleanup `lines` of `coroutine` on cancellation leaks nothing:
    the coroutine is a program's main (see `runs_only_as_program`) that cancels nothing in
    itself (see `may_cancel_itself`), and each line only closes something (`await
    conn.close()`, `writer.close()`, `await client.disconnect()`): the exit of the process
    that follows the interruption closes it too. Not a redis lock it releases, a container
    it stops, a file it deletes or a child process it kills: those outlive the process."""
    return (
        runs_only_as_program(module, coroutine)
        and not may_cancel_itself(coroutine)
        and all(_closes(line) for line in lines)
    )


def runs_only_as_program(module: cst.Module, coroutine: cst.FunctionDef) -> bool:
    """Whether the module-level, undecorated coroutine function `coroutine` is a program's
    main: its module is a command-line program (see `_is_program`), its name is private
    (`_run`) or a program's entry (`main`, `amain`, `async_main`), and every use of its name
    in the module (at least one) is a call handed to `asyncio.run(...)` or
    `loop.run_until_complete(...)`. Such a coroutine is cancelled only when the program is
    interrupted (Ctrl-C), and the process ends right after. A use anywhere else (awaited,
    made a task, passed on) may cancel it while the program lives on; a public name
    (`probe`) may be imported and awaited by another module, which only its module's uses
    would not show."""
    name = coroutine.name.value
    if not (name.startswith("_") or name in _MAIN_NAMES):
        return False
    definitions = suspensions(module)
    if coroutine.asynchronous is None or coroutine.decorators or not _is_program(module):
        return False
    if definitions.functions.get(name) is not coroutine:
        return False  # a method, a nested function, or a name bound more than once
    uses = len(definitions.uses(name))
    return uses > 0 and uses == _runs_of(module, name)


_CANCELLING_WORDS = (
    ("timeout",),
    ("fail", "after"),
    ("fail", "at"),
    ("move", "on", "after"),
    ("move", "on", "at"),
    ("cancel", "scope"),
    ("task", "group"),
    ("nursery",),
)
"""The words of what cancels the code it wraps: `asyncio.timeout`, `async_timeout.timeout`,
`anyio.fail_after`, `trio.move_on_at`, `CancelScope`, `TaskGroup` (a failing child cancels
the body), `create_task_group`, `open_nursery`."""


def may_cancel_itself(coroutine: cst.FunctionDef) -> bool:
    """Whether `coroutine` may be cancelled while it runs on, by something in its own body:
    a `with` of a timeout, a cancel scope or a task group, a call of `wait_for` or of a
    timeout, a `.cancel` (of a task, of a scope), or a loop that catches a timeout or a
    cancellation and carries on. Read conservatively: any of them anywhere in it counts."""
    for node in walk(coroutine.body):
        if isinstance(node, cst.WithItem) and _names_cancelling(node.item):
            return True
        if isinstance(node, cst.Call) and (
            called_name(node) == "wait_for" or "timeout" in words(called_name(node) or "")
        ):
            return True
        if isinstance(node, cst.Attribute) and node.attr.value == "cancel":
            return True
        if isinstance(node, cst.For | cst.While) and _catches_cancellation(node):
            return True
    return False


def _names_cancelling(expression: cst.BaseExpression) -> bool:
    """`asyncio.timeout(30)`, `trio.CancelScope()`, `tg.cancel_scope`: by its last name."""
    if isinstance(expression, cst.Call):
        expression = expression.func
    name = get_full_name_for_node(expression)
    said = words(name.rsplit(".", 1)[-1]) if name else []
    return any(
        said[start : start + len(phrase)] == list(phrase)
        for phrase in _CANCELLING_WORDS
        for start in range(len(said))
    )


def _catches_cancellation(loop: cst.For | cst.While) -> bool:
    """Whether a handler in `loop` catches a timeout or a cancellation (`TimeoutError`,
    `asyncio.CancelledError`, `trio.Cancelled`, `BaseException`, a bare `except:`)."""
    for node in walk(loop.body):
        if not isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler):
            continue
        if node.type is None:
            return True
        caught = {name.value for name in walk(node.type) if isinstance(name, cst.Name)}
        if "BaseException" in caught or any(
            {"timeout", "cancelled"} & set(words(name)) for name in caught
        ):
            return True
    return False


_COMMAND_LINE_PARSERS = frozenset({"argparse", "optparse", "getopt", "click", "typer"})


@functools.lru_cache(maxsize=2)  # asked for each coroutine of the module
def _is_program(module: cst.Module) -> bool:
    """Whether the module is a command-line program: it imports a command-line parser, reads
    `sys.argv` or runs under `if __name__ == "__main__":`. A library module's function that
    wraps `asyncio.run` may be called by a program that lives on after the interruption."""
    names = module_names(module)
    for node in walk(module):
        kind = type(node)  # (by type: every node is tested, and none has subclasses)
        if (kind is cst.Import or kind is cst.ImportFrom) and not _COMMAND_LINE_PARSERS.isdisjoint(
            imported_roots(cast("cst.Import | cst.ImportFrom", node))
        ):
            return True
        if kind is cst.Attribute and "sys.argv" in names.qualified_names(node):
            return True
        if kind is cst.Comparison and _tests_main(cast(cst.Comparison, node)):
            return True
    return False


def _tests_main(comparison: cst.Comparison) -> bool:
    """`__name__ == "__main__"`."""
    parts = [comparison.left, *(target.comparator for target in comparison.comparisons)]
    spelled = {
        part.value if isinstance(part, cst.Name) else part.evaluated_value
        for part in parts
        if isinstance(part, cst.Name | cst.SimpleString)
    }
    return {"__name__", "__main__"} <= spelled


def _runs_of(module: cst.Module, name: str) -> int:
    """How many calls of the function `name` the module hands to an event loop runner."""
    names = module_names(module)
    return sum(
        1
        for node in walk(module)
        if isinstance(node, cst.Call)
        and node.args
        and isinstance(main := node.args[0].value, cst.Call)
        and isinstance(main.func, cst.Name)
        and main.func.value == name
        and (
            called_name(node) in _LOOP_RUNNERS or "asyncio.run" in names.qualified_names(node.func)
        )
    )


def _closes(line: cst.BaseStatement) -> bool:
    """`await conn.close()`, `writer.close()`: a statement that only calls a closing method."""
    call = call_of(sole_expression(line))
    return call is not None and called_name(call) in _CLOSING


# The gates: which functions the rules read for context (see `Rule.is_context`).


def may_start_or_cancel_tasks(code: CoroutineCode) -> bool:
    """Whether the function binds a task (`self._poll = create_task(...)`) or cancels
    something (`self._poll.cancel()`): where `cleaned_up_by_canceller` looks."""
    return bool(code.future_names) or any(
        last_name(call.func) == "cancel" for call in code.discarded_calls
    )


def may_run_only_as_program(function: Function) -> bool:
    """Whether the module-level function `function` may be a program's main (see
    `runs_only_as_program`): an undecorated coroutine function with a private name or a
    program's entry name. Whether it is one is read in the whole module."""
    name = function.name
    return (
        isinstance(function, ast.AsyncFunctionDef)
        and not function.decorator_list
        and (name.startswith("_") or name in _MAIN_NAMES)
    )
