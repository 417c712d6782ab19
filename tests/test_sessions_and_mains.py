"""The two facts that make a skipped cleanup leak nothing: a client built on a session the
function was given (`analysis.sessions`), and a program's main (`analysis.cancellers`)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from codemods.analysis.cancellers import (
    cancelled_only_at_exit,
    may_cancel_itself,
    runs_only_as_program,
)
from codemods.analysis.sessions import borrowed_session_clients, releases_nothing


def _function(source: str, name: str) -> tuple[cst.Module, cst.FunctionDef]:
    module = cst.parse_module(textwrap.dedent(source))
    found = [
        node
        for node in module.body
        if isinstance(node, cst.FunctionDef) and node.name.value == name
    ]
    assert len(found) == 1
    return module, found[0]


_API = "client = Api(host, session=session)"


@pytest.mark.parametrize(
    ("body", "borrowed"),
    [
        ("client = Api(host, session=session)", {"client"}),
        ("client = Api(host, websession=self._session)", {"client"}),
        ("client = Api(host, get_shared_session(app))", {"client"}),
        ("client = Api(host, session)", {"client"}),
        ("client = Api(host, session=maybe)", set()),  # None: the client makes its own
        ("manager = await create_session(session)", set()),  # a session manager
        ("s = async_get_clientsession(hub)\n    client = Api(host, client_session=s)", {"client"}),
        ("self._api = api.Api(host, session=session)", {"self._api"}),
        ("client = Api()\n    await client.login(user, client_session=session)", {"client"}),
        # The function created the session: the client's close is the only one it gets.
        ("s = aiohttp.ClientSession()\n    client = Api(host, session=s)", set()),
        ("client = Api(host, session=aiohttp.ClientSession())", set()),
        ("client = Api(host, session=async_create_clientsession(hub))", set()),
        # No session handed over, or one not named as such.
        ("client = Api(host)", set()),
        ("client = Api(host, pool)", set()),
        # Opened on the session: a websocket or a listener of its own.
        ("client = Api(host, session=session)\n    await client.connect()", set()),
        ("client = Api(host, session=session)\n    client.start_listening()", set()),
        # Bound twice: which object the cleanup closes is unclear.
        ("client = Api(host, session=session)\n    client = other", set()),
        # Stored or returned, requested and closed: still nothing of its own.
        (f"{_API}\n    await client.get(path)\n    hub.apis[host] = (client, 1)", {"client"}),
        (f"{_API}\n    rows = [await client.get(p) for p in ps]\n    client.close()", {"client"}),
    ],
)
def test_borrowed_session_clients(body: str, borrowed: set[str]) -> None:
    parameters = "self, session, host, user, hub, app, other, pool, maybe=None"
    source = f"async def probe({parameters}):\n    {body}\n"
    _, function = _function(source, "probe")
    assert borrowed_session_clients(function) == borrowed


@pytest.mark.parametrize(
    "body",
    [
        # An awaited build, a function or a classmethod: a websocket, a response, a stream.
        "ws = await ws_connect(url, session=session)",
        "client = await Api.connect(url, session=session)",
        "client = await Api.create(url, session=session)",
        "resp = await request(url, session=session)",
        "stream = await open_stream(url, websession=self._session)",
        "client = make_api(url, session=session)",
        "client = Api.create(url, session=session)",
        "client = API(url, session=session)",
        # A class named for what it holds.
        "feed = TickerStream(url, session=session)",
        "conn = DeviceConnection(url, session=session)",
        # Opened, started or served on the session.
        f"{_API}\n    await client.connect()",
        f"{_API}\n    client.start_listening()",
        f"{_API}\n    await client.listen()",
        f"{_API}\n    await client.async_setup()",
        f"{_API}\n    await client.initialize()",
        f"{_API}\n    await client.watch(path)",
        f"{_API}\n    await client.run()",
        # A method call not awaited at once, or the client handed on.
        f"{_API}\n    task = asyncio.create_task(client.run())",
        f"{_API}\n    await asyncio.gather(client.get(a), client.get(b))",
        f"{_API}\n    pending = client.get(path)",
        f"{_API}\n    async for event in client.events():\n        break",
        f"{_API}\n    async with client:\n        pass",
        f"{_API}\n    listener = Listener(client)",
        f"{_API}\n    def on_event():\n        client.ack()",
    ],
)
def test_a_client_that_may_hold_a_connection_is_not_borrowed(body: str) -> None:
    source = f"async def probe(self, session, url, path, a, b):\n    {body}\n"
    _, function = _function(source, "probe")
    assert borrowed_session_clients(function) == set()


@pytest.mark.parametrize(
    ("parameter", "borrowed"),
    [
        ("session", True),
        ("session: aiohttp.ClientSession", True),
        ("*, session: ClientSession", True),
        ("session=None", False),
        ("session=_DEFAULT", False),
        ("session: ClientSession | None", False),
        ("session: Optional[ClientSession]", False),
        ("session: typing.Optional[ClientSession]", False),
        ('session: "ClientSession | None"', False),
    ],
)
def test_only_a_parameter_without_default_or_none_is_a_given_session(
    parameter: str, borrowed: bool
) -> None:
    source = f"async def probe(host, {parameter}):\n    {_API}\n"
    _, function = _function(source, "probe")
    assert (borrowed_session_clients(function) == {"client"}) is borrowed


_MAIN = """
import argparse
import asyncio

