"""Rule discovery: every `Rule` subclass defined in a module of `codemods.rules`."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable, Sequence

from codemods import rules as rules_package
from codemods.config import RuleSelection, did_you_mean
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


def _suggestion(word: str) -> str:
    names = [name for rule in all_rules() for name in (rule.code, rule.name)]
    return did_you_mean(word.upper() if word[:2].upper() == "CF" else word, names)


def rule_by_code(code: str) -> type[Rule]:
    """The rule with this code, or this name (as `cancelfix explain` accepts either)."""
    for rule in all_rules():
        if code.upper() == rule.code or code.lower() == rule.name:
            return rule
    raise UnknownRuleError(f"unknown rule {code!r}{_suggestion(code)}")


ALL = "ALL"
"""The selector of every rule, as in ruff."""


def matching(selector: str) -> tuple[str, ...]:
    """The codes a selector (`ALL`, a code, or a code's prefix) stands for; none is an error."""
    selector = selector.upper()
    codes = tuple(
        rule.code for rule in all_rules() if selector == ALL or rule.code.startswith(selector)
    )
    if not codes:
        raise UnknownRuleError(
            f"{selector!r} matches no rule{_suggestion(selector)} (see `cancelfix rules`)"
        )
    return codes


def _specificity(selector: str) -> int:
    """More specific selectors win over less specific ones of the same source: ALL, then
    prefixes by length (CF, CF1, CF10), then whole codes."""
    return 0 if selector.upper() == ALL else len(selector)


def select_codes(sources: Sequence[RuleSelection]) -> tuple[str, ...]:
    """The codes the rule selections of `sources` enable, resolved the way ruff resolves
    `select`, `extend-select` and `ignore` (https://docs.astral.sh/ruff/linter/#rule-selection):

    - within one source, a more specific selector wins (`select = ["CF"], ignore = ["CF1"],
      extend-select = ["CF101"]` enables CF101); at equal specificity `ignore` wins;
    - sources are applied in order (defaults, configuration file, command line): one that has
      `select` replaces the rule set; one that has not adds to it and takes from it.
    """
    enabled: set[str] = set()
    for source in sources:
        selectors = [(s, True) for s in (*(source.select or ()), *source.extend_select)]
        selectors += [(s, False) for s in source.ignore]
        # The least specific first, so that more specific ones override; `ignore` last of equals.
        selectors.sort(key=lambda item: (_specificity(item[0]), not item[1]))
        updates: dict[str, bool] = {}
        for selector, on in selectors:
            updates.update(dict.fromkeys(matching(selector), on))
        turned_on = {code for code, on in updates.items() if on}
        if source.select is not None:
            enabled = turned_on
        else:
            enabled = (enabled | turned_on) - (updates.keys() - turned_on)
    return tuple(rule.code for rule in all_rules() if rule.code in enabled)


def validate(selectors: Iterable[str]) -> None:
    """Raise UnknownRuleError for a selector that matches no rule."""
    for selector in selectors:
        matching(selector)
