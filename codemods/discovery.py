"""Which files to process: `git ls-files` inside a work tree, else a walk honouring .gitignore.

Discovery comes before every run, over trees of tens of thousands of entries, and a run on a
warm cache should take less time than ruff's. So below each directory named on the command
line the loops work on `str` paths relative to it (POSIX paths, as on Linux and macOS) and test
the cheap things first: the suffix, then exclude names, a whole directory at a time. A `Path` is
made only for the files found. Whatever is unusual (a symlink, an error, a file named on the
command line) goes through the pathlib code that decides it, so that the files found are the
ones a `Path` per entry gave.
"""

from __future__ import annotations

import fnmatch
import operator
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pathspec

PYTHON_SUFFIXES = (".py", ".pyi")


class Excludes:
    """Exclude patterns, as ruff reads them: a pattern without a slash (`build`, `*_pb2.py`)
    matches a file or directory of that name anywhere; one with a slash (`src/generated/`)
    is a gitignore-style pattern anchored at `root`, where the configuration lives."""

    def __init__(self, root: Path, patterns: Iterable[str]) -> None:
        self.root = Path(os.path.abspath(root))
        patterns = list(patterns)
        self._names = _any_of([p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")])
        self._anchored = pathspec.GitIgnoreSpec.from_lines(
            p for p in patterns if "/" in p.rstrip("/")
        )

    def matches(self, path: Path, anchor: Path | None = None) -> bool:
        """Whether `path` is excluded. Names are only tested below `anchor` (the directory named
        on the command line): naming a directory processes it even if it sits in a `build/`."""
        absolute = Path(os.path.abspath(path))
        inside = absolute.is_relative_to(self.root)
        parts = absolute.relative_to(self.root if inside else absolute.anchor).parts
        named = parts
        if anchor is not None and absolute.is_relative_to(os.path.abspath(anchor)):
            named = absolute.relative_to(os.path.abspath(anchor)).parts
        if any(self.excludes_name(part) for part in named):
            return True
        return inside and self._anchored.match_file("/".join(parts))

    def excludes_name(self, name: str) -> bool:
        """Whether a pattern without a slash matches a file or directory called `name`."""
        return self._names is not None and self._names.match(name) is not None

    def excludes_anchored(self, relative: str) -> bool:
        """Whether an anchored pattern matches `relative`, a path relative to `root`."""
        return bool(self._anchored.patterns) and self._anchored.match_file(relative)


def _any_of(names: list[str]) -> re.Pattern[str] | None:
    """One regular expression for `fnmatchcase` against any of `names` (None for no names):
    it is asked about every directory and file found."""
    if not names:
        return None
    return re.compile("|".join(fnmatch.translate(name) for name in names))


def _is_python(name: str) -> bool:
    """Whether a file name has a Python suffix as `Path.suffix` sees it: `.py` alone is a
    hidden file without one."""
    return name.endswith(PYTHON_SUFFIXES) and name not in PYTHON_SUFFIXES


def _with_slash(directory: str) -> str:
    """`directory` followed by a slash, which a root (`/`) already is."""
    return directory if directory.endswith("/") else f"{directory}/"


def _join(directory: str, relative: str) -> str:
    """`directory/relative`, for a normalised `relative` ("" is `directory` itself)."""
    return _with_slash(directory) + relative if relative else directory


def _relative(path: str, directory: str) -> str:
    """`path` relative to `directory`, an absolute ancestor (or itself: "")."""
    return "" if path == directory else path[len(_with_slash(directory)) :]


def _is_below(path: str, directory: str) -> bool:
    """Whether the absolute `path` is `directory` or below it, as `Path.is_relative_to` says."""
    return path == directory or path.startswith(_with_slash(directory))


def _prefix(relative: str) -> str:
    """What goes before a name to make it a path relative to the same place as `relative`."""
    return _with_slash(relative) if relative else ""


@dataclass(frozen=True)
class _Top:
    """A directory named on the command line, in the three spellings the loops below it need."""

    given: str
    """As named: the file system is asked about `given/relative`, and the paths found are so."""
    absolute: str
    """`os.path.abspath`: what .gitignore files and exclude patterns are matched against."""
    real: str
    """`os.path.realpath`: the identity of a file below it reached through no symlink is
    `real/relative`. Computed here because the directory itself may be, or lie below, one."""
    absolute_is_given: bool
    """Whether `absolute` names the directory `given` names, as it does unless `given` climbs
    out of a symlinked directory with `..`: the walk then reads a .gitignore only where it
    lists one (else, as always, wherever `absolute/relative` leads)."""

    @classmethod
    def of(cls, path: Path) -> _Top:
        given = os.fspath(path)
        absolute = os.path.abspath(given)
        try:
            same = os.path.samestat(os.stat(given), os.stat(absolute))
        except OSError:
            same = False
        return cls(given, absolute, os.path.realpath(given), same)


class _ExcludesBelow:
    """`Excludes.matches(top/relative, anchor=top)` for the files below a directory named on the
    command line, asked in two steps so that a loop can decide a whole directory at once:
    whether the directories on the way are excluded by name, then whether the file is.

    Below `top`, every name on the way is tested, and anchored patterns apply when `top` lies
    at or below the root (outside it, no file below `top` is inside it). When the root lies
    strictly below `top`, `Excludes.matches` tests only the last few names of a path inside
    the root (its `first` goes negative): there is no shortcut for that, each file is asked.
    """

    def __init__(self, excludes: Excludes, path: Path, top: _Top) -> None:
        self._excludes = excludes
        self._path = path
        self._top = top
        root = os.fspath(excludes.root)
        # `top` relative to the root, "" or ending in a slash; None outside the root.
        self._anchored_prefix = (
            _prefix(_relative(top.absolute, root)) if _is_below(top.absolute, root) else None
        )
        self._file_by_file = top.absolute != root and _is_below(root, top.absolute)
        self._directories: dict[str, bool] = {}

    def excludes_directory_named(self, name: str) -> bool:
        """Whether a directory called `name` below `top` is excluded, and all that is in it."""
        return not self._file_by_file and self._excludes.excludes_name(name)

    def excludes_directory(self, relative: str) -> bool:
        """Whether `relative`, a directory below `top` ("" is `top`), or one on the way to it
        is excluded by name. Remembered: `git ls-files` lists many files per directory."""
        if not relative:
            return False
        known = self._directories.get(relative)
        if known is None:
            parent, _, name = relative.rpartition("/")
            known = self.excludes_directory_named(name) or self.excludes_directory(parent)
            self._directories[relative] = known
        return known

    def excludes_file(self, relative: str, name: str) -> bool:
        """Whether the file `relative` (called `name`) is excluded, once the directories on the
        way to it are not."""
        if self._file_by_file:
            path = Path(_join(self._top.given, relative))
            return self._excludes.matches(path, anchor=self._path)
        if self._excludes.excludes_name(name):
            return True
        prefix = self._anchored_prefix
        return prefix is not None and self._excludes.excludes_anchored(prefix + relative)


def _git_files(directory: str) -> list[str] | None:
    """The files tracked, or untracked but not ignored, below `directory` whose names end in a
    Python suffix, relative to it and sorted; None outside git."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    # A name listed twice (an unmerged file, once per stage) counts once.
    return sorted({name for name in names if name.endswith(PYTHON_SUFFIXES)})


def _gitignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    ignore_file = directory / ".gitignore"
    try:
        lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


_IgnoreSpecs = list[tuple[str, pathspec.GitIgnoreSpec]]
"""The .gitignore files that apply, shallowest first: (absolute directory holding one, spec)."""


def _ancestor_specs(directory: Path) -> _IgnoreSpecs:
    """The .gitignore files above `directory`, up to the top of its repository (or of the
    filesystem, outside one), shallowest first."""
    specs: _IgnoreSpecs = []
    for ancestor in directory.parents:
        if (spec := _gitignore_spec(ancestor)) is not None:
            specs.insert(0, (os.fspath(ancestor), spec))
        if (ancestor / ".git").exists():
            break
    return specs


class _Ignores:
    """The .gitignore files that apply in one directory, asked about its entries. False when
    there are none (outside git, the common case), for the walk not to ask at all."""

    def __init__(self, specs: _IgnoreSpecs, here: str) -> None:
        self._specs = [(spec, _prefix(_relative(here, base))) for base, spec in specs]

    def __bool__(self) -> bool:
        return bool(self._specs)

    def ignored(self, name: str, is_dir: bool) -> bool:
        """Git's rule: the deepest .gitignore with a matching pattern decides (`!` re-includes)."""
        verdict = None
        for spec, prefix in self._specs:
            result = spec.check_file(prefix + name + ("/" if is_dir else ""))
            if result.include is not None:
                verdict = result.include
        return bool(verdict)


class _Listing(NamedTuple):
    """What the walk needs of one directory, told apart as `os.walk` does: a symlink to a
    directory is a directory (and never descended into), one that cannot be followed is a file."""

    python_files: list[os.DirEntry[str]]
    """Sorted by name: with directories, the order in which two links to one file are met."""
    directories: list[os.DirEntry[str]]
    """To descend into (no symlinks), sorted by name."""
    has_gitignore: bool


def _list(directory: str) -> _Listing | None:
    """What the walk needs of `directory`, from one `scandir` (a file's type comes with its name,
    no `stat` needed); None when it cannot be read, which `os.walk` passes over too."""
    python_files, directories = [], []
    has_gitignore = False
    try:
        with os.scandir(directory) as scan:
            for entry in scan:
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                if is_dir:
                    if not _is_symlink(entry):
                        directories.append(entry)
                elif _is_python(entry.name):
                    python_files.append(entry)
                elif entry.name == ".gitignore":
                    has_gitignore = True
    except OSError:
        return None
    by_name = operator.attrgetter("name")
    return _Listing(
        sorted(python_files, key=by_name), sorted(directories, key=by_name), has_gitignore
    )


def _is_symlink(entry: os.DirEntry[str]) -> bool:
    """As `os.walk` asks before descending into a directory: an error is no symlink."""
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _own_gitignore(top: _Top, here: str, listing: _Listing) -> pathspec.GitIgnoreSpec | None:
    """The .gitignore in `here`, a directory the walk lists: read only if listed there."""
    if top.absolute_is_given and not listing.has_gitignore:
        return None
    return _gitignore_spec(Path(here))


def _walk(
    top: _Top, excludes: _ExcludesBelow, respect_gitignore: bool
) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """The Python files below `top` that no .gitignore and no exclude pattern removes, as
    (path relative to `top`, entry), in the order of `os.walk` (top-down, each directory's files
    before its subdirectories, names sorted): of two links to one file, the first is kept."""
    inherited = _ancestor_specs(Path(top.absolute)) if respect_gitignore else []
    pending: list[tuple[str, _IgnoreSpecs]] = [("", inherited)]
    while pending:
        relative, specs = pending.pop()
        listing = _list(_join(top.given, relative))
        if listing is None:
            continue
        here = _join(top.absolute, relative)
        if respect_gitignore and (spec := _own_gitignore(top, here, listing)) is not None:
            specs = [*specs, (here, spec)]
        ignores = _Ignores(specs, here)
        prefix = _prefix(relative)
        for entry in listing.python_files:
            name = entry.name
            if not (ignores and ignores.ignored(name, is_dir=False)) and not (
                excludes.excludes_file(prefix + name, name)
            ):
                yield prefix + name, entry
        below = [
            prefix + entry.name
            for entry in listing.directories
            if entry.name != ".git"
            and not excludes.excludes_directory_named(entry.name)
            and not (ignores and ignores.ignored(entry.name, is_dir=True))
        ]
        pending.extend((directory, specs) for directory in reversed(below))


def _is_dangling_link(path: Path) -> bool:
    """A symlink that leads nowhere (a missing target or a loop): kept, so that the run reports
    it as a file it could not read instead of passing over it in silence."""
    return path.is_symlink() and not path.exists()


def _identity(path: Path) -> str:
    """The file a path names, so that a file reached twice through a link counts once; a
    dangling link is its own file (the real path of a loop is any of its links)."""
    return os.path.abspath(path) if _is_dangling_link(path) else os.path.realpath(path)


def _identity_if_taken(path: Path) -> str | None:
    """For anything but a plain file (a symlink, something else, an error): the identity of a
    file (or of a link to one, or of a link leading nowhere), None for anything else."""
    if path.is_file() or _is_dangling_link(path):
        return _identity(path)
    return None


def _is_plain_file(entry: os.DirEntry[str]) -> bool:
    """A regular file that is not a symlink, from what the directory listing says."""
    try:
        return not entry.is_symlink() and entry.is_file()
    except OSError:
        return False


def _walked_files(
    top: _Top, excludes: _ExcludesBelow, respect_gitignore: bool
) -> Iterator[tuple[str, str]]:
    """(identity, path) for each file to process below `top`, walking it. No directory on the
    way is a symlink (they are not followed), so a plain file's real path is `top.real/...`."""
    given, real = _with_slash(top.given), _with_slash(top.real)
    for relative, entry in _walk(top, excludes, respect_gitignore):
        path = given + relative
        if _is_plain_file(entry):
            yield real + relative, path
        elif (identity := _identity_if_taken(Path(path))) is not None:
            yield identity, path


def _listed_files(
    top: _Top, excludes: _ExcludesBelow, listed: list[str]
) -> Iterator[tuple[str, str]]:
    """(identity, path) for each file to process among those git listed below `top`. A file git
    lists may since have gone, or a directory on the way been replaced by a symlink."""
    given, real = _with_slash(top.given), _with_slash(top.real)
    symlinked: dict[str, bool] = {}
    for relative in listed:
        directory, _, name = relative.rpartition("/")
        if (
            not _is_python(name)
            or excludes.excludes_directory(directory)
            or excludes.excludes_file(relative, name)
        ):
            continue
        path = given + relative
        if _is_regular(path) and not _reached_through_symlink(top, directory, symlinked):
            yield real + relative, path
        elif (identity := _identity_if_taken(Path(path))) is not None:
            yield identity, path


def _is_regular(path: str) -> bool:
    """A regular file that is not itself a symlink."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _reached_through_symlink(top: _Top, directory: str, known: dict[str, bool]) -> bool:
    """Whether `directory` below `top` ("" is `top`), or one on the way to it, is a symlink."""
    if not directory:
        return False
    through = known.get(directory)
    if through is None:
        parent, _, _ = directory.rpartition("/")
        through = os.path.islink(_join(top.given, directory)) or _reached_through_symlink(
            top, parent, known
        )
        known[directory] = through
    return through


def _files_below(
    path: Path, excludes: Excludes, respect_gitignore: bool
) -> Iterator[tuple[str, str]]:
    """(identity, path) for each file to process below a directory named on the command line."""
    top = _Top.of(path)
    below = _ExcludesBelow(excludes, path, top)
    listed = _git_files(top.given) if respect_gitignore else None
    if listed is not None:
        return _listed_files(top, below, listed)
    return _walked_files(top, below, respect_gitignore)


NOTEBOOK_SUFFIXES = (".ipynb",)
UNSUPPORTED_REASON = "notebooks are not checked (only Python source files)"


def unsupported(paths: Iterable[Path]) -> list[Path]:
    """The files named that cancelfix cannot check (notebooks), which ruff would check: they are
    skipped, and never counted as checked."""
    return [path for path in paths if path.suffix.lower() in NOTEBOOK_SUFFIXES]


def discover_files(
    paths: Iterable[Path], excludes: Excludes, *, respect_gitignore: bool, force_exclude: bool
) -> list[Path]:
    """The Python files to process, sorted and without duplicates.

    A file named on the command line is always taken, unless `force_exclude` and an exclude
    pattern match it (what pre-commit needs, as it passes every changed file by name).
    """
    found: dict[str, str] = {}  # by real path: a file reached twice through a link counts once
    for path in paths:
        if path.is_dir():
            for identity, candidate in _files_below(path, excludes, respect_gitignore):
                found.setdefault(identity, candidate)
        elif not (force_exclude and excludes.matches(path)):
            found.setdefault(_identity(path), os.fspath(path))
    return sorted(Path(candidate) for candidate in found.values())
