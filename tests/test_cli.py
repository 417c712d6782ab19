"""The `cancelfix` command line, judged the way a user sees it: exit code, stdout, stderr, files.

Most tests drive the click command in-process with `CliRunner` (stdout and stderr kept apart);
the ones about real pipes (stdin, `--diff` piped to `git apply`, the console script, `python -m
codemods`) start a subprocess. Every test works in its own project directory under tmp_path,
outside any git repository unless it creates one, with git's global configuration shut out.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from codemods import __version__, runner
from codemods.registry import all_rules, rule_by_code
from tests.clitools import cli, git, needs_git, write
from tests.samples import BROAD, BROAD_FIXED, SYNTAX_ERROR

CANCELFIX_SCRIPT = Path(sys.executable).parent / "cancelfix"
MESSAGE = {rule.code: rule.message for rule in all_rules()}
ANSI = "\x1b["

# --------------------------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------------------------


SWALLOW_PASS = """\
import asyncio


async def poll(conn):
    try:
        return await conn.ping()
    except asyncio.CancelledError:
        pass
"""
"""CF102 at 7:5, safe fix (`pass` becomes `raise`, which skips nothing after the `try`); `poll`
returns a value to its caller."""

SWALLOW_PASS_FIXED = SWALLOW_PASS.replace("        pass\n", "        raise\n")

SWALLOW_BREAK = """\
import asyncio


async def worker(queue):
    while True:
        try:
            job = await queue.get()
        except asyncio.CancelledError:
            break
        print(job)
    return "stopped"
