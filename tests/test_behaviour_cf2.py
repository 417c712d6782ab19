"""CF2 fixes, judged by what the code does on a real event loop, not by how the diff looks.

Each case is realistic asyncio code that acquires something (a pooled connection, a stream, a
lock, a transaction, a subprocess) and cleans it up in a way cancellation skips. The engine
fixes it (all of CF201-CF203 and CF101-CF102 enabled, so no other rule may chime in), and BOTH
the original and the fixed source run against fakes that record every call, in order, into
one `World`:

- cancelled at each await of the guarded region in turn, the original skips the cleanup (the
  bug) and the fixed code runs it exactly once, then ends cancelled;
- an enclosing `asyncio.timeout()` expiring in the region: TimeoutError either way, cleanup
  only once fixed;
- on success and on the errors the code handles: same result, same calls in the same order;
- on errors nothing handles: same exception, and the fixed code also cleans up (the fixes
  document this: only cancellation and such errors gain the cleanup).

Timing: nothing sleeps longer than the 0.05 s timeout; every wait for a task is bounded, and no
test touches the network or starts a process.
"""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import pytest

from codemods.model import FixSafety
from tests import behaviour_cf2
from tests.behaviour import Namespace, fixed, load
from tests.behaviour_cf2 import (
    CLEANUP_WAIT,
    Call,
    Case,
    FakeConn,
    FakePool,
    FakeProcess,
    FakeReader,
    FakeTokenClient,
    FakeWriter,
    RecordingLock,
    Versions,
    World,
    assert_gains_cleanup,
    drive,
    findings,
)

RULES = ("CF201", "CF202", "CF203", "CF101", "CF102")


def fix_and_load(case: Case) -> Versions:
    """Fixed with the rules of this file, none of which may chime in."""
    return behaviour_cf2.fix_and_load(case, RULES)


# ---- CF201: cleanup at the end of the body and in the handler, not in `finally` ------------

CF201_POOL = """
    async def fetch_user(pool, user_id):
        conn = await pool.acquire()
        try:
            await conn.execute("SET search_path TO app")
            row = await conn.fetchrow("SELECT name FROM users WHERE id = $1", user_id)
            await pool.release(conn)
            return row
        except Exception:
            await pool.release(conn)
            raise
"""


async def call_fetch_user(ns: Namespace, world: World) -> Any:
    return await ns["fetch_user"](FakePool(world), 42)


CF201_STREAM = """
    import asyncio

    async def send_command(reader, writer, command, log):
        try:
            writer.write(command + b"\\n")
            await writer.drain()
            reply = await reader.readline()
            writer.close()
            await writer.wait_closed()
            return reply
        except (ConnectionResetError, asyncio.IncompleteReadError):
            log.warning("peer dropped the connection")
            writer.close()
            await writer.wait_closed()
            return None
"""


async def call_send_command(ns: Namespace, world: World) -> Any:
    reader, writer = FakeReader(world, b"OK\n"), FakeWriter(world)
    return await ns["send_command"](reader, writer, b"STATUS", world)


CF201_LOCK = """
    class TokenProvider:
        def __init__(self, client, lock, log):
            self._client = client
            self._lock = lock
            self._log = log
            self._token = None

        async def token(self):
            await self._lock.acquire()
            try:
                if self._token is None:
                    grant = await self._client.fetch_token("api")
                    await self._client.verify(grant)
                    self._token = grant["access_token"]
                token = self._token
                self._lock.release()
                return token
            except TimeoutError:
                self._log.warning("token endpoint timed out")
                self._lock.release()
                return None
"""


async def call_token_provider(ns: Namespace, world: World) -> Any:
    provider = ns["TokenProvider"](FakeTokenClient(world), RecordingLock(world), world)
    return await provider.token()


# ---- CF202: cleanup only in `except Exception` --------------------------------------------

CF202_TRANSACTION = """
    async def transfer(conn, src, dst, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(
                "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, src
            )
            await conn.execute(
                "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, dst
            )
            await tx.commit()
        except Exception:
            await tx.rollback()
            raise
        return amount
"""


