"""Configuration: `[tool.cancelfix]` in the nearest pyproject.toml, or a file given by --config."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codemods import formatting, target_version
from codemods.analysis.vocabulary import DEFAULT_CLEANUP_NAMES
from codemods.suppression import PerFileIgnore

if TYPE_CHECKING:
    from codemods.cache import RuleMemo

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".bzr",
    ".cancelfix_cache",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "venv",
    "__pypackages__",
    "_build",
    "build",
    "dist",
    "node_modules",
    "site-packages",
)


class ConfigError(Exception):
    pass


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a candidate is close to `word`, else nothing."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class RuleSelection:
    """One source's `select`, `extend-select` and `ignore` (rule codes or prefixes).

    As in ruff, sources are applied in order (defaults, configuration file, command line): a
    source with `select` starts the rule set afresh; one without adjusts the set so far."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def selectors(self) -> tuple[str, ...]:
        return (*(self.select or ()), *self.extend_select, *self.ignore)


DEFAULT_SELECTION = RuleSelection(select=("CF",))

TEST_FILES: tuple[str, ...] = ("test_*.py", "*_test.py", "conftest.py", "**/tests/**", "**/test/**")
"""Where tests live, by pytest's conventions."""
TEST_FILE_IGNORES: tuple[str, ...] = ("CF2",)
"""What `per-file-ignores` silences in test files by default: a test exercises the very calls
the cleanup rules take for cleanup (`queue.cancel(tag)`, a semaphore's `release()`), and a
`try/finally` around a test's body lets a failing cleanup hide the assertion that failed."""


def default_per_file_ignores(root: Path) -> tuple[PerFileIgnore, ...]:
    """`per-file-ignores` where neither the file nor the command line sets it (as ruff's
    `exclude`: setting it replaces the default; `extend-per-file-ignores` adds to it)."""
    anchor = str(root.absolute())
    return tuple(PerFileIgnore.parse(glob, TEST_FILE_IGNORES, anchor) for glob in TEST_FILES)


@dataclass(frozen=True)
class Config:
    """Settings read from a file; command-line options override them."""

    source: Path | None = None
    """The file they came from; None for built-in defaults."""
    selection: RuleSelection = field(default_factory=RuleSelection)
    per_file_ignores: tuple[PerFileIgnore, ...] | None = None
    """`per-file-ignores`; None where the file does not set it (the command line's, else
    `default_per_file_ignores`, apply)."""
    extend_per_file_ignores: tuple[PerFileIgnore, ...] = ()
    unsafe_fixes: bool = False
    target_version: tuple[int, int] | None = None
    requires_python: tuple[int, int] | None = None
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    cleanup_names: frozenset[str] = DEFAULT_CLEANUP_NAMES
    respect_gitignore: bool = True
    cache_dir: Path | None = None
    """`cache-dir`, relative to the configuration file's directory."""
    formatter: str | None = None
    """`formatter`: "ruff" or "black", run over the files a fix changes."""

    @property
    def root(self) -> Path:
        """Where relative exclude patterns are anchored."""
        return self.source.parent if self.source else Path.cwd()

    @property
    def effective_target_version(self) -> tuple[int, int]:
        return self.target_version or self.requires_python or target_version.DEFAULT


def _pyprojects(start: Path) -> Iterator[Path]:
    """Every pyproject.toml from `start` upwards, nearest first."""
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            yield path


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error


def _requires_python(document: dict[str, Any]) -> object:
    return document.get("project", {}).get("requires-python")


def _string_list(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"`{key}` must be a list of strings")
    return tuple(value)


def _bool(table: dict[str, Any], key: str) -> bool:
    value = table[key]
    if not isinstance(value, bool):
        raise ConfigError(f"`{key}` must be true or false")
    return value


def _formatter(value: object) -> str | None:
    if value not in formatting.CHOICES:
        choices = ", ".join(map(repr, formatting.CHOICES))
        raise ConfigError(f"`formatter` must be one of {choices}")
    return None if value == "none" else str(value)


