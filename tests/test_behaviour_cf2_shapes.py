"""The CF2 shapes of issue 16 and the teardown of issue 21, judged on a real event loop.

Each case is realistic code that undoes something (a pooled holder put back, a registry
entry removed, a lock released, a subscription dropped) on some failing paths but not on
cancellation. The engine fixes it with every rule enabled (so no other rule may chime in), and
the original and the fixed source run against the recording fakes of `tests/behaviour_cf2.py`:

- cancelled at each await of the guarded region, the original skips the cleanup and the fixed
  code runs it exactly once, after everything the original did, and ends cancelled;
- under an enclosing `asyncio.timeout()` that expires in the region: TimeoutError either way;
- on success, on each handled error and on a timeout the code handles itself: the same
  result or exception, and the same calls in the same order.
"""

from __future__ import annotations

from typing import Any

import pytest

from codemods.model import FixSafety
from codemods.registry import all_rules
from tests import behaviour_cf2
from tests.behaviour import Namespace
from tests.behaviour_cf2 import (
    Case,
    FakePool,
    RecordingLock,
    Versions,
    World,
    assert_gains_cleanup,
    drive,
)

ALL_RULES = tuple(rule.code for rule in all_rules())


class FakeHolder:
    """A pool slot (asyncpg's `PoolConnectionHolder`): acquiring it connects."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def acquire(self) -> FakeHolder:
        await self.world.step("connect")
        return self

    async def ping(self) -> None:
        await self.world.step("ping")


class FakeSlots:
    """The pool's queue of holders."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def get(self) -> FakeHolder:
        await self.world.setup("get")
        return FakeHolder(self.world)

    def put_nowait(self, holder: FakeHolder) -> None:
        self.world.cleanup_now("put_back")


class FakeClient:
    def __init__(self, world: World, key: str) -> None:
        self.world = world
        self.key = key

    async def connect(self) -> None:
        await self.world.step("connect", self.key)

    async def authenticate(self) -> None:
        await self.world.step("authenticate", self.key)


class RecordingRegistry(dict[str, Any]):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.world.cleanup_now("unregister")


# ---- shape 1: compensation in `except Exception`, whatever its names (CF202) ---------------

POOL_PUT_BACK = """
    class Pool:
        def __init__(self, slots):
            self._queue = slots

        async def acquire(self):
            holder = await self._queue.get()
            try:
                conn = await holder.acquire()
                await conn.ping()
            except Exception:
                self._queue.put_nowait(holder)
                raise
            return type(conn).__name__
"""


async def call_pool_put_back(ns: Namespace, world: World) -> Any:
    return await ns["Pool"](FakeSlots(world)).acquire()


REGISTRY_DEL = """
    class Registry:
        def __init__(self, clients, factory):
            self._clients = clients
            self._factory = factory

        async def open(self, key):
            client = self._factory(key)
            self._clients[key] = client
            try:
                await client.connect()
                await client.authenticate()
            except Exception:
                del self._clients[key]
                raise
            return sorted(self._clients)
"""


async def call_registry_del(ns: Namespace, world: World) -> Any:
    registry = ns["Registry"](RecordingRegistry(world), lambda key: FakeClient(world, key))
    return await registry.open("eu-1")


# ---- shape 2: a cancellation clause that skips the later handler's cleanup (CF204) ----------

REDIS_EXECUTE = """
    import asyncio


    class Redis:
        def __init__(self, connection):
            self.connection = connection

        async def execute_command(self, *args):
            conn = self.connection
            await conn.send_packed_command(b" ".join(args))
            try:
                return await conn.read_response()
            except asyncio.CancelledError:
                raise
            except Exception:
                await conn.disconnect(nowait=True)
                raise
"""


class FakeRedisConnection:
    def __init__(self, world: World) -> None:
        self.world = world

    async def send_packed_command(self, command: bytes) -> None:
        await self.world.setup("send", command)

    async def read_response(self) -> bytes:
        await self.world.step("read_response")
        return b"+OK"

    async def disconnect(self, nowait: bool = False) -> None:
        await self.world.cleanup("disconnect")


async def call_redis_execute(ns: Namespace, world: World) -> Any:
    return await ns["Redis"](FakeRedisConnection(world)).execute_command(b"GET", b"key")


POOL_CHECKOUT = """
    from asyncio import CancelledError


    async def checkout(pool, schema):
        conn = await pool.acquire()
        try:
            await conn.execute(f"SET search_path TO {schema}")
            await conn.execute("SET statement_timeout = 30000")
        except CancelledError:
            raise
        except Exception:
            await pool.release(conn)
            raise
        return type(conn).__name__
"""