async def call_transfer(ns: Namespace, world: World) -> Any:
    return await ns["transfer"](FakeConn(world), 1, 2, 50)


CF202_POOL = """
    async def checkout(pool, schema):
        conn = await pool.acquire()
        try:
            await conn.execute(f"SET search_path TO {schema}")
            await conn.execute("SET statement_timeout = 30000")
        except Exception:
            await pool.release(conn)
            raise
        return conn
"""


async def call_checkout(ns: Namespace, world: World) -> Any:
    conn = await ns["checkout"](FakePool(world), "tenant_a")
    return type(conn).__name__  # a fresh object per run: compare its kind


CF202_SUBPROCESS = """
    import logging
    from asyncio import create_subprocess_exec
    from asyncio.subprocess import PIPE

    log = logging.getLogger(__name__)


    class WorkerStartupError(RuntimeError):
        pass


    async def start_worker(argv):
        proc = await create_subprocess_exec(*argv, stdin=PIPE, stdout=PIPE)
        try:
            proc.stdin.write(b"HELLO\\n")
            await proc.stdin.drain()
            line = await proc.stdout.readline()
            if line.strip() != b"READY":
                raise WorkerStartupError(f"{argv[0]} said {line!r}")
        except Exception:
            log.warning("worker %s failed to start", argv[0])
            proc.kill()
            await proc.wait()
            raise
        return proc
"""


async def call_start_worker(ns: Namespace, world: World) -> Any:
    async def spawn(*argv: str, **pipes: Any) -> FakeProcess:
        await world.setup("spawn", *argv)
        return FakeProcess(world, b"READY\n")

    ns.update(create_subprocess_exec=spawn, log=world)
    proc = await ns["start_worker"](["worker", "--serve"])
    return proc.pid


# ---- CF203: acquire ... await ... cleanup, no `try` at all --------------------------------

CF203_CONNECT = """
    async def daily_totals(dsn, day):
        conn = await connect(dsn)
        await conn.execute("SET search_path TO reporting")
        row = await conn.fetchrow("SELECT count(*) AS orders FROM orders WHERE day = $1", day)
        await conn.close()
        return {"day": day, "orders": row["orders"]}
"""


async def call_daily_totals(ns: Namespace, world: World) -> Any:
    async def connect(dsn: str) -> FakeConn:  # the driver's `connect`, a module global
        await world.setup("connect", dsn)
        return FakeConn(world)

    ns["connect"] = connect
    return await ns["daily_totals"]("postgres://reports", "2024-05-01")


CF203_LOCK = """
    class TokenCache:
        def __init__(self, client, lock):
            self._client = client
            self._lock = lock
            self._token = None

        async def get_token(self):
            await self._lock.acquire()
            if self._token is None:
                grant = await self._client.fetch_token("api")
                await self._client.verify(grant)
                self._token = grant["access_token"]
            self._lock.release()
            return self._token
"""


async def call_token_cache(ns: Namespace, world: World) -> Any:
    return await ns["TokenCache"](FakeTokenClient(world), RecordingLock(world)).get_token()


CF203_STREAM = """
    from asyncio import open_connection


    async def redis_ping(host, port):
        reader, writer = await open_connection(host, port)
        writer.write(b"PING\\r\\n")
        await writer.drain()
        reply = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return reply == b"+PONG\\r\\n"
"""


async def call_redis_ping(ns: Namespace, world: World) -> Any:
    async def open_connection(host: str, port: int) -> tuple[FakeReader, FakeWriter]:
        await world.setup("open_connection", host, port)
        return FakeReader(world, b"+PONG\r\n"), FakeWriter(world)

    ns["open_connection"] = open_connection
    return await ns["redis_ping"]("cache.internal", 6379)


