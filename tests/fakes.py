"""A world of generic fakes in which a fixture's code runs on a real event loop.

The behaviour harness (tests/test_behaviour_harness.py) executes a fixture as a module whose
imports resolve here: `asyncio` is the real one seen through a proxy, a few pure standard
modules are real, and everything else (the library under use, `logging`, `os`...) is a
`FakeModule`. A `Fake` stands in for any object the code did not create itself:

- an attribute is another fake, the same one each time (`self._reader` is one object);
- a call is recorded in the world's log and returns a fake; a call with a function as its
  only argument returns that function (a decorator); `create_task(coro)` (a loop's, a
  group's) returns a real task running the coroutine, as `asyncio.create_task` does;
- `await fake` suspends once (a scheduling point, where the harness may cancel the task),
  then returns a fake, or raises the error the harness chose for that await;
- iteration yields two fakes (a collection of two: loops show what they do to a group);
- truth and order comparisons answer the world's `truth` (the harness tries both);
- a fake the code treats as a task (it calls `.cancel()` on it) can be made a real task
  (`World.tasks`): then `done()`, `asyncio.wait()` and awaiting it are real.
"""

from __future__ import annotations

import asyncio
import builtins
import dataclasses
import sys
import types
from collections.abc import Callable, Generator, Iterator
from typing import Any

REAL_MODULES = frozenset(
    {
        "__future__",
        "abc",
        "collections",
        "contextlib",
        "dataclasses",
        "enum",
        "functools",
        "itertools",
        "types",
        "typing",
        "typing_extensions",
        "weakref",
    }
)
"""Standard modules with no effect on the world: the fixture uses the real ones."""

WORLDLY_BUILTINS = ("open", "print", "input", "exit", "quit", "breakpoint")
"""Builtins that touch the world: fakes in the fixture's module."""

REAL_ASYNCIO = frozenset(
    {
        "CancelledError",
        "TimeoutError",
        "InvalidStateError",
        "Future",
        "Task",
        "Event",
        "Lock",
        "Semaphore",
        "BoundedSemaphore",
        "Condition",
        "Queue",
        "QueueEmpty",
        "QueueFull",
        "TaskGroup",
        "current_task",
        "all_tasks",
        "wait",
        "gather",
        "shield",
        "iscoroutine",
        "iscoroutinefunction",
        "exceptions",
        "FIRST_COMPLETED",
        "FIRST_EXCEPTION",
        "ALL_COMPLETED",
        "AbstractEventLoop",
    }
)
"""asyncio's names the fixture gets for real; the others (streams, subprocesses, the loop's
network calls) are fakes."""


