"""Atomic, careful writes: a file is replaced whole, and only if nobody changed it meanwhile.

The new text goes to a temporary file in the same directory, is flushed to disk, then renamed
over the original, so that a reader (or a crash) sees either the old or the new file, never a
mix. On Linux the temporary file is anonymous (`O_TMPFILE`): if the process dies while writing
it, the kernel drops it. It gets a name (`.NAME.XXXXXXXX.cancelfix`) only for the two system
calls that link it and rename it over the original, with SIGINT, SIGTERM and SIGHUP held back
meanwhile; only SIGKILL (or a power cut) in that window can leave it behind. Elsewhere, or on a
file system without `O_TMPFILE`, the temporary file is named from the start, with the same
signals held back until it is renamed or removed.

Every temporary file is locked (`flock`) by the process writing it while it exists. A later
write of NAME removes the `.NAME.XXXXXXXX.cancelfix` files that nobody holds a lock on: ones
left by a process that died.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import signal
import stat
import tempfile
from collections.abc import Iterator

from codemods.model import digest

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

TEMPORARY_SUFFIX = ".cancelfix"
_HELD_SIGNALS = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
_NO_TMPFILE = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL})
"""What opening with `O_TMPFILE` fails with where it is unsupported (file system, old kernel)."""
_link_through_proc = True
"""Whether /proc/self/fd can name an anonymous file (false once it could not: no /proc)."""


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
    if not _replace_through_anonymous_file(path, directory, name, new_source, status):
        _replace_through_named_file(path, directory, name, new_source, status)
    remove_abandoned_temporaries(path)


def _fill(descriptor: int, data: bytes, status: os.stat_result) -> None:
    """Write `data` to the file, flush it to disk, give it the mode and owner of `status`."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
    os.fsync(descriptor)
    os.fchmod(descriptor, stat.S_IMODE(status.st_mode))
    with contextlib.suppress(OSError):  # only root may give a file away; others own it
        os.fchown(descriptor, status.st_uid, status.st_gid)


def _lock(descriptor: int) -> None:
    """Mark the temporary file as in use, for `remove_abandoned_temporaries` of other runs."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # no locks on this file system: no harm either
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _replace_through_anonymous_file(
    path: str, directory: str, name: str, data: bytes, status: os.stat_result
) -> bool:
    """Linux: write an `O_TMPFILE` file, then link and rename it; False if unsupported here."""
    global _link_through_proc
    if not hasattr(os, "O_TMPFILE") or not _link_through_proc:
        return False
    folder = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            descriptor = os.open(
                ".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600, dir_fd=folder
            )
        except OSError as error:
            if error.errno in _NO_TMPFILE:
                return False
            raise
        try:
            _lock(descriptor)
            _fill(descriptor, data, status)
            with _signals_held():
                while True:
                    temporary = f".{name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
                    try:
                        # With a dir_fd, os.link calls linkat(AT_SYMLINK_FOLLOW): /proc's link
                        # to the open file is followed to the file itself.
                        os.link(f"/proc/self/fd/{descriptor}", temporary, dst_dir_fd=folder)
                    except FileExistsError:
                        continue
                    except OSError:
                        if not os.path.isdir("/proc/self/fd"):
                            _link_through_proc = False  # no /proc: named temporary files only
                        return False  # whatever stops the link, the named way may still work
                    break
                try:
                    os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary, dir_fd=folder)
                    raise
        finally:
            os.close(descriptor)
    finally:
        os.close(folder)
    return True


def _replace_through_named_file(
    path: str, directory: str, name: str, data: bytes, status: os.stat_result
) -> None:
    with _signals_held():
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{name}.", suffix=TEMPORARY_SUFFIX, dir=directory
        )
        try:
            try:
                _lock(descriptor)
                _fill(descriptor, data, status)
            finally:
                os.close(descriptor)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Defer SIGINT, SIGTERM and SIGHUP (for this thread) until the block is done."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def remove_abandoned_temporaries(path: str) -> list[str]:
    """Remove the temporary files of `path` (`.NAME.XXXXXXXX.cancelfix`) a dead run left.

    A temporary file that another process holds a lock on is being written: it is left alone,
    as is anything that is not a regular file, or a file where locks cannot be taken. Returns
    the paths removed.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return []
    directory, name = os.path.split(os.path.abspath(path))
    pattern = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}{re.escape(TEMPORARY_SUFFIX)}")
    removed = []
    try:
        with os.scandir(directory) as entries:
            candidates = [entry.path for entry in entries if pattern.fullmatch(entry.name)]
    except OSError:
        return []
    for candidate in candidates:
        try:
            descriptor = os.open(
                candidate, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            )
        except OSError:
            continue
        try:
            opened = os.fstat(descriptor)
            if not stat.S_ISREG(opened.st_mode):
                continue
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a writer lives
            now = os.lstat(candidate)
            if (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
                os.unlink(candidate)
                removed.append(candidate)
        except OSError:
            continue
        finally:
            os.close(descriptor)
    return removed