CASES = [
    Case(
        id="CF201-pool-release",
        code="CF201",
        safety=FixSafety.SAFE,
        source=CF201_POOL,
        expect="""
            return row
        finally:
            await pool.release(conn)
        """,
        call=call_fetch_user,
        awaits=2,
        returns={"name": "ada", "orders": 3},
        success_cleanups=("release",),
        after_cancel=(("release",),),
        handled=OSError,
        handled_end=("raised", "OSError"),
    ),
    Case(
        id="CF201-stream-close",
        code="CF201",
        # Unsafe: the handler does not re-raise, so an error of the cleanup itself, which it
        # caught on the success path, now propagates.
        safety=FixSafety.UNSAFE,
        source=CF201_STREAM,
        expect="""
            return None
        finally:
            writer.close()
            await writer.wait_closed()
        """,
        call=call_send_command,
        awaits=2,
        returns=b"OK\n",
        success_cleanups=("close", "wait_closed"),
        after_cancel=(("close",), ("wait_closed",)),
        handled=ConnectionResetError,
        handled_end=("returned", None),
        unhandled=ValueError,
    ),
    Case(
        id="CF201-lock-return-token",
        code="CF201",
        # Unsafe: the handler does not re-raise, so an error of the cleanup itself, which it
        # caught on the success path, now propagates.
        safety=FixSafety.UNSAFE,
        source=CF201_LOCK,
        expect="""
            return None
        finally:
            self._lock.release()
        """,
        call=call_token_provider,
        awaits=2,
        returns="tok-1",
        success_cleanups=("release",),
        after_cancel=(("release",),),
        handled=TimeoutError,
        handled_end=("returned", None),
        unhandled=ValueError,
    ),
    Case(
        id="CF202-transaction-rollback",
        code="CF202",
        safety=FixSafety.SAFE,
        source=CF202_TRANSACTION,
        expect="""
        except BaseException:
            await tx.rollback()
            raise
        """,
        call=call_transfer,
        awaits=3,
        returns=50,
        success_cleanups=(),
        after_cancel=(("rollback",),),
        handled=OSError,
        handled_end=("raised", "OSError"),
    ),
    Case(
        id="CF202-pool-release-on-error",
        code="CF202",
        safety=FixSafety.SAFE,
        source=CF202_POOL,
        expect="""
        except BaseException:
            await pool.release(conn)
        """,
        call=call_checkout,
        awaits=2,
        returns="FakeConn",
        success_cleanups=(),
        after_cancel=(("release",),),
        handled=ValueError,
        handled_end=("raised", "ValueError"),
    ),
    Case(
        id="CF202-subprocess-kill",
        code="CF202",
        # Unsafe only because `await proc.wait()` is not in the cleanup vocabulary.
        safety=FixSafety.UNSAFE,
        source=CF202_SUBPROCESS,
        expect="""
        except BaseException:
            log.warning("worker %s failed to start", argv[0])
            proc.kill()
        """,
        call=call_start_worker,
        awaits=2,
        returns=FakeProcess.pid,
        success_cleanups=(),
        after_cancel=(("warning", "worker worker failed to start"), ("kill",), ("wait",)),
        handled=BrokenPipeError,
        handled_end=("raised", "BrokenPipeError"),
    ),
    Case(
        id="CF203-connect-close",
        code="CF203",
        safety=FixSafety.SAFE,
        source=CF203_CONNECT,
        expect="""
        try:
            await conn.execute("SET search_path TO reporting")
        """,
        call=call_daily_totals,
        awaits=2,
        returns={"day": "2024-05-01", "orders": 3},
        success_cleanups=("close",),
        after_cancel=(("close",),),
        unhandled=OSError,
    ),
    Case(
        id="CF203-lock-acquire-release",
        code="CF203",
        safety=FixSafety.SAFE,
        source=CF203_LOCK,
        expect="""
                self._token = grant["access_token"]
        finally:
            self._lock.release()
        return self._token
        """,
        call=call_token_cache,
        awaits=2,
        returns="tok-1",
        success_cleanups=("release",),
        after_cancel=(("release",),),
        unhandled=TimeoutError,
    ),
    Case(
        id="CF203-open-connection",
        code="CF203",
        safety=FixSafety.SAFE,
        source=CF203_STREAM,
        expect="""
            reply = await reader.readline()
        finally:
            writer.close()
            await writer.wait_closed()
        return reply == b"+PONG\\r\\n"
        """,
        call=call_redis_ping,
        awaits=2,
        returns=True,
        success_cleanups=("close", "wait_closed"),
        after_cancel=(("close",), ("wait_closed",)),
        unhandled=ConnectionResetError,
    ),
]