async def call_pool_checkout(ns: Namespace, world: World) -> Any:
    return await ns["checkout"](FakePool(world), "tenant_a")


CASES = [
    Case(
        id="CF202-pool-put-back",
        code="CF202",
        safety=FixSafety.SAFE,
        source=POOL_PUT_BACK,
        expect="""
            except BaseException:
                self._queue.put_nowait(holder)
        """,
        call=call_pool_put_back,
        awaits=2,
        returns="FakeHolder",
        success_cleanups=(),
        after_cancel=(("put_back",),),
        handled=OSError,
        handled_end=("raised", "OSError"),
    ),
    Case(
        id="CF202-registry-del",
        code="CF202",
        safety=FixSafety.SAFE,
        source=REGISTRY_DEL,
        expect="""
            except BaseException:
                del self._clients[key]
        """,
        call=call_registry_del,
        awaits=2,
        returns=["eu-1"],
        success_cleanups=(),
        after_cancel=(("unregister",),),
        handled=ConnectionError,
        handled_end=("raised", "ConnectionError"),
    ),
]

CASES += [
    Case(
        id="CF204-redis-read-response",
        code="CF204",
        safety=FixSafety.SAFE,
        source=REDIS_EXECUTE,
        expect="""
            except asyncio.CancelledError:
                await conn.disconnect(nowait=True)
                raise
        """,
        call=call_redis_execute,
        awaits=1,
        returns=b"+OK",
        success_cleanups=(),
        after_cancel=(("disconnect",),),
        handled=ConnectionResetError,
        handled_end=("raised", "ConnectionResetError"),
    ),
    Case(
        id="CF204-pool-checkout",
        code="CF204",
        safety=FixSafety.SAFE,
        source=POOL_CHECKOUT,
        expect="""
            except CancelledError:
                await pool.release(conn)
                raise
        """,
        call=call_pool_checkout,
        awaits=2,
        returns="FakeConn",
        success_cleanups=(),
        after_cancel=(("release",),),
        handled=ValueError,
        handled_end=("raised", "ValueError"),
    ),
]

# ---- shapes 3 and 4: cleanup only on a timeout or on particular errors (CF205) -------------

TIMEOUT_UNSUBSCRIBE = """
    import asyncio


    class EventBus:
        def __init__(self, bus, inbox):
            self._bus = bus
            self._inbox = inbox

        async def wait_for_event(self, topic, timeout):
            await self._bus.subscribe(topic)
            try:
                await self._inbox.ready()
                event = await asyncio.wait_for(self._inbox.get(), timeout)
            except asyncio.TimeoutError:
                await self._bus.unsubscribe(topic)
                raise
            await self._bus.unsubscribe(topic)
            return event
"""


class FakeBus:
    def __init__(self, world: World) -> None:
        self.world = world

    async def subscribe(self, topic: str) -> None:
        await self.world.setup("subscribe", topic)

    async def unsubscribe(self, topic: str) -> None:
        await self.world.cleanup("unsubscribe")


class FakeInbox:
    def __init__(self, world: World) -> None:
        self.world = world

    async def ready(self) -> None:
        await self.world.step("ready")

    async def get(self) -> str:
        await self.world.step("get")
        return "event-1"


async def call_wait_for_event(ns: Namespace, world: World) -> Any:
    bus = ns["EventBus"](FakeBus(world), FakeInbox(world))
    return await bus.wait_for_event("orders", 10)


LOCK_ON_ERRORS = """
    import asyncio


    class ProtocolError(Exception):
        pass


    class Device:
        def __init__(self, stream, lock):
            self._stream = stream
            self._lock = lock

        async def command(self, payload):
            await self._lock.acquire()
            try:
                await self._stream.write(payload)
                reply = await self._stream.read()
            except (OSError, ProtocolError):
                self._lock.release()
                raise
            self._lock.release()
            return reply
"""


class FakeStream:
    def __init__(self, world: World) -> None:
        self.world = world

    async def write(self, payload: bytes) -> None:
        await self.world.step("write", payload)

    async def read(self) -> bytes:
        await self.world.step("read")
        return b"ACK"


async def call_device_command(ns: Namespace, world: World) -> Any:
    lock = RecordingLock(world)
    reply = await ns["Device"](FakeStream(world), lock).command(b"ON")
    return reply, lock.locked()


