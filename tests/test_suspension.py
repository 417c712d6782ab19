"""Where a coroutine can really be cancelled (`codemods.analysis.suspension`) and who cleans
up after a cancelled task (`codemods.analysis.cancellers`)."""

from __future__ import annotations

import asyncio
import textwrap

import libcst as cst
import pytest

from codemods.analysis.cancellers import cleaned_up_by_canceller
from codemods.analysis.suspension import Suspensions, completed_futures
from codemods.engine import process_source
from codemods.model import Mode, RuleOptions, Settings


def _module(source: str) -> cst.Module:
    return cst.parse_module(textwrap.dedent(source))


def _function(module: cst.Module, name: str) -> cst.FunctionDef:
    """The function `name`, or the method `Class.name`."""
    scope: cst.CSTNode = module
    if "." in name:
        cls, name = name.split(".")
        scope = next(
            n for n in _walk(module) if isinstance(n, cst.ClassDef) and n.name.value == cls
        )
    found = [
        node
        for node in _walk(scope)
        if isinstance(node, cst.FunctionDef) and node.name.value == name
    ]
    assert len(found) == 1, name
    return found[0]


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    return [node, *(n for child in node.children for n in _walk(child))]


NEVER = """
    import asyncio

    async def note(x):
        STATS.append(x)

    async def note_twice(x):
        await note(x)
        await note(x)

    async def sleeps():
        await asyncio.sleep(0)

    async def via_sleeps():
        await sleeps()

    async def ping():
        await pong()

    async def pong():
        await ping()

    async def shadowed(note):
        await note(1)

    async def gen():
        yield 1

    class Batch:
        async def reset(self):
            self.commands = []

        async def reset_all(self):
            await self.reset()

        async def drain(self):
            await self.reset()

        async def close(self):
            async with self.lock:
                pass

        @staticmethod
        async def helper(self):
            await self.reset()

    class Base:
        async def on_close(self):
            pass

        async def flush(self):
            self.buffer = []

        async def close(self):
            await self.on_close()

        async def drain(self):
            await self.flush()

    class Buffered(Base):
        async def flush(self):
            await self.transport.write(self.buffer)

    def decorate(f):
        return f

    @decorate
    async def decorated():
        pass
"""


@pytest.mark.parametrize(
    ("name", "never"),
    [
        ("note", True),
        ("note_twice", True),  # only awaits of functions that never suspend
        ("sleeps", False),
        ("via_sleeps", False),  # transitively
        ("ping", False),  # a cycle is taken to suspend
        ("pong", False),
        ("shadowed", False),  # `note` is the parameter there, not the module's function
        ("gen", False),  # an async generator
        ("reset", True),
        ("reset_all", True),  # a method of the same class, on `self`
        ("Batch.close", False),  # `async with`
        ("Base.close", False),  # `on_close` does nothing: a hook that subclasses override
        ("Base.drain", False),  # another class of the module overrides `flush`
        ("Batch.drain", True),  # (another class defines a `drain` too: no matter)
        ("helper", False),  # a static method's first parameter is not the instance
        ("decorated", False),  # the decorator may wrap it in anything
    ],
)
def test_never_suspends(name: str, never: bool) -> None:
    module = _module(NEVER)
    assert Suspensions(module).never_suspends(_function(module, name)) is never


def test_a_name_bound_twice_is_unknown() -> None:
    module = _module(
        """
        async def reset():
            pass

        reset = make_reset()

        async def close(conn):
            await reset()
            conn.close()
        """
    )
    suspensions = Suspensions(module)
    close = _function(module, "close")
    assert suspensions.may_suspend(close.body, close)


BOUND_ONCE = """
    async def reset():
        pass

    async def close(conn):
        await reset()
        conn.close()
"""


@pytest.mark.parametrize(
    "rebinding",
    [
        "try:\n    from ._native import reset\nexcept ImportError:\n    pass",
        "from ._remote import reset",
        "from ._native import *",
        "if REMOTE:\n    async def reset():\n        await send()",
        "reset: Callable[[], Awaitable[None]] = remote.reset",
        "reset += hooks",
        "for reset in hooks:\n    pass",
        "with hooks() as reset:\n    pass",
        "try:\n    pass\nexcept Exception as reset:\n    pass",
        "if (reset := hooks.get()):\n    pass",
        "del reset",
        "match hooks:\n    case {'reset': reset}:\n        pass",
        "def configure(backend):\n    global reset\n    reset = backend.reset",
        "class Config:\n    def use(self, backend):\n        global reset\n"
        "        reset = backend.reset",
    ],
)
def test_a_name_bound_again_anywhere_in_its_module_may_suspend(rebinding: str) -> None:
    module = _module(BOUND_ONCE + textwrap.indent(rebinding, "    ") + "\n")
    suspensions = Suspensions(module)
    close = _function(module, "close")
    assert suspensions.may_suspend(close.body, close)


