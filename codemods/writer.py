"""Atomic, careful writes: a file is replaced whole, and only if nobody changed it meanwhile."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from codemods.engine import digest


class StaleFileError(Exception):
    """The file on disk is no longer the one that was read."""


class ReadOnlyFileError(Exception):
    """The file's mode forbids writing it."""


def write_atomic(path: str, new_source: bytes, original_digest: str) -> None:
    """Replace `path` by `new_source`, keeping its mode bits and (where allowed) its owner.

    Written to a temporary file in the same directory, flushed to disk, then renamed over the
    original, so that a reader (or a crash) sees either the old or the new file, never a mix.
    """
    path = os.path.realpath(path)  # through a symlink, rewrite its target and keep the link
    status = os.stat(path)
    mode = stat.S_IMODE(status.st_mode)
    # Renaming over a file needs no write permission on it (and root has every permission):
    # honour the mode bits themselves.
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise ReadOnlyFileError("file is read-only; not modified")
    with open(path, "rb") as current:
        if digest(current.read()) != original_digest:
            raise StaleFileError("changed on disk since it was read; not overwritten")
    directory, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".cancelfix", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(new_source)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        with contextlib.suppress(OSError):  # only root may give a file away; others own it
            os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
