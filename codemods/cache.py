"""The cache: what a run found in each file, so that an unchanged file is not analysed again.

Layout (like `.ruff_cache` and `.pytest_cache`)::

    <cache dir>/CACHEDIR.TAG              backup tools skip the directory
    <cache dir>/.gitignore                "*": git ignores it
    <cache dir>/<version>/run-<fingerprint>.json    outcomes, one file per kind of run
    <cache dir>/<version>/rules-<tool stamp>.json   rule codes of --select/--ignore lists

A run's fingerprint covers everything besides a file's bytes that decides its outcome: the tool
(its version, and the size and mtime of each of its own modules, so that editing the tool
invalidates it; LibCST's install; the Python that runs it, whose parser words some errors), the
mode, the selected rules and every rule option. An entry maps a file's absolute path to the
digest of its bytes, their stat signature, and the outcome: findings, error, parsed; and the
other files the outcome depends on, with the digests of their bytes.

An outcome may depend on other files: whether an `await` of a function that another module of
the package defines can suspend is read in that module (`codemods.analysis.siblings`). Such an
outcome is kept with the digest of each file its analysis looked at (None: it found no such
file), and is used only while each of them is unchanged: each is read again, once per run, when
a lookup needs it. Not keeping such outcomes would be correct too, but would analyse again, in
every run, each file that awaits a function of another module of its package. Trusting the
stat signatures of those files would save the reads, but there is no run start to tell a
racily clean one (below) by.

Only outcomes that the bytes decide (and those files), and that change nothing, are kept: no
fixed source (a file a fix rewrites is analysed again next time), and no error but the
content's own (syntax, decoding, size); never "cannot read", an internal error or a crashed
worker.

A file is not read when its stat signature (size, mtime, ctime, inode) is the one recorded and
the entry is not "racily clean" (git's rule): the file last changed before the run that wrote
the entry began, by more than a margin. A file changed again within the clock tick of its last
change can keep its signature; one that had settled before the run cannot. Otherwise the file
is read and its digest decides.

A cache never makes a run wrong or fail: a missing, truncated, corrupt or foreign file is
ignored (and rewritten); a cache that cannot be written costs one warning. Writes go through a
temporary file and `os.replace`, so concurrent runs never see half a file (the last one wins).
A cache file gets the mode the umask gives any new file (not the temporary file's private
0600), so that a cache shared between users, or restored by CI for another one, can be read.

Writing a new cache file prunes the cache: cache files (and temporary files left by killed
runs) unused for a week are deleted, in this version's directory and in those other versions
left behind (after an upgrade); such a directory goes too once pruning has emptied it.
Nothing else is deleted.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from codemods import __version__
from codemods.model import FileOutcome, Finding, FixSafety, RuleOptions, Settings, digest

DEFAULT_DIRECTORY = ".cancelfix_cache"
FORMAT = 2
"""The layout of the cache files; a change makes old files foreign (ignored, then replaced)."""
RACY_MARGIN_NS = 2_000_000_000
"""How long before a run began a file must have last changed for its stat signature to be
trusted: more than a filesystem's timestamp granularity, and a little clock skew."""

UNUSED_SECONDS = 7 * 24 * 3600
"""Cache files of other kinds of run (other options, an edited or another install of the tool)
unused for this long are deleted when a new one is written; a file in use is touched daily."""

CONTENT_ERRORS = (
    "syntax error",
    "cannot decode",
    "binary file",
    "too deeply nested",
    "too large to analyse",
    "fix rejected",
)
"""Errors that the bytes decide (prefixes of the engine's reasons), cached like findings."""

_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n# This is a cancelfix cache directory.\n"
_MAGIC = "cancelfix-cache"

Signature = tuple[int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode)."""


class CacheError(Exception):
    """The cache could not be written; the message says where and why."""


def _stat_signature(stat: os.stat_result) -> Signature:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _file_digest(path: str) -> str | None:
    """The digest of a file's bytes; None if it cannot be read (the run will say why)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return None
    return _short(digest(data))


def _short(full: str) -> str:
    """A digest as the cache keeps it: 128 bits are plenty to tell two versions of a file."""
    return full[:32]


@functools.cache
def tool_stamp() -> str:
    """What identifies the code that computes outcomes: this package's modules (size and mtime
    each), LibCST's install, and the Python running them."""
    return source_stamp(Path(__file__).parent)


