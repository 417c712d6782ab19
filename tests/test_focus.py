"""The focused module: functions no rule needs become stubs, and nothing else changes."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

import libcst as cst
import pytest

from codemods import engine
from codemods.engine import process_source
from codemods.model import Finding, FixSafety, Mode, RuleOptions, Settings
from codemods.prefilter.focus import still_stubbed, stubbed, unstubbed
from codemods.prefilter.statements import module_code
from codemods.registry import all_rules, rule_by_code
from tests.conftest import FIXTURES

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


def _fixed_both_ways(source: bytes, settings: Settings) -> bytes:
    """The fixed source, the same whether computed on the focused or on the whole module."""
    focused = process_source(source, "m.py", settings)
    assert focused == process_source(source, "m.py", settings, focus=False)
    assert focused.new_source is not None, focused.error
    return focused.new_source


def test_fixes_on_the_focused_module_give_the_stubs_their_code_back() -> None:
    settings = Settings(Mode.FIX, ("CF105",), RuleOptions(unsafe_fixes=True))
    fixed = _fixed_both_ways(MODULE, settings)
    assert b"return self.count > 0  # not a candidate" in fixed
    assert b'def busy(): """' not in fixed
    assert b"except asyncio.CancelledError:\n            raise\n" in fixed


SUPPRESS_USED_ELSEWHERE = textwrap.dedent(
    """    import asyncio
    from contextlib import suppress


    def close(path: str) -> None:
        with suppress(OSError):
            print(path)


    async def stop_watchdog(watchdog: asyncio.Task) -> None:
        watchdog.cancel()
        with suppress(asyncio.CancelledError):
            await watchdog
    """
).encode()


def test_an_import_a_stubbed_function_uses_stays() -> None:
    """CF301's fix leaves `suppress` unused in the function it fixes; `close`, a stub in the
    focused module, still uses it."""
    settings = Settings(Mode.FIX, ("CF301",), RuleOptions())
    fixed = _fixed_both_ways(SUPPRESS_USED_ELSEWHERE, settings)
    assert b"from contextlib import suppress\n" in fixed
    assert b"await asyncio.wait([watchdog])" in fixed
    alone = SUPPRESS_USED_ELSEWHERE.replace(
        b"    with suppress(OSError):\n        print", b"    print"
    )
    assert b"import suppress" not in _fixed_both_ways(alone, settings)


TASK_SET_KEPT_ELSEWHERE = textwrap.dedent(
    """    import asyncio

    _background: set[asyncio.Task[None]] = set()


    def keep(coro) -> None:
        spawned = asyncio.create_task(coro)
        _background.add(spawned)
        spawned.add_done_callback(_background.discard)


    async def start(worker) -> None:
        asyncio.create_task(worker.run())
    """
).encode()


def test_the_task_set_another_function_keeps_is_reused() -> None:
    """CF303's fix reuses the module's own set; the function that removes tasks from it is no
    candidate, so focus must still read it (else the fix would make a second set)."""
    settings = Settings(Mode.FIX, ("CF303",), RuleOptions(unsafe_fixes=True))
    fixed = _fixed_both_ways(TASK_SET_KEPT_ELSEWHERE, settings)
    assert fixed.count(b"= set()") == 1
    assert b"_background.add(task)\n    task.add_done_callback(_background.discard)\n" in fixed


def test_fixes_computed_again_keep_stubbed_what_spells_none_of_their_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where a stub spells an import the fixes remove, the fixes are computed again with only
    that stub given its code back: the others stay stubs, and the result is the whole
    module's."""
    source = (
        SUPPRESS_USED_ELSEWHERE
        + textwrap.dedent(
            """

        def unrelated(value: int) -> int:
            return value + 1
        """
        ).encode()
    )
    settings = Settings(Mode.FIX, ("CF301",), RuleOptions())
    fixed_modules: list[bytes] = []
    fix = engine._fix

    def recording_fix(*arguments: Any) -> tuple[bytes, list[Finding]]:
        fixed_modules.append(arguments[1])
        return fix(*arguments)

    monkeypatch.setattr(engine, "_fix", recording_fix)
    fixed = _fixed_both_ways(source, settings)

    assert b"from contextlib import suppress\n" in fixed
    first, second, whole = fixed_modules  # focused, refocused, then with focus=False
    assert b'def close(): """' in first and b'def unrelated(): """' in first
    assert b"with suppress(OSError)" in second and b'def unrelated(): """' in second
    assert whole == source


