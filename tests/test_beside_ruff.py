"""Living beside ruff, with the real ruff (a test dependency): the README's
`lint.external = ["CF"]` keeps our `noqa` codes when ruff's RUF100 removes unused ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clitools import cli, write
from tests.samples import BROAD

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
"""The ruff of this environment (the test extra installs it), else one on PATH."""
pytestmark = pytest.mark.skipif(RUFF is None, reason="ruff is not installed")


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert RUFF is not None
    return subprocess.run(
        [RUFF, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_ruf100_keeps_our_codes_with_lint_external(project: Path) -> None:
    # E722 (bare except) does not apply to `except BaseException`: RUF100 removes it.
    source = BROAD.replace("except BaseException:", "except BaseException:  # noqa: CF101, E722")
    path = write(project, "a.py", source)
    write(
        project,
        "pyproject.toml",
        '[tool.ruff.lint]\nselect = ["E", "RUF100"]\nexternal = ["CF"]\n',
    )

    fixed = ruff("check", "--fix", "--no-cache", "a.py", cwd=project)

    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "        except BaseException:  # noqa: CF101\n" in path.read_text()
    assert cli("check", "a.py").exit_code == 0  # still silenced for cancelfix


def test_noqa_that_add_noqa_wrote_passes_ruff(project: Path) -> None:
    write(project, "a.py", BROAD)
    config = '[tool.ruff.lint]\nselect = ["E", "W", "RUF100"]\nexternal = ["CF"]\n'
    write(project, "pyproject.toml", config)

    cli("check", "--add-noqa", "a.py")

    checked = ruff("check", "--no-cache", "a.py", cwd=project)
    formatted = ruff("format", "--check", "--no-cache", "a.py", cwd=project)
    assert checked.returncode == 0, checked.stdout
    assert formatted.returncode == 0, formatted.stdout
