"""Which of the discovered files a run takes: those changed since a git ref (`--since`), and
one shard of them for a CI job matrix (`--shard K/N`)."""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from codemods.git import GitError, run_git


class SelectionError(Exception):
    """A `--since` or `--shard` that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`: a file's shard depends on its path alone, so the
    shards of one file list never overlap and together cover it."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
        if match is None:
            raise SelectionError(f"--shard must look like K/N (such as 2/4), not {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if not 1 <= index <= count:
            raise SelectionError(f"--shard {text}: K must be between 1 and N")
        return cls(index, count)

    def takes(self, path: Path) -> bool:
        return zlib.crc32(path.as_posix().encode()) % self.count == self.index - 1


def _git(args: list[str], cwd: Path) -> str:
    try:
        return run_git(args, cwd)
    except GitError as error:
        raise SelectionError(f"--since: {error}") from error


def changed_since(ref: str, cwd: Path) -> set[str]:
    """The real paths of files added, copied, modified or renamed (under their new name)
    between `ref` and the work tree, and of untracked files git does not ignore. Deleted
    files are gone, so they are not among them."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    if not ref or ref.startswith("-"):
        raise SelectionError(f"--since: {ref!r} is not a git revision")
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except SelectionError as error:
        raise SelectionError(f"--since: unknown git revision {ref!r}") from error
    changed = _git(["diff", "--name-only", "-z", "-M", "--diff-filter=ACMRT", ref, "--"], top)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], top)
    names = {name for name in (changed + untracked).split("\0") if name}
    return {os.path.realpath(top / name) for name in names}