def test_still_stubbed_names_the_stubs_that_spell_none_of_the_chosen_names() -> None:
    source = b"import os\nimport sys\n\n\ndef a():\n    return os\n\n\ndef b():\n    return sys\n"
    functions = [function for function, _ in module_code(ast.parse(source)).units]
    focused = stubbed(source, functions)
    without_os = focused.replace(b"import os\n", b"")
    assert [f.name for f in still_stubbed(without_os, source, functions) or []] == ["b"]
    assert unstubbed(without_os, source, functions) is None
    assert still_stubbed(b"", source, functions) is None  # the stubs are gone


CLASSES = textwrap.dedent(
    """\
    import asyncio


    class Base:
        def _connect(self) -> None:
            self._open()

        def _open(self) -> None:
            self.client = object()


    class Device(Base):
        def __init__(self) -> None:
            self.lock = asyncio.Lock()

        async def update(self) -> None:
            self._connect()
            try:
                await self.client.read()
            except OSError:
                self.client.close()
                raise


    class Other:
        def _open(self) -> None:
            self.state = None
    """
).encode()


def test_context_read_in_a_class_is_kept_in_the_candidates_classes_only() -> None:
    """CF205 reads the methods of a candidate's class and of its bases in the module (what
    `_connect` set up, through `_open`): those stay, and a method of another class becomes
    a stub, though a method kept spells its name (`self._open()`)."""
    rule = rule_by_code("CF205")
    assert rule.reads_context_in_class
    code = module_code(ast.parse(CLASSES))
    unneeded = engine._unneeded(code, [rule], RuleOptions())
    assert [(function.name, code.owners[function][0].name) for function in unneeded] == [
        ("__init__", "Device"),
        ("_open", "Other"),
    ]
    settings = Settings(Mode.CHECK, ("CF205",), RuleOptions())
    focused = process_source(CLASSES, "m.py", settings)
    assert [finding.code for finding in focused.findings] == ["CF205"]
    assert focused == process_source(CLASSES, "m.py", settings, focus=False)


def test_a_candidate_in_module_code_keeps_every_context_function() -> None:
    """A coroutine inside an `if` is module code, not a function of its own: what it reads
    cannot be placed in a class, so all the context stays."""
    source = CLASSES.replace(b"class Device(Base):", b"if True:\n  class Device(Base):")
    source = source.replace(b"\n    ", b"\n      ").replace(
        b"\n      class Other", b"\nclass Other"
    )
    code = module_code(ast.parse(source))
    assert engine._unneeded(code, [rule_by_code("CF205")], RuleOptions()) == []


def test_a_top_level_context_function_stays_for_a_candidate_in_a_class() -> None:
    """CF202 reads a module-level coroutine function to know whether an await of it can
    suspend: reading context in a candidate's classes keeps the module's own functions, and
    the focused module finds what the whole one does (no finding: the hook never suspends)."""
    rule = rule_by_code("CF202")
    source = (
        (FIXTURES / "CF202-cleanup-only-on-exception")
        .joinpath("ok_method_awaits_module_helper_that_never_suspends.py")
        .read_bytes()
    )
    code = module_code(ast.parse(source))
    unneeded = engine._unneeded(code, [rule], RuleOptions())
    assert "record_checkout" not in [function.name for function in unneeded]
    settings = Settings(Mode.CHECK, ("CF202",), RuleOptions())
    focused = process_source(source, "m.py", settings)
    assert focused.findings == ()
    assert focused == process_source(source, "m.py", settings, focus=False)


def test_context_read_by_name_is_kept_where_the_code_kept_spells_its_name() -> None:
    """CF205 reads a method of the candidate's class only where `self.<name>()` leads to it:
    `update` calls `_connect`, which calls `_open` (both stay), and no code spells the name
    of `Device.__init__`, which binds attributes too (a stub)."""
    rule = rule_by_code("CF205")
    assert rule.reads_context_by_name
    code = module_code(ast.parse(CLASSES))
    unneeded = engine._unneeded(code, [rule], RuleOptions())
    kept = [function.name for function, _ in code.units if function not in unneeded]
    assert kept == ["_connect", "_open", "update"]


NEVER_SUSPENDS = textwrap.dedent(
    """    import asyncio
    import contextlib


    async def _write(entries, name):
        entries.pop(name)


    async def _forget(entries, name):
        await _write(entries, name)


    async def _count(entries):
        return len(entries)


    async def drop(entries, name):
        with contextlib.suppress(asyncio.CancelledError, KeyError):
            await _forget(entries, name)
        return len(entries)
    """
).encode()


