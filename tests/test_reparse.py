"""A fix's tree parsed again only where the fix changed it is LibCST's tree of the whole
fixed code, and a fixing visit that enters only its fix sites fixes what the whole visit
fixes."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods import engine, reparse
from codemods.engine import process_source
from codemods.model import Mode, RuleOptions, Settings
from codemods.registry import all_rules
from tests.conftest import FIXTURES

CASES = sorted(FIXTURES.glob("CF*-*/*.py"))
UNSAFE = RuleOptions(unsafe_fixes=True)
CODES = tuple(rule.code for rule in all_rules())


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_fix_parsed_where_it_changed_is_the_whole_fixed_code_parsed(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every fix of every rule over each fixture, safe and unsafe: each tree and code the
    fixing passes splice are LibCST's parse of the whole fixed code, and that code."""
    results: list[tuple[reparse.ParsedFix, cst.Module]] = []

    def recorded(fixed: cst.Module, before: cst.Module, code: bytes) -> reparse.ParsedFix:
        result = reparse.parsed_fix(fixed, before, code)
        results.append((result, fixed))
        return result

    monkeypatch.setattr(engine, "parsed_fix", recorded)
    for options in (RuleOptions(), UNSAFE):
        outcome = process_source(path.read_bytes(), path.name, Settings(Mode.FIX, CODES, options))
        assert outcome.error is None, outcome.error
    for result, fixed in results:
        assert result.code == fixed.bytes
        assert result.module.deep_equals(cst.parse_module(result.code))


@pytest.mark.parametrize("path", CASES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_a_fixing_visit_of_its_fix_sites_fixes_what_the_whole_visit_fixes(path: Path) -> None:
    """Every rule over each fixture, unsafe fixes on: the visit that enters only the fix
    sites its look found leaves the code the visit of the whole module leaves."""
    source = path.read_bytes()
    wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    for rule_class in all_rules():
        looked = rule_class(CodemodContext(filename=str(path)), UNSAFE)
        looked.look(wrapper)
        if not looked.changed:
            continue
        whole = rule_class(CodemodContext(filename=str(path)), UNSAFE)
        restricted = rule_class(CodemodContext(filename=str(path)), UNSAFE)
        expected = whole.run(wrapper)
        assert restricted.run(wrapper, sites=looked.fix_sites).bytes == expected.bytes
        assert restricted.changed


MODULE = """\
import asyncio

# a comment above the class


class Client:
    # the first method
    def connect(self):
          return 1  # indented more than the module's usual four spaces

    async def close(self):
        pass
        # a comment the method's block owns

    async def send(self):
        pass


def helper():
    pass
"""


def _fixed(module: cst.Module, replacement: str) -> cst.Module:
    """`module` with `close`'s body replaced, as a fixing visit rebuilds it: the path from
    the module to the method anew, every other statement the same node."""
    cls = module.body[1]
    assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
    members = list(cls.body.body)
    close = members[1]
    assert isinstance(close, cst.FunctionDef)
    new_body = cst.parse_statement(replacement)
    members[1] = close.with_changes(
        body=close.body.with_changes(body=[new_body, *close.body.body[1:]])
    )
    body = [module.body[0], cls.with_changes(body=cls.body.with_changes(body=members))]
    return module.with_changes(body=[*body, *module.body[2:]])


def test_a_method_the_fix_changed_is_parsed_alone_and_the_rest_kept() -> None:
    module = cst.parse_module(MODULE)
    fixed = _fixed(module, "await asyncio.sleep(0)\n")
    splice = reparse._Splice(module)
    spliced = splice.module(fixed)
    assert spliced is not None
    assert spliced.deep_equals(cst.parse_module(fixed.bytes))
    assert splice.recoded(module.bytes) == fixed.bytes
    assert len(splice.changes) == 1  # (the method, not its class)
    cls = spliced.body[1]
    assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
    original = module.body[1]
    assert isinstance(original, cst.ClassDef) and isinstance(original.body, cst.IndentedBlock)
    assert cls.body.body[0] is original.body.body[0]  # (unchanged: the same node)
    assert cls.body.body[1] is not fixed.body[1]
    assert spliced.body[2] is module.body[2]


def test_a_fix_that_adds_a_top_level_statement_is_parsed_whole() -> None:
    module = cst.parse_module(MODULE)
    fixed = module.with_changes(body=[*module.body, cst.parse_statement("tasks = set()\n")])
    assert reparse._Splice(module).module(fixed) is None
    parsed = reparse.parsed_fix(fixed, module, module.bytes)
    assert parsed.module.deep_equals(cst.parse_module(fixed.bytes))
    assert parsed.code == fixed.bytes


def test_a_changed_method_that_does_not_parse_fails_the_whole_parse() -> None:
    module = cst.parse_module(MODULE)
    unterminated = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString('"a\nb"'))])
    fixed = _fixed(module, "pass\n")
    cls = fixed.body[1]
    assert isinstance(cls, cst.ClassDef) and isinstance(cls.body, cst.IndentedBlock)
    members = [*cls.body.body[:2], unterminated, *cls.body.body[3:]]
    broken = cls.with_changes(body=cls.body.with_changes(body=members))
    with pytest.raises(cst.ParserSyntaxError):
        reparse.parsed_fix(
            fixed.with_changes(body=[fixed.body[0], broken, *fixed.body[2:]]), module, module.bytes
        )
