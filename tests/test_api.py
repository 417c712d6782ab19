"""The run as an API (`codemods.api`), called from Python the way the language server and other
tools call it: outcomes streamed as files are done, the exit statuses the command gives, fixes
written, and one text analysed in memory exactly as `cancelfix fix -` does on stdin."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from codemods import api
from codemods.interrupts import Interrupted, Interrupts
from codemods.model import FixSafety
from tests.clitools import cli, write
from tests.samples import BROAD, BROAD_FIXED, SYNTAX_ERROR

REPORT_ONLY = """\
async def drain(queue):
    while True:
        try:
            await queue.get()
        finally:
            break
"""
"""CF104 at 6:13, which has no fix."""

CLEAN = """\
import asyncio


async def main():
    await asyncio.sleep(0)
"""


def configure(
    tmp_path: Path, *paths: str, mode: api.Mode = api.Mode.CHECK, **options: Any
) -> api.Request:
    """A request over `paths` with its cache outside the project."""
    chosen = api.Options(cache_dir=tmp_path / "cache", **options)
    return api.configure([Path(path) for path in paths], chosen, mode=mode)


# --------------------------------------------------------------------------------------------
# streaming
# --------------------------------------------------------------------------------------------


def test_outcomes_stream_as_files_are_done(project: Path, tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        write(project, name, BROAD)
    run = api.Run(configure(tmp_path, ".", jobs=1))
    assert run.files == [Path("a.py"), Path("b.py"), Path("c.py")]
    seen = []
    for outcome in run:
        seen.append(outcome.path)
        # Each outcome is in the report when it is yielded, not once the run is over.
        assert run.report.files == len(seen)
        assert [path for path, _ in run.report.findings][-1] == outcome.path
    assert sorted(seen) == ["a.py", "b.py", "c.py"]
    result = run.finish()
    assert result.report.summary()["findings"] == 3
    assert result.exit_status == api.EXIT_FINDINGS


def test_cached_outcomes_come_first_then_the_computed_ones(project: Path, tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        write(project, name, BROAD)
    api.Run(configure(tmp_path, ".")).finish()  # fills the cache
    write(project, "a.py", REPORT_ONLY)  # a changed file must be analysed again

    run = api.Run(configure(tmp_path, "."))
    outcomes = list(run)

    assert [outcome.path for outcome in outcomes] == ["b.py", "c.py", "a.py"]
    assert [finding.code for finding in outcomes[-1].findings] == ["CF104"]
    assert run.cache is not None and run.cache.hits == 2


def test_finish_runs_what_the_caller_did_not_iterate(project: Path, tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "c.py"):
        write(project, name, BROAD)
    run = api.Run(configure(tmp_path, ".", cache=False))
    first = next(iter(run))

    result = run.finish()

    assert first.path in {"a.py", "b.py", "c.py"}
    assert result.report.files == 3
    # Sorted by finish, whatever order the files were done in.
    assert [path for path, _ in result.report.findings] == ["a.py", "b.py", "c.py"]


# --------------------------------------------------------------------------------------------
# exit statuses
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sources", "mode", "options", "status"),
    [
        ({"a.py": CLEAN}, api.Mode.CHECK, {}, api.EXIT_CLEAN),
        ({"a.py": BROAD}, api.Mode.CHECK, {}, api.EXIT_FINDINGS),
        ({"a.py": BROAD}, api.Mode.CHECK, {"exit_zero": True}, api.EXIT_CLEAN),
        ({"a.py": BROAD, "b.py": SYNTAX_ERROR}, api.Mode.CHECK, {}, api.EXIT_ERROR),
        ({"a.py": SYNTAX_ERROR}, api.Mode.CHECK, {"exit_zero": True}, api.EXIT_ERROR),
        ({"a.py": BROAD}, api.Mode.FIX, {}, api.EXIT_CLEAN),  # all fixed
        ({"a.py": BROAD, "b.py": REPORT_ONLY}, api.Mode.FIX, {}, api.EXIT_FINDINGS),
        ({"a.py": BROAD}, api.Mode.DIFF, {}, api.EXIT_FINDINGS),  # a diff
        ({"a.py": REPORT_ONLY}, api.Mode.DIFF, {}, api.EXIT_CLEAN),  # findings, no diff
        ({"a.py": BROAD}, api.Mode.CHECK, {"ignore": ("CF101",)}, api.EXIT_CLEAN),
    ],
)
def test_exit_status_is_the_commands(
    project: Path,
    tmp_path: Path,
    sources: dict[str, str],
    mode: api.Mode,
    options: dict[str, object],
    status: int,
) -> None:
    for name, source in sources.items():
        write(project, name, source)
    result = api.Run(configure(tmp_path, ".", mode=mode, **options)).finish()
    assert result.exit_status == status


def test_a_missing_path_is_an_error_and_the_rest_still_runs(project: Path, tmp_path: Path) -> None:
    write(project, "a.py", BROAD)
    result = api.Run(configure(tmp_path, "a.py", "gone.py")).finish()
    assert result.report.errors == [("gone.py", "no such file or directory")]
    assert [path for path, _ in result.report.findings] == ["a.py"]
    assert result.exit_status == api.EXIT_ERROR


def test_usage_errors_are_raised_not_printed(project: Path, tmp_path: Path) -> None:
    with pytest.raises(api.UsageError, match="CF999"):
        configure(tmp_path, ".", select=("CF999",))
    with pytest.raises(api.UsageError, match="stdin"):
        api.Run(configure(tmp_path, "-"))
    with pytest.raises(api.UsageError, match=r"--since: .*not a git repository"):
        api.Run(configure(tmp_path, ".", since="no-such-ref"))
    write(project, "pyproject.toml", "[tool.cancelfix]\nselect = 3\n")
    with pytest.raises(api.UsageError, match="select"):
        configure(tmp_path, ".")


# --------------------------------------------------------------------------------------------
# fixes
# --------------------------------------------------------------------------------------------


def test_a_fix_run_writes_each_file_before_its_outcome_is_yielded(
    project: Path, tmp_path: Path
) -> None:
    for name in ("a.py", "b.py"):
        write(project, name, BROAD)
    write(project, "c.py", REPORT_ONLY)
    run = api.Run(configure(tmp_path, ".", mode=api.Mode.FIX))

    for outcome in run:
        expected = BROAD_FIXED if outcome.path != "c.py" else REPORT_ONLY
        assert (project / outcome.path).read_text() == expected
    result = run.finish()

    assert result.report.changed == ["a.py", "b.py"]
    assert [(path, f.code, f.fixed) for path, f in result.report.findings] == [
        ("a.py", "CF101", True),
        ("b.py", "CF101", True),
        ("c.py", "CF104", False),
    ]
    assert result.exit_status == api.EXIT_FINDINGS


def test_a_file_that_cannot_be_written_is_an_error_with_nothing_fixed(
    project: Path, tmp_path: Path
) -> None:
    path = write(project, "a.py", BROAD)
    path.chmod(0o444)
    run = api.Run(configure(tmp_path, ".", mode=api.Mode.FIX))

    (outcome,) = list(run)
    result = run.finish()

    assert outcome.error is not None and outcome.error.startswith("cannot write")
    assert not outcome.changed and not any(finding.fixed for finding in outcome.findings)
    assert path.read_text() == BROAD
    assert result.report.changed == []
    assert result.exit_status == api.EXIT_ERROR


def test_a_signal_during_a_write_stops_the_run_after_that_file(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.py", "b.py"):
        write(project, name, BROAD)
    real_write = api.write_atomic

    def interrupted_write(path: str, new_source: bytes, original_digest: str) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while the file is being written
        real_write(path, new_source, original_digest)

    monkeypatch.setattr(api, "write_atomic", interrupted_write)
    interrupts = Interrupts()
    run = api.Run(configure(tmp_path, ".", mode=api.Mode.FIX, jobs=1), interrupts=interrupts)

    with pytest.raises(Interrupted) as stopped, interrupts.installed():
        for _ in run:
            pass

    assert stopped.value.signum == signal.SIGTERM
    (written,) = run.report.changed  # written whole, and recorded before the run stopped
    assert [(project / name).read_text() for name in ("a.py", "b.py")] == (
        [BROAD_FIXED, BROAD] if written == "a.py" else [BROAD, BROAD_FIXED]
    )


def test_diff_and_offered_fixes_write_nothing(project: Path, tmp_path: Path) -> None:
    path = write(project, "a.py", BROAD)
    diff = api.Run(configure(tmp_path, ".", mode=api.Mode.DIFF)).finish()
    offered = list(api.Run(configure(tmp_path, ".", offer_fixes=True)))
    plain = list(api.Run(configure(tmp_path, ".")))

    assert path.read_text() == BROAD
    assert diff.report.changed == ["a.py"] and "+            raise" in diff.report.diffs["a.py"]
    # A check offering fixes computes them (SARIF attaches them); a plain check does not.
    assert offered[0].new_source == BROAD_FIXED.encode()
    assert plain[0].new_source is None
    assert [finding.fix for finding in plain[0].findings] == [FixSafety.SAFE]


# --------------------------------------------------------------------------------------------
# one text in memory
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source", [BROAD, REPORT_ONLY, CLEAN, SYNTAX_ERROR, BROAD.replace("\n", "\r\n")]
)
def test_analyse_source_gives_what_fix_stdin_gives(
    project: Path, tmp_path: Path, source: str
) -> None:
    request = configure(tmp_path, "x.py", mode=api.Mode.FIX)

    from_text = api.analyse_source(source, "x.py", request)
    from_bytes = api.analyse_source(source.encode(), "x.py", request)
    fixed = cli("fix", "-", "--stdin-filename", "x.py", input=source.encode())
    checked = cli("check", "-", "--stdin-filename", "x.py", "--output-format", "json", input=source)

    assert from_text.fixed_text == fixed.stdout_bytes.decode()
    assert from_bytes.fixed == fixed.stdout_bytes
    findings = json.loads(checked.stdout)["findings"]
    assert [
        (f.code, f.line, f.column, f.end_line, f.end_column, f.fix and f.fix.value)
        for f in from_text.findings
    ] == [
        (f["code"], f["line"], f["column"], f["end_line"], f["end_column"], f["fix"])
        for f in findings
    ]
    errors = [error["reason"] for error in json.loads(checked.stdout)["errors"]]
    assert errors == ([from_text.error] if from_text.error else [])
    assert not (project / "x.py").exists()


def test_analyse_source_takes_the_settings_of_the_path(project: Path, tmp_path: Path) -> None:
    write(project, "quiet/pyproject.toml", '[tool.cancelfix]\nignore = ["CF101"]\n')
    loud = api.analyse_source(BROAD, "x.py", configure(tmp_path, "x.py", mode=api.Mode.FIX))
    quiet = api.analyse_source(
        BROAD, "quiet/x.py", configure(tmp_path, "quiet/x.py", mode=api.Mode.FIX)
    )
    assert [finding.code for finding in loud.findings] == ["CF101"]
    assert loud.fixed_text == BROAD_FIXED
    assert quiet.findings == () and quiet.fixed_text == BROAD


def test_analyse_source_keeps_a_declared_encoding(project: Path, tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + BROAD.replace("pass", "pass  # café")
    request = configure(tmp_path, "x.py", mode=api.Mode.FIX)

    result = api.analyse_source(source, "x.py", request)
    from_bytes = api.analyse_source(source.encode("latin-1"), "x.py", request)

    assert result.encoding == "iso-8859-1" and result.error is None
    assert "pass  # café" in result.fixed_text and "raise" in result.fixed_text
    assert from_bytes.fixed == result.fixed == result.fixed_text.encode("latin-1")


def test_analyse_source_honours_force_exclude(project: Path, tmp_path: Path) -> None:
    request = configure(tmp_path, "build/x.py", mode=api.Mode.FIX, force_exclude=True)
    result = api.analyse_source(BROAD, "build/x.py", request)
    assert result.findings == () and result.fixed_text == BROAD


# --------------------------------------------------------------------------------------------
# the command line's configuration options, as the API takes them
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "options", "codes"),
    [
        ('ignore = ["CF104"]\n', {"ignore": ("CF101",)}, set()),  # adds to the ignores
        ('select = ["CF104"]\n', {"select": ("CF101",)}, {"CF101"}),  # replaces the select
        ('select = ["CF104"]\n', {"extend_select": ("CF101",)}, {"CF101", "CF104"}),
        ("", {"per_file_ignores": ("a.py:CF101",)}, {"CF104"}),
        (
            '[tool.cancelfix.per-file-ignores]\n"a.py" = ["CF104"]\n',
            {"extend_per_file_ignores": ("a.py:CF101",)},
            set(),
        ),
    ],
)
def test_rule_options_take_precedence_as_on_the_command_line(
    project: Path, tmp_path: Path, configured: str, options: dict[str, Any], codes: set[str]
) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\n" + configured)
    write(project, "a.py", BROAD + "\n\n" + REPORT_ONLY)
    request = configure(tmp_path, "a.py", **options)

    from_files = api.Run(request).finish().report.findings
    from_text = api.analyse_source(BROAD + "\n\n" + REPORT_ONLY, "a.py", request).findings

    assert {finding.code for _, finding in from_files} == codes
    assert {finding.code for finding in from_text} == codes


def test_respect_gitignore_overrides_the_configuration(project: Path, tmp_path: Path) -> None:
    write(project, ".gitignore", "generated/\n")
    write(project, "generated/a.py", BROAD)

    respected = api.Run(configure(tmp_path, ".")).finish()
    walked = api.Run(configure(tmp_path, ".", respect_gitignore=False)).finish()

    assert respected.report.files == 0
    assert [path for path, _ in walked.report.findings] == [str(Path("generated/a.py"))]


def test_add_noqa_comments_once_the_run_is_over(project: Path, tmp_path: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.ipynb", "{}")

    run = api.Run(configure(tmp_path, "a.py", "b.ipynb", add_noqa=True))
    result = run.finish()

    assert run.skipped == [Path("b.ipynb")] and result.report.files == 1
    assert result.added is not None and result.added.directives == 1
    assert "except BaseException:  # noqa: CF101" in (project / "a.py").read_text()
    assert result.exit_status == api.EXIT_CLEAN
    again = api.Run(configure(tmp_path, "a.py", add_noqa=True)).finish()
    assert again.report.findings == [] and again.added == api.Added()


# --------------------------------------------------------------------------------------------
# the documentation
# --------------------------------------------------------------------------------------------


def test_the_modules_example_runs_as_documented(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert api.__doc__ is not None
    example = textwrap.dedent(api.__doc__.split("Example::\n", 1)[1])
    write(project, "src/app.py", BROAD)

    exec(compile(example, "api-example", "exec"), {})

    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"{Path('src/app.py')}:8: CF101 (fixed: True)"
    assert printed[1].endswith("exit status 0")
    assert printed[2] == "[] True"
    assert (project / "src/app.py").read_text() == BROAD_FIXED