_KEYS = frozenset(
    {
        "select",
        "extend-select",
        "ignore",
        "per-file-ignores",
        "extend-per-file-ignores",
        "unsafe-fixes",
        "target-version",
        "exclude",
        "extend-exclude",
        "cleanup-names",
        "extend-cleanup-names",
        "respect-gitignore",
        "cache-dir",
        "formatter",
    }
)


def load(path: Path, *, require_table: bool) -> Config:
    """Read a pyproject.toml (or a cancelfix.toml with the same keys at top level)."""
    document = _read(path)
    if path.name == "pyproject.toml":
        table = document.get("tool", {}).get("cancelfix")
        if table is None and require_table:
            raise ConfigError(f"{path} has no [tool.cancelfix] table")
        table = table or {}
    else:
        table = document
    try:
        return _from_table(path, table, _requires_python(document))
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from error


def _from_table(path: Path, table: dict[str, Any], requires_python: object) -> Config:
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        where = "[tool.cancelfix]" if path.name == "pyproject.toml" else "the file"
        named = ", ".join(key + did_you_mean(key, _KEYS) for key in unknown)
        raise ConfigError(f"unknown option(s) {named} in {where}")
    values: dict[str, Any] = {"source": path, "selection": _selection(table)}
    for key in ("exclude", "extend-exclude"):
        if key in table:
            values[key.replace("-", "_")] = _string_list(table, key)
    for key in ("per-file-ignores", "extend-per-file-ignores"):
        if key in table:
            values[key.replace("-", "_")] = _per_file_ignores(table, key, path.parent)
    for key in ("unsafe-fixes", "respect-gitignore"):
        if key in table:
            values[key.replace("-", "_")] = _bool(table, key)
    if "target-version" in table:
        try:
            values["target_version"] = target_version.parse(str(table["target-version"]))
        except ValueError as error:
            raise ConfigError(str(error)) from error
    if "cache-dir" in table:
        value = table["cache-dir"]
        if not isinstance(value, str) or not value:
            raise ConfigError("`cache-dir` must be a directory name (a string)")
        values["cache_dir"] = path.parent / value
    if "formatter" in table:
        values["formatter"] = _formatter(table["formatter"])
    names = set(DEFAULT_CLEANUP_NAMES)
    if "cleanup-names" in table:
        names = set(_string_list(table, "cleanup-names"))
    if "extend-cleanup-names" in table:
        names |= set(_string_list(table, "extend-cleanup-names"))
    values["cleanup_names"] = frozenset(names)
    if isinstance(requires_python, str):
        values["requires_python"] = target_version.from_requires_python(requires_python)
    return Config(**values)


def _selection(table: dict[str, Any]) -> RuleSelection:
    return RuleSelection(
        select=_string_list(table, "select") if "select" in table else None,
        extend_select=_string_list(table, "extend-select") if "extend-select" in table else (),
        ignore=_string_list(table, "ignore") if "ignore" in table else (),
    )


def _per_file_ignores(table: dict[str, Any], key: str, root: Path) -> tuple[PerFileIgnore, ...]:
    value = table[key]
    if not isinstance(value, dict):
        raise ConfigError(f"`{key}` must be a table of glob = [codes]")
    entries = []
    for pattern, codes in value.items():
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ConfigError(f"`{key}`: {pattern!r} must map to a list of rule codes")
        entries.append(PerFileIgnore.parse(pattern, codes, str(root.absolute())))
    return tuple(entries)


def parse_per_file_ignores(values: Iterable[str], root: Path) -> tuple[PerFileIgnore, ...]:
    """`--per-file-ignores 'tests/*:CF303,CF1'` (ruff's PATTERN:CODES) as entries."""
    entries = []
    for value in values:
        pattern, colon, codes = value.rpartition(":")
        if not colon or not pattern or not codes.strip():
            raise ConfigError(f"{value!r} is not PATTERN:CODES (such as 'tests/*:CF303')")
        prefixes = [code.strip() for code in codes.split(",") if code.strip()]
        entries.append(PerFileIgnore.parse(pattern, prefixes, str(root.absolute())))
    return tuple(entries)


