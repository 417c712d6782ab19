"""`cancelfix server` end to end: a language client talks to it over stdio, as an editor does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.clitools import cli, write
from tests.conftest import FIXTURES
from tests.lsp_editor import PULL, Editor, apply_edits

pytestmark = pytest.mark.slow  # each test starts a server and its analysis process

SAMPLE = """\
import asyncio


async def pump(queue):
    while True:
        try:
            await queue.get()
        except BaseException:
            pass


async def poll(stream):
    while True:
        try:
            await stream.read()
        except asyncio.CancelledError:
            continue


async def stop(task):
    task.cancel()
    await task
"""
PUMP, POLL, STOP = 7, 15, 21
"""The 0-based lines of the findings: CF101 (safe fix), CF102 and CF301 (unsafe fixes)."""


def fixed_by_cli(path: Path, text: str, *options: str) -> str:
    """What `cancelfix fix OPTIONS - --stdin-filename PATH` prints for `text`."""
    result = cli("fix", *options, "-", "--stdin-filename", str(path), input=text.encode())
    return result.stdout_bytes.decode()


@pytest.fixture
def start() -> Iterator[Callable[..., Editor]]:
    """Start editors (with Editor's arguments); those still running are closed at the end."""
    started: list[Editor] = []

    def starter(*args: Any, **kwargs: Any) -> Editor:
        started.append(Editor(*args, **kwargs))
        return started[-1]

    yield starter
    for editor in started:
        editor.close()


@pytest.fixture
def editor(project: Path, start: Callable[..., Editor]) -> Editor:
    write(project, "pyproject.toml", '[project]\nrequires-python = ">=3.11"\n')
    return start([project])


def _codes(diagnostics: list[types.Diagnostic]) -> list[tuple[object, int]]:
    return [(d.code, d.range.start.line) for d in diagnostics]


def _titled(actions: list[types.CodeAction], start: str) -> types.CodeAction:
    (action,) = [a for a in actions if a.title.startswith(start)]
    return action


def test_a_session_from_initialize_to_exit(editor: Editor, project: Path) -> None:
    path = write(project, "service.py", SAMPLE.split("\n\n\nasync def poll")[0] + "\n")
    capabilities = editor.initialize_result.capabilities
    assert capabilities.execute_command_provider is not None
    assert capabilities.execute_command_provider.commands == ("cancelfix.fixAll",)
    assert isinstance(capabilities.code_action_provider, types.CodeActionOptions)
    assert "source.fixAll.cancelfix" in (capabilities.code_action_provider.code_action_kinds or [])

    uri = editor.open(path)
    (diagnostic,) = editor.diagnostics(uri)
    assert (diagnostic.code, diagnostic.source) == ("CF101", "cancelfix")
    assert diagnostic.range == types.Range(types.Position(7, 8), types.Position(7, 28))
    assert diagnostic.severity == types.DiagnosticSeverity.Warning
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("/docs/rules/CF101.md")

    editor.change(uri, SAMPLE)  # unsaved text: the file on disk still has one finding
    assert _codes(editor.diagnostics(uri)) == [("CF101", PUMP), ("CF102", POLL), ("CF301", STOP)]

    actions = editor.code_actions(uri, PUMP)  # this client takes the edits with the actions
    fix = _titled(actions, "Fix CF101")
    assert fix.is_preferred and fix.edit is not None and fix.kind == "quickfix"
    assert _titled(actions, "Add `# noqa: CF101`").edit is not None
    assert [a.title for a in editor.code_actions(uri, POLL)] == [
        "Fix CF102 (cancelled-error-not-reraised) — unsafe fix",
        "Add `# noqa: CF102` (suppress cancelled-error-not-reraised here)",
    ]

    assert editor.apply(fix.edit)
    assert editor.text(uri) == fixed_by_cli(path, SAMPLE, "--select", "CF101")
    assert _codes(editor.diagnostics(uri)) == [("CF102", POLL + 2), ("CF301", STOP + 2)]

    assert editor.execute("cancelfix.fixAll", uri) is False  # nothing safe is left to fix
    editor.change(uri, SAMPLE)
    editor.diagnostics(uri)
    assert editor.execute("cancelfix.fixAll", uri) is True  # applied through workspace/applyEdit
    assert editor.text(uri) == fixed_by_cli(path, SAMPLE)
    assert editor.close() == 0


def test_fix_all_safe_unsafe_and_noqa_give_what_the_command_line_gives(
    editor: Editor, project: Path
) -> None:
    path = write(project, "service.py", SAMPLE)
    uri = editor.open(path)
    editor.diagnostics(uri)
    unsafe = _titled(editor.code_actions(uri, STOP), "Fix CF301")
    assert unsafe.title.endswith("unsafe fix") and not unsafe.is_preferred
    assert unsafe.edit is not None and unsafe.edit.document_changes is not None
    (change,) = unsafe.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
    expected = fixed_by_cli(path, SAMPLE, "--select", "CF301", "--unsafe-fixes")
    assert apply_edits(SAMPLE, edits) == expected != SAMPLE

    (fix_all,) = editor.code_actions(uri, 0, only=["source.fixAll"])
    assert fix_all.kind == "source.fixAll.cancelfix"
    assert fix_all.edit is not None and editor.apply(fix_all.edit)
    assert editor.text(uri) == fixed_by_cli(path, SAMPLE)
    assert not editor.apply(fix_all.edit), "an edit for an older version is refused"

    editor.change(uri, SAMPLE)
    editor.diagnostics(uri)
    safe = _titled(editor.code_actions(uri, PUMP), "Fix all safe")
    assert safe.edit is not None and editor.apply(safe.edit)
    assert editor.text(uri) == fixed_by_cli(path, SAMPLE, "--no-unsafe-fixes")

    editor.change(uri, SAMPLE)
    editor.diagnostics(uri)
    noqa = _titled(editor.code_actions(uri, POLL), "Add `# noqa: CF102`")
    assert noqa.edit is not None and editor.apply(noqa.edit)
    assert "        except asyncio.CancelledError:  # noqa: CF102\n" in editor.text(uri)
    assert _codes(editor.diagnostics(uri)) == [("CF101", PUMP), ("CF301", STOP)]


def test_a_client_that_pulls_diagnostics_and_resolves_edits(
    project: Path, start: Callable[..., Editor]
) -> None:
    path = write(project, "service.py", SAMPLE)
    editor = start([project], text_document=PULL)
    uri = editor.open(path)
    report = editor.pull(uri)
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert _codes(list(report.items)) == [("CF101", PUMP), ("CF102", POLL), ("CF301", STOP)]
    again = editor.pull(uri, previous=report.result_id)
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)

    action = _titled(editor.code_actions(uri, PUMP), "Fix CF101")
    assert action.edit is None, "edits come when the action is resolved"
    resolved = editor.resolve(action)
    assert resolved.edit is not None and editor.apply(resolved.edit)
    assert editor.text(uri) == fixed_by_cli(path, SAMPLE, "--select", "CF101")
    report = editor.pull(uri)
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    assert [d.code for d in report.items] == ["CF102", "CF301"]
    assert uri not in editor.published, "a client that pulls is not pushed to"