CASES += [
    Case(
        id="CF205-timeout-unsubscribe",
        code="CF205",
        safety=FixSafety.SAFE,
        source=TIMEOUT_UNSUBSCRIBE,
        expect="""
            except asyncio.CancelledError:
                await self._bus.unsubscribe(topic)
                raise
        """,
        call=call_wait_for_event,
        awaits=2,
        returns="event-1",
        success_cleanups=("unsubscribe",),
        after_cancel=(("unsubscribe",),),
        handled=TimeoutError,
        handled_end=("raised", "TimeoutError"),
    ),
    Case(
        id="CF205-lock-on-protocol-errors",
        code="CF205",
        safety=FixSafety.SAFE,
        source=LOCK_ON_ERRORS,
        expect="""
            except asyncio.CancelledError:
                self._lock.release()
                raise
        """,
        call=call_device_command,
        awaits=2,
        returns=(b"ACK", False),
        success_cleanups=("release",),
        after_cancel=(("release",),),
        handled=ConnectionResetError,
        handled_end=("raised", "ConnectionResetError"),
    ),
]

# ---- issue 21: the teardown moves into `finally` as a unit (CF203) ------------------------

CHANNEL_TEARDOWN = """
    class RpcChannel:
        def __init__(self, connection):
            self._connection = connection
            self._channel = None
            self._busy = False

        async def call(self, request):
            self._channel = await self._connection.channel()
            self._busy = True
            reply = await self._channel.roundtrip(request)
            await self._channel.confirm()
            self._channel.close()
            self._channel = None
            self._busy = False
            return reply
"""


class FakeChannel:
    def __init__(self, world: World) -> None:
        self.world = world

    async def roundtrip(self, request: bytes) -> bytes:
        await self.world.step("roundtrip", request)
        return b"pong"

    async def confirm(self) -> None:
        await self.world.step("confirm")

    def close(self) -> None:
        self.world.cleanup_now("close")


class FakeAmqpConnection:
    def __init__(self, world: World) -> None:
        self.world = world

    async def channel(self) -> FakeChannel:
        await self.world.setup("channel")
        return FakeChannel(self.world)


CHANNELS: list[Any] = []
"""Each run's `RpcChannel`, to read the state its teardown leaves."""


async def call_channel(ns: Namespace, world: World) -> Any:
    CHANNELS.append(ns["RpcChannel"](FakeAmqpConnection(world)))
    return await CHANNELS[-1].call(b"ping")


CASES += [
    Case(
        id="CF203-teardown-channel-busy-flag",
        code="CF203",
        safety=FixSafety.SAFE,
        source=CHANNEL_TEARDOWN,
        expect="""
            finally:
                self._channel.close()
                self._channel = None
                self._busy = False
            return reply
        """,
        call=call_channel,
        awaits=2,
        returns=b"pong",
        success_cleanups=("close",),
        after_cancel=(("close",),),
        unhandled=ConnectionResetError,
    ),
]

# ---- shape 6: the release that ends a reset method, after awaits (CF207) -------------------

PIPELINE_RESET = """
    class Pipeline:
        def __init__(self, pool, connection):
            self.pool = pool
            self.connection = connection
            self.watching = True

        async def reset(self):
            if self.watching and self.connection:
                await self.connection.send_command("UNWATCH")
                await self.connection.read_response()
            self.watching = False
            await self.pool.release(self.connection)
            self.connection = None
"""


class FakeWatchedConnection:
    def __init__(self, world: World) -> None:
        self.world = world

    async def send_command(self, *args: str) -> None:
        await self.world.step("send_command", *args)

    async def read_response(self) -> str:
        await self.world.step("read_response")
        return "OK"


PIPELINES: list[Any] = []
"""Each run's `Pipeline`, to read the state its reset leaves."""


async def call_pipeline_reset(ns: Namespace, world: World) -> Any:
    PIPELINES.append(ns["Pipeline"](FakePool(world), FakeWatchedConnection(world)))
    return await PIPELINES[-1].reset()


CASES += [
    Case(
        id="CF207-pipeline-reset",
        code="CF207",
        safety=FixSafety.UNSAFE,
        source=PIPELINE_RESET,
        expect="""
            finally:
                self.watching = False
                await self.pool.release(self.connection)
                self.connection = None
        """,
        call=call_pipeline_reset,
        awaits=2,
        returns=None,
        success_cleanups=("release",),
        after_cancel=(("release",),),
        unhandled=ConnectionResetError,
    ),
]

