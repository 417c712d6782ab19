"""Configuration: `[tool.cancelfix]` in the nearest pyproject.toml, or a file given by --config."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codemods import formatting, target_version
from codemods.analysis.vocabulary import DEFAULT_CLEANUP_NAMES

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


@dataclass(frozen=True)
class Config:
    """Settings read from a file; command-line options override them."""

    source: Path | None = None
    """The file they came from; None for built-in defaults."""
    select: tuple[str, ...] = ("CF",)
    ignore: tuple[str, ...] = ()
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
        "ignore",
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
        raise ConfigError(f"unknown option(s) {', '.join(unknown)} in {where}")
    values: dict[str, Any] = {"source": path}
    for key in ("select", "ignore", "exclude", "extend-exclude"):
        if key in table:
            values[key.replace("-", "_")] = _string_list(table, key)
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
