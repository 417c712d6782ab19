"""The two facts that make a skipped cleanup leak nothing: a client built on a session the
function was given (`analysis.sessions`), and a program's main (`analysis.cancellers`)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from codemods.analysis.cancellers import (
    cancelled_only_at_exit,
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


def test_what_outlives_the_process_is_still_cleanup() -> None:
    module, function = _function(_MAIN + "asyncio.run(main('db'))\n", "main")
    lines = {
        "await conn.close()": True,
        "os.unlink(path)": False,
        "shutil.rmtree(workdir)": False,
        "proc.kill()": False,
        "proc.terminate()": False,
    }
    for code, leaks_nothing in lines.items():
        line = cst.parse_statement(code + "\n")
        assert cancelled_only_at_exit(module, function, [line]) is leaks_nothing, code


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
