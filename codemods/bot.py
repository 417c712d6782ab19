"""The auto-fix bot (`cancelfix fix --commit [--push]`): commit what the fixes changed, as one
commit that lists each fix, and push it to the branch's upstream."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codemods.git import GitError, run_git
from codemods.model import Finding

DEFAULT_MESSAGE = "Fix asyncio cancellation handling (cancelfix)"


class BotError(Exception):
    """Git refused, or the work tree is not fit for a bot commit; the message says why."""


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        return run_git(args, cwd)
    except GitError as error:
        raise BotError(str(error)) from error


@dataclass(frozen=True)
class Repository:
    top: Path
    upstream: tuple[str, str] | None
    """(remote, branch) to push to, when pushing."""


def prepare(cwd: Path, *, push: bool, allow_dirty: bool) -> Repository:
    """Check, before anything is fixed, that a bot commit (and push) can be made here."""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except BotError as error:
        raise BotError(f"--commit needs a git work tree ({error})") from error
    if not allow_dirty and _git(["status", "--porcelain", "--untracked-files=no"], top).strip():
        raise BotError(
            "the work tree has uncommitted changes; commit or stash them, or pass --allow-dirty"
        )
    upstream = None
    if push:
        try:
            tracking = _git(["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"], top)
            remote = _git(["config", "--get", f"branch.{_branch(top)}.remote"], top).strip()
        except BotError as error:
            raise BotError(f"--push needs a branch with an upstream ({error})") from error
        upstream = (remote, tracking.strip().removeprefix(f"{remote}/"))
    return Repository(top, upstream)


def _branch(top: Path) -> str:
    branch = _git(["symbolic-ref", "--quiet", "--short", "HEAD"], top).strip()
    if not branch:
        raise BotError("HEAD is detached")
    return branch


def message(title: str, fixed: Sequence[tuple[str, Finding]]) -> str:
    """The title, then one line per fix: `path:line CODE name`."""
    lines = [f"{path}:{finding.line} {finding.code} {finding.name}" for path, finding in fixed]
    return f"{title}\n\n" + "\n".join(lines) + "\n"


def commit(
    repository: Repository,
    changed: Sequence[str],
    fixed: Sequence[tuple[str, Finding]],
    title: str,
) -> tuple[str | None, list[str]]:
    """Commit exactly the files the fixes changed (tracked ones; an untracked file is not the
    repository's to add) and push when asked. Returns the commit (None when no tracked file
    changed) and the untracked files left out."""
    tracked = set(
        _git(["ls-files", "-z", "--", *map(os.path.abspath, changed)], repository.top).split("\0")
    )
    tracked.discard("")
    top = repository.top
    ours = [path for path in changed if _relative(path, top) in tracked]
    untracked = [path for path in changed if _relative(path, top) not in tracked]
    if not ours:
        return None, untracked
    listed = [(path, finding) for path, finding in fixed if path in ours]
    # With paths, `git commit` takes just those files, whatever else is staged.
    _git(
        ["commit", "--quiet", "-m", message(title, listed), "--", *map(os.path.abspath, ours)], top
    )
    sha = _git(["rev-parse", "--short", "HEAD"], top).strip()
    if repository.upstream is not None:
        remote, branch = repository.upstream
        _git(["push", "--quiet", remote, f"HEAD:{branch}"], top)
    return sha, untracked


def _relative(path: str, top: Path) -> str | None:
    try:
        return Path(os.path.realpath(path)).relative_to(os.path.realpath(top)).as_posix()
    except ValueError:  # outside the repository
        return None