def test_settings_come_from_pyproject_and_are_read_again_when_it_changes(
    editor: Editor, project: Path
) -> None:
    path = write(project, "service.py", SAMPLE)
    uri = editor.open(path)
    assert [d.code for d in editor.diagnostics(uri)] == ["CF101", "CF102", "CF301"]
    pyproject = write(project, "pyproject.toml", '[tool.cancelfix]\nignore = ["CF10"]\n')
    editor.pyproject_changed(pyproject)
    editor.wait_until(lambda: len(editor.published[uri]) == 2)
    assert [d.code for d in editor.published[uri][-1].diagnostics] == ["CF301"]
    write(project, "pyproject.toml", '[tool.cancelfix]\nselect = ["CF9"]\n')
    editor.pyproject_changed(pyproject)
    editor.wait_until(lambda: len(editor.published[uri]) == 3)
    (problem,) = editor.published[uri][-1].diagnostics
    assert problem.severity == types.DiagnosticSeverity.Error
    assert "configuration error" in problem.message and "CF9" in problem.message


def test_two_folders_each_with_its_own_settings(
    project: Path, start: Callable[..., Editor]
) -> None:
    old, new = project / "old", project / "new"
    write(
        old,
        "pyproject.toml",
        '[project]\nrequires-python = ">=3.10"\n[tool.cancelfix]\n'
        'unsafe-fixes = true\nignore = ["CF101"]\n',
    )
    write(
        new,
        "pyproject.toml",
        '[project]\nrequires-python = ">=3.12"\n[tool.cancelfix]\n'
        'unsafe-fixes = true\nextend-exclude = ["generated"]\n',
    )
    editor = start([old, new])
    for folder in (old, new):
        path = write(folder, "service.py", SAMPLE)
        uri = editor.open(path)
        codes = [d.code for d in editor.diagnostics(uri)]
        assert codes == (["CF102", "CF301"] if folder == old else ["CF101", "CF102", "CF301"])
        (fix_all,) = editor.code_actions(uri, 0, only=["source.fixAll.cancelfix"])
        assert fix_all.edit is not None and editor.apply(fix_all.edit)
        assert editor.text(uri) == fixed_by_cli(path, SAMPLE)
    old_text, new_text = (editor.text((f / "service.py").as_uri()) for f in (old, new))
    assert "cancelling()" in new_text and "cancelling()" not in old_text  # py312, py310
    assert "asyncio.wait([task])" in old_text
    assert "except asyncio.CancelledError:\n            raise\n        except Base" in new_text
    assert "except asyncio.CancelledError:\n            raise\n        except Base" not in old_text
    skipped = editor.open(write(new, "generated/service.py", SAMPLE))
    assert list(editor.diagnostics(skipped)) == []