"""
"""CF102 at 8:9, unsafe fix only (`break` becomes `raise`); the worker returns a value, so
the swallowed cancellation lets its caller go on (not CF105's swallow-then-end)."""

SWALLOW_BREAK_FIXED = SWALLOW_BREAK.replace("            break\n", "            raise\n")

CLEAN = """\
import asyncio


async def poll(conn):
    try:
        await conn.ping()
    except asyncio.CancelledError:
        await conn.close()
        raise
"""

EXCEPT_EXCEPTION = """\
import asyncio


async def fetch(session, url):
    try:
        return await session.get(url)
    except Exception:
        return None
"""
"""Broad only under py37, where CancelledError was an Exception: CF101 at 7:5."""

CHEAP = """\
import asyncio


async def tick():
    await asyncio.sleep(0)
"""
"""No `except`: the prefilter skips it without parsing."""

SYNTAX_ERROR_NO_ASYNC = """\
def total(values:
    return sum(values)
"""


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def run(
    *args: str, cwd: Path, input: bytes | None = None, script: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run `python -m codemods ARGS` (or the `cancelfix` console script) in a real process."""
    command = [str(CANCELFIX_SCRIPT)] if script else [sys.executable, "-m", "codemods"]
    return subprocess.run(
        [*command, *args], cwd=cwd, input=input, capture_output=True, timeout=60, check=False
    )


def finding_line(path: str, line: int, column: int, code: str, *, fixable: bool) -> str:
    return f"{path}:{line}:{column}: {code} {MESSAGE[code]}" + (" [*]" if fixable else "")


def lines(text: str) -> list[str]:
    return text.splitlines()


FINDING_LINE = re.compile(r"^(?P<path>\S+):(?P<line>\d+):(?P<col>\d+): (?P<code>CF\d{3}) .+$")


def reported(stdout: str) -> list[tuple[str, str]]:
    """(path, code) of every finding line in text output."""
    return [(m["path"], m["code"]) for m in map(FINDING_LINE.match, lines(stdout)) if m]


FINDING_KEYS = {
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "message",
    "fix",
    "fixed",
}
SUMMARY_KEYS = {
    "files",
    "files_parsed",
    "files_changed",
    "findings",
    "fixed",
    "fixable",
    "fixable_with_unsafe_fixes",
    "errors",
    "functions_reported_whole",
    "functions_partly_fixed",
}


def json_report(text: str, *, diffs: bool = False) -> dict[str, Any]:
    """Parse `--output-format json` output and check it against the documented schema."""
    document = json.loads(text)
    assert isinstance(document, dict)
    keys = {"findings", "errors", "functions", "summary"}
    assert set(document) == keys | ({"diffs"} if diffs else set())
    assert set(document["functions"]) == {"reported_whole", "partly_fixed"}
    for finding in document["findings"]:
        assert set(finding) >= FINDING_KEYS, finding
        for key in ("line", "column", "end_line", "end_column"):
            assert type(finding[key]) is int and finding[key] >= 1, (key, finding)
        assert (finding["end_line"], finding["end_column"]) >= (finding["line"], finding["column"])
        assert isinstance(finding["path"], str) and finding["path"]
        assert re.fullmatch(r"CF\d{3}", finding["code"])
        assert finding["name"] == rule_by_code(finding["code"]).name
        assert finding["message"] == MESSAGE[finding["code"]]
        assert finding["fix"] in ("safe", "unsafe", None)
        assert type(finding["fixed"]) is bool
        assert finding["fix"] is not None or not finding["fixed"]
    for error in document["errors"]:
        assert {"path", "reason"} <= set(error)
        assert isinstance(error["path"], str) and error["path"]
        assert isinstance(error["reason"], str) and error["reason"]
    assert set(document["summary"]) >= SUMMARY_KEYS
    assert all(type(value) is int for value in document["summary"].values())
    if diffs:
        assert all(isinstance(diff, str) for diff in document["diffs"].values())
    return document


def brief(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (f["path"], f["line"], f["column"], f["code"], f["fix"], f["fixed"])
        for f in document["findings"]
    ]


# --------------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------------


def test_check_reports_findings_and_exits_1(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)
    write(project, "c.py", SWALLOW_PASS)

    result = cli("check", "a.py", "b.py", "c.py")

    assert result.exit_code == 1
    assert lines(result.stdout) == [
        finding_line("a.py", 8, 9, "CF101", fixable=True),
        finding_line("b.py", 8, 9, "CF102", fixable=False),
        finding_line("c.py", 7, 5, "CF102", fixable=True),
        "3 findings found: 2 fixable with `cancelfix fix`, 1 fixable only with `--unsafe-fixes`.",
    ]
    assert result.stderr == ""


def test_check_directory_clean_exits_0(project: Path) -> None:
    write(project, "pkg/ok.py", CLEAN)
    write(project, "pkg/sub/also_ok.py", CLEAN)

    result = cli("check")

    assert result.exit_code == 0
    assert result.stdout == "All checks passed (2 files checked).\n"
    assert result.stderr == ""


def test_check_syntax_error_is_reported_and_others_still_checked(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", "a.py", "broken.py")

    assert result.exit_code == 2
    assert lines(result.stderr)[0] == "broken.py:6:25: error: syntax error: '(' was never closed"
    assert len(lines(result.stderr)) == 1
    assert lines(result.stdout)[0] == finding_line("a.py", 8, 9, "CF101", fixable=True)
    assert lines(result.stdout)[-1].endswith("1 file could not be processed.")


def test_file_that_cannot_have_findings_is_not_parsed(project: Path) -> None:
    # By design (docs/how-it-works.md): the prefilter skips files without the bytes every
    # finding needs, so a syntax error there goes unreported; the file is never rewritten.
    write(project, "util.py", SYNTAX_ERROR_NO_ASYNC)

    result = cli("check", "--output-format", "json", "util.py")

    assert result.exit_code == 0
    assert json_report(result.stdout)["summary"]["files_parsed"] == 0


@pytest.mark.parametrize("name", ["broken.py", "missing.py"])
def test_summary_does_not_claim_success_when_a_file_failed(project: Path, name: str) -> None:
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", name)

    assert result.exit_code == 2
    assert "All checks passed" not in result.stdout
    assert result.stdout.strip().endswith("1 file could not be processed.")


def test_syntax_error_reason_names_one_right_position(project: Path) -> None:
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", "--output-format", "json", "broken.py")

    assert result.exit_code == 2
    (error,) = json_report(result.stdout)["errors"]
    positions = re.findall(r"\b(\d+):\d+\b", error["reason"])
    assert len(positions) == 1
    assert positions[0] in ("6", "7")


def test_check_nonexistent_path_exits_2_and_checks_the_rest(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", "missing.py", "a.py")

    assert result.exit_code == 2
    assert result.stderr == "missing.py: error: no such file or directory\n"
    assert lines(result.stdout) == [
        finding_line("a.py", 8, 9, "CF101", fixable=True),
        "1 finding found: 1 fixable with `cancelfix fix`. 1 file could not be processed.",
    ]


@pytest.mark.slow
def test_check_streams_and_exit_code_in_a_real_process(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = run("check", "a.py", "missing.py", cwd=project, script=True)

    assert result.returncode == 2
    assert result.stderr.decode() == "missing.py: error: no such file or directory\n"
    assert result.stdout.decode().splitlines() == [  # a pipe: no colour unless asked for
        finding_line("a.py", 8, 9, "CF101", fixable=True),
        "1 finding found: 1 fixable with `cancelfix fix`. 1 file could not be processed.",
    ]


@pytest.mark.parametrize(
    ("files", "expected_exit"),
    [(["a.py"], 0), (["a.py", "missing.py"], 2)],
    ids=["findings", "error"],
)
def test_exit_zero_ignores_findings_but_not_errors(
    project: Path, files: list[str], expected_exit: int
) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", "--exit-zero", *files)

    assert result.exit_code == expected_exit
    assert reported(result.stdout) == [("a.py", "CF101")]
    assert lines(result.stdout)[-1].startswith("1 finding found")


@pytest.mark.parametrize(
    ("source", "expected_stdout", "expected_exit"),
    [
        (BROAD, finding_line("a.py", 8, 9, "CF101", fixable=True) + "\n", 1),
        (CLEAN, "", 0),
    ],
    ids=["findings", "clean"],
)
def test_quiet_prints_findings_only(
    project: Path, source: str, expected_stdout: str, expected_exit: int
) -> None:
    write(project, "a.py", source)

    result = cli("check", "-q", "a.py")

    assert result.exit_code == expected_exit
    assert result.stdout == expected_stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--select", "CF101"], [("a.py", "CF101")]),
        (["--select", "cf102"], [("c.py", "CF102")]),
        (["--select", "CF1"], [("a.py", "CF101"), ("c.py", "CF102")]),
        (["--select", "CF101,CF102"], [("a.py", "CF101"), ("c.py", "CF102")]),
        (["--select", "CF101", "--select", "CF102"], [("a.py", "CF101"), ("c.py", "CF102")]),
        (["--ignore", "CF101"], [("c.py", "CF102")]),
        (["--select", "CF1", "--ignore", "CF102"], [("a.py", "CF101")]),
        (["--ignore", "CF101, CF102"], []),
        (["--ignore", "CF10"], []),
    ],
)
def test_select_and_ignore(
    project: Path, options: list[str], expected: list[tuple[str, str]]
) -> None:
    write(project, "a.py", BROAD)
    write(project, "c.py", SWALLOW_PASS)

    result = cli("check", *options, "a.py", "c.py")

    assert result.exit_code == (1 if expected else 0)
    assert reported(result.stdout) == expected
    if not expected:
        assert result.stdout == "All checks passed (2 files checked).\n"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("options", "bad"),
    [
        (["--select", "CF999"], "CF999"),
        (["--ignore", "XY1"], "XY1"),
        (["--select", "CF101,CF9"], "CF9"),
    ],
)
def test_unknown_code_is_a_one_line_usage_error(
    project: Path, options: list[str], bad: str
) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", *options, "a.py")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"cancelfix: error: {bad!r} matches no rule (see `cancelfix rules`)\n"


@pytest.mark.parametrize(
    ("terminal", "flag", "coloured"),
    [
        (False, None, False),
        (False, "--color", True),
        (True, None, True),
        (True, "--no-color", False),
    ],
    ids=["pipe", "pipe+--color", "terminal", "terminal+--no-color"],
)
def test_color_flags(project: Path, terminal: bool, flag: str | None, coloured: bool) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", *([flag] if flag else []), "a.py", color=terminal)

    assert result.exit_code == 1
    assert (ANSI in result.stdout) is coloured
    plain = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    assert lines(plain)[0] == finding_line("a.py", 8, 9, "CF101", fixable=True)


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("# noqa: CF101", True),
        ("# noqa", True),
        ("# NOQA:CF102,CF101", True),
        ("# noqa: CF102", False),
        ("# not a noqa comment", False),
    ],
)
def test_noqa(project: Path, comment: str, suppressed: bool) -> None:
    source = BROAD.replace("except BaseException:", f"except BaseException:  {comment}")
    write(project, "a.py", source)

    result = cli("check", "a.py")

    if suppressed:
        assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file checked).\n")
    else:
        assert result.exit_code == 1
        assert reported(result.stdout) == [("a.py", "CF101")]
    assert result.stderr == ""


# --------------------------------------------------------------------------------------------
# fix
# --------------------------------------------------------------------------------------------

WRITER = """\


async def writer(conn, payload):
    try:
        return await conn.write(payload)
    except:
        pass
"""
TWO_BROAD = BROAD + WRITER
"""CF101 twice: at 8:9 and 16:5."""


def test_fix_rewrites_files_in_place(project: Path) -> None:
    a = write(project, "a.py", BROAD)
    c = write(project, "c.py", SWALLOW_PASS)
    two = write(project, "two.py", TWO_BROAD)
    ok = write(project, "ok.py", CLEAN)

    result = cli("fix", "a.py", "c.py", "ok.py", "two.py")

    assert result.exit_code == 0
    assert lines(result.stdout) == [
        "Fixed a.py (CF101)",
        "Fixed c.py (CF102)",
        "Fixed two.py (CF101 x2)",
        "Fixed 4 findings in 3 files.",
    ]
    assert result.stderr == ""
    assert a.read_text() == BROAD_FIXED
    assert c.read_text() == SWALLOW_PASS_FIXED
    assert two.read_text() == BROAD_FIXED + WRITER.replace(
        "    except:\n", "    except asyncio.CancelledError:\n        raise\n    except:\n"
    )
    assert ok.read_text() == CLEAN


def test_fix_leaves_unsafe_fixes_and_exits_1(project: Path) -> None:
    a = write(project, "a.py", BROAD)
    b = write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "a.py", "b.py")

    assert result.exit_code == 1
    assert lines(result.stdout) == [
        finding_line("b.py", 8, 9, "CF102", fixable=False),
        "Fixed a.py (CF101)",
        "Fixed 1 finding in 1 file. 1 finding remaining: 1 fixable only with `--unsafe-fixes`.",
    ]
    assert result.stderr == ""
    assert a.read_text() == BROAD_FIXED
    assert b.read_text() == SWALLOW_BREAK


def test_fix_with_unsafe_fixes(project: Path) -> None:
    b = write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "--unsafe-fixes", "b.py")

    assert result.exit_code == 0
    assert lines(result.stdout) == ["Fixed b.py (CF102)", "Fixed 1 finding in 1 file."]
    assert b.read_text() == SWALLOW_BREAK_FIXED


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_fix_keeps_mode_line_endings_and_bom(project: Path, newline: str, bom: bool) -> None:
    path = write(project, "a.py", BROAD, newline=newline, bom=bom)
    path.chmod(0o754)

    result = cli("fix", "a.py")

    assert result.exit_code == 0
    assert lines(result.stdout) == ["Fixed a.py (CF101)", "Fixed 1 finding in 1 file."]
    expected = BROAD_FIXED.replace("\n", newline).encode()
    assert path.read_bytes() == (b"\xef\xbb\xbf" + expected if bom else expected)
    assert stat.S_IMODE(path.stat().st_mode) == 0o754
    assert [p.name for p in project.iterdir()] == ["a.py"]  # no temporary file left behind


def test_fix_reports_read_only_file_and_leaves_it(project: Path) -> None:
    path = write(project, "ro.py", BROAD)
    path.chmod(0o444)

    result = cli("fix", "ro.py")

    assert result.exit_code == 2
    assert result.stderr == "ro.py: error: cannot write: file is read-only; not modified\n"
    assert reported(result.stdout) == [("ro.py", "CF101")]
    assert path.read_text() == BROAD
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_fix_twice_changes_nothing_the_second_time(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "c.py", SWALLOW_PASS)

    first = cli("fix", ".")
    after_first = {p.name: p.read_bytes() for p in project.iterdir()}
    second = cli("fix", ".")

    assert first.exit_code == 0
    assert lines(first.stdout)[-1] == "Fixed 2 findings in 2 files."
    assert second.exit_code == 0
    assert second.stdout == "All checks passed (2 files checked).\n"
    assert second.stderr == ""
    assert {p.name: p.read_bytes() for p in project.iterdir()} == after_first


# --------------------------------------------------------------------------------------------
# fix --diff
# --------------------------------------------------------------------------------------------

DIFF_LINE = re.compile(r"^(--- |\+\+\+ |@@ -\d+(,\d+)? \+\d+(,\d+)? @@|[ +\-\\])")


def assert_is_diff(text: str) -> None:
    assert text.startswith("--- ")
    assert text.splitlines()[1].startswith("+++ ")
    bad = [line for line in text.splitlines() if not DIFF_LINE.match(line)]
    assert bad == [], bad


def test_diff_prints_patch_to_stdout_and_writes_nothing(project: Path) -> None:
    a = write(project, "a.py", BROAD)
    b = write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "--diff", "a.py", "b.py")

    assert result.exit_code == 1
    assert_is_diff(result.stdout)
    assert lines(result.stdout)[:2] == ["--- a.py", "+++ a.py"]
    added = [line for line in lines(result.stdout) if line.startswith("+") and line[:3] != "+++"]
    assert added == ["+        except asyncio.CancelledError:", "+            raise"]
    assert not any(line.startswith("-") and line[:3] != "---" for line in lines(result.stdout))
    assert lines(result.stderr) == [
        finding_line("b.py", 8, 9, "CF102", fixable=False),
        "Would fix 1 finding in 1 file. 1 finding remaining: 1 fixable only with `--unsafe-fixes`.",
    ]
    assert a.read_text() == BROAD
    assert b.read_text() == SWALLOW_BREAK


@pytest.mark.parametrize(
    ("source", "stderr"),
    [
        (CLEAN, ["All checks passed (1 file checked)."]),
        (
            SWALLOW_BREAK,
            [
                finding_line("a.py", 8, 9, "CF102", fixable=False),
                "1 finding found: 1 fixable only with `--unsafe-fixes`.",
            ],
        ),
    ],
    ids=["clean", "unsafe-only"],
)
def test_diff_without_changes_exits_0(project: Path, source: str, stderr: list[str]) -> None:
    path = write(project, "a.py", source)

    result = cli("fix", "--diff", "a.py")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert lines(result.stderr) == stderr
    assert path.read_text() == source


@needs_git
@pytest.mark.slow
def test_diff_from_a_real_process_applies_with_git_apply(project: Path) -> None:
    a = write(project, "a.py", BROAD)
    c = write(project, "c.py", SWALLOW_PASS)

    result = run("fix", "--diff", ".", cwd=project, script=True)

    assert result.returncode == 1
    assert result.stderr.decode() == "Would fix 2 findings in 2 files.\n"
    assert_is_diff(result.stdout.decode())
    assert (a.read_text(), c.read_text()) == (BROAD, SWALLOW_PASS)
    subprocess.run(["git", "apply", "-p0", "-"], cwd=project, input=result.stdout, check=True)
    assert (a.read_text(), c.read_text()) == (BROAD_FIXED, SWALLOW_PASS_FIXED)


# --------------------------------------------------------------------------------------------
# stdin
# --------------------------------------------------------------------------------------------


def test_check_stdin_reports_the_stdin_filename(project: Path) -> None:
    result = cli("check", "-", "--stdin-filename", "x.py", input=BROAD)

    assert result.exit_code == 1
    assert lines(result.stdout) == [
        finding_line("x.py", 8, 9, "CF101", fixable=True),
        "1 finding found: 1 fixable with `cancelfix fix`.",
    ]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("source", "expected_stdout", "expected_stderr", "expected_exit"),
    [
        (BROAD, BROAD_FIXED, ["Fixed x.py (CF101)", "Fixed 1 finding in 1 file."], 0),
        (
            SWALLOW_BREAK,
            SWALLOW_BREAK,
            [
                finding_line("x.py", 8, 9, "CF102", fixable=False),
                "1 finding found: 1 fixable only with `--unsafe-fixes`.",
            ],
            1,
        ),
        (CLEAN, CLEAN, ["All checks passed (1 file checked)."], 0),
    ],
    ids=["fixed", "unsafe-only", "clean"],
)
def test_fix_stdin_prints_only_code_on_stdout(
    project: Path,
    source: str,
    expected_stdout: str,
    expected_stderr: list[str],
    expected_exit: int,
) -> None:
    result = cli("fix", "-", "--stdin-filename", "x.py", input=source)

    assert result.exit_code == expected_exit
    assert result.stdout == expected_stdout
    assert lines(result.stderr) == expected_stderr
    assert list(project.iterdir()) == []


@pytest.mark.slow
def test_fix_stdin_in_a_real_process(project: Path) -> None:
    result = run("fix", "-", cwd=project, input=BROAD.encode(), script=True)

    assert result.returncode == 0
    assert result.stdout.decode() == BROAD_FIXED
    assert result.stderr.decode().splitlines() == ["Fixed - (CF101)", "Fixed 1 finding in 1 file."]
    assert list(project.iterdir()) == []


def test_fix_stdin_keeps_crlf_and_bom(project: Path) -> None:
    source = b"\xef\xbb\xbf" + SWALLOW_PASS.replace("\n", "\r\n").encode()

    result = cli("fix", "-", "--stdin-filename", "x.py", input=source)

    assert result.exit_code == 0
    assert (
        result.stdout_bytes == b"\xef\xbb\xbf" + SWALLOW_PASS_FIXED.replace("\n", "\r\n").encode()
    )
    assert lines(result.stderr) == ["Fixed x.py (CF102)", "Fixed 1 finding in 1 file."]


@pytest.mark.slow
def test_fix_diff_stdin(project: Path) -> None:
    result = run(
        "fix", "--diff", "-", "--stdin-filename", "x.py", cwd=project, input=BROAD.encode()
    )

    assert result.returncode == 1
    stdout = result.stdout.decode()
    assert_is_diff(stdout)
    assert stdout.splitlines()[:2] == ["--- x.py", "+++ x.py"]
    assert "+        except asyncio.CancelledError:\n+            raise\n" in stdout
    assert result.stderr.decode() == "Would fix 1 finding in 1 file.\n"


# --------------------------------------------------------------------------------------------
# --output-format json
# --------------------------------------------------------------------------------------------


def test_json_check(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", "--output-format", "json", "a.py", "b.py", "broken.py", "missing.py")

    assert result.exit_code == 2
    assert result.stderr == ""
    document = json_report(result.stdout)
    assert brief(document) == [
        ("a.py", 8, 9, "CF101", "safe", False),
        ("b.py", 8, 9, "CF102", "unsafe", False),
    ]
    assert [(e["path"], e["reason"].split(" at ")[0]) for e in document["errors"]] == [
        ("broken.py", "syntax error"),
        ("missing.py", "no such file or directory"),
    ]
    assert document["summary"] == {
        "files": 3,
        "files_parsed": 2,
        "files_changed": 0,
        "findings": 2,
        "fixed": 0,
        "fixable": 1,
        "fixable_with_unsafe_fixes": 2,
        "errors": 2,
        "functions_reported_whole": 0,
        "functions_partly_fixed": 0,
    }


def test_json_positions_are_1_based_and_span_the_handler_header(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "c.py", SWALLOW_PASS)

    result = cli("check", "--output-format", "json", ".")

    assert result.exit_code == 1
    document = json_report(result.stdout)
    spans = []
    for finding in document["findings"]:
        assert finding["line"] == finding["end_line"]
        text = (project / finding["path"]).read_text().splitlines()[finding["line"] - 1]
        spans.append(text[finding["column"] - 1 : finding["end_column"] - 1])
    assert spans == ["except BaseException", "except asyncio.CancelledError"]


def test_json_fix_marks_fixed_findings(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "--output-format", "json", "a.py", "b.py")

    assert result.exit_code == 1
    assert result.stderr == ""
    document = json_report(result.stdout)
    assert brief(document) == [
        ("a.py", 8, 9, "CF101", "safe", True),
        ("b.py", 8, 9, "CF102", "unsafe", False),
    ]
    assert document["errors"] == []
    assert document["summary"]["fixed"] == 1
    assert document["summary"]["findings"] == 1
    assert document["summary"]["files_changed"] == 1


def test_json_diff_carries_the_diffs(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = cli("fix", "--diff", "--output-format", "json", "a.py")

    assert result.exit_code == 1
    assert result.stderr == ""
    document = json_report(result.stdout, diffs=True)
    assert list(document["diffs"]) == ["a.py"]
    assert_is_diff(document["diffs"]["a.py"])
    assert brief(document) == [("a.py", 8, 9, "CF101", "safe", True)]
    assert (project / "a.py").read_text() == BROAD


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('select = ["CF102"]', [("b.py", "CF102")]),
        ('ignore = ["CF101"]', [("b.py", "CF102")]),
        ('select = ["CF1"]\nignore = ["CF102"]', [("a.py", "CF101")]),
        ('target-version = "py37"', [("a.py", "CF101"), ("b.py", "CF102"), ("e.py", "CF101")]),
        ('extend-exclude = ["b.py"]', [("a.py", "CF101")]),
    ],
    ids=["select", "ignore", "select+ignore", "target-version", "extend-exclude"],
)
def test_pyproject_table(project: Path, table: str, expected: list[tuple[str, str]]) -> None:
    write(project, "pyproject.toml", f"[tool.cancelfix]\n{table}\n")
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)
    write(project, "e.py", EXCEPT_EXCEPTION)

    result = cli("check")

    assert result.exit_code == 1
    assert reported(result.stdout) == expected
    assert result.stderr == ""


def test_pyproject_unsafe_fixes_and_command_line_override(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\nunsafe-fixes = true\n")
    b = write(project, "b.py", SWALLOW_BREAK)

    refused = cli("fix", "--no-unsafe-fixes", "b.py")
    assert refused.exit_code == 1
    assert b.read_text() == SWALLOW_BREAK

    result = cli("fix", "b.py")
    assert result.exit_code == 0
    assert lines(result.stdout) == ["Fixed b.py (CF102)", "Fixed 1 finding in 1 file."]
    assert b.read_text() == SWALLOW_BREAK_FIXED


def test_command_line_select_overrides_pyproject(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nselect = ["CF102"]\n')
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("check", "--select", "CF101")

    assert result.exit_code == 1
    assert reported(result.stdout) == [("a.py", "CF101")]


def test_pyproject_found_from_a_subdirectory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nselect = ["CF102"]\n')
    write(project, "src/a.py", BROAD)
    write(project, "src/b.py", SWALLOW_BREAK)
    monkeypatch.chdir(project / "src")

    result = cli("check", "-v")

    assert result.exit_code == 1
    assert reported(result.stdout) == [("b.py", "CF102")]
    assert f"cancelfix: configuration: {project / 'pyproject.toml'}" in lines(result.stderr)


@pytest.mark.parametrize("name", ["cancelfix.toml", "pyproject.toml"])
def test_config_option(project: Path, name: str) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nselect = ["CF102"]\n')
    table = 'select = ["CF101"]\n'
    write(
        project, f"ci/{name}", table if name == "cancelfix.toml" else f"[tool.cancelfix]\n{table}"
    )
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("check", "--config", f"ci/{name}", "a.py", "b.py")

    assert result.exit_code == 1
    assert reported(result.stdout) == [("a.py", "CF101")]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("config", "options", "message"),
    [
        ("[tool.cancelfix]\nbogus = 1\n", [], "unknown option(s) bogus in [tool.cancelfix]"),
        ("[tool.cancelfix\nselect = []\n", [], "is not valid TOML"),
        ('[tool.cancelfix]\nselect = "CF101"\n', [], "`select` must be a list of strings"),
        ('[tool.cancelfix]\nunsafe-fixes = "yes"\n', [], "`unsafe-fixes` must be true or false"),
        ('[tool.cancelfix]\ntarget-version = "py27"\n', [], "unknown target version 'py27'"),
        ("[project]\nname = 'x'\n", ["--config", "pyproject.toml"], "has no [tool.cancelfix]"),
        ("", ["--config", "missing.toml"], "cannot read missing.toml"),
    ],
    ids=[
        "unknown-key",
        "invalid-toml",
        "not-a-list",
        "not-a-bool",
        "bad-version",
        "no-table",
        "missing-file",
    ],
)
def test_config_errors_are_one_line_exit_2(
    project: Path, config: str, options: list[str], message: str
) -> None:
    write(project, "pyproject.toml", config)
    write(project, "a.py", BROAD)

    result = cli("check", *options, "a.py")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(lines(result.stderr)) == 1
    assert result.stderr.startswith("cancelfix: error: ")
    assert message in result.stderr


def test_unknown_code_in_config_names_the_file(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nselect = ["CF9"]\n')
    write(project, "a.py", BROAD)

    result = cli("check", "a.py")

    assert result.exit_code == 2
    assert "pyproject.toml" in result.stderr


@pytest.mark.parametrize(
    ("pyproject", "options", "flagged"),
    [
        (None, [], False),
        # py37 semantics (`except Exception` is broad) are opt-in: never implied by requires-python.
        ('[project]\nname = "x"\nrequires-python = ">=3.7"\n', [], False),
        ('[project]\nname = "x"\nrequires-python = ">=3.11"\n', [], False),
        (
            '[project]\nname = "x"\nrequires-python = ">=3.7"\n',
            ["--target-version", "py311"],
            False,
        ),
        (None, ["--target-version", "py37"], True),
        (
            '[project]\nname = "x"\nrequires-python = ">=3.7"\n[tool.cancelfix]\n'
            'target-version = "py310"\n',
            [],
            False,
        ),
    ],
    ids=[
        "default",
        "requires-3.7",
        "requires-3.11",
        "cli-overrides",
        "cli-py37",
        "table-overrides",
    ],
)
def test_target_version_decides_whether_except_exception_is_broad(
    project: Path, pyproject: str | None, options: list[str], flagged: bool
) -> None:
    if pyproject is not None:
        write(project, "pyproject.toml", pyproject)
    write(project, "e.py", EXCEPT_EXCEPTION)

    result = cli("check", *options, "e.py")

    if flagged:
        assert result.exit_code == 1
        assert lines(result.stdout)[0] == finding_line("e.py", 7, 5, "CF101", fixable=True)
    else:
        assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file checked).\n")
    assert result.stderr == ""


# --------------------------------------------------------------------------------------------
# discovery
# --------------------------------------------------------------------------------------------


def tree(root: Path, names: list[str]) -> None:
    for name in names:
        write(root, name, SWALLOW_PASS)


def checked(*options: str) -> list[str]:
    result = cli("check", "--output-format", "json", *options)
    assert result.exit_code in (0, 1), result.stderr
    return [finding["path"] for finding in json_report(result.stdout)["findings"]]


def test_default_excludes(project: Path) -> None:
    tree(
        project,
        [
            "src/app.py",
            ".venv/lib/dep.py",
            "venv/dep.py",
            "build/lib/out.py",
            "dist/x.py",
            "node_modules/y.py",
            "src/notes.txt",
        ],
    )

    assert checked() == ["src/app.py"]
    assert checked("build/lib/out.py") == ["build/lib/out.py"]


def gitignore_project(root: Path, *, in_git: bool) -> list[str]:
    """A project with ignored files at two levels; the files that should be checked."""
    tree(root, ["src/app.py", "src/api_pb2.py", "generated/g.py", "src/sub/local.py"])
    write(root, ".gitignore", "generated/\n*_pb2.py\n")
    write(root, "src/sub/.gitignore", "local.py\n")
    if not in_git:
        return ["src/app.py"]
    git(root, "init", "-q")
    git(root, "add", "src/app.py", ".gitignore")
    git(root, "commit", "-q", "-m", "initial")
    write(root, "src/untracked.py", SWALLOW_PASS)
    return ["src/app.py", "src/untracked.py"]


@needs_git
@pytest.mark.parametrize("in_git", [False, True], ids=["plain-dir", "git-repo"])
def test_gitignore_is_honoured(project: Path, in_git: bool) -> None:
    expected = gitignore_project(project, in_git=in_git)

    assert checked() == expected


@needs_git
@pytest.mark.parametrize(
    "in_git",
    [
        False,
        True,
    ],
    ids=["plain-dir", "git-repo"],
)
def test_gitignore_above_the_named_directory_is_honoured(project: Path, in_git: bool) -> None:
    expected = gitignore_project(project, in_git=in_git)

    assert checked("src") == expected


@needs_git
def test_git_info_exclude_is_honoured_in_a_repository(project: Path) -> None:
    tree(project, ["app.py", "scratch/try.py"])
    git(project, "init", "-q")
    write(project, ".git/info/exclude", "scratch/\n")

    assert checked() == ["app.py"]


def test_nested_gitignore_negation_outside_git(project: Path) -> None:
    tree(project, ["api.gen.py", "sub/keep.gen.py", "sub/x.py"])
    write(project, ".gitignore", "*.gen.py\n")
    write(project, "sub/.gitignore", "!keep.gen.py\n")

    assert checked() == ["sub/keep.gen.py", "sub/x.py"]


def test_extend_exclude_adds_to_the_defaults(project: Path) -> None:
    tree(project, ["app.py", "legacy/old.py", "migrations/0001.py", ".venv/dep.py"])

    assert checked("--extend-exclude", "legacy,migrations") == ["app.py"]
    assert checked("--extend-exclude", "legacy") == ["app.py", "migrations/0001.py"]


def test_exclude_replaces_the_defaults(project: Path) -> None:
    tree(project, ["app.py", "legacy/old.py", ".venv/dep.py", "build/out.py"])

    assert checked("--exclude", "legacy") == [".venv/dep.py", "app.py", "build/out.py"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [([], ["legacy/old.py"]), (["--force-exclude"], [])],
    ids=["explicit-file-checked", "force-exclude"],
)
def test_force_exclude(project: Path, options: list[str], expected: list[str]) -> None:
    tree(project, ["legacy/old.py"])

    result = cli("check", "--extend-exclude", "legacy", *options, "legacy/old.py")

    assert reported(result.stdout) == [(path, "CF102") for path in expected]
    assert result.exit_code == (1 if expected else 0)
    if not expected:
        assert result.stdout == "All checks passed (0 files checked).\n"


def test_force_exclude_applies_to_stdin_filename(project: Path) -> None:
    result = cli(
        "fix", "-", "--stdin-filename", "build/x.py", "--force-exclude", input=SWALLOW_PASS
    )

    assert result.exit_code == 0
    assert result.stdout == SWALLOW_PASS


def test_project_below_a_directory_named_build(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = project / "build" / "myapp"
    tree(app, ["main.py"])
    monkeypatch.chdir(project.parent)

    result = cli("check", str(app))

    assert result.exit_code == 1
    assert reported(result.stdout) == [(str(app / "main.py"), "CF102")]


def test_no_python_files_is_warned_about(project: Path) -> None:
    write(project, "docs/readme.txt", "nothing to see\n")

    result = cli("check", "docs")

    assert result.exit_code == 0
    assert "no python files" in result.stderr.lower()


# --------------------------------------------------------------------------------------------
# rules, explain, --version, --help
# --------------------------------------------------------------------------------------------


def test_rules_table() -> None:
    result = cli("rules")

    assert result.exit_code == 0
    assert result.stderr == ""
    header, *rows = lines(result.stdout)
    assert header.split() == ["CODE", "NAME", "FIX", "MESSAGE"]
    assert [row.split()[:3] for row in rows] == [
        ["CF101", "broad-except-swallows-cancel", "safe/unsafe"],
        ["CF102", "cancelled-error-not-reraised", "safe/unsafe"],
        ["CF103", "suppress-swallows-cancel", "none"],
        ["CF104", "jump-in-finally", "none"],
        ["CF105", "task-ends-normally-when-cancelled", "unsafe"],
        ["CF201", "cleanup-not-in-finally", "safe/unsafe"],
        ["CF202", "cleanup-only-on-exception", "safe/unsafe"],
        ["CF203", "cleanup-skipped-on-cancel", "safe/unsafe"],
        ["CF204", "cancel-clause-skips-cleanup", "safe/unsafe"],
        ["CF205", "cleanup-only-on-some-errors", "safe/unsafe"],
        ["CF206", "cleanup-loop-stops-on-cancel", "safe"],
        ["CF207", "release-after-awaits", "unsafe"],
        ["CF301", "await-cancelled-task", "safe/unsafe"],
        ["CF302", "gather-after-cancel", "unsafe"],
        ["CF303", "dangling-task", "unsafe"],
    ]
    assert all(row.endswith(MESSAGE[row.split()[0]]) for row in rows)


def test_rules_json() -> None:
    result = cli("rules", "--output-format", "json")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {"code": code, "name": name, "fix": fix, "message": MESSAGE[code]}
        for code, name, fix in [
            ("CF101", "broad-except-swallows-cancel", "safe/unsafe"),
            ("CF102", "cancelled-error-not-reraised", "safe/unsafe"),
            ("CF103", "suppress-swallows-cancel", "none"),
            ("CF104", "jump-in-finally", "none"),
            ("CF105", "task-ends-normally-when-cancelled", "unsafe"),
            ("CF201", "cleanup-not-in-finally", "safe/unsafe"),
            ("CF202", "cleanup-only-on-exception", "safe/unsafe"),
            ("CF203", "cleanup-skipped-on-cancel", "safe/unsafe"),
            ("CF204", "cancel-clause-skips-cleanup", "safe/unsafe"),
            ("CF205", "cleanup-only-on-some-errors", "safe/unsafe"),
            ("CF206", "cleanup-loop-stops-on-cancel", "safe"),
            ("CF207", "release-after-awaits", "unsafe"),
            ("CF301", "await-cancelled-task", "safe/unsafe"),
            ("CF302", "gather-after-cancel", "unsafe"),
            ("CF303", "dangling-task", "unsafe"),
        ]
    ]


@pytest.mark.parametrize("code", ["CF101", "cf101"])
def test_explain(code: str) -> None:
    result = cli("explain", code)

    assert result.exit_code == 0
    assert result.stderr == ""
    assert lines(result.stdout)[:3] == [
        "# CF101 (broad-except-swallows-cancel)",
        "",
        "Fix: safe/unsafe",
    ]
    for heading in ("## What it does", "## Why is this bad?", "## Fix safety"):
        assert heading in lines(result.stdout)


def test_explain_cf301_tells_the_two_cancellations_apart() -> None:
    """`explain CF301` says why `except CancelledError: pass` after `task.cancel()` is wrong,
    with an example, and what each template of the fix does."""
    text = cli("explain", "CF301").stdout

    assert "swallows every CancelledError" in text
    assert "task.cancel()" in text and "except asyncio.CancelledError:\n" in text
    assert "await asyncio.wait([task])" in text
    assert "asyncio.current_task().cancelling() > cancelling" in text


def test_explain_unknown_rule() -> None:
    result = cli("explain", "cf999")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "cancelfix: error: unknown rule 'cf999'; see `cancelfix rules`\n"


@pytest.mark.parametrize("script", [False, True], ids=["python-m", "console-script"])
def test_version(tmp_path: Path, script: bool) -> None:
    result = run("--version", cwd=tmp_path, script=script)

    assert result.returncode == 0
    assert result.stdout.decode() == f"cancelfix, version {__version__}\n"
    assert result.stderr == b""


def test_python_m_help(tmp_path: Path) -> None:
    result = run("--help", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stderr == b""
    stdout = result.stdout.decode()
    assert stdout.startswith("Usage: ")
    commands = stdout.split("Commands:\n", 1)[1]
    assert [line.split()[0] for line in commands.splitlines() if line.strip()] == [
        "check",
        "explain",
        "fix",
        "rules",
        "server",
    ]


def test_help_lines_are_not_truncated() -> None:
    result = cli("--help")

    assert result.exit_code == 0
    assert "(e.g.\n" not in result.stdout


@pytest.mark.parametrize("command", ["check", "fix"])
def test_subcommand_help_lists_the_options(command: str) -> None:
    result = cli(command, "--help")

    assert result.exit_code == 0
    for option in (
        "--select",
        "--ignore",
        "--unsafe-fixes",
        "--target-version",
        "--jobs",
        "--exclude",
        "--extend-exclude",
        "--force-exclude",
        "--config",
        "--output-format",
        "--color",
        "--quiet",
        "--exit-zero",
        "--stdin-filename",
    ):
        assert option in result.stdout
    assert ("--diff" in result.stdout) is (command == "fix")


# --------------------------------------------------------------------------------------------
# the worker pool
# --------------------------------------------------------------------------------------------


def test_parallel_run_gives_the_same_report(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Enough files for the worker pool; most are cheap (the prefilter skips them unparsed), one
    # in four has findings, so that results arrive out of order and must be sorted back.
    count = runner.PARALLEL_THRESHOLD + 4
    with_findings = {BROAD: 1, SWALLOW_PASS: 1, SWALLOW_BREAK: 1, TWO_BROAD: 2}
    expected_findings = 0
    for i in range(count):
        source = list(with_findings)[i // 4 % 4] if i % 4 == 0 else CHEAP
        expected_findings += with_findings.get(source, 0)
        write(project, f"pkg{i % 3}/mod{i:03}.py", source)
    write(project, "pkg0/broken.py", SYNTAX_ERROR)
    pools: list[int] = []
    real_pool = runner._run_in_workers

    def spy(paths: Any, settings: Any, jobs: int) -> Any:
        pools.append(jobs)
        return real_pool(paths, settings, jobs)

    monkeypatch.setattr(runner, "_run_in_workers", spy)

    # Without the cache, or the second run would need no workers at all.
    serial = cli("check", "--output-format", "json", "-j", "1", "--no-cache")
    parallel = cli("check", "--output-format", "json", "-j", "2", "--no-cache")

    assert pools == [1, 2]  # -j 1: one worker, still isolated from the run
    assert (serial.exit_code, parallel.exit_code) == (2, 2)
    assert parallel.stdout == serial.stdout
    document = json_report(serial.stdout)
    assert document["summary"]["files"] == count + 1
    assert len(document["findings"]) == expected_findings
    assert document["findings"] == sorted(
        document["findings"], key=lambda f: (f["path"], f["line"], f["column"])
    )
    assert [e["path"] for e in document["errors"]] == ["pkg0/broken.py"]


# --------------------------------------------------------------------------------------------
# regressions from review
# --------------------------------------------------------------------------------------------


def test_diff_reports_positions_in_the_unwritten_file(project: Path) -> None:
    # A safe fix above an unsafe-only finding shifts the lines of the new text; with --diff
    # nothing is written, so findings must point into the file as it is.
    write(project, "a.py", BROAD + SWALLOW_BREAK.replace("import asyncio\n", ""))
    result = cli("fix", "--diff", "--output-format", "json", "a.py")

    findings = json_report(result.stdout, diffs=True)["findings"]
    assert [(f["code"], f["line"], f["fixed"]) for f in findings] == [
        ("CF101", 8, True),
        ("CF102", 16, False),  # in the new text it would be line 18
    ]


def test_nested_pyproject_without_table_does_not_hide_the_config(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\nignore = ["CF101"]\n')
    write(project, "pkg/pyproject.toml", '[project]\nname = "pkg"\nrequires-python = ">=3.11"\n')
    write(project, "pkg/a.py", BROAD)

    result = cli("check", "-v", "pkg")

    assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file checked).\n")
    assert f"configuration: {project / 'pyproject.toml'}" in result.stderr
    assert "target version: py311" in result.stderr


def test_file_reached_through_a_link_is_processed_once(project: Path) -> None:
    write(project, "src/a.py", BROAD)
    (project / "alias.py").symlink_to(project / "src" / "a.py")

    result = cli("check", "--output-format", "json", ".")

    assert json_report(result.stdout)["summary"]["files"] == 1


DISPOSE_AND_CLOSE = """\
async def sync_once(pool, store):
    lease = await pool.lease()
    await store.sync(lease)
    lease.dispose()


async def fetch(connect, query):
    conn = await connect()
    rows = await conn.fetch(query)
    conn.close()
    return rows
"""
"""A CF203 case with the default vocabulary (`close`, line 10) and one with `dispose` (4)."""


@pytest.mark.parametrize(
    ("table", "flagged_lines"),
    [
        ("", [10]),
        ('extend-cleanup-names = ["dispose"]\n', [4, 10]),
        ('cleanup-names = ["dispose"]\n', [4]),
    ],
)
def test_cleanup_names_config(project: Path, table: str, flagged_lines: list[int]) -> None:
    write(project, "pyproject.toml", f"[tool.cancelfix]\n{table}")
    write(project, "a.py", DISPOSE_AND_CLOSE)

    result = cli("check", "--output-format", "json", "a.py")

    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    assert [(f["code"], f["line"]) for f in findings] == [("CF203", n) for n in flagged_lines]


# --------------------------------------------------------------------------------------------
# CI output: GitHub annotations, SARIF, the Markdown summary
# --------------------------------------------------------------------------------------------

BROKEN = b"async def f(:\n    try:\n        pass\n    except BaseException:\n        pass\n"
"""A syntax error in a file the rules must parse."""

SARIF_SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
)


def test_github_annotations(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "sub/b,c.py", SWALLOW_BREAK)
    (project / "broken.py").write_bytes(BROKEN)

    result = cli("check", "--output-format", "github", "a.py", "sub", "broken.py")

    assert result.exit_code == 2
    assert lines(result.stdout) == [
        "::error file=a.py,line=8,col=9,endLine=8,endColumn=29,title=CF101::"
        f"CF101 {MESSAGE['CF101']}",
        "::error file=sub/b%2Cc.py,line=8,col=9,endLine=8,endColumn=38,title=CF102::"
        f"CF102 {MESSAGE['CF102']}",
        "::error file=broken.py::syntax error at 1:13: invalid syntax",
    ]
    assert lines(result.stderr) == [
        "2 findings found: 1 fixable with `cancelfix fix`, 1 fixable only with `--unsafe-fixes`."
        " 1 file could not be processed."
    ]


def test_github_annotations_after_fix_show_only_what_is_left(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "--output-format", "github", "-q")

    assert result.exit_code == 1
    assert [line.split("::")[1] for line in lines(result.stdout)] == [
        "error file=b.py,line=8,col=9,endLine=8,endColumn=38,title=CF102"
    ]
    assert (project / "a.py").read_text() == BROAD_FIXED


def apply_sarif_fix(source: str, fix: dict[str, Any]) -> str:
    """Apply one SARIF fix's whole-line replacements (bottom up) to `source`."""
    text_lines = source.splitlines(keepends=True)
    (change,) = fix["artifactChanges"]
    replacements = sorted(
        change["replacements"], key=lambda r: r["deletedRegion"]["startLine"], reverse=True
    )
    for replacement in replacements:
        region = replacement["deletedRegion"]
        assert region["startColumn"] == region["endColumn"] == 1
        start, end = region["startLine"] - 1, region["endLine"] - 1
        text_lines[start:end] = [replacement["insertedContent"]["text"]]
    return "".join(text_lines)


@pytest.mark.parametrize("command", ["check", "fix --diff"])
def test_sarif_is_valid_and_its_fixes_give_the_fixed_file(project: Path, command: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)
    (project / "broken.py").write_bytes(BROKEN)

    result = cli(*command.split(), "--output-format", "sarif", "a.py", "b.py", "broken.py")

    assert result.exit_code == 2
    assert result.stderr == ""
    document = json.loads(result.stdout)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(document)
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in all_rules()]
    assert all(rule["help"]["text"] == rule_by_code(rule["id"]).documentation() for rule in rules)
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
        for r in run_["results"]
    }
    assert set(results) == {("CF101", "a.py"), ("CF102", "b.py")}
    broad = results["CF101", "a.py"]
    assert broad["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 8,
        "startColumn": 9,
        "endLine": 8,
        "endColumn": 29,
    }
    (fix,) = broad["fixes"]
    assert apply_sarif_fix(BROAD, fix) == BROAD_FIXED
    assert "fixes" not in results["CF102", "b.py"], "an unsafe fix is not offered by default"
    (invocation,) = run_["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"].startswith("syntax error")
    assert (project / "a.py").read_text() == BROAD, "nothing is written"