async def main(dsn):
    conn = await connect(dsn)
    await conn.execute("VACUUM")
    await conn.close()
"""


@pytest.mark.parametrize(
    ("uses", "is_main"),
    [
        ('if __name__ == "__main__":\n    asyncio.run(main("db"))', True),
        ("def cli():\n    asyncio.run(main('db'))", True),
        ("def cli():\n    code = asyncio.run(main('db'))", True),
        ("def cli(loop):\n    loop.run_until_complete(main('db'))", True),
        ("from asyncio import run as go\ngo(main('db'))", True),
        ("", False),  # never run here: a library coroutine
        ("asyncio.run(main('db'))\nasync def again():\n    await main('db')", False),
        ("asyncio.run(main('db'))\ndef later(loop):\n    t = loop.create_task(main('db'))", False),
        ("asyncio.run(main('db'))\nHANDLERS = {'vacuum': main}", False),
        ("asyncio.run(wrap(main('db')))", False),
    ],
)
def test_runs_only_as_program(uses: str, is_main: bool) -> None:
    module, function = _function(_MAIN + uses + "\n", "main")
    assert runs_only_as_program(module, function) is is_main


@pytest.mark.parametrize(
    ("program", "is_main"),
    [
        ("import click", True),
        ("from typer import Typer", True),
        ("import sys\nDSN = sys.argv[1]", True),
        ('if __name__ == "__main__":\n    pass', True),
        ("", False),  # a library module: its caller may live on after the interruption
        ("import sys\nDSN = sys.platform", False),
    ],
)
def test_only_a_command_line_program_has_a_main(program: str, is_main: bool) -> None:
    source = _MAIN.replace("import argparse\n", "") + program + "\nasyncio.run(main('db'))\n"
    module, function = _function(source, "main")
    assert runs_only_as_program(module, function) is is_main


def test_a_method_or_a_name_bound_twice_is_no_main() -> None:
    source = _MAIN + "async def main(dsn):\n    pass\nasyncio.run(main('db'))\n"
    module = cst.parse_module(source)
    first = next(node for node in module.body if isinstance(node, cst.FunctionDef))
    assert not runs_only_as_program(module, first)


@pytest.mark.parametrize(
    ("name", "is_main"),
    [
        ("main", True),
        ("amain", True),
        ("async_main", True),
        ("_main", True),
        ("_vacuum", True),
        # Public: another module may import it and await it under a timeout.
        ("vacuum", False),
        ("probe", False),
    ],
)
def test_a_main_is_private_or_named_as_an_entry(name: str, is_main: bool) -> None:
    source = _MAIN.replace("main", name) + f"asyncio.run({name}('db'))\n"
    module, function = _function(source, name)
    assert runs_only_as_program(module, function) is is_main


@pytest.mark.parametrize(
    ("line", "leaks_nothing"),
    [
        ("await conn.close()", True),
        ("writer.close()", True),
        ("await writer.wait_closed()", True),
        ("await stream.aclose()", True),
        ("await client.disconnect()", True),
        # What lives outside the process: the exit does not release it.
        ("await lock.release()", False),
        ("await container.stop()", False),
        ("await app.shutdown()", False),
        ("await hass.async_stop()", False),
        ("os.unlink(path)", False),
        ("shutil.rmtree(workdir)", False),
        ("proc.kill()", False),
        ("proc.terminate()", False),
        ("conn.close() if conn else None", False),
    ],
)
def test_only_closing_is_done_by_the_exit(line: str, leaks_nothing: bool) -> None:
    module, function = _function(_MAIN + "asyncio.run(main('db'))\n", "main")
    statement = cst.parse_statement(line + "\n")
    assert cancelled_only_at_exit(module, function, [statement]) is leaks_nothing


@pytest.mark.parametrize(
    ("loop", "caught", "cancels"),
    [
        ("while True:", "except OSError:", False),
        ("while True:", "except Exception:", False),
        # It catches the cancellation of a timeout (or of its interruption) and carries on.
        ("while True:", "except TimeoutError:", True),
        ("while True:", "except asyncio.TimeoutError:", True),
        ("for _ in range(3):", "except (OSError, asyncio.CancelledError):", True),
        ("while True:", "except trio.Cancelled:", True),
        ("while True:", "except BaseException:", True),
        ("while True:", "except:", True),
    ],
)
def test_a_main_that_carries_on_after_a_cancellation(loop: str, caught: str, cancels: bool) -> None:
    body = f"{loop}\n        try:\n            await poll()\n        {caught}\n            pass"
    _, function = _function(f"async def main():\n    {body}\n", "main")
    assert may_cancel_itself(function) is cancels


@pytest.mark.parametrize(
    ("body", "cancels"),
    [
        ("conn = await connect(dsn)\n    await conn.close()", False),
        ("async with session.get(url) as r:\n        await r.read()", False),
        ("sock.settimeout(5)", False),
        ("try:\n        await serve()\n    except asyncio.CancelledError:\n        pass", False),
        # A cancellation in its own body: the program carries on after it.
        ("async with asyncio.timeout(30):\n        await poll()", True),
        ("async with asyncio.timeout_at(deadline):\n        await poll()", True),
        ("async with async_timeout.timeout(30):\n        await poll()", True),
        ("with anyio.fail_after(5):\n        await poll()", True),
        ("with trio.move_on_after(5):\n        await poll()", True),
        ("with trio.move_on_at(deadline):\n        await poll()", True),
        ("with anyio.CancelScope() as scope:\n        await poll()", True),
        ("async with asyncio.TaskGroup() as tg:\n        tg.create_task(poll())", True),
        ("async with anyio.create_task_group() as tg:\n        tg.start_soon(poll)", True),
        ("async with trio.open_nursery() as nursery:\n        nursery.start_soon(poll)", True),
        ("await asyncio.wait_for(poll(), 5)", True),
        ("timer = asyncio.timeout(30)", True),
        ("task = asyncio.create_task(poll())\n    task.cancel()", True),
        ("loop.call_later(5, task.cancel)", True),
    ],
)
def test_a_main_that_may_cancel_itself(body: str, cancels: bool) -> None:
    _, function = _function(f"async def main(dsn, url, deadline):\n    {body}\n", "main")
    assert may_cancel_itself(function) is cancels


def test_a_main_that_times_itself_out_still_cleans_up() -> None:
    body = "async with asyncio.timeout(30):\n        conn = await connect(dsn)\n"
    source = _MAIN.replace("conn = await connect(dsn)\n", body) + "asyncio.run(main('db'))\n"
    module, function = _function(source, "main")
    assert runs_only_as_program(module, function)
    line = cst.parse_statement("await conn.close()\n")
    assert not cancelled_only_at_exit(module, function, [line])


@pytest.mark.parametrize(
    ("line", "nothing"),
    [
        ("await client.close()", True),
        ("await client.aclose()", True),
        ("await client.async_client_close()", True),
        ("await client.close(); await client.close()", True),
        ("await client.close_session()", False),  # a login session the device holds
        ("await client.disconnect()", False),
        ("await other.close()", False),
        ("await client.close(); lock.release()", False),
    ],
)
def test_releases_nothing_but_the_clients_own_close(line: str, nothing: bool) -> None:
    statement = cst.parse_statement(line + "\n")
    assert releases_nothing(statement, frozenset({"client"})) is nothing