def discover(explicit: Path | None, start: Path) -> Config:
    """The configuration in force: `explicit`, else the nearest pyproject.toml with a
    [tool.cancelfix] table, else defaults. `requires-python` comes from the nearest
    pyproject.toml that sets it: the project being scanned."""
    if explicit is not None:
        return load(explicit, require_table=explicit.name == "pyproject.toml")
    requires_python = None
    for path in _pyprojects(start):
        document = _read(path)
        requires_python = requires_python or _requires_python(document)
        table = document.get("tool", {}).get("cancelfix")
        if table is not None:
            try:
                return _from_table(path, table, requires_python)
            except ConfigError as error:
                raise ConfigError(f"{path}: {error}") from error
    if isinstance(requires_python, str):
        return Config(requires_python=target_version.from_requires_python(requires_python))
    return Config()


@dataclass(frozen=True)
class CommandLine:
    """The rule options of a command line (or an API caller), which take precedence over the
    file's: see `rule_codes` and `per_file_ignores`."""

    selection: RuleSelection = field(default_factory=RuleSelection)
    per_file_ignores: tuple[PerFileIgnore, ...] | None = None
    """`--per-file-ignores`; None leaves the file's."""
    extend_per_file_ignores: tuple[PerFileIgnore, ...] = ()

    @classmethod
    def of(
        cls,
        root: Path,
        *,
        select: tuple[str, ...] = (),
        extend_select: tuple[str, ...] = (),
        ignore: tuple[str, ...] = (),
        per_file_ignores: tuple[str, ...] = (),
        extend_per_file_ignores: tuple[str, ...] = (),
    ) -> CommandLine:
        """From the options' values: an empty `select` leaves the file's; per-file ignores
        are ruff's PATTERN:CODES (`'tests/*:CF303,CF1'`), anchored at `root`."""
        return cls(
            RuleSelection(select or None, extend_select, ignore),
            parse_per_file_ignores(per_file_ignores, root) if per_file_ignores else None,
            parse_per_file_ignores(extend_per_file_ignores, root),
        )


def per_file_ignores(found: Config, command_line: CommandLine) -> tuple[PerFileIgnore, ...]:
    """As in ruff: the command line's `per-file-ignores` replace the file's, which replace the
    defaults (`default_per_file_ignores`), and every `extend-per-file-ignores` adds to them."""
    base = command_line.per_file_ignores
    if base is None:
        base = found.per_file_ignores
    if base is None:
        base = default_per_file_ignores(found.root)
    return (*base, *found.extend_per_file_ignores, *command_line.extend_per_file_ignores)


def _prefixes(entries: Iterable[PerFileIgnore]) -> list[str]:
    return [prefix for entry in entries for prefix in entry.prefixes]


def rule_codes(found: Config, command_line: CommandLine, memo: RuleMemo | None) -> tuple[str, ...]:
    """The codes of the rules a run takes (see `registry.select_codes`). Resolved from the
    memo where it knows the selections, so that a cached run need not import the rules."""
    sources = (DEFAULT_SELECTION, found.selection, command_line.selection)
    entries = per_file_ignores(found, command_line)
    key = [repr(source) for source in sources]
    silenced = _prefixes(entries)
    codes = memo.get(key, silenced) if memo is not None else None
    if codes is not None:
        return codes
    from codemods.registry import UnknownRuleError, select_codes, validate

    in_file = (*(found.per_file_ignores or ()), *found.extend_per_file_ignores)
    checks = [
        ((*found.selection.selectors(), *_prefixes(in_file)), f" (in {found.source})"),
        ((*command_line.selection.selectors(), *silenced), ""),
    ]
    for selectors, origin in checks:
        try:
            validate(selectors)
        except UnknownRuleError as error:
            raise ConfigError(f"{error}{origin}") from error
    codes = select_codes(sources)
    if memo is not None:
        memo.put(key, silenced, codes)
    return codes