@pytest.mark.parametrize("write_suspends", [False, True])
def test_a_coroutine_awaited_through_another_is_kept_and_one_no_code_names_is_not(
    write_suspends: bool,
) -> None:
    """CF103 reads whether `await _forget(...)` suspends in `_forget`, and so in `_write`:
    both stay, and the finding is the whole module's whether `_write` suspends (a finding)
    or not (none). `_count`, which may never suspend either, is awaited nowhere: a stub."""
    source = NEVER_SUSPENDS
    if write_suspends:
        source = source.replace(b"entries.pop(name)", b"await asyncio.sleep(0)")
    code = module_code(ast.parse(source))
    unneeded = engine._unneeded(code, [rule_by_code("CF103")], RuleOptions())
    assert [function.name for function in unneeded] == ["_count"]
    settings = Settings(Mode.CHECK, ("CF103",), RuleOptions())
    focused = process_source(source, "m.py", settings)
    assert [finding.code for finding in focused.findings] == (["CF103"] if write_suspends else [])
    assert focused == process_source(source, "m.py", settings, focus=False)


def _kept_and_found(source: bytes, code_: str) -> tuple[list[str], list[str]]:
    """The functions the focus keeps for the rule `code_`, and its findings, which are the
    whole module's."""
    code = module_code(ast.parse(source))
    unneeded = engine._unneeded(code, [rule_by_code(code_)], RuleOptions())
    settings = Settings(Mode.CHECK, (code_,), RuleOptions())
    focused = process_source(source, "m.py", settings)
    assert focused == process_source(source, "m.py", settings, focus=False)
    kept = [function.name for function, _ in code.units if function not in unneeded]
    return kept, [finding.code for finding in focused.findings]


@pytest.mark.parametrize("private", [False, True])
def test_every_use_of_a_coroutine_that_may_be_a_programs_main_is_kept(private: bool) -> None:
    """CF203 reads every use of a module-level coroutine's name when it may be a program's
    main (a private name or `main`): `start_mirror`, which makes `_mirror` a task, stays and
    keeps the finding. `mirror`, a public name, is no main whatever its uses: the function
    that uses it becomes a stub."""
    source = (FIXTURES / "CF203-program-main" / "main_started_as_task_too.py").read_bytes()
    if private:
        source = source.replace(b" mirror(", b" _mirror(").replace(b"(mirror(", b"(_mirror(")
    kept, found = _kept_and_found(source, "CF203")
    assert kept == (["_mirror", "start_mirror"] if private else ["mirror"])
    assert found == ["CF203"]


@pytest.mark.parametrize("private", [False, True])
def test_every_use_of_a_coroutine_that_may_only_run_shielded_is_kept(private: bool) -> None:
    """CF207 reads every use of a private coroutine's name (all shielded: no finding): the
    unshielded `await self._finish()` of `on_protocol_error` stays and keeps the finding. A
    public `finish` is read in no other function: they become stubs."""
    source = (
        FIXTURES / "CF207-release-after-awaits" / "private_close_also_awaited_unshielded.py"
    ).read_bytes()
    if not private:
        source = source.replace(b"_finish(", b"finish(")
    kept, found = _kept_and_found(source, "CF207")
    every = ["__init__", "_finish", "on_idle_timeout", "on_protocol_error"]
    assert kept == (every if private else ["finish"])
    assert found == ["CF207"]


def test_the_binding_of_a_task_that_ends_normally_is_kept_from_311() -> None:
    """CF301 reports `await self._worker` after a cancel without a fix when the task runs a
    coroutine of the module that swallows its cancellation (`_work`): which coroutine is read
    where `start` binds the task, which the focused module keeps at any target version."""
    source = textwrap.dedent(
        """\
        import asyncio


        class Service:
            def start(self) -> None:
                self._worker = asyncio.create_task(self._work())

            async def _work(self) -> None:
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    pass

            async def stop(self) -> None:
                self._worker.cancel()
                await self._worker
        """
    ).encode()
    settings = Settings(Mode.CHECK, ("CF301",), RuleOptions(target_version=(3, 12)))
    focused = process_source(source, "m.py", settings)
    assert [finding.fix for finding in focused.findings] == [None]  # report only
    assert focused == process_source(source, "m.py", settings, focus=False)
