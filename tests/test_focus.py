"""The focused module: functions no rule needs become stubs, and nothing else changes."""

from __future__ import annotations

import ast
import textwrap

import libcst as cst

from codemods.engine import process_source
from codemods.model import FixSafety, Mode, RuleOptions, Settings
from codemods.prefilter.focus import stubbed
from codemods.prefilter.statements import module_code
from codemods.registry import all_rules

MODULE = textwrap.dedent(
    """\
    import asyncio
    import logging


    class Worker:
        def __init__(self) -> None:
            self.count = 0

        @property
        def busy(
            self,
        ) -> bool:
            return self.count > 0  # not a candidate

        async def run(self) -> None:
            try:
                await asyncio.sleep(1)
            except BaseException:
                logging.exception("failed")


    async def helper() -> int:
        return 1
    """
).encode()


def _stubbed(source: bytes, names: set[str]) -> bytes:
    code = module_code(ast.parse(source))
    return stubbed(source, [function for function, _ in code.units if function.name in names])


def test_a_stub_keeps_lines_columns_and_names() -> None:
    focused = _stubbed(MODULE, {"__init__", "busy", "helper"})
    assert focused.count(b"\n") == MODULE.count(b"\n")
    kept = [line for line in focused.splitlines() if line.strip()]
    assert b'    def __init__(): """' in kept
    assert b'    def busy(): """' in kept  # on the decorator's line
    assert b'def helper(): """' in kept
    assert b"return self.count > 0" not in focused
    assert b"        except BaseException:" in focused.splitlines()
    cst.parse_module(focused)  # still a module


def test_the_engine_focuses_on_candidates_and_finds_the_same() -> None:
    settings = Settings(Mode.CHECK, tuple(rule.code for rule in all_rules()), RuleOptions())
    focused = process_source(MODULE, "m.py", settings)
    whole = process_source(MODULE, "m.py", settings, focus=False)
    assert [finding.code for finding in focused.findings] == ["CF105"]  # swallow-then-end
    assert focused == whole


def test_a_function_on_the_first_two_lines_stays_whole() -> None:
    source = b"def f():  # -*- coding: utf-8 -*-\n    return 1\n"
    assert _stubbed(source, {"f"}) == source


def test_a_task_bound_in_another_method_is_still_seen_below_311() -> None:
    """CF301 below 3.11 judges `await self._worker` safe to rewrite because `start` binds it
    with `create_task`: the focused module keeps `start`, which the rule reads for context."""
    source = textwrap.dedent(
        """\
        import asyncio


        class Service:
            def start(self) -> None:
                self._worker = asyncio.create_task(self._work())

            async def _work(self) -> None:
                await asyncio.sleep(10)

            async def stop(self) -> None:
                self._worker.cancel()
                try:
                    await self._worker
                except asyncio.CancelledError:
                    pass
        """
    ).encode()
    options = RuleOptions(target_version=(3, 9))
    settings = Settings(Mode.CHECK, ("CF301",), options)
    focused = process_source(source, "m.py", settings)
    assert [finding.fix for finding in focused.findings] == [FixSafety.SAFE]
    assert focused == process_source(source, "m.py", settings, focus=False)
