"""The settings a document is checked with: those `cancelfix` uses for its file on the
command line (the nearest pyproject.toml's `[tool.cancelfix]`, `requires-python`), read again
whenever a pyproject.toml on the way up changes."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from codemods import api
from codemods.model import Mode, RuleOptions, Settings


@dataclass(frozen=True)
class DocumentSettings:
    """How to check one document; `error` says why its configuration cannot be used."""

    settings: Settings
    excluded: bool = False
    error: str | None = None

    def fixing(self, select: str | None, unsafe: bool | None) -> Settings:
        """The settings of `cancelfix fix [--select CODE] [--unsafe-fixes|--no-unsafe-fixes]`
        (None: the option is not given)."""
        options = self.settings.options
        if unsafe is not None:
            options = replace(options, unsafe_fixes=unsafe)
        codes = (select,) if select is not None else self.settings.rule_codes
        return replace(self.settings, mode=Mode.FIX, rule_codes=codes, options=options)


Stamp = tuple[tuple[str, int, int], ...]


def _stamp(directory: Path) -> Stamp:
    """The pyproject.toml files from `directory` up, with their modification times and sizes:
    the configuration in force changes only if this does."""
    stamp = []
    for candidate in (directory, *directory.parents):
        try:
            status = os.stat(candidate / "pyproject.toml")
        except OSError:
            continue
        stamp.append((str(candidate), status.st_mtime_ns, status.st_size))
    return tuple(stamp)


def _resolve(path: Path) -> DocumentSettings:
    """The settings `cancelfix check PATH --force-exclude` would use (per-file ignores
    included), resolved by the run's own API."""
    try:
        request = api.configure([path], api.Options(cache=False, force_exclude=True))
    except api.UsageError as error:
        return DocumentSettings(Settings(Mode.CHECK, (), RuleOptions()), error=str(error))
    return DocumentSettings(
        request.settings, excluded=request.excludes.matches(path, anchor=request.config.root)
    )


class SettingsCache:
    """Each directory's settings, kept while no pyproject.toml above it changes (a few `stat`
    calls a look-up, which also notices files the editor does not watch)."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[Stamp, DocumentSettings]] = {}

    def of(self, path: Path) -> DocumentSettings:
        stamp = _stamp(path.parent)
        known = self._known.get(path)
        if known is None or known[0] != stamp:
            known = (stamp, _resolve(path))
            self._known[path] = known
        return known[1]