BY_ID = {case.id: case for case in CASES}
QUERY = [
    ("execute", "SET search_path TO app"),
    ("fetchrow", "SELECT name FROM users WHERE id = $1", 42),
]
COMMAND = [("write", b"STATUS\n"), ("drain",), ("readline",)]
DROPPED = ("warning", "peer dropped the connection")
EACH_CASE = [case.param() for case in CASES]
EACH_AWAIT = [case.param(i, suffix=f"-await{i}") for case in CASES for i in range(case.awaits)]


# --------------------------------------------------------------------------------------------
# 1. cancellation at each await of the region
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "index"), EACH_AWAIT)
def test_cancel_at_each_await_cleans_up_only_after_fix(case: Case, index: int) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original, cancel=True, block_at=index)
    fixed = drive(case, versions.fixed, cancel=True, block_at=index)

    assert original.end == "cancelled"
    assert original.awaits == index + 1  # it stopped where we cancelled it
    assert_gains_cleanup(case, original, fixed)  # and ends cancelled too


# --------------------------------------------------------------------------------------------
# 2. an enclosing asyncio.timeout() expires in the region
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "index"), EACH_AWAIT)
def test_enclosing_timeout_cleans_up_only_after_fix(case: Case, index: int) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original, timeout=True, block_at=index)
    fixed = drive(case, versions.fixed, timeout=True, block_at=index)

    assert original.end == ("raised", "TimeoutError")
    assert_gains_cleanup(case, original, fixed)


# --------------------------------------------------------------------------------------------
# 3. paths without cancellation behave exactly as before
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", EACH_CASE)
def test_success_path_unchanged(case: Case) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original)
    fixed = drive(case, versions.fixed)

    assert original.end == ("returned", case.returns)
    assert original.awaits == case.awaits  # so EACH_AWAIT covers every await of the region
    assert original.cleanups == list(case.success_cleanups)
    assert fixed == original  # same value, same calls in the same order


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
    fixed = drive(case, versions.fixed, fail_at=index, error=case.handled)

    assert original.end == case.handled_end
    # The handler cleaned up last, once: just what the fixed code does on cancellation.
    assert original.record[-len(case.after_cancel) :] == list(case.after_cancel)
    assert len(original.cleanups) == len(set(original.cleanups))
    assert fixed == original


@pytest.mark.parametrize(
    ("case", "reply", "end"),
    [
        # The handler's own `raise` inside the region: kill, wait, re-raise, as before.
        BY_ID["CF202-subprocess-kill"].param(
            b"BUSY\n", ("raised", "WorkerStartupError"), suffix="-not-ready"
        ),
        BY_ID["CF201-stream-close"].param(b"", ("returned", b""), suffix="-peer-closed"),
        BY_ID["CF203-open-connection"].param(
            b"-ERR\r\n", ("returned", False), suffix="-error-reply"
        ),
    ],
)
def test_other_replies_unchanged(case: Case, reply: bytes, end: Any) -> None:
    versions = fix_and_load(case)
    original = drive(case, versions.original, reply=reply)
    fixed = drive(case, versions.fixed, reply=reply)

    assert original.end == end
    assert fixed == original


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
    """Documented: "only cancellation and errors gain [the cleanup]" (CF203), "no other path
    but cancellation (and uncaught errors) gains it" (CF201)."""
    assert case.unhandled is not None
    versions = fix_and_load(case)
    original = drive(case, versions.original, fail_at=index, error=case.unhandled)
    fixed = drive(case, versions.fixed, fail_at=index, error=case.unhandled)

    assert original.end == ("raised", case.unhandled.__name__)
    assert_gains_cleanup(case, original, fixed)