@pytest.mark.parametrize(
    "binding",
    [
        "def configure(backend):\n    reset = backend.reset",  # a local of its own
        "def configure(level):\n    global LEVEL\n    LEVEL = level",
        "class Hooks:\n    reset = None",  # the class's attribute
        "hooks.reset = remote",  # an attribute of another object
    ],
)
def test_a_binding_of_another_name_or_frame_changes_nothing(binding: str) -> None:
    module = _module(BOUND_ONCE + textwrap.indent(binding, "    ") + "\n")
    suspensions = Suspensions(module)
    close = _function(module, "close")
    assert not suspensions.may_suspend(close.body, close)


def test_a_function_that_declares_the_name_global_is_read_by_check() -> None:
    """`use_backend`, which rebinds `record`, is neither a candidate nor context of CF202:
    it is kept whole in the focused module all the same."""
    source = textwrap.dedent(
        """\
        import asyncio


        async def record(name):
            pass


        def use_backend(backend):
            global record
            record = backend.record


        class Pool:
            def __init__(self) -> None:
                self._holders: asyncio.Queue = asyncio.Queue()

            async def acquire(self, name: str) -> object:
                holder = await self._holders.get()
                try:
                    await record(name)
                except Exception:
                    self._holders.put_nowait(holder)
                    raise
                return holder
        """
    ).encode()
    settings = Settings(Mode.CHECK, ("CF202",), RuleOptions())
    checked = process_source(source, "m.py", settings)
    whole = process_source(source, "m.py", settings, prefilter=False)
    assert [f.line for f in checked.findings] == [f.line for f in whole.findings] == [21]


SHIELDED = """
    import asyncio
    import trio

    class Server:
        async def _close_shielded(self):
            await self.proto.bye()

        async def _close_in_scope(self):
            await self.proto.bye()

        async def _close_mixed(self):
            await self.proto.bye()

        async def _close_as_callback(self):
            await self.proto.bye()

        async def _close_in_nested_def(self):
            await self.proto.bye()

        async def close_public(self):
            await self.proto.bye()

        async def run(self):
            await asyncio.shield(self._close_shielded())
            await asyncio.shield(self.close_public())
            with trio.CancelScope(shield=True):
                await self._close_in_scope()
                await self._close_mixed()

                async def later():
                    await self._close_in_nested_def()

            await self._close_mixed()
            self.on_idle = self._close_as_callback
            await asyncio.shield(self._close_as_callback())
"""


@pytest.mark.parametrize(
    ("name", "shielded"),
    [
        ("_close_shielded", True),
        ("_close_in_scope", True),
        ("_close_mixed", False),  # also awaited outside the scope
        ("_close_as_callback", False),  # also handed out as a callback
        ("_close_in_nested_def", False),  # a nested def runs wherever it is called
        ("close_public", False),  # other modules may call it
    ],
)
def test_only_runs_shielded(name: str, shielded: bool) -> None:
    module = _module(SHIELDED)
    assert Suspensions(module).only_runs_shielded(_function(module, name)) is shielded


def test_another_librarys_shield_is_not_asyncios() -> None:
    module = _module(
        """
        from guards import shield

        class Server:
            async def _close(self):
                await self.proto.bye()

            async def run(self):
                await shield(self._close())
        """
    )
    assert not Suspensions(module).only_runs_shielded(_function(module, "_close"))


def test_completed_futures_forget_a_rebound_name() -> None:
    body = _module(
        """
        done.set_result(1)
        failed.set_exception(err)
        failed = loop.create_future()
        """
    ).body
    assert completed_futures(body) == {"done"}


CANCELLER = """
    class Poller:
        def start(self):
            self._task = asyncio.create_task(self._poll())

        async def stop(self):
            if self._task is not None:
                self._task.cancel()
                self._task = None
            await self._api.unsubscribe(kind="pull")

        async def _poll(self):
            try:
                await self._api.pull()
            except Exception:
                await self._api.unsubscribe(kind="pull")
                self._api.reset()
                raise
"""


@pytest.mark.parametrize(
    ("lines", "cleaned"),
    [
        (slice(0, 1), True),  # the unsubscribe: stop() makes it after cancelling
        (slice(0, 2), False),  # `reset()` is not the canceller's
    ],
)
def test_cleaned_up_by_canceller(lines: slice, cleaned: bool) -> None:
    module = _module(CANCELLER)
    poll = _function(module, "_poll")
    cls = module.body[0]
    assert isinstance(cls, cst.ClassDef)
    body = poll.body.body[0]
    assert isinstance(body, cst.Try)
    handler = list(body.handlers[0].body.body)[lines]
    assert cleaned_up_by_canceller(module, [cls, module], poll, handler) is cleaned


def test_an_await_that_never_suspends_lets_no_cancellation_in() -> None:
    """The premise, on a real loop: a canceller that runs whenever the coroutine suspends
    cannot interrupt it between awaits of coroutines that have no await of their own."""
    record: list[str] = []

    async def reset() -> None:
        record.append("reset")

    async def close() -> None:
        await reset()
        await reset()
        record.append("released")

    async def main() -> None:
        task = asyncio.create_task(close())
        await asyncio.sleep(0)  # the task starts and, never suspending, runs to its end
        task.cancel()
        await task

    asyncio.run(main())
    assert record == ["reset", "reset", "released"]
