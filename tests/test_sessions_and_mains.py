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
        ("self._api = await Api.create(host, session=session)", {"self._api"}),
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
    ],
)
def test_borrowed_session_clients(body: str, borrowed: set[str]) -> None:
    parameters = "self, session, host, user, hub, app, other, pool, maybe=None"
    source = f"async def probe({parameters}):\n    {body}\n"
    _, function = _function(source, "probe")
    assert borrowed_session_clients(function) == borrowed


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
