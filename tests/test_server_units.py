"""The language server's parts, in-process: edits between texts, `# noqa` insertion, buffers,
diagnostics, settings and the newest-wins scheduling of analyses."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import PositionCodec

from codemods.config import default_per_file_ignores
from codemods.model import FileOutcome, Finding, Mode, RuleOptions, Settings
from codemods.registry import all_rules
from codemods.server import diagnostics
from codemods.server.adapter import analyse
from codemods.server.analyses import Analyses, Analysis
from codemods.server.edits import text_edits
from codemods.server.noqa import noqa_edit
from codemods.server.settings import SettingsCache
from codemods.server.text import Buffer, split_lines
from codemods.server.worker import CRASHED, Job, Worker, outcome_of
from tests.clitools import cli
from tests.conftest import FIXTURES
from tests.lsp_editor import apply_edits

UTF16 = PositionCodec(types.PositionEncodingKind.Utf16)
CHECK = Settings(Mode.CHECK, tuple(rule.code for rule in all_rules()), RuleOptions())

SWALLOW = """\
import asyncio


async def pump(queue):
    while True:
        try:
            await queue.get()
        except BaseException:
            pass
"""

lines_of = st.lists(
    st.sampled_from(["a\n", "b\r\n", "c", "\n", "é😀\n", "x = 1\r", "\x0c\n", ""]), max_size=8
)


@given(lines_of, lines_of)
def test_edits_applied_give_the_new_text(old: list[str], new: list[str]) -> None:
    before, after = "".join(old), "".join(new)
    assert apply_edits(before, text_edits(before, after, UTF16)) == after


def test_edits_touch_only_the_changed_lines() -> None:
    edits = text_edits("a\nb\nc\n", "a\nB\nc\n", UTF16)
    assert [(e.range.start.line, e.range.end.line, e.new_text) for e in edits] == [(1, 2, "B\n")]


def test_lines_break_where_lsp_breaks_them() -> None:
    assert split_lines("a\r\nb\rc\x0cd\ne") == ["a\r\n", "b\r", "c\x0cd\n", "e"]


def test_a_buffer_is_encoded_as_its_coding_declaration_says() -> None:
    buffer = Buffer.of("# -*- coding: latin-1 -*-\nname = 'café'\n")
    assert buffer.encoding == "iso8859-1"
    assert b"caf\xe9" in buffer.source
    assert buffer.decode(buffer.source) == buffer.text


def _fixture_findings() -> list[tuple[Path, Finding, int]]:
    """Each finding of each fixture, with the number of findings in its file."""
    cases = []
    for path in sorted(FIXTURES.glob("CF*-*/*.py")):
        findings = analyse(path.read_bytes(), str(path), CHECK).findings
        cases += [(path, finding, len(findings)) for finding in findings]
    return cases


NOQA_IGNORED = {"report_one_line_try_body.py"}
"""Fixtures where a rule does not read the `# noqa` at the end of its flagged line: CF201 on a
one-line `try:` suite (a bug of the rule, left to its owner)."""


@pytest.mark.slow
def test_the_added_noqa_suppresses_exactly_its_finding() -> None:
    """Over every finding of every fixture: the edit parses, the finding goes, others stay."""
    checked = 0
    for path, finding, count in _fixture_findings():
        if path.name in NOQA_IGNORED:
            continue
        text = path.read_text()
        edit = noqa_edit(text, finding.line, finding.code, UTF16)
        if edit is None:
            continue
        edited = apply_edits(text, [edit])
        after = analyse(edited.encode(), str(path), CHECK)
        assert after.error is None, (path, after.error)
        left = [(f.code, f.line, f.column) for f in after.findings]
        assert (finding.code, finding.line, finding.column) not in left, (path, finding)
        assert len(after.findings) == count - 1, (path, finding)
        checked += 1
    assert checked > 250


def test_noqa_extends_an_existing_noqa_and_keeps_other_comments() -> None:
    text = "x = 1  # noqa: CF102\ny = 2  # note\n"
    first = noqa_edit(text, 1, "CF101", UTF16)
    second = noqa_edit(text, 2, "CF101", UTF16)
    assert first is not None and second is not None
    assert apply_edits(text, [first, second]) == (
        "x = 1  # noqa: CF102, CF101\ny = 2  # note  # noqa: CF101\n"
    )


def test_no_noqa_where_a_comment_cannot_end_the_line() -> None:
    text = 'x = """\nabc"""\ny = 1 + \\\n    2\n'
    assert noqa_edit(text, 1, "CF101", UTF16) is None
    assert noqa_edit(text, 3, "CF101", UTF16) is None
    assert noqa_edit(text, 2, "CF101", UTF16) is not None


def _place(text: str) -> diagnostics.Place:
    return diagnostics.Place(split_lines(text), UTF16)


def test_a_finding_becomes_a_diagnostic_with_its_rule_and_page() -> None:
    outcome = analyse(SWALLOW.encode(), "pump.py", CHECK)
    (diagnostic,) = diagnostics.of_outcome(outcome, SWALLOW, _place(SWALLOW), "https://x/{code}")
    assert diagnostic.code == "CF101"
    assert diagnostic.code_description == types.CodeDescription("https://x/CF101")
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.range == types.Range(types.Position(7, 8), types.Position(7, 28))
    assert diagnostic.source == "cancelfix"


def test_columns_count_in_the_clients_units() -> None:
    place = _place("x = '😀😀'; y = 1\n")
    assert place.position(1, 11) == types.Position(0, 12)  # two surrogate pairs before `y`
    assert place.position(1, 99) == types.Position(0, 17)  # clamped to the line's end


@pytest.mark.parametrize(
    "text",
    [
        "async def f():\n    await (x\n",  # no rule could apply: the run does not parse it
        "async def f():\n    try:\n        await (x\n    except BaseException:\n        pass\n",
    ],
)
def test_a_syntax_error_is_one_diagnostic_at_the_error(text: str) -> None:
    outcome = outcome_of(Job(text.encode(), "broken.py", CHECK))
    (diagnostic,) = diagnostics.of_outcome(outcome, text, _place(text), "{code}")
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range.start == (
        types.Position(1, 10) if text.count("\n") == 2 else types.Position(2, 14)
    )
    assert "never closed" in diagnostic.message


def test_settings_follow_the_nearest_pyproject_and_its_changes(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "build").mkdir(parents=True)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nrequires-python = ">=3.12"\n[tool.cancelfix]\n')
    cache = SettingsCache()
    first = cache.of(project / "m.py")
    assert first.settings.options.target_version == (3, 12)
    assert "CF101" in first.settings.rule_codes
    assert cache.of(project / "build" / "m.py").excluded
    pyproject.write_text('[tool.cancelfix]\nignore = ["CF1"]\nunsafe-fixes = true\n')
    os.utime(pyproject, ns=(1, 1))  # a different time, however fast the test runs
    second = cache.of(project / "m.py")
    assert "CF101" not in second.settings.rule_codes
    assert second.settings.options.unsafe_fixes
    assert second.fixing("CF301", False) == Settings(
        Mode.FIX,
        ("CF301",),
        RuleOptions(unsafe_fixes=False, cleanup_names=RuleOptions().cleanup_names),
        per_file_ignores=default_per_file_ignores(project),  # CF2 off in test files
    )
    pyproject.write_text('[tool.cancelfix]\nselect = ["CF9"]\n')
    assert "CF9" in (cache.of(project / "m.py").error or "")


@pytest.mark.slow
def test_fix_edits_give_what_cancelfix_fix_gives(project: Path) -> None:
    """For every other fixture with a fix: the edits from the server's text to the fixed text,
    applied, give `cancelfix fix -`'s output on that text."""
    compared = 0
    for path in sorted(FIXTURES.glob("CF*-*/*.py"))[::2]:
        buffer = Buffer.of(path.read_text())
        settings = Settings(Mode.FIX, CHECK.rule_codes, RuleOptions())
        outcome = analyse(buffer.source, "case.py", settings)
        if outcome.new_source is None:
            continue
        edits = text_edits(buffer.text, buffer.decode(outcome.new_source), UTF16)
        expected = cli("fix", "-", "--stdin-filename", "case.py", input=buffer.source)
        assert apply_edits(buffer.text, edits).encode() == expected.stdout_bytes, path
        compared += 1
    assert compared >= 50


