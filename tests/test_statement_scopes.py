"""Scopes computed per top-level statement answer as the whole module's scopes do: for every
node of every fixture and sample module, which names are bound, their qualified names and
the scopes that bind them."""

from __future__ import annotations

import builtins
import textwrap
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, Scope, ScopeProvider

from codemods.analysis.names import (
    cancellation_spelling,
    cancellation_spelling_names,
    module_spelling,
    module_spelling_names,
)
from codemods.analysis.scope import walk
from codemods.analysis.statement_scopes import StatementScopes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

SAMPLES = {
    "classes": """\
        import asyncio
        from asyncio import CancelledError as Cancelled

        task = None

        class Service:
            task = 1
            asyncio = "shadowed in the class only"

            async def run(self, cancelled=None):
                task_1 = asyncio.create_task(self.work())
                try:
                    await task_1
                except BaseException:
                    pass

            async def work(self):
                def inner():
                    asyncio = None
                    return asyncio
                class Nested:
                    def method(self):
                        return Cancelled
                return [task for task in range(3)]

            @property
            def name(self):
                return "service"

        async def main():
            async with asyncio.timeout(1):
                await Service().run()

        def main():
            lambda asyncio: asyncio
        """,
    "conditional": """\
        import typing
        if typing.TYPE_CHECKING:
            import asyncio
        else:
            def helper(): ...
        try:
            import trio
        except ImportError:
            trio = None

        class Empty:
            def only(self):
                import asyncio
                return asyncio.CancelledError

        async def user():
            try:
                await trio.sleep(1)
            except BaseException:
                raise
        """,
    "aliases": """\
        import asyncio as aio
        import asyncio.tasks

        async def main():
            await aio.sleep(1)

        class Service:
            aio = None

            async def run(self):
                await aio.sleep(0)

        async def shadowing(asyncio=None):
            return asyncio
        """,
}

BINDING_OUTSIDE = {
    "global": """\
        async def first():
            global asyncio
            import asyncio

        async def second():
            try:
                await asyncio.sleep(1)
            except BaseException:
                pass
        """,
    "global in methods": """\
        import asyncio

        _uid = 0

        class Connection:
            counter = 0

            def _unique_id(self, prefix):
                global _uid, task
                _uid += 1
                task = None
                return f"{prefix}{_uid}"

            async def close(self):
                asyncio.get_running_loop().create_task(self._stop())

            async def _stop(self):
                def reset():
                    global CancelledError
                    from asyncio import CancelledError
                try:
                    await asyncio.sleep(1)
                except CancelledError:
                    reset()

        class Plain:
            async def run(self):
                return task, _uid, CancelledError

        async def main(task_1=None):
            task = asyncio.create_task(main())
            await task
        """,
    "global read only": """\
        def reader():
            global missing, asyncio
            return missing

        async def user():
            return missing, asyncio
        """,
    "global in a class's statements": """\
        class Settings:
            global loop
            loop = None

            def method(self):
                return loop

        async def main():
            return loop
        """,
    "walrus in a default": """\
        def first(value=(task := None)):
            return value

        async def second():
            return task
        """,
    "walrus in the headers of members": """\
        import asyncio

        class Service:
            @staticmethod
            def method(value=(timeout := 1)):
                return value

            async def run(self):
                return timeout

            @decorate(handler := asyncio.CancelledError)
            class Nested(Base, error=(cancelled := None)):
                pass

        async def main():
            def inner(value=(inner_name := 2)):
                return inner_name
            return handler, cancelled
        """,
}


def _modules() -> Iterator[object]:
    """The samples, then every fixture (slow: several hundred modules)."""
    for name, text in (SAMPLES | BINDING_OUTSIDE).items():
        yield pytest.param(name, textwrap.dedent(text), id=name)
    for path in sorted(FIXTURES.glob("*/*.py")):
        yield pytest.param(path.name, path.read_text(), id=path.name, marks=pytest.mark.slow)


def _paths(module: cst.Module) -> Iterator[list[cst.CSTNode]]:
    """The paths `StatementScopes.around` is given: to each top-level statement, and through
    each class statement to each of its members."""
    for statement in module.body:
        yield [module, statement]
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for member in statement.body.body:
                yield [module, statement, statement.body, member]


def _names(module: cst.Module) -> set[str]:
    spelled = {node.value for node in walk(module) if isinstance(node, cst.Name)}
    return spelled | {"asyncio", "asyncio.CancelledError", "trio", "anyio", "open", "len"}


