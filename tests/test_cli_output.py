"""The command's output as a ruff user expects it: the `full` format, `--statistics`,
`--output-file`, colour (`--color`, NO_COLOR, FORCE_COLOR, coloured diffs), a summary line
whose parts add up, errors with a position, notebooks, `--stdin-filename` alone, the job
summary only when asked for, "did you mean", and `explain` by name."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.model import Finding, FixSafety, Mode, RuleOptions
from codemods.output import Report, summary_line
from codemods.presentation import progress
from tests.clitools import cli, write
from tests.samples import BROAD, SYNTAX_ERROR
from tests.test_config_precedence import EVERY_RULE

ESC = "\x1b["


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m codemods ARGS` in a real process."""
    return subprocess.run(
        [sys.executable, "-m", "codemods", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# The full format


def test_full_format_shows_the_flagged_line_with_carets(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", "--output-format", "full", "a.py")

    assert result.exit_code == 1
    assert result.stdout.split("\n\n")[0].splitlines() == [
        "a.py:8:9: CF101 broad `except` swallows `CancelledError`; let cancellation propagate [*]",
        "  |",
        "8 |         except BaseException:",
        "  |         ^^^^^^^^^^^^^^^^^^^^ CF101",
        "  |",
    ]
    assert result.stdout.splitlines()[-1].startswith("1 finding found")


def test_full_format_lines_up_carets_under_tabs(project: Path) -> None:
    tabs = re.sub(r"(?m)^((?:    )+)", lambda indent: "\t" * (len(indent[0]) // 4), BROAD)
    write(project, "a.py", tabs)

    result = cli("check", "--output-format", "full", "a.py")

    assert "8 | \t\texcept BaseException:" in result.stdout.splitlines()
    assert "  | \t\t^" in result.stdout  # the carets start under the tab-indented keyword


def test_full_format_after_a_fix_shows_the_written_text(project: Path) -> None:
    write(project, "a.py", EVERY_RULE)

    result = cli("fix", "--output-format", "full", "a.py")

    written = (project / "a.py").read_text().splitlines()
    excerpts = [line for line in result.stdout.splitlines() if " | " in line and line[0].isdigit()]
    assert excerpts, result.stdout
    for excerpt in excerpts:
        number, text = excerpt.split(" | ", 1)
        assert written[int(number) - 1] == text


def test_full_format_from_stdin(project: Path) -> None:
    result = cli("check", "--output-format", "full", "--stdin-filename", "a.py", input=BROAD)

    assert "8 |         except BaseException:" in result.stdout.splitlines()


def test_concise_is_the_one_line_format(project: Path) -> None:
    write(project, "a.py", BROAD)

    assert cli("check", "--output-format", "concise", "a.py").stdout == cli("check", "a.py").stdout


# --statistics


def test_statistics_count_findings_per_rule(project: Path) -> None:
    write(project, "a.py", EVERY_RULE)
    write(project, "b.py", BROAD)

    result = cli("check", "--statistics", "a.py", "b.py")

    assert result.exit_code == 1
    rows = result.stdout.splitlines()
    assert rows[0] == "2\tCF101\t[*] broad-except-swallows-cancel"
    assert "1\tCF303\t[ ] dangling-task" in rows
    assert len(rows) == 11  # a row per rule, nothing else


def test_statistics_as_json(project: Path) -> None:
    write(project, "a.py", EVERY_RULE)

    result = cli("check", "--statistics", "--output-format", "json", "--unsafe-fixes", "a.py")

    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert rows["CF303"] == {
        "code": "CF303",
        "name": "dangling-task",
        "count": 1,
        "fixable": True,
        "fixable_count": 1,
    }
    assert rows["CF104"]["fixable"] is False


# --output-file


@pytest.mark.parametrize("output_format", ["text", "full", "json", "github", "sarif"])
def test_output_file_takes_the_report_instead_of_stdout(project: Path, output_format: str) -> None:
    write(project, "a.py", BROAD)
    expected = cli("check", "--output-format", output_format, "a.py").stdout

    result = cli(
        "check",
        "--output-format",
        output_format,
        "--output-file",
        "report.txt",
        "a.py",
        color=True,
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    assert (project / "report.txt").read_text() == expected  # and no colour in the file


def test_output_file_in_a_real_process(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = run("check", "-o", "out/report.json", "--output-format", "json", ".", cwd=project)

    assert result.returncode == 2  # the directory is missing: a clear error, exit 2
    assert "out/report.json" in result.stderr and "cannot write" in result.stderr

    (project / "out").mkdir()
    result = run("check", "-o", "out/report.json", "--output-format", "json", ".", cwd=project)
    assert result.returncode == 1
    assert json.loads((project / "out/report.json").read_text())["summary"]["findings"] == 1


# Colour


@pytest.mark.parametrize(
    ("environment", "options", "coloured"),
    [
        ({}, [], False),  # not a terminal
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": "1"}, ["--no-color"], False),
        ({"NO_COLOR": "1"}, ["--color"], True),
        ({"NO_COLOR": ""}, ["--color"], True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": ""}, [], False),  # empty means unset, as no-color.org says
    ],
)
def test_colour_from_the_flag_then_force_color_then_no_color(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    options: list[str],
    coloured: bool,
) -> None:
    write(project, "a.py", BROAD)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert (ESC in cli("check", *options, "a.py").stdout) is coloured


def test_force_color_in_a_real_process_through_a_pipe(project: Path) -> None:
    write(project, "a.py", BROAD)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}

    plain = run("check", "a.py", cwd=project, env=env)
    forced = run("check", "a.py", cwd=project, env={**env, "FORCE_COLOR": "1"})

    assert ESC not in plain.stdout
    assert f"{ESC}31m{ESC}1mCF101{ESC}0m" in forced.stdout


def test_no_color_wins_over_a_terminal(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "a.py", BROAD)
    monkeypatch.setenv("NO_COLOR", "1")

    assert ESC not in cli("check", "a.py", color=True).stdout  # color=True: as on a terminal
    monkeypatch.delenv("NO_COLOR")
    assert ESC in cli("check", "a.py", color=True).stdout


def test_diff_is_coloured_on_a_terminal_and_plain_in_a_pipe(project: Path) -> None:
    write(project, "a.py", BROAD)

    coloured = cli("fix", "--diff", "a.py", color=True).stdout
    plain = cli("fix", "--diff", "a.py").stdout

    assert f"{ESC}32m+        except asyncio.CancelledError:" in coloured
    assert f"{ESC}36m@@ " in coloured
    assert ESC not in plain and "+        except asyncio.CancelledError:" in plain


# The progress bar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_is_cleared_when_done() -> None:
    terminal = _Terminal()

    assert list(progress(iter(range(5)), 5, file=terminal)) == [0, 1, 2, 3, 4]

    assert "Checking" in terminal.getvalue()
    assert terminal.getvalue().endswith("\x1b[1A\r\x1b[2K")  # up to the bar's line, erased


def test_progress_bar_is_cleared_when_the_run_stops() -> None:
    terminal = _Terminal()
    items = progress(iter(range(5)), 5, file=terminal)
    next(items)

    items.close()

    assert terminal.getvalue().endswith("\x1b[2K")


# The summary line


def _report(fixes: list[FixSafety | None], *, unsafe: bool = False) -> Report:
    report = Report(Mode.CHECK, RuleOptions(unsafe_fixes=unsafe))
    report.findings = [
        ("a.py", Finding("CF101", "n", "m", line, 1, line, 2, fix))
        for line, fix in enumerate(fixes, 1)
    ]
    return report


@pytest.mark.parametrize(
    ("fixes", "unsafe", "line"),
    [
        (
            [FixSafety.SAFE, FixSafety.UNSAFE, FixSafety.UNSAFE, None],
            False,
            "4 findings found: 1 fixable with `cancelfix fix`, 2 fixable only with "
            "`--unsafe-fixes`, 1 not fixable.",
        ),
        (
            [FixSafety.UNSAFE] * 3,
            False,
            "3 findings found: 3 fixable only with `--unsafe-fixes`.",
        ),
        (
            [FixSafety.SAFE, FixSafety.UNSAFE],
            True,
            "2 findings found: 2 fixable with `cancelfix fix`.",
        ),
        ([None, None], False, "2 findings found."),
    ],
)
def test_summary_parts_add_up_to_the_total(
    fixes: list[FixSafety | None], unsafe: bool, line: str
) -> None:
    assert summary_line(_report(fixes, unsafe=unsafe)) == line


# Errors with a position; notebooks


def test_parse_error_is_path_line_column(project: Path) -> None:
    write(project, "broken.py", SYNTAX_ERROR)

    in_process = cli("check", "broken.py")
    real = run("check", "broken.py", cwd=project)

    expected = "broken.py:6:25: error: syntax error: '(' was never closed\n"
    assert in_process.stderr == real.stderr == expected
    assert in_process.exit_code == real.returncode == 2


def test_json_error_keeps_the_reason_with_its_position(project: Path) -> None:
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", "--output-format", "json", "broken.py")

    assert json.loads(result.stdout)["errors"] == [
        {"path": "broken.py", "reason": "syntax error at 6:25: '(' was never closed"}
    ]


def test_a_notebook_is_skipped_and_never_counted_as_checked(project: Path) -> None:
    write(project, "a.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4}\n')
    write(project, "b.py", BROAD)

    named = cli("check", "--output-format", "json", "a.ipynb", "b.py")
    walked = cli("check", "--output-format", "json", ".")

    for result in (named, walked):
        assert json.loads(result.stdout)["summary"]["files"] == 1
    assert "a.ipynb: notebooks are not checked" in named.stderr
    assert "All checks passed (0 files checked)." in cli("check", "a.ipynb").stdout


# --stdin-filename alone reads stdin


def test_stdin_filename_alone_reads_stdin(project: Path) -> None:
    in_process = cli("check", "--stdin-filename", "src/a.py", input=BROAD)
    real = subprocess.run(
        [sys.executable, "-m", "codemods", "fix", "--stdin-filename", "src/a.py"],
        cwd=project,
        input=BROAD,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert in_process.exit_code == 1
    assert in_process.stdout.startswith("src/a.py:8:9: CF101 ")
    assert real.returncode == 0
    assert "except asyncio.CancelledError:\n            raise" in real.stdout  # the fixed code
    assert "Fixed src/a.py (CF101)" in real.stderr


# The job summary only when asked for


def test_job_summary_only_with_summary(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(project, "a.py", BROAD)
    step = project / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))

    cli("check", "a.py")
    assert step.read_text() == "earlier step\n"

    cli("check", "--summary", str(step), "a.py")
    assert step.read_text().startswith("earlier step\n## cancelfix\n")  # appended, as GitHub's

    other = project / "summary.md"
    other.write_text("stale\n")
    cli("check", "--summary", "summary.md", "a.py")
    assert other.read_text().startswith("## cancelfix\n")  # any other file: written afresh


# Did you mean ...?


@pytest.mark.parametrize(
    ("args", "config", "hint"),
    [
        (["check", "--extend-selct", "CF1"], "", "'--extend-select'"),
        (["chek"], "", "Did you mean 'check'?"),
        (["check", "--output-format", "ful"], "", "(did you mean 'full'?)"),
        (["check", "--target-version", "py3l2"], "", "(did you mean 'py312'?)"),
        (["check", "--select", "CF1O1"], "", "(did you mean 'CF101'?)"),
        (["check"], 'extend-selct = ["CF1"]\n', "extend-selct (did you mean 'extend-select'?)"),
        (["check"], "per-file-ignore = {}\n", "(did you mean 'per-file-ignores'?)"),
        (["explain", "dangling-tsk"], "", "(did you mean 'dangling-task'?)"),
    ],
)
def test_did_you_mean(project: Path, args: list[str], config: str, hint: str) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\n" + config)
    write(project, "a.py", BROAD)

    result = cli(*args)

    assert result.exit_code == 2
    assert hint in result.stderr


@pytest.mark.parametrize("name", ["CF303", "cf303", "dangling-task", "DANGLING-TASK"])
def test_explain_takes_a_code_or_a_name(name: str) -> None:
    result = cli("explain", name)

    assert result.exit_code == 0
    assert result.stdout.startswith("# CF303 (dangling-task)\n")


def test_explain_by_name_in_a_real_process(tmp_path: Path) -> None:
    result = run("explain", "broad-except-swallows-cancel", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("# CF101 (broad-except-swallows-cancel)\n")
