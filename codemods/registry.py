"""Rule discovery: every `Rule` subclass defined in a module of `codemods.rules`."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable

from codemods import rules as rules_package
from codemods.rule import Rule


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(rules_package.__path__):
        module = importlib.import_module(f"{rules_package.__name__}.{module_info.name}")
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Rule)
            and value.__module__ == module.__name__
        ]
    codes = [rule.code for rule in found]
    duplicated = {code for code in codes if codes.count(code) > 1}
    if duplicated:
        raise RuntimeError(f"rule codes defined twice: {sorted(duplicated)}")
    return tuple(sorted(found, key=lambda rule: rule.code))


class UnknownRuleError(ValueError):
    pass


def rule_by_code(code: str) -> type[Rule]:
    for rule in all_rules():
        if rule.code == code.upper():
            return rule
    raise UnknownRuleError(f"unknown rule {code!r}")


def select_rules(select: Iterable[str], ignore: Iterable[str]) -> tuple[type[Rule], ...]:
    """Rules whose code starts with a selected prefix and with no ignored one."""
    select, ignore = [s.upper() for s in select], [i.upper() for i in ignore]
    for prefix in (*select, *ignore):
        if not any(rule.code.startswith(prefix) for rule in all_rules()):
            raise UnknownRuleError(f"{prefix!r} matches no rule (see `cancelfix rules`)")
    return tuple(
        rule
        for rule in all_rules()
        if any(rule.code.startswith(s) for s in select)
        and not any(rule.code.startswith(i) for i in ignore)
    )