def test_bad_buffers_give_one_diagnostic(project: Path, start: Callable[..., Editor]) -> None:
    options = {"maxBufferBytes": 2_000, "documentationUrl": "https://docs.example/{code}.html"}
    editor = start([project], initialization_options=options)
    uri = editor.open(project / "broken.py", "async def f():\n    await (queue.get(\n")
    (error,) = editor.diagnostics(uri)
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.range.start == types.Position(1, 20)  # the `(` of `get(`
    assert "was never closed" in error.message
    assert editor.code_actions(uri, 1) == []
    editor.change(uri, SAMPLE + "x = 1\n" * 400)
    (refused,) = editor.diagnostics(uri)
    assert "not checked while editing: 2," in refused.message
    editor.change(uri, SAMPLE)
    diagnostics = editor.diagnostics(uri)
    assert len(diagnostics) == 3
    assert diagnostics[0].code_description == types.CodeDescription(
        "https://docs.example/CF101.html"
    )


def _slow_module() -> str:
    """A module of many coroutines that take the analysis seconds: every fixture, twice."""
    cases = sorted(FIXTURES.glob("CF*-*/*.py"))
    return "\n".join(path.read_text() for path in cases * 2)


def test_a_newer_edit_cancels_a_long_analysis_and_no_stale_result_is_shown(
    editor: Editor, project: Path
) -> None:
    path = write(project, "service.py", SAMPLE)
    uri = editor.open(path)
    editor.diagnostics(uri)  # the analysis process is up
    editor.change(uri, _slow_module())
    time.sleep(1.5)  # longer than a short analysis may run before a newer edit stops it
    started = time.monotonic()
    editor.change(uri, SAMPLE)
    assert len(editor.diagnostics(uri)) == 3
    waited = time.monotonic() - started
    assert [p.version for p in editor.published[uri]] == [1, 3], "version 2 was never shown"
    assert waited < 10, f"the slow analysis was not stopped ({waited:.1f}s)"


def test_without_pygls_the_command_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pygls" else real(name, *a)
    )
    result = cli("server")
    assert result.exit_code == 2
    assert "pip install 'cancelfix[lsp]'" in result.output