BATCH_DISCARD = """
    class Batch:
        def __init__(self, pool, connection):
            self.pool = pool
            self.connection = connection
            self.commands = [("SET", "key", "value")]

        async def clear(self):
            self.commands = []

        async def discard(self):
            await self.clear()
            await self.connection.send_command("DISCARD")
            await self.connection.read_response()
            await self.pool.release(self.connection)
"""


async def call_batch_discard(ns: Namespace, world: World) -> Any:
    batch = ns["Batch"](FakePool(world), FakeWatchedConnection(world))
    return await batch.discard()


CASES += [
    Case(
        # `await self.clear()` never suspends (no await in `clear`): the region starts after it.
        id="CF207-batch-discard-after-clear",
        code="CF207",
        safety=FixSafety.UNSAFE,
        source=BATCH_DISCARD,
        expect="""
            await self.clear()
            try:
                await self.connection.send_command("DISCARD")
                await self.connection.read_response()
            finally:
                await self.pool.release(self.connection)
        """,
        call=call_batch_discard,
        awaits=2,
        returns=None,
        success_cleanups=("release",),
        after_cancel=(("release",),),
        unhandled=ConnectionResetError,
    ),
]

BY_ID = {case.id: case for case in CASES}
EACH_CASE = [case.param() for case in CASES]
EACH_AWAIT = [case.param(i, suffix=f"-await{i}") for case in CASES for i in range(case.awaits)]


def fix_and_load(case: Case) -> Versions:
    """Fixed with every rule enabled: others may report the same bug, never fix it too."""
    return behaviour_cf2.fix_and_load(case, ALL_RULES, others_report=True)


@pytest.mark.parametrize(("case", "index"), EACH_AWAIT)
def test_cancel_at_each_await_cleans_up_once_after_fix(case: Case, index: int) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original, cancel=True, block_at=index)
    after = drive(case, versions.fixed, cancel=True, block_at=index)

    assert original.end == "cancelled"
    assert original.awaits == index + 1
    assert_gains_cleanup(case, original, after)


@pytest.mark.parametrize(("case", "index"), EACH_AWAIT)
def test_enclosing_timeout_cleans_up_once_after_fix(case: Case, index: int) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original, timeout=True, block_at=index)
    after = drive(case, versions.fixed, timeout=True, block_at=index)

    assert original.end == ("raised", "TimeoutError")
    assert_gains_cleanup(case, original, after)


@pytest.mark.parametrize("case", EACH_CASE)
def test_success_path_unchanged(case: Case) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original)
    after = drive(case, versions.fixed)

    assert original.end == ("returned", case.returns)
    assert original.awaits == case.awaits
    assert original.cleanups == list(case.success_cleanups)
    assert after == original


@pytest.mark.parametrize(
    ("case", "index"),
    [
        case.param(i, suffix=f"-await{i}")
        for case in CASES
        if case.handled is not None
        for i in range(case.awaits)
    ],
)
def test_handled_error_path_unchanged(case: Case, index: int) -> None:
    assert case.handled is not None
    versions = fix_and_load(case)
    original = drive(case, versions.original, fail_at=index, error=case.handled)
    after = drive(case, versions.fixed, fail_at=index, error=case.handled)

    assert original.end == case.handled_end
    assert original.cleanups, "the handled error ran the cleanup before the fix too"
    assert after == original


@pytest.mark.parametrize(
    ("case", "index"),
    [
        case.param(i, suffix=f"-await{i}")
        for case in CASES
        if case.unhandled is not None
        for i in range(case.awaits)
    ],
)
def test_unhandled_error_propagates_and_now_cleans_up(case: Case, index: int) -> None:
    """CF203's documented trade: an error nothing handles propagates as before, and now
    runs the cleanup on its way."""
    assert case.unhandled is not None
    versions = fix_and_load(case)
    original = drive(case, versions.original, fail_at=index, error=case.unhandled)
    after = drive(case, versions.fixed, fail_at=index, error=case.unhandled)

    assert original.end == ("raised", case.unhandled.__name__)
    assert_gains_cleanup(case, original, after)


