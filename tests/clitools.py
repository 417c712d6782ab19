"""What the command-line tests share: running the command, writing files, git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from codemods.cli import main


def write(root: Path, name: str, source: str, *, newline: str = "\n", bom: bool = False) -> Path:
    """Write `source` to root/name (parents created) with the given line endings; its path."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = source.replace("\n", newline).encode()
    path.write_bytes(b"\xef\xbb\xbf" + data if bom else data)
    return path


def cli(*args: str, input: str | bytes | None = None, color: bool = False) -> Result:
    """Run the command in-process; `color=True` makes click behave as on a colour terminal."""
    return CliRunner().invoke(main, list(args), input=input, color=color, catch_exceptions=False)


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
