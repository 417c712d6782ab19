"""scripts/gates.py on a tiny local package: no network; slow (it runs the command and ruff)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gates = _load("gates")

NEEDS_IMPORT = b'''"""Sends pings."""

import logging

import aiohttp

log = logging.getLogger(__name__)


async def ping(session: aiohttp.ClientSession) -> None:
    try:
        await session.get("https://example.com/")
    except BaseException:
        log.warning("ping failed")


async def accounts(pool):
    conn = await pool.acquire()
    await conn.execute("SELECT name FROM accounts WHERE id = $1 AND status = 'active")
    await pool.release(conn)
'''
"""CF101 (safe fix, `import asyncio` added), CF203 (the fix indents a line past 88 columns)."""

UNTOUCHED = b"import os\n\n\ndef cwd():\n    return os.getcwd()\n"


def _package(cache: Path) -> object:
    package = gates.Package("tiny", "1.0")
    root = cache / "src" / package.label
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "ping.py").write_bytes(NEEDS_IMPORT)
    (root / "tiny" / "plain.py").write_bytes(UNTOUCHED)
    (root / ".extracted").write_text("tiny.whl\n")
    return package


@pytest.mark.slow
def test_gates_on_a_tiny_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _package(tmp_path)
    out = tmp_path / "gates.json"
    arguments = ["--no-defaults", "--package", "tiny==1.0", "--cache-dir", str(tmp_path)]
    code = gates.main([*arguments, "--jobs", "1", "--json", str(out)])
    assert code == 0, capsys.readouterr().out
    [result] = json.loads(out.read_text())
    assert result["files"] == 2
    plain, formatted = result["plain"], result["formatted"]
    assert (plain["changed"], formatted["changed"]) == (1, 1)
    assert plain["new_findings"] == formatted["new_findings"] == {}
    # Without a formatter only the long line needs rewrapping; with ruff, nothing.
    assert (plain["reformat"], plain["reformat_line_length"]) == ([], ["tiny/ping.py"])
    assert (formatted["reformat"], formatted["reformat_line_length"]) == ([], [])
    assert "tiny-1.0 +ruff" in capsys.readouterr().out