@pytest.mark.parametrize(
    ("case", "failing", "error", "original_record", "fixed_record"),
    [
        BY_ID["CF201-pool-release"].param(
            "release",
            OSError,
            [("acquire",), *QUERY, ("release",), ("release",)],
            [("acquire",), *QUERY, ("release",)],
        ),
        BY_ID["CF201-stream-close"].param(
            "wait_closed",
            ConnectionResetError,
            [*COMMAND, ("close",), ("wait_closed",), DROPPED, ("close",), ("wait_closed",)],
            [*COMMAND, ("close",), ("wait_closed",)],
        ),
    ],
)
def test_cleanup_failing_on_success_no_longer_reaches_the_handler(
    case: Case,
    failing: str,
    error: type[Exception],
    original_record: list[Call],
    fixed_record: list[Call],
) -> None:
    """Documented in CF201's fix safety: when the success path's cleanup raises, the
    original's handler caught that too and cleaned up (and logged) a second time; the fixed
    code cleans up once. With a re-raising handler (a safe fix) the same error propagates;
    with one that swallowed it (an unsafe fix), it now propagates too."""
    versions = fix_and_load(case)
    original = drive(case, versions.original, failing_cleanup=failing, error=error)
    fixed = drive(case, versions.fixed, failing_cleanup=failing, error=error)

    assert original.end == fixed.end == ("raised", error.__name__)
    assert original.record == original_record
    assert fixed.record == fixed_record


# --------------------------------------------------------------------------------------------
# 4. CF202: the widened handler re-raises the CancelledError itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "index"),
    [
        case.param(i, suffix=f"-await{i}")
        for case in CASES
        if case.code == "CF202"
        for i in range(case.awaits)
    ],
)
def test_widened_handler_reraises_the_cancellation_itself(case: Case, index: int) -> None:
    versions = fix_and_load(case)

    async def scenario() -> tuple[World, BaseException | None, asyncio.Task[None]]:
        world = World(block_at=index)
        seen: list[BaseException] = []

        async def caller() -> None:
            try:
                await case.call(versions.fixed, world)
            except BaseException as exc:
                seen.append(exc)
                raise

        task = asyncio.create_task(caller())
        await asyncio.wait_for(world.blocked.wait(), CLEANUP_WAIT)
        task.cancel()
        await asyncio.wait({task}, timeout=CLEANUP_WAIT)
        return world, seen[0] if seen else None, task

    world, propagated, task = asyncio.run(scenario())
    assert type(propagated) is asyncio.CancelledError
    assert propagated is world.cancelled_with  # the very exception, not a new one
    assert task.cancelled()
    assert world.record[-len(case.after_cancel) :] == list(case.after_cancel)


# --------------------------------------------------------------------------------------------
# 5. CF202: `raise DBError() from e` is reported, not fixed
# --------------------------------------------------------------------------------------------

CF202_RAISE_FROM = """
    class DBError(Exception):
        pass


    async def transfer(conn, src, dst, amount):
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(
                "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, src
            )
            await conn.execute(
                "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, dst
            )
            await tx.commit()
        except Exception as e:
            await tx.rollback()
            raise DBError(f"transfer {src} -> {dst} failed") from e
        return amount
"""


def test_raise_other_from_is_reported_but_not_fixed() -> None:
    source = textwrap.dedent(CF202_RAISE_FROM)
    for unsafe in (False, True):
        outcome = fixed(source, RULES, unsafe=unsafe)
        assert outcome.new_source is None
        assert findings(outcome) == [("CF202", None, False)]

    case = BY_ID[
        "CF202-transaction-rollback"
    ]  # the same transfer and fakes, with `raise DBError(...) from e`
    original = load(source)
    assert drive(case, original, fail_at=0, error=OSError).end == ("raised", "DBError")
    assert drive(case, original, cancel=True, block_at=2).cleanups == []  # the bug stays

    # Why no fix: widening the handler would roll back, then turn the cancellation into a
    # DBError: the task would end with an error instead of cancelled.
    widened = source.replace("except Exception as e:", "except BaseException as e:")
    assert widened != source
    naive = drive(case, load(widened), cancel=True, block_at=2)
    assert naive.end == ("raised", "DBError")
    assert naive.cleanups == ["rollback"]
