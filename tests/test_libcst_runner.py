"""Each rule is a complete LibCST codemod: it runs under `python -m libcst.tool codemod`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from codemods.registry import all_rules

SWALLOWING = """\
import asyncio


async def worker(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            pass


async def reader(conn):
    while True:
        try:
            await conn.read()
        except BaseException:
            pass
"""


def _codemod(tmp_path: Path, command: str, *extra: str) -> str:
    target = tmp_path / "worker.py"
    target.write_text(SWALLOWING)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "libcst.tool",
            "codemod",
            "-x",
            "--no-format",
            command,
            *extra,
            str(target),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return target.read_text()


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_runs_under_libcst_tool(tmp_path: Path, rule: type) -> None:
    command = f"{rule.__module__}.{rule.__name__}"
    fixed = _codemod(tmp_path, command)
    assert fixed != SWALLOWING
    assert fixed.count("raise") == 1


def test_rule_options_reach_the_codemod(tmp_path: Path) -> None:
    source = SWALLOWING.replace(
        "CancelledError:\n            pass", "CancelledError:\n            break"
    )
    (tmp_path / "worker.py").write_text(source)
    command = "codemods.rules.cancelled_error_not_reraised.CancelledErrorNotReraised"
    target = tmp_path / "worker.py"
    run = [sys.executable, "-m", "libcst.tool", "codemod", "-x", "--no-format", command]
    subprocess.run([*run, str(target)], capture_output=True, check=True, cwd=tmp_path)
    assert target.read_text() == source, "an unsafe fix applied without --unsafe-fixes"
    subprocess.run(
        [*run, "--unsafe-fixes", str(target)], capture_output=True, check=True, cwd=tmp_path
    )
    assert "            raise\n" in target.read_text()
