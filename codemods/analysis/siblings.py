"""The other modules of a file's own package, read from disk: which file an import names,
and what is in it.

An import names a file only inside the importing file's package, found as the import system
finds it when the package is imported from its parent directory: `from .x import f` in the
importer's package directory (`..x` in its parent, which must be a package too), and
`from pkg.sub.x import f` or `import pkg.sub.x as m` in the directory above the top package
(the last directory holding an `__init__.py` on the way up from the importer), when `pkg` is
that top package. Every directory on the way holds an `__init__.py`; the module is `x.py`
or the package `x/__init__.py`, not both. Nothing else is read: not a file in no package
(stdin, a script), a namespace package, a module there only as a stub (`.pyi`) or compiled,
a package's own `__init__.py` (`from . import f`), nor another top package. What such an
import binds is unknown.

An outcome computed from what other files hold is valid only while they hold it: each file
looked at, read or found missing, is noted in the current `recording` with the digest of its
bytes (None: no such file), for the cache to re-validate (see `codemods.cache`). Each file
is read at most once per process, and again only when its stat signature changes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

from codemods.model import digest

T = TypeVar("T")

Dependencies = dict[str, str | None]
"""The files an analysis looked at: path, and the digest of its bytes (None: no such file)."""

_recorded: ContextVar[Dependencies | None] = ContextVar("sibling_files_read", default=None)

_NO_FILE = ("", "-")
"""What names the source of stdin, when no file name stands for it."""


@contextlib.contextmanager
def recording() -> Iterator[Dependencies]:
    """Note the files looked at within the block, into the mapping yielded."""
    files: Dependencies = {}
    token = _recorded.set(files)
    try:
        yield files
    finally:
        _recorded.reset(token)


@dataclass(frozen=True)
class _Version(Generic[T]):
    signature: tuple[int, int, int, int] | None
    digest: str | None
    summary: T | None


class FileSummaries(Generic[T]):
    """What `summarise` makes of each file's bytes, computed once for each version of a file
    (told apart by its stat signature: size, mtime, ctime, inode)."""

    def __init__(self, summarise: Callable[[bytes], T]) -> None:
        self._summarise = summarise
        self._versions: dict[str, _Version[T]] = {}

    def of(self, path: str) -> T | None:
        """The summary of the file at `path`; None if it is no regular file it can read."""
        signature = _signature(path)
        version = self._versions.get(path)
        if version is None or version.signature != signature:
            data = _read(path) if signature is not None else None
            summary = None if data is None else self._summarise(data)
            version = _Version(signature, None if data is None else digest(data), summary)
            self._versions[path] = version
        files = _recorded.get()
        if files is not None:
            files[path] = version.digest
        return version.summary


def _signature(path: str) -> tuple[int, int, int, int] | None:
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    if not os.path.isfile(path):
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


_package_markers: FileSummaries[bool] = FileSummaries(lambda data: True)
"""Which `__init__.py` files exist (their bytes are noted, not kept)."""


def _is_package(directory: str) -> bool:
    return _package_markers.of(os.path.join(directory, "__init__.py")) is not None


def imported_module(
    importer: str, module: str, level: int, summaries: FileSummaries[T]
) -> T | None:
    """What `summaries` makes of the module that the file at `importer` imports as `module`
    (after `level` dots: `from ..x import f` is ("x", 2)), if that is a module of the
    importer's own package; None otherwise."""
    if importer in _NO_FILE:
        return None
    directory = os.path.dirname(os.path.abspath(importer))
    if not _is_package(directory):
        return None
    parts = module.split(".")
    if level:
        for _ in range(level - 1):
            directory = os.path.dirname(directory)
            if not _is_package(directory):
                return None  # beyond the top package
    else:
        while (parent := os.path.dirname(directory)) != directory and _is_package(parent):
            directory = parent
        if parts[0] != os.path.basename(directory):
            return None  # another top package: not read
        parts = parts[1:]
    *packages, name = parts or [""]
    for part in packages:
        directory = os.path.join(directory, part)
        if not _is_package(directory):
            return None
    if not name:
        return None  # a package's `__init__.py` (`from pkg import f`): not read
    as_module = summaries.of(os.path.join(directory, f"{name}.py"))
    as_package = summaries.of(os.path.join(directory, name, "__init__.py"))
    if as_module is not None and as_package is not None:
        return None  # both: an odd layout (the package wins), not judged
    return as_package if as_module is None else as_module
