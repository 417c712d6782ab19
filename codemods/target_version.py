"""Python versions a project can target, and reading them from `requires-python`."""

from __future__ import annotations

import re

SUPPORTED: tuple[tuple[int, int], ...] = tuple((3, minor) for minor in range(7, 15))
DEFAULT: tuple[int, int] = (3, 9)

_NAME = re.compile(r"py3(\d{1,2})")
_LOWER_BOUND = re.compile(r"(>=|==|~=|>)\s*3\.(\d+)")


def parse(name: str) -> tuple[int, int]:
    """`py311` -> (3, 11); raises ValueError for a version the tool does not know."""
    match = _NAME.fullmatch(name.strip().lower())
    version = (3, int(match.group(1))) if match else None
    if version not in SUPPORTED:
        choices = ", ".join(format_version(v) for v in SUPPORTED)
        raise ValueError(f"unknown target version {name!r} (choose from {choices})")
    return version


def format_version(version: tuple[int, int]) -> str:
    return f"py{version[0]}{version[1]}"


LOWEST_IMPLIED: tuple[int, int] = (3, 8)
"""Treating `except Exception` as broad (py37) must be asked for: an old `requires-python`
left in place does not switch it on."""


def from_requires_python(specifier: str) -> tuple[int, int] | None:
    """The lowest version a `requires-python` specifier admits (py38 at the least)."""
    bounds = []
    for _operator, minor in _LOWER_BOUND.findall(specifier):
        bounds.append(min(max((3, int(minor)), LOWEST_IMPLIED), SUPPORTED[-1]))
    return max(bounds) if bounds else None