class _SlowWorker:
    """Runs a job in as many seconds as its path says, unless cancelled."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    async def run(self, job: Job) -> FileOutcome:
        try:
            await asyncio.sleep(float(job.path))
        except asyncio.CancelledError:
            self.cancelled.append(job.path)
            raise
        return FileOutcome(job.path)


def test_a_newer_version_stops_a_long_analysis_and_only_the_newest_is_published() -> None:
    async def scenario() -> tuple[list[tuple[str, int]], list[str]]:
        worker = _SlowWorker()
        published: list[tuple[str, int]] = []

        def publish(uri: str, analysis: Analysis) -> None:
            published.append((analysis.outcome.path, analysis.version))

        analyses = Analyses(worker, publish, long=0.05)  # type: ignore[arg-type]
        analyses.update("u", 1, "", Job(b"", "5", CHECK))
        await asyncio.sleep(0.1)  # long enough: the next version stops it
        analyses.update("u", 2, "", Job(b"", "0.2", CHECK))
        analyses.update("u", 3, "", Job(b"", "0.01", CHECK))  # replaces 2, not yet started
        latest = await asyncio.wait_for(analyses.current("u"), 2)
        assert latest is not None and latest.version == 3
        # A short analysis is not stopped, and its result, now stale, is dropped.
        analyses.update("u", 4, "", Job(b"", "0.03", CHECK))
        await asyncio.sleep(0.01)
        analyses.update("u", 5, "", Job(b"", "0.01", CHECK))
        latest = await asyncio.wait_for(analyses.current("u"), 2)
        assert latest is not None and latest.version == 5
        return published, worker.cancelled

    published, cancelled = asyncio.run(scenario())
    assert cancelled == ["5"]
    assert published == [("0.01", 3), ("0.01", 5)]


@pytest.mark.slow
def test_an_analysis_process_that_dies_gives_an_error_and_the_next_job_a_new_one() -> None:
    source = SWALLOW.encode()

    async def scenario() -> tuple[FileOutcome, FileOutcome, int]:
        worker = Worker()
        try:
            worker.start()
            slow = asyncio.ensure_future(worker.run(Job(source * 400, "slow.py", CHECK)))
            await asyncio.sleep(0.5)
            process = worker._process
            assert process is not None and process.pid is not None
            os.kill(process.pid, signal.SIGKILL)  # as a crash of the parser would end it
            crashed = await asyncio.wait_for(slow, 60)
            after = await asyncio.wait_for(worker.run(Job(source, "pump.py", CHECK)), 60)
            return crashed, after, worker.started
        finally:
            worker.stop()

    crashed, after, started = asyncio.run(scenario())
    assert crashed.error == CRASHED
    assert [f.code for f in after.findings] == ["CF101"]
    assert started == 2


def test_handled_notifications_are_not_kept() -> None:
    """pygls 2.1 keeps the future of every notification it handles (each edit) for good."""
    from pygls.lsp.server import LanguageServer
    from pygls.protocol import LanguageServerProtocol

    from codemods.server.protocol import Protocol

    def kept(protocol_cls: type[LanguageServerProtocol]) -> int:
        protocol = LanguageServer("test", "1", protocol_cls=protocol_cls).protocol
        for _ in range(3):
            params = types.SetTraceParams(types.TraceValue.Off)
            protocol._handle_notification(types.SET_TRACE, params)
        return len(protocol._request_futures)

    assert kept(LanguageServerProtocol) == 3, "pygls no longer leaks: drop server/protocol.py"
    assert kept(Protocol) == 0
