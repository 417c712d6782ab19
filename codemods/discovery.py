"""Which files to process: `git ls-files` inside a work tree, else a walk honouring .gitignore."""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")


class Excludes:
    """Exclude patterns, as ruff reads them: a pattern without a slash (`build`, `*_pb2.py`)
    matches a file or directory of that name anywhere; one with a slash (`src/generated/`)
    is a gitignore-style pattern anchored at `root`, where the configuration lives."""

    def __init__(self, root: Path, patterns: Iterable[str]) -> None:
        self.root = Path(os.path.abspath(root))
        patterns = list(patterns)
        self._names = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        self._anchored = pathspec.GitIgnoreSpec.from_lines(
            p for p in patterns if "/" in p.rstrip("/")
        )

    def matches(self, path: Path, anchor: Path | None = None) -> bool:
        """Whether `path` is excluded. Names are only tested below `anchor` (the directory named
        on the command line): naming a directory processes it even if it sits in a `build/`."""
        absolute = Path(os.path.abspath(path))
        inside = absolute.is_relative_to(self.root)
        parts = absolute.relative_to(self.root if inside else absolute.anchor).parts
        first = 0
        if anchor is not None and absolute.is_relative_to(os.path.abspath(anchor)):
            first = len(parts) - len(absolute.relative_to(os.path.abspath(anchor)).parts)
        if any(fnmatch.fnmatchcase(part, name) for part in parts[first:] for name in self._names):
            return True
        return inside and self._anchored.match_file("/".join(parts))


def _git_files(directory: Path) -> list[Path] | None:
    """Tracked and untracked-but-not-ignored files below `directory`; None outside git."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    names = {name for name in result.stdout.decode("utf-8", "surrogateescape").split("\0") if name}
    return [directory / name for name in sorted(names)]


def _gitignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore_file = directory / ".gitignore"
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


_IgnoreSpecs = list[tuple[Path, pathspec.GitIgnoreSpec]]


def _ignored(specs: _IgnoreSpecs, path: Path, is_dir: bool) -> bool:
    """Git's rule: the deepest .gitignore with a matching pattern decides (`!` re-includes)."""
    verdict = None
    for base, spec in specs:
        result = spec.check_file(path.relative_to(base).as_posix() + ("/" if is_dir else ""))
        if result.include is not None:
            verdict = result.include
    return bool(verdict)


def _ancestor_specs(directory: Path) -> _IgnoreSpecs:
    """The .gitignore files above `directory`, up to the top of its repository (or of the
    filesystem, outside one), shallowest first."""
    specs: _IgnoreSpecs = []
    for ancestor in directory.parents:
        if (spec := _gitignore_spec(ancestor)) is not None:
            specs.insert(0, (ancestor, spec))
        if (ancestor / ".git").exists():
            break
    return specs


def _walk(directory: Path, respect_gitignore: bool) -> Iterator[Path]:
    """A walk that honours every .gitignore that applies (no symlinked directories)."""
    inherited = _ancestor_specs(Path(os.path.abspath(directory))) if respect_gitignore else []
    specs: _IgnoreSpecs = []
    for current, dirnames, filenames in os.walk(directory):
        here = Path(os.path.abspath(current))  # matching needs absolute paths; yield as given
        specs = [(base, spec) for base, spec in specs if here.is_relative_to(base)]
        if respect_gitignore and (spec := _gitignore_spec(here)) is not None:
            specs.append((here, spec))
        active = inherited + specs
        dirnames[:] = sorted(
            name for name in dirnames if name != ".git" and not _ignored(active, here / name, True)
        )
        for name in sorted(filenames):
            if not _ignored(active, here / name, False):
                yield Path(current) / name


def _is_python(path: Path) -> bool:
    return path.suffix in PYTHON_SUFFIXES


def _is_dangling_link(path: Path) -> bool:
    """A symlink that leads nowhere (a missing target or a loop): kept, so that the run reports
    it as a file it could not read instead of passing over it in silence."""
    return path.is_symlink() and not path.exists()


def _identity(path: Path) -> str:
    """The file a path names, so that a file reached twice through a link counts once; a
    dangling link is its own file (the real path of a loop is any of its links)."""
    return os.path.abspath(path) if _is_dangling_link(path) else os.path.realpath(path)


def discover_files(
    paths: Iterable[Path], excludes: Excludes, *, respect_gitignore: bool, force_exclude: bool
) -> list[Path]:
    """The Python files to process, sorted and without duplicates.

    A file named on the command line is always taken, unless `force_exclude` and an exclude
    pattern match it (what pre-commit needs, as it passes every changed file by name).
    """
    found: dict[str, Path] = {}  # by real path: a file reached twice through a link counts once
    for path in paths:
        if path.is_dir():
            listed = _git_files(path) if respect_gitignore else None
            candidates = listed if listed is not None else _walk(path, respect_gitignore)
            for candidate in candidates:
                if (
                    _is_python(candidate)
                    and not excludes.matches(candidate, anchor=path)
                    and (candidate.is_file() or _is_dangling_link(candidate))
                ):
                    found.setdefault(_identity(candidate), candidate)
        elif not (force_exclude and excludes.matches(path)):
            found.setdefault(_identity(path), path)
    return sorted(found.values())