def test_sarif_with_unsafe_fixes_offers_them(project: Path) -> None:
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("check", "--output-format", "sarif", "--unsafe-fixes", "b.py")

    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["runs"][0]["results"]
    (fix,) = finding["fixes"]
    assert apply_sarif_fix(SWALLOW_BREAK, fix) == SWALLOW_BREAK_FIXED


def test_markdown_summary_to_a_file_not_to_the_github_step_summary_unasked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)
    step_summary = project / "step.md"
    step_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))

    result = cli("fix", "--summary", "summary.md", "a.py", "b.py")

    assert result.exit_code == 1
    expected = (
        "## cancelfix\n\n"
        "| rule | name | findings | fixed |\n"
        "| --- | --- | ---: | ---: |\n"
        "| CF101 | broad-except-swallows-cancel | 1 | 1 |\n"
        "| CF102 | cancelled-error-not-reraised | 1 | 0 |\n\n"
        "2 files checked, 1 file changed, 1 fix applied, 1 finding left (0 fixable), 0 errors.\n"
    )
    assert (project / "summary.md").read_text() == expected
    assert step_summary.read_text() == "earlier step\n"  # only with --summary (or the Action)


def test_markdown_summary_of_a_check(project: Path) -> None:
    write(project, "a.py", BROAD)

    cli("check", "--summary", "summary.md", "a.py")

    assert (project / "summary.md").read_text().splitlines()[-1] == (
        "1 file checked, 1 finding left (1 fixable), 0 errors."
    )


