"""A function is fixed whole, or reported whole (issue 21, pattern 3): no fix leaves a function
that still swallows the caller's cancellation, and `check` and `fix` say so alike."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods.cli import main
from codemods.engine import process_source
from codemods.model import FileOutcome, Finding, FixSafety, Mode, RuleOptions, Settings
from codemods.registry import all_rules
from codemods.whole_functions import Functions, held_whole, partly_fixed

CODES = tuple(rule.code for rule in all_rules())

# A report-only CF105 (re-raising would skip the close after the try) and a safe CF203 (the
# close after the awaits) in one function; a CF102 with a safe fix in another (its loop goes
# round again: the added `raise` skips nothing after the `try`).
HELD = b"""import asyncio


async def forward(reader, host):
    up_reader, up_writer = await asyncio.open_connection(host, 80)
    try:
        while chunk := await reader.read(100):
            up_writer.write(chunk)
            await up_writer.drain()
    except asyncio.CancelledError:
        print("stopped")
    up_writer.close()
    await up_writer.wait_closed()


async def pump(queue, store):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            print("cancelled")
            await store.flush()
"""

# The same close, in a function with no swallowing: its CF203 fix stands.
ALONE = b"""import asyncio


async def forward(reader, host):
    up_reader, up_writer = await asyncio.open_connection(host, 80)
    while chunk := await reader.read(100):
        up_writer.write(chunk)
        await up_writer.drain()
    up_writer.close()
    await up_writer.wait_closed()
"""


def outcome(source: bytes, mode: Mode, *, unsafe: bool = False) -> FileOutcome:
    settings = Settings(mode, CODES, RuleOptions(unsafe_fixes=unsafe))
    result = process_source(source, "case.py", settings)
    assert result.error is None, result.error
    return result


def kinds(result: FileOutcome) -> list[tuple[int, str, str | None]]:
    return [(f.line, f.code, f.fix and f.fix.value) for f in result.findings]


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_function_with_a_report_only_swallow_is_reported_whole(unsafe: bool) -> None:
    checked = outcome(HELD, Mode.CHECK, unsafe=unsafe)
    fixed = outcome(HELD, Mode.FIX, unsafe=unsafe)

    assert (
        kinds(checked)
        == kinds(fixed)
        == [
            (20, "CF102", "safe"),
            (10, "CF105", None),
            (12, "CF203", None),
        ]
    )
    held = next(f for f in checked.findings if f.code == "CF203")
    assert held.held_in == "forward"
    assert held.message.endswith(
        "(report only: fixing part of `forward` would leave it swallowing the cancellation: "
        "CF105 at line 10)"
    )
    # `forward` is left as it was; `pump`, another function, is fixed.
    assert fixed.new_source is not None
    assert fixed.new_source.split(b"async def pump")[0] == HELD.split(b"async def pump")[0]
    assert b"            raise\n" in fixed.new_source.split(b"async def pump")[1]
    assert [f.line for f in fixed.findings if f.fixed] == [20]
    assert fixed.partly_fixed == ()


def test_a_function_without_a_swallow_keeps_its_fix() -> None:
    assert kinds(outcome(ALONE, Mode.CHECK)) == [(9, "CF203", "safe")]
    assert all(f.held_in is None for f in outcome(ALONE, Mode.FIX).findings)


# Two stops with a flush between them (our own): the first wait's fix is unsafe (a flush
# follows it), the second's safe alone; both swallow the caller's cancellation (CF301's
# `suppress` shape).
SPLIT = b"""import asyncio
import contextlib


class Session:
    async def close(self) -> None:
        self._keepalive.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._keepalive
        await self._transport.flush()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
