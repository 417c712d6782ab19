"""The `formatter` setting, with the real ruff and black: changed files only, formatted before
they are written and before `--diff` prints; a missing or failing formatter writes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import formatting
from tests.clitools import cli, write

LONG_CALL = """\
import asyncio


async def send(conn):
    while True:
        try:
            await conn.send_message_to_every_listener(first_argument, second_argument)
        except BaseException:
            pass
"""
"""CF101 with a safe fix (`send` goes round its loop again: swallow-and-continue, with nothing
after the `try` that the fix would skip), and a call that fits 100 columns but not the
project's 60."""

UNFORMATTED_CLEAN = "x = [1,2,3]\n"
"""A file without findings that a formatter would change: it must stay as it is."""

PROJECT_CONFIG = "[tool.ruff]\nline-length = 60\n\n[tool.black]\nline-length = 60\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, "pyproject.toml", PROJECT_CONFIG)
    write(tmp_path, "app/send.py", LONG_CALL)
    write(tmp_path, "app/clean.py", UNFORMATTED_CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


WRAPPED = """\
            await conn.send_message_to_every_listener(
                first_argument, second_argument
            )
        except asyncio.CancelledError:
            raise
"""


@pytest.mark.parametrize("formatter", ["ruff", "black"])
def test_fix_formats_changed_files_by_project_settings(project: Path, formatter: str) -> None:
    result = cli("fix", "--no-cache", "--formatter", formatter, "app")
    assert result.exit_code == 0, result.output
    fixed = (project / "app/send.py").read_text()
    assert WRAPPED in fixed  # line-length = 60 from the project's pyproject.toml
    assert (project / "app/clean.py").read_text() == UNFORMATTED_CLEAN


@pytest.mark.parametrize("formatter", ["ruff", "black"])
def test_diff_shows_the_formatted_text_and_writes_nothing(project: Path, formatter: str) -> None:
    result = cli("fix", "--diff", "--no-cache", "--formatter", formatter, "app")
    assert result.exit_code == 1, result.output
    assert "+" + WRAPPED.replace("\n", "\n+").rstrip("+") in result.stdout
    assert "clean.py" not in result.stdout
    assert (project / "app/send.py").read_text() == LONG_CALL


def test_configured_formatter_and_none_on_the_command_line(project: Path) -> None:
    config = PROJECT_CONFIG + '\n[tool.cancelfix]\nformatter = "ruff"\n'
    write(project, "pyproject.toml", config)
    plain = cli("fix", "--diff", "--no-cache", "--formatter", "none", "app")
    assert "except asyncio.CancelledError" in plain.stdout and WRAPPED not in plain.stdout
    configured = cli("fix", "--diff", "--no-cache", "app")
    assert "+" + WRAPPED.replace("\n", "\n+").rstrip("+") in configured.stdout


def test_unknown_configured_formatter_is_a_usage_error(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nformatter = "yapf"\n')
    result = cli("fix", "--no-cache", "app")
    assert result.exit_code == 2
    assert "`formatter` must be one of 'ruff', 'black', 'none'" in result.stderr


def test_missing_formatter_is_an_error_and_the_file_is_not_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = project / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sys, "executable", str(empty / "python"))
    result = cli("fix", "--no-cache", "--formatter", "black", "app")
    assert result.exit_code == 2
    assert "formatter `black` not found" in result.stderr
    assert "file left unchanged" in result.stderr
    assert (project / "app/send.py").read_text() == LONG_CALL


def _failing_formatter(directory: Path, name: str) -> None:
    """A formatter on PATH that fails the way ruff does on input it cannot format."""
    directory.mkdir(exist_ok=True)
    script = directory / name
    script.write_text("#!/bin/sh\necho 'error: Failed to parse at 3:1' >&2\nexit 2\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for the formatter")
def test_failing_formatter_is_an_error_and_the_file_is_not_written(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing_formatter(project / "bin", "ruff")
    monkeypatch.setenv("PATH", f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}")
    result = cli("fix", "--no-cache", "--formatter", "ruff", "app")
    assert result.exit_code == 2
    failed = "formatter `ruff` failed (exit code 2): error: Failed to parse at line 3, column 1"
    assert f"app/send.py: error: {failed} of the fixed text" in result.stderr
    assert (project / "app/send.py").read_text() == LONG_CALL
    diff = cli("fix", "--diff", "--no-cache", "--formatter", "ruff", "app")
    assert diff.exit_code == 2 and diff.stdout == ""


def test_stdin_fix_is_formatted(project: Path) -> None:
    result = cli(
        "fix", "--formatter", "ruff", "--stdin-filename", "app/send.py", "-", input=LONG_CALL
    )
    assert WRAPPED in result.stdout


def test_formatted_keeps_an_outcome_without_changes() -> None:
    from codemods.model import FileOutcome

    outcome = FileOutcome("a.py")
    assert formatting.formatted(outcome, "ruff", Path.cwd()) is outcome


@pytest.mark.slow
def test_subprocess_fix_with_formatter(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "codemods", "fix", "--no-cache", "--formatter", "ruff", "app"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert WRAPPED in (project / "app/send.py").read_text()
