"""Which files to process: `git ls-files` inside a work tree, else a walk honouring .gitignore."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")


class Excludes:
    """Gitignore-style patterns, anchored at `root`."""

    def __init__(self, root: Path, patterns: Iterable[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self._spec = pathspec.GitIgnoreSpec.from_lines(patterns)

    def matches(self, path: Path) -> bool:
        absolute = Path(os.path.abspath(path))
        parts = (
            absolute.relative_to(self.root).parts
            if absolute.is_relative_to(self.root)
            else path.parts
        )
        # A pattern like `build` excludes the files below build/ too: test every ancestor.
        return any(
            self._spec.match_file("/".join(parts[: i + 1]) + ("/" if i + 1 < len(parts) else ""))
            for i in range(len(parts))
        )


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


def _ignored(specs: list[tuple[Path, pathspec.GitIgnoreSpec]], path: Path, is_dir: bool) -> bool:
    return any(
        spec.match_file(path.relative_to(base).as_posix() + ("/" if is_dir else ""))
        for base, spec in specs
    )


def _walk(directory: Path, respect_gitignore: bool) -> Iterator[Path]:
    """A walk that honours every .gitignore on the way down (no symlinked directories)."""
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for current, dirnames, filenames in os.walk(directory):
        here = Path(current)
        specs = [(base, spec) for base, spec in specs if here.is_relative_to(base)]
        if respect_gitignore and (spec := _gitignore_spec(here)) is not None:
            specs.append((here, spec))

        dirnames[:] = sorted(
            name for name in dirnames if name != ".git" and not _ignored(specs, here / name, True)
        )
        for name in sorted(filenames):
            if not _ignored(specs, here / name, False):
                yield here / name


def _is_python(path: Path) -> bool:
    return path.suffix in PYTHON_SUFFIXES


def discover_files(
    paths: Iterable[Path], excludes: Excludes, *, respect_gitignore: bool, force_exclude: bool
) -> list[Path]:
    """The Python files to process, sorted and without duplicates.

    A file named on the command line is always taken, unless `force_exclude` and an exclude
    pattern match it (what pre-commit needs, as it passes every changed file by name).
    """
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            listed = _git_files(path) if respect_gitignore else None
            candidates = listed if listed is not None else _walk(path, respect_gitignore)
            for candidate in candidates:
                if (
                    _is_python(candidate)
                    and not excludes.matches(candidate)
                    and candidate.is_file()
                ):
                    found[candidate] = None
        elif not (force_exclude and excludes.matches(path)):
            found[path] = None
    return sorted(found)