def test_unwritable_summary_is_an_error(project: Path) -> None:
    write(project, "a.py", CLEAN)

    result = cli("check", "--summary", "missing/dir/summary.md", "a.py")

    assert result.exit_code == 2
    assert "missing/dir/summary.md: error: cannot write the summary" in result.stderr


# --------------------------------------------------------------------------------------------
# selecting files for CI: --since, --shard
# --------------------------------------------------------------------------------------------


def checked_paths(result: Result) -> list[str]:
    return sorted({f["path"] for f in json.loads(result.stdout)["findings"]})


@needs_git
def test_since_takes_changed_renamed_and_new_files_only(project: Path) -> None:
    for name in ("kept.py", "edited.py", "renamed.py", "deleted.py"):
        write(project, name, BROAD)
    git(project, "init", "-q")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    write(project, "edited.py", BROAD + "\n# edited\n")
    git(project, "mv", "renamed.py", "moved.py")
    (project / "deleted.py").unlink()
    write(project, "new.py", BROAD)

    result = cli("check", "--output-format", "json", "--since", "HEAD")

    assert result.exit_code == 1, result.output
    assert checked_paths(result) == ["edited.py", "moved.py", "new.py"]


@needs_git
def test_since_an_unknown_revision_or_outside_git_is_a_usage_error(project: Path) -> None:
    write(project, "a.py", BROAD)

    outside = cli("check", "--since", "HEAD")
    git(project, "init", "-q")
    unknown = cli("check", "--since", "no-such-branch")

    for result in (outside, unknown):
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.startswith("cancelfix: error: --since")
    assert "not a git repository" in outside.stderr
    assert "unknown git revision 'no-such-branch'" in unknown.stderr


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_shards_cover_the_files_once(project: Path, count: int) -> None:
    names = [f"pkg{n % 3}/mod_{n}.py" for n in range(12)]
    for name in names:
        write(project, name, BROAD)

    shards = [
        checked_paths(cli("check", "--output-format", "json", "--shard", f"{k}/{count}"))
        for k in range(1, count + 1)
    ]

    taken = [path for shard in shards for path in shard]
    assert sorted(taken) == sorted(names), "every file in exactly one shard"
    assert shards == [
        checked_paths(cli("check", "--output-format", "json", "--shard", f"{k}/{count}"))
        for k in range(1, count + 1)
    ], "the split is deterministic"


@pytest.mark.parametrize("shard", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_bad_shard_is_a_usage_error(project: Path, shard: str) -> None:
    write(project, "a.py", BROAD)

    result = cli("check", "--shard", shard)

    assert result.exit_code == 2
    assert result.stderr.startswith("cancelfix: error: --shard")


def test_sarif_after_fix_lists_what_is_left(project: Path) -> None:
    write(project, "a.py", BROAD)
    write(project, "b.py", SWALLOW_BREAK)

    result = cli("fix", "--output-format", "sarif", "a.py", "b.py")

    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["runs"][0]["results"]
    assert finding["ruleId"] == "CF102" and "fixes" not in finding
    assert (project / "a.py").read_text() == BROAD_FIXED
