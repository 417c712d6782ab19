"""Each rule is a complete LibCST codemod: it runs under `python -m libcst.tool codemod`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.registry import all_rules
from codemods.rule import Rule
from tests.samples import SWALLOWING

pytestmark = pytest.mark.slow  # a `python -m libcst.tool` process per rule


def _codemod(tmp_path: Path, command: str, source: str, *extra: str) -> str:
    target = tmp_path / "worker.py"
    target.write_text(source)
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


_CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_rule_runs_under_libcst_tool(tmp_path: Path, rule: type[Rule]) -> None:
    """The rule, run by LibCST's own runner on its documented example (in a module that
    imports asyncio and contextlib), gives the documented fix, unsafe fixes included; a
    report-only rule leaves the example as it is."""
    header = "import asyncio\nimport contextlib\n\n\n"
    example, use_instead = (header + block for block in _examples(rule))
    command = f"{rule.__module__}.{rule.__name__}"
    expected = use_instead if rule.fix_kinds else example
    assert _codemod(tmp_path, command, example, "--unsafe-fixes") == expected


def _examples(rule: type[Rule]) -> tuple[str, str]:
    """The code blocks of the rule's documentation: the example and its "Use instead"."""
    example, use_instead, *_ = _CODE_BLOCK.findall(rule.documentation())
    assert example != use_instead
    return example, use_instead


def test_rule_options_reach_the_codemod(tmp_path: Path) -> None:
    source = SWALLOWING.replace(
        "CancelledError:\n            pass", "CancelledError:\n            continue"
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