@dataclasses.dataclass
class World:
    """What one run of a fixture shares: the log of calls on fakes, the awaits so far, the
    error planned for one of them, the fakes that are real tasks."""

    truth: bool = True
    calls: list[str] = dataclasses.field(default_factory=list)
    awaits: int = 0
    raise_at: tuple[int, type[BaseException]] | None = None
    task_paths: frozenset[str] = frozenset()
    tasks: dict[str, asyncio.Task[Any]] = dataclasses.field(default_factory=dict)
    cancelled_paths: set[str] = dataclasses.field(default_factory=set)
    created: list[asyncio.Task[Any]] = dataclasses.field(default_factory=list)
    classes: dict[str, type[FakeError]] = dataclasses.field(default_factory=dict)
    """The fake modules' classes by path (`aiokafka.errors.KafkaError`): one class for a path,
    however often the fixture imports its module."""
    recording: bool = True
    where: Callable[[], int | None] = lambda: None
    """The line the function under test is at (the harness sets it to read its frame)."""
    call_lines: list[int | None] = dataclasses.field(default_factory=list)
    """For each call of `calls`, the line of the function under test that made it."""
    raised_line: int | None = None
    """The line of the function under test at which the planned error was raised."""
    """Off once the harness closes a run that did not end by itself: what its `finally`
    blocks then do is not what the run did."""

    def child(self, path: str) -> Any:
        """The object at `path`: a real task where the code treats it as one, else a fake."""
        if path in self.task_paths:
            if path not in self.tasks:
                self.tasks[path] = asyncio.get_running_loop().create_task(child_task(path))
            return self.tasks[path]
        return Fake(self, path)

    def spawn(self, awaitable: Any) -> asyncio.Task[Any]:
        """A real task the code created (a fake is awaited in it as anywhere)."""
        task = asyncio.ensure_future(_awaiting(awaitable))
        self.created.append(task)
        return task

    def call(self, path: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self.recording:
            return
        shown = [describe(arg) for arg in args]
        shown += [f"{key}={describe(value)}" for key, value in kwargs.items()]
        self.calls.append(f"{path}({', '.join(shown)})")
        self.call_lines.append(self.where())
        if path.endswith(".cancel"):
            self.cancelled_paths.add(path.removesuffix(".cancel"))

    def suspend(self, path: str) -> Generator[None, None, Any]:
        """An await of a fake: one scheduling point, then the planned error or a fake."""
        self.awaits += 1
        yield  # a bare yield: the task reschedules us, and a cancel lands here
        if self.raise_at is not None and self.raise_at[0] == self.awaits:
            self.raised_line = self.where()
            raise self.error(self.raise_at[1])
        return Fake(self, f"(await {path})")

    def fake_class(self, path: str) -> type[FakeError]:
        """The class a fake module has at `path` (an exception class, a base class)."""
        if path not in self.classes:
            module, _, name = path.rpartition(".")
            attributes = {"_harness_world": self, "_harness_path": path, "__module__": module}
            self.classes[path] = type(name, (FakeError,), attributes)
        return self.classes[path]

    def error(self, cls: type[BaseException]) -> BaseException:
        """An instance of `cls` as this world's code sees it: a fake module's class named by
        the harness (from another load of the fixture) is the one this world's handlers
        name, so that `except KafkaError` catches it; a class whose constructor needs
        arguments (`UnicodeDecodeError`) is made without them."""
        if issubclass(cls, FakeError):
            cls = self.fake_class(cls._harness_path)
        try:
            return cls()
        except TypeError:
            return cls.__new__(cls)


async def child_task(path: str) -> None:
    """A task the code under test stops: it runs until cancelled and honours the cancel."""
    await asyncio.Event().wait()
    raise AssertionError(f"{path} ended by itself")


def describe(value: Any) -> str:
    """A value as the log shows it, the same in both runs: fakes by path, plain data by repr,
    anything else by its type."""
    if isinstance(value, Fake):
        return object.__getattribute__(value, "_path")
    if isinstance(value, (str, int, float, bool, bytes, type(None))):
        return repr(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return f"{type(value).__name__}[{', '.join(sorted(describe(v) for v in value))}]"
    if isinstance(value, asyncio.Task):
        return "<task>"
    return f"<{type(value).__name__}>"


class Fake:
    """Any object the fixture's code did not make: see the module's docstring."""

    def __init__(self, world: World, path: str) -> None:
        object.__setattr__(self, "_world", world)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_children", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        children = object.__getattribute__(self, "_children")
        if name not in children:
            children[name] = self._world.child(f"{self._path}.{name}")
        return children[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self._children[name] = value

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and isinstance(args[0], (types.FunctionType, type)):
            return args[0]  # a decorator
        self._world.call(self._path, args, kwargs)
        if self._path.endswith(".create_task") and args and asyncio.iscoroutine(args[0]):
            return self._world.spawn(args[0])
        return Fake(self._world, f"{self._path}()")

    def __await__(self) -> Generator[None, None, Any]:
        return self._world.suspend(self._path)

    async def __aenter__(self) -> Any:
        return await Fake(self._world, f"{self._path}.__aenter__()")

    async def __aexit__(self, *exc: Any) -> bool:
        await Fake(self._world, f"{self._path}.__aexit__()")
        return False

    def __enter__(self) -> Any:
        return Fake(self._world, f"{self._path}.__enter__()")

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter([self._world.child(f"{self._path}[{i}]") for i in range(2)])

    def __aiter__(self) -> Any:
        return FakeStream(self._world, self._path)

    def __getitem__(self, key: Any) -> Any:
        return self._world.child(f"{self._path}[{describe(key)}]")

    def __setitem__(self, key: Any, value: Any) -> None:
        self._world.call(f"{self._path}.__setitem__", (key, value), {})

    def __delitem__(self, key: Any) -> None:
        self._world.call(f"{self._path}.__delitem__", (key,), {})

    def __bool__(self) -> bool:
        return self._world.truth

    def __len__(self) -> int:
        return 2

    def __contains__(self, item: Any) -> bool:
        return False

    def __lt__(self, other: Any) -> bool:
        return not self._world.truth

    __gt__ = __le__ = __ge__ = __lt__

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (FakeBase,)

    def __repr__(self) -> str:
        return f"<fake {self._path}>"

    def __str__(self) -> str:
        return self._path

    def __add__(self, other: Any) -> Any:
        return Fake(self._world, f"({self._path} + {describe(other)})")

    __radd__ = __sub__ = __rsub__ = __mul__ = __truediv__ = __add__

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class FakeStream:
    """`async for item in fake`: two items, each after a scheduling point."""

    def __init__(self, world: World, path: str) -> None:
        self._world = world
        self._path = path
        self._left = 2

    def __aiter__(self) -> FakeStream:
        return self

    async def __anext__(self) -> Any:
        if self._left == 0:
            raise StopAsyncIteration
        self._left -= 1
        return await Fake(self._world, f"{self._path}.__anext__()")


class FakeBase:
    """The base of a class whose base is a fake: what the class lacks is a fake."""

    _harness_world: World

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = type(self)._harness_world.child(f"self.{name}")
        object.__setattr__(self, name, value)
        return value


class FakeModule(types.ModuleType):
    """A module that is not installed, or that touches the world: every name is a fake, and
    a CapWords name is a class (an exception class, a base class) whose instances are fakes."""

    def __init__(self, world: World, name: str) -> None:
        super().__init__(name)
        self.__dict__["_world"] = world

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        world = self.__dict__["_world"]
        path = f"{self.__name__}.{name}"
        value: Any
        if name[:1].isupper() and not name.isupper():
            value = world.fake_class(path)
        else:
            value = Fake(world, path)
        setattr(self, name, value)
        return value


class FakeError(Exception, FakeBase):
    """A fake module's class: an exception class that can also be a base or be instantiated."""

    _harness_path: str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args)


class AsyncioProxy(types.ModuleType):
    """asyncio as the fixture sees it: the real names of REAL_ASYNCIO, a counted scheduling
    point for `sleep`, task creation that accepts a fake, and fakes for everything else."""

    def __init__(self, world: World) -> None:
        super().__init__("asyncio")
        self.__dict__["_world"] = world

    def __getattr__(self, name: str) -> Any:
        world = self.__dict__["_world"]
        special: dict[str, Any] = {
            "sleep": lambda *args, **kwargs: Fake(world, "asyncio.sleep"),
            "create_task": self._create_task,
            "ensure_future": self._create_task,
            "wait_for": _wait_for,
            "timeout": lambda delay: asyncio.timeout(_number(delay)),
            "get_running_loop": lambda: Fake(world, "loop"),
            "get_event_loop": lambda: Fake(world, "loop"),
        }
        if name in special:
            return special[name]
        if name in REAL_ASYNCIO:
            return getattr(asyncio, name)
        return Fake(world, f"asyncio.{name}")

    def _create_task(self, awaitable: Any, **kwargs: Any) -> asyncio.Task[Any]:
        world: World = self.__dict__["_world"]
        return world.spawn(awaitable)


async def _awaiting(awaitable: Any) -> Any:
    return await awaitable


async def _wait_for(awaitable: Any, timeout: Any = None) -> Any:
    return await awaitable


def _number(value: Any) -> float | None:
    return None if isinstance(value, Fake) else value


def importer(world: World) -> Callable[..., Any]:
    """The `__import__` of a fixture's module: see the module's docstring."""
    real_import = builtins.__import__

    def fixture_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        top = name.split(".")[0]
        if top == "asyncio":
            proxy = AsyncioProxy(world)
            if name == "asyncio" or not fromlist:
                return proxy
            return getattr(proxy, name.split(".")[1])
        if top in REAL_MODULES:
            return real_import(name, globals, locals, fromlist, level)
        module = FakeModule(world, name)
        if not fromlist:
            return FakeModule(world, top)
        return module

    return fixture_import


def load(source: str, world: World) -> dict[str, Any]:
    """Execute a fixture's source as a module in `world` (registered, as `dataclasses` and
    `typing` look a class's module up)."""
    module = types.ModuleType("fixture")
    namespace = module.__dict__
    namespace["__builtins__"] = {
        **builtins.__dict__,
        "__import__": importer(world),
        **{name: Fake(world, name) for name in WORLDLY_BUILTINS},
    }
    sys.modules["fixture"] = module
    exec(compile(source, "fixture.py", "exec"), namespace)
    return namespace


def instance(cls: type, world: World) -> Any:
    """An instance of `cls` made without its `__init__`: what it did not set is a fake."""
    harnessed = type(
        cls.__name__,
        (cls,),
        {"__getattr__": FakeBase.__getattr__, "_harness_world": world},
    )
    try:
        return harnessed.__new__(harnessed)
    except TypeError:
        return object.__new__(harnessed)