def _answers(scope: Scope | None, names: set[str]) -> object:
    if scope is None:
        return None
    return (
        type(scope).__name__,
        scope._name_prefix,
        {
            name: (
                name in scope,
                {(q.name, q.source) for q in scope.get_qualified_names_for(name)},
                sorted((type(a.scope).__name__, a.name) for a in scope[name])
                if name in scope and not hasattr(builtins, name)
                else None,
            )
            for name in names
        },
    )


@pytest.mark.parametrize(("name", "text"), list(_modules()))
def test_statement_scopes_answer_as_the_whole_modules(name: str, text: str) -> None:
    module = cst.parse_module(text)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    names = _names(module)
    scopes = StatementScopes(module)
    compared: set[tuple[int, int]] = set()
    for path in _paths(module):
        reduced = scopes.around(path)
        assert reduced is not None
        # Every node the reduced scopes map, not only the statement's: the definitions kept
        # because they bind names outside themselves are asked about as well.
        for node in walk(module):
            if node not in reduced:
                continue
            pair = (id(reduced[node]), id(whole[node]))  # (many nodes share a scope)
            if pair not in compared:
                assert _answers(reduced[node], names) == _answers(whole[node], names), node
                compared.add(pair)
    assert compared


@pytest.mark.parametrize("of_module", [None, "asyncio"], ids=["cancellation", "asyncio"])
@pytest.mark.parametrize(("name", "text"), list(_modules()))
def test_the_module_scope_spells_as_the_nodes_scope(
    name: str, text: str, of_module: str | None
) -> None:
    """Where the top-level statement spells none of the names the spelling of the
    cancellation exception (or of the asyncio module, `Rule.module_spelling_at`) depends on,
    the module's scope (without its definitions) knows of them what the scope of each node
    of the statement knows, in the whole module."""
    module = cst.parse_module(text)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    if of_module is None:
        names = cancellation_spelling_names(module)
    else:
        names = module_spelling_names(module, of_module)
    scopes = StatementScopes(module)
    compared = 0
    for path in _paths(module):
        scope = scopes.module_scope(path, names)
        if scope is None:
            continue
        expected = _spelling(module, scope, of_module)
        for node in walk(path[-1]):
            if whole.get(node) is not None:
                assert _answers(scope, set(names))[2] == _answers(whole[node], set(names))[2]
                assert _spelling(module, whole[node], of_module) == expected, node
                compared += 1
    assert compared or all(scopes.module_scope(path, names) is None for path in _paths(module))


FRESH_NAMES = ("task", "task_1", "cancelled", "cancelled_1", "cancel_error", "cancelling")
"""The names the rules' fixes may bind (`Rule.fresh_name` asks about each alone)."""


@pytest.mark.parametrize(("name", "text"), list(_modules()))
def test_the_module_scope_knows_each_name_as_the_nodes_scope(name: str, text: str) -> None:
    """Asked about one name at a time (a fresh name's candidates), the module's scope, where
    it answers, knows whether the name is bound, and where, as each node's scope does: of
    every name a sample spells, of the fresh names in the fixtures."""
    module = cst.parse_module(text)
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    scopes = StatementScopes(module)
    spelled_names = _names(module) if name in SAMPLES | BINDING_OUTSIDE else set()
    answered = 0
    for spelled in sorted(n for n in spelled_names | set(FRESH_NAMES) if n.isidentifier()):
        for path in _paths(module):
            scope = scopes.module_scope(path, frozenset({spelled}))
            if scope is None:
                continue
            expected = _answers(scope, {spelled})[2]
            for node in walk(path[-1]):
                if whole.get(node) is not None:
                    assert _answers(whole[node], {spelled})[2] == expected, (spelled, node)
            answered += 1
    assert answered


def _spelling(
    module: cst.Module, scope: Scope, of_module: str | None = None
) -> tuple[str, str | None] | None:
    """How code in `scope` spells the cancellation exception, or the module `of_module`."""
    spelling = (
        cancellation_spelling(module, scope)
        if of_module is None
        else module_spelling(module, scope, of_module)
    )
    if spelling is None:
        return None
    return module.code_for_node(spelling.expression), spelling.needs_import


def test_a_path_from_another_module_is_not_reduced() -> None:
    module = cst.parse_module("def f():\n    pass\n")
    other = cst.parse_module("def f():\n    pass\n")
    assert StatementScopes(module).around([other, other.body[0]]) is None
    assert StatementScopes(module).around([module]) is None


def test_the_names_that_decide_how_a_module_is_spelled() -> None:
    module = cst.parse_module(
        "import asyncio as aio\nimport asyncio.tasks\nimport trio\nfrom asyncio import sleep\n"
    )
    assert module_spelling_names(module, "asyncio") == {"aio", "asyncio"}
    assert module_spelling_names(module, "trio") == {"trio"}