"""


@pytest.mark.parametrize("unsafe", [False, True])
def test_a_swallowing_cf301_finding_holds_its_function_like_a_cf1_one(unsafe: bool) -> None:
    """The function is fixed whole with `--unsafe-fixes`, left whole without: never the
    second stop alone while the first still swallows the caller's cancellation."""
    options = RuleOptions(unsafe_fixes=unsafe, target_version=(3, 11))
    checked = process_source(SPLIT, "case.py", Settings(Mode.CHECK, CODES, options))
    fixed = process_source(SPLIT, "case.py", Settings(Mode.FIX, CODES, options))

    assert kinds(checked) == kinds(fixed) == [(9, "CF301", "unsafe"), (13, "CF301", "unsafe")]
    assert all(f.swallows for f in checked.findings)
    held = checked.findings[1]
    assert held.held_in == "Session.close"
    assert "CF301 at line 9, whose fix is unsafe" in held.message
    assert (fixed.new_source is not None) is unsafe
    assert [f.fixed for f in fixed.findings] == [unsafe, unsafe]
    assert fixed.partly_fixed == ()


def test_partly_fixed_counts_a_swallowing_finding_of_another_rule() -> None:
    fixed = [finding("CF203", 4, FixSafety.SAFE)]
    left = [replace(finding("CF301", 4, None), swallows=True)]
    assert partly_fixed(fixed, NESTED, left, NESTED) == ("outer",)
    assert partly_fixed(fixed, NESTED, [finding("CF301", 4, None)], NESTED) == ()


def finding(code: str, line: int, fix: FixSafety | None) -> Finding:
    return Finding(code, "name", "message", line, 1, line, 2, fix)


NESTED = b"""async def outer():
    async def inner():
        pass
    pass
    pass
"""


def test_the_weakest_swallow_of_the_function_caps_the_others() -> None:
    findings = [
        finding("CF105", 5, FixSafety.UNSAFE),
        finding("CF203", 4, FixSafety.SAFE),
        finding("CF102", 3, FixSafety.SAFE),
    ]
    capped = held_whole(findings, NESTED)
    # Line 3 is in `outer.inner`: its own function, with no weaker swallow.
    assert [(f.fix, f.held_in) for f in capped] == [
        (FixSafety.UNSAFE, None),
        (FixSafety.UNSAFE, "outer"),
        (FixSafety.SAFE, None),
    ]
    assert capped[1].message.endswith(
        "(unsafe: fixing part of `outer` would leave it swallowing the cancellation: "
        "CF105 at line 5, whose fix is unsafe)"
    )


def test_findings_without_a_weaker_swallow_are_left_as_they_are() -> None:
    findings = [finding("CF203", 4, FixSafety.SAFE), finding("CF101", 5, FixSafety.SAFE)]
    assert held_whole(findings, NESTED) is findings


def test_functions_by_line() -> None:
    functions = Functions(b"class A:\n    def f(self):\n        def g():\n            pass\n")
    assert [functions.at(n) for n in range(1, 5)] == [None, "A.f", "A.f.g", "A.f.g"]


def test_partly_fixed_names_a_fixed_function_that_still_swallows() -> None:
    fixed = [finding("CF203", 4, FixSafety.SAFE)]
    left = [finding("CF102", 4, None)]
    assert partly_fixed(fixed, NESTED, left, NESTED) == ("outer",)
    assert partly_fixed(fixed, NESTED, [finding("CF203", 4, None)], NESTED) == ()


def test_summary_and_json_name_the_functions_reported_whole(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(HELD)
    runner = CliRunner()
    text = runner.invoke(main, ["fix", "--diff", "--no-cache", str(tmp_path / "a.py")])
    assert "1 function reported whole: fixing part of one would leave it swallowing the " in (
        text.stderr
    )
    assert "partly fixed" not in text.stderr

    result = runner.invoke(
        main, ["fix", "--no-cache", "--output-format", "json", str(tmp_path / "a.py")]
    )
    document = json.loads(result.stdout)
    assert document["functions"] == {
        "reported_whole": [{"path": str(tmp_path / "a.py"), "function": "forward"}],
        "partly_fixed": [],
    }
    assert document["summary"]["functions_reported_whole"] == 1
    assert document["summary"]["functions_partly_fixed"] == 0
    assert document["summary"]["fixed"] == 1