def source_stamp(package: Path) -> str:
    """A package's `.py` files by size and mtime, with LibCST's install and the Python."""
    parts = [__version__, sys.version, sys.implementation.cache_tag or ""]
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                with contextlib.suppress(OSError):  # (removed meanwhile: still a new stamp)
                    stat = os.stat(path)
                    parts.append(
                        f"{os.path.relpath(path, package)}:{stat.st_size}:{stat.st_mtime_ns}"
                    )
    libcst = importlib.util.find_spec("libcst")  # found, not imported
    locations = (libcst.submodule_search_locations or []) if libcst is not None else []
    for location in locations:
        for name in ("__init__.py", "_version.py"):
            with contextlib.suppress(OSError):
                stat = os.stat(os.path.join(location, name))
                parts.append(f"libcst/{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _plain(value: object) -> object:
    """A value as JSON, the same in every process (sets sorted)."""
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def fingerprint(settings: Settings) -> str:
    """What, besides a file's bytes, decides its outcome in a run with these settings."""
    options = {
        field.name: _plain(getattr(settings.options, field.name)) for field in fields(RuleOptions)
    }
    material = [
        FORMAT,
        tool_stamp(),
        settings.mode.value,
        settings.offer_fixes,
        list(settings.rule_codes),
        options,
        [astuple(entry) for entry in settings.per_file_ignores],
    ]
    text = json.dumps(material, sort_keys=True, default=repr)  # (repr: an option of a new type)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _read_document(path: Path, identity: str) -> Any:
    """The body of a cache file written for `identity`; None if it is missing, unreadable,
    truncated, corrupt, or was written by another format or for another run."""
    try:
        with path.open("rb") as file:
            data = file.read()
            if os.fstat(file.fileno()).st_mtime < time.time() - UNUSED_SECONDS / 7:
                with contextlib.suppress(OSError):  # in use: not to be pruned as unused
                    os.utime(file.fileno())
        header, _, body = data.partition(b"\n")
        magic, layout, owner, checksum = header.decode("ascii").split(" ")
        if (magic, layout, owner) != (_MAGIC, str(FORMAT), identity):
            return None
        if hashlib.sha256(body).hexdigest() != checksum:
            return None
        return json.loads(body)
    except (OSError, ValueError, RecursionError):  # (UnicodeDecodeError is a ValueError)
        return None


def _write_document(directory: Path, path: Path, identity: str, document: object) -> None:
    """Write a cache file atomically, creating the cache directory with its tag files."""
    import tempfile  # (only a run that learnt something writes: a warm one need not import it)

    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    header = f"{_MAGIC} {FORMAT} {identity} {hashlib.sha256(body).hexdigest()}\n".encode()
    try:
        if not path.exists():
            _prune_unused(path.parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        for name, content in (("CACHEDIR.TAG", _TAG), (".gitignore", b"*\n")):
            if not (directory / name).exists():
                (directory / name).write_bytes(content)
        descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(header + body)
            os.chmod(temporary, _new_file_mode())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise CacheError(
            f"cannot write the cache in {directory}: {error.strerror or error}"
        ) from error


def _new_file_mode() -> int:
    """The mode the umask gives a newly created file (0666 less the umask)."""
    # The only way to read it is to set it, for an instant (no other thread creates files).
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _prune_unused(current: Path) -> None:
    """Delete the cache files (and temporary files left by killed runs) unused for a week in
    `current`, this version's directory, and in the other versions' directories beside it (an
    upgrade leaves the old one behind); one of those goes too once this has emptied it."""
    cutoff = time.time() - UNUSED_SECONDS
    versions: list[os.DirEntry[str]] = []
    with contextlib.suppress(OSError), os.scandir(current.parent) as entries:
        versions = [entry for entry in entries if entry.is_dir(follow_symlinks=False)]
    for version in versions:
        pruned = False
        with contextlib.suppress(OSError), os.scandir(version.path) as entries:
            for entry in entries:
                if entry.name.startswith(("run-", "rules-", ".tmp-")):
                    with contextlib.suppress(OSError):
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            os.unlink(entry.path)
                            pruned = True
        if pruned and version.name != current.name:
            with contextlib.suppress(OSError):  # not empty: a file in use, or not ours
                os.rmdir(version.path)


class RuleMemo:
    """The rule codes that --select/--ignore lists resolve to, remembered per tool stamp, so
    that a run whose files are all cached need not import the rules (and LibCST) to resolve
    them. Only valid selections are remembered: an unknown code always reaches the registry,
    and fails there with its usual message."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / __version__ / f"rules-{tool_stamp()}.json"
        document = _read_document(self.path, tool_stamp())
        self._known: dict[str, list[str]] = document if isinstance(document, dict) else {}
        self.changed = False

    @staticmethod
    def _key(select: Iterable[str], ignore: Iterable[str]) -> str:
        return json.dumps([list(select), list(ignore)])

    def get(self, select: Iterable[str], ignore: Iterable[str]) -> tuple[str, ...] | None:
        codes = self._known.get(self._key(select, ignore))
        if isinstance(codes, list) and all(isinstance(code, str) for code in codes):
            return tuple(codes)
        return None

    def put(self, select: Iterable[str], ignore: Iterable[str], codes: Iterable[str]) -> None:
        self._known[self._key(select, ignore)] = list(codes)
        self.changed = True

    def save(self) -> None:
        if self.changed:
            _write_document(self.directory, self.path, tool_stamp(), self._known)
            self.changed = False


@dataclass(frozen=True)
class _Pending:
    """A file handed to the engine: its key, and its signature and digest before it was (no
    digest when the cache had no entry to compare it with: the engine's is used)."""

    key: str
    signature: Signature
    digest: str | None


# An entry, as stored: [digest, size, mtime_ns, ctime_ns, inode, trusted, parsed, error,
# findings, dependencies], each finding [code, name, message, line, column, end_line,
# end_column, fix, held_in, swallows], each dependency [path, digest or null].
_DIGEST, _SIGNATURE, _TRUSTED, _PARSED, _ERROR, _FINDINGS, _DEPENDENCIES = (
    0,
    slice(1, 5),
    5,
    6,
    7,
    8,
    9,
)
_LENGTH = 10


def _outcome(path: str, entry: list[Any]) -> FileOutcome:
    """The outcome an entry holds; TypeError or ValueError for one not of our making."""
    findings = tuple(_finding(*finding) for finding in entry[_FINDINGS])
    error, parsed = entry[_ERROR], entry[_PARSED]
    if not (error is None or isinstance(error, str)) or not isinstance(parsed, bool):
        raise TypeError("not a cache entry")
    dependencies = tuple(_dependency(*dependency) for dependency in entry[_DEPENDENCIES])
    return FileOutcome(path, findings, error=error, parsed=parsed, dependencies=dependencies)


def _dependency(path: Any, recorded: Any) -> tuple[str, str | None]:
    if not isinstance(path, str) or not (recorded is None or isinstance(recorded, str)):
        raise TypeError("not a dependency")
    return path, recorded


def _finding(*fields: Any) -> Finding:
    code, name, message, line, column, end_line, end_column, fix, held_in, swallows = fields
    if not all(isinstance(text, str) for text in (code, name, message)) or not all(
        type(number) is int for number in (line, column, end_line, end_column)
    ):
        raise TypeError("not a finding")
    if not (held_in is None or isinstance(held_in, str)) or not isinstance(swallows, bool):
        raise TypeError("not a finding")
    safety = fix and FixSafety(fix)
    return Finding(
        code, name, message, line, column, end_line, end_column, safety, False, held_in, swallows
    )


def _entry(digest: str, signature: Signature, trusted: bool, outcome: FileOutcome) -> list[Any]:
    findings = [
        [
            f.code,
            f.name,
            f.message,
            f.line,
            f.column,
            f.end_line,
            f.end_column,
            f.fix and f.fix.value,
            f.held_in,
            f.swallows,
        ]
        for f in outcome.findings
    ]
    dependencies = [
        [path, depended and _short(depended)] for path, depended in outcome.dependencies
    ]
    return [digest, *signature, trusted, outcome.parsed, outcome.error, findings, dependencies]


def cacheable(outcome: FileOutcome) -> bool:
    """Whether the file's bytes (and the files it depends on) decided the outcome, and it
    changes nothing."""
    return not outcome.changed and (
        outcome.error is None or outcome.error.startswith(CONTENT_ERRORS)
    )


class Cache:
    """The outcomes of one kind of run (one fingerprint), by file.

    `lookup` each file of the run: a cached outcome, or None and the file is to be processed;
    then `store` the outcomes of those, and `save`.
    """

    def __init__(self, directory: Path, settings: Settings) -> None:
        self.directory = directory
        self.fingerprint = fingerprint(settings)
        self.path = directory / __version__ / f"run-{self.fingerprint}.json"
        self.started_ns = time.time_ns()
        document = _read_document(self.path, self.fingerprint)
        self._entries: dict[str, list[Any]] = {}
        if isinstance(document, dict):
            self._entries = {
                key: entry
                for key, entry in document.items()
                if isinstance(entry, list) and len(entry) == _LENGTH
            }
        self._seen: set[str] = set()
        self._pending: dict[str, _Pending] = {}
        self._changed = False
        self._cwd = os.getcwd()
        self._digests: dict[str, str | None] = {}
        """The digests of the files that outcomes depend on, read once in a run."""
        self.hits = 0

    def _key(self, path: str) -> str:
        """A path's absolute form (cheaply: paths from the discovery are already normal)."""
        absolute = path if os.path.isabs(path) else os.path.join(self._cwd, path)
        return os.path.normpath(absolute) if ".." in absolute else absolute

    def _trusted(self, signature: Signature) -> bool:
        """Whether the file last changed long enough before this run began (see above)."""
        return max(signature[1], signature[2]) < self.started_ns - RACY_MARGIN_NS

    def lookup(self, path: str) -> FileOutcome | None:
        """The file's cached outcome if its bytes are the ones it was computed from; None if
        it is to be processed (then `store` its outcome)."""
        key = self._key(path)
        self._seen.add(key)
        try:
            signature = _stat_signature(os.stat(path))
        except OSError:
            return None  # the engine will report why
        entry = self._entries.get(key)
        if (
            entry is not None
            and entry[_TRUSTED] is True
            and tuple(entry[_SIGNATURE]) == signature
            and (outcome := self._hit(key, path, entry)) is not None
        ):
            return outcome  # a settled file, as it was: not read
        entry = self._entries.get(key)  # (gone if it was not of our making)
        if entry is None:  # a new file: the engine reads it, and says what it read
            self._pending[path] = _Pending(key, signature, None)
            return None
        digest = _file_digest(path)
        if digest is None:
            return None
        if entry[_DIGEST] == digest:
            # The same bytes with a new signature (touched, copied) or settled since: record it.
            entry[_SIGNATURE] = signature
            entry[_TRUSTED] = self._trusted(signature)
            self._changed = True
            if (outcome := self._hit(key, path, entry)) is not None:
                return outcome
        self._pending[path] = _Pending(key, signature, digest)
        return None

    def _unchanged(self, dependencies: Iterable[tuple[str, str | None]]) -> bool:
        """Whether the other files an outcome depends on are as its analysis found them."""
        for path, recorded in dependencies:
            if path not in self._digests:
                self._digests[path] = _file_digest(path) if os.path.isfile(path) else None
            if self._digests[path] != recorded:
                return False
        return True

    def _hit(self, key: str, path: str, entry: list[Any]) -> FileOutcome | None:
        try:
            outcome = _outcome(path, entry)
        except (TypeError, ValueError):  # not of our making: forget it, process the file
            del self._entries[key]
            self._changed = True
            return None
        if not self._unchanged(outcome.dependencies):
            return None  # (processed again, its new outcome stored in place of this one)
        self.hits += 1
        return outcome

    def store(self, outcome: FileOutcome) -> None:
        """Keep the outcome of a file `lookup` missed, if its bytes decided it and they are
        still the ones looked up (not changed while the engine read them)."""
        pending = self._pending.pop(outcome.path, None)
        if pending is None or not cacheable(outcome):
            return
        try:
            signature = _stat_signature(os.stat(outcome.path))
        except OSError:
            return
        # The engine's digest is of the bytes it read; the signature, unchanged since the lookup,
        # says they are still the file's (any write changes its ctime).
        if outcome.original_digest is None or signature != pending.signature:
            return
        digest = _short(outcome.original_digest)
        if pending.digest is not None and digest != pending.digest:
            return
        trusted = self._trusted(signature)
        self._entries[pending.key] = _entry(digest, signature, trusted, outcome)
        self._changed = True

    def _prune(self) -> None:
        """Forget files that are gone. Files this run did not take (a subset: some paths,
        --since, --shard) keep their entries."""
        for key in [key for key in self._entries if key not in self._seen]:
            if not os.path.exists(key):
                del self._entries[key]
                self._changed = True

    def save(self) -> None:
        """Write the cache if this run changed it; CacheError if it cannot be written."""
        self._prune()
        if self._changed:
            _write_document(self.directory, self.path, self.fingerprint, self._entries)
            self._changed = False