@pytest.mark.parametrize("index", range(BY_ID["CF203-teardown-channel-busy-flag"].awaits))
def test_teardown_resets_state_once_cancelled(index: int) -> None:
    """Issue 21: the flag and the dead channel are reset with the close, so the next call
    works; before the fix a cancelled call left `_busy` set and the closed channel in place."""
    case = BY_ID["CF203-teardown-channel-busy-flag"]
    versions = fix_and_load(case)
    drive(case, versions.original, cancel=True, block_at=index)
    original = CHANNELS[-1]
    drive(case, versions.fixed, cancel=True, block_at=index)
    after = CHANNELS[-1]

    assert (original._busy, original._channel is None) == (True, False)
    assert (after._busy, after._channel) == (False, None)


def test_teardown_success_leaves_the_same_state() -> None:
    case = BY_ID["CF203-teardown-channel-busy-flag"]
    versions = fix_and_load(case)
    states = []
    for namespace in (versions.original, versions.fixed):
        drive(case, namespace)
        states.append((CHANNELS[-1]._busy, CHANNELS[-1]._channel))
    assert states == [(False, None), (False, None)]


# ---- shape 7: a loop of cleanups that a cancellation must not abort (CF206) ----------------

CLOSE_ALL = """
    async def close_all(conns):
        errors = []
        for conn in conns:
            try:
                await conn.close()
            except Exception as exc:
                errors.append(str(exc))
        return errors
"""
CONNECTIONS = ("a", "b", "c")


class FakeClosable:
    def __init__(self, world: World, name: str) -> None:
        self.world = world
        self.name = name

    async def close(self) -> None:
        await self.world.step("close", self.name)
        self.world.cleanup_now(self.name)


async def call_close_all(ns: Namespace, world: World) -> Any:
    return await ns["close_all"]([FakeClosable(world, name) for name in CONNECTIONS])


CLOSE_ALL_CASE = Case(
    id="CF206-close-all",
    code="CF206",
    safety=FixSafety.SAFE,
    source=CLOSE_ALL,
    expect="""
        except asyncio.CancelledError as cancel_error:
            cancelled = cancel_error
    if cancelled is not None:
        raise cancelled
    return errors
    """,
    call=call_close_all,
    awaits=3,
    returns=[],
    success_cleanups=CONNECTIONS,
    after_cancel=(),
)


@pytest.mark.parametrize("index", range(len(CONNECTIONS)))
def test_cleanup_loop_runs_the_rest_then_ends_cancelled(index: int) -> None:
    versions = fix_and_load(CLOSE_ALL_CASE)
    original = drive(CLOSE_ALL_CASE, versions.original, cancel=True, block_at=index)
    after = drive(CLOSE_ALL_CASE, versions.fixed, cancel=True, block_at=index)

    rest = [call for name in CONNECTIONS[index + 1 :] for call in (("close", name), (name,))]
    assert original.end == after.end == "cancelled"
    assert original.cleanups == list(CONNECTIONS[:index])  # the bug: the rest stay open
    assert after.record == original.record + rest
    assert after.cleanups == [name for name in CONNECTIONS if name != CONNECTIONS[index]]


@pytest.mark.parametrize("index", range(len(CONNECTIONS)))
def test_cleanup_loop_under_timeout_runs_the_rest_then_times_out(index: int) -> None:
    versions = fix_and_load(CLOSE_ALL_CASE)
    after = drive(CLOSE_ALL_CASE, versions.fixed, timeout=True, block_at=index)

    assert after.end == ("raised", "TimeoutError")
    assert after.cleanups == [name for name in CONNECTIONS if name != CONNECTIONS[index]]


@pytest.mark.parametrize("failing", [None, *range(len(CONNECTIONS))])
def test_cleanup_loop_without_cancellation_unchanged(failing: int | None) -> None:
    versions = fix_and_load(CLOSE_ALL_CASE)
    original = drive(CLOSE_ALL_CASE, versions.original, fail_at=failing)
    after = drive(CLOSE_ALL_CASE, versions.fixed, fail_at=failing)

    expected = [] if failing is None else ["close failed"]
    assert original.end == ("returned", expected)
    assert after == original


@pytest.mark.parametrize("index", range(BY_ID["CF207-pipeline-reset"].awaits))
def test_reset_cancelled_leaves_the_pipeline_reset(index: int) -> None:
    case = BY_ID["CF207-pipeline-reset"]
    versions = fix_and_load(case)
    drive(case, versions.original, cancel=True, block_at=index)
    original = PIPELINES[-1]
    drive(case, versions.fixed, cancel=True, block_at=index)
    after = PIPELINES[-1]

    assert (original.watching, original.connection is None) == (True, False)
    assert (after.watching, after.connection) == (False, None)
