"""Running git for the features that need it (`--since`, the bot's commits)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


class GitError(Exception):
    """git is missing or refused; the message has the last line git printed."""


def run_git(args: Sequence[str], cwd: Path) -> str:
    """git's standard output (decoded as file names are: undecodable bytes kept)."""
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)
    except FileNotFoundError as error:
        raise GitError("git is not installed") from error
    except subprocess.CalledProcessError as error:
        output = (error.stderr or error.stdout).decode(errors="replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed: {output[-1] if output else 'no output'}") from error
    return result.stdout.decode("utf-8", "surrogateescape")
