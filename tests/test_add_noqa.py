"""`cancelfix check --add-noqa`: every finding silenced on its line, existing codes kept and
merged into, and a second run changes nothing (the black-style idempotence check)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.noqa import with_noqa
from tests.clitools import cli, write
from tests.samples import BROAD, SYNTAX_ERROR
from tests.test_config_precedence import EVERY_RULE

MULTI_LINE = """\
import asyncio


async def spawn(work):
    asyncio.create_task(
        work()
    )


async def stop(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(
        *tasks,
    )


async def read(conn):
    try:
        await conn.read()
    except (
        BaseException
    ):
        pass
"""
"""Findings that start on the first line of a statement spread over several."""


def check_codes(name: str) -> list[str]:
    result = cli("check", "--output-format", "json", name)
    return [finding["code"] for finding in json.loads(result.stdout)["findings"]]


@pytest.mark.parametrize("source", [EVERY_RULE, MULTI_LINE], ids=["every-rule", "multi-line"])
def test_add_noqa_silences_every_finding_and_a_second_run_changes_nothing(
    project: Path, source: str
) -> None:
    path = write(project, "a.py", source)
    assert check_codes("a.py")

    first = cli("check", "--add-noqa", "a.py")
    added = path.read_text()
    second = cli("check", "--add-noqa", "a.py")

    assert first.exit_code == 0
    assert first.stdout == ""
    assert first.stderr.endswith(" noqa directives.\n")
    assert check_codes("a.py") == []
    assert second.stderr == "Added 0 noqa directives.\n"
    assert path.read_text() == added
    # Nothing but comments changed: the code, stripped of them, is the same.
    assert [line.split("  # noqa")[0] for line in added.splitlines()] == source.splitlines()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    except BaseException:\n", "    except BaseException:  # noqa: CF101\n"),
        (
            "    except BaseException:  # noqa: E722\n",
            "    except BaseException:  # noqa: E722, CF101\n",
        ),
        (
            "    except BaseException:  # noqa:BLE001,E722 -- the log says why\n",
            "    except BaseException:  # noqa:BLE001,E722, CF101 -- the log says why\n",
        ),
        ("    except BaseException:  # noqa\n", "    except BaseException:  # noqa\n"),
        (
            "    except BaseException:  # noqa: CF101\n",
            "    except BaseException:  # noqa: CF101\n",
        ),
        (
            "    except BaseException:  # pragma: no cover\n",
            "    except BaseException:  # pragma: no cover  # noqa: CF101\n",
        ),
        ("    except BaseException:   \n", "    except BaseException:  # noqa: CF101\n"),
    ],
    ids=["none", "merge", "merge-compact", "bare", "present", "other-comment", "trailing-space"],
)
def test_noqa_comment_on_a_line(line: str, expected: str) -> None:
    source = f"try:\n    pass\n{line}    pass\n".replace("    except", "except").encode()
    wanted = f"try:\n    pass\n{expected}    pass\n".replace("    except", "except").encode()

    new, changed, skipped = with_noqa(source, {3: ["CF101"]})

    assert new == wanted
    assert changed == (new != source)
    assert skipped == []


def test_codes_are_merged_in_order_once() -> None:
    new, changed, _ = with_noqa(b"x = 1  # noqa: CF303\n", {1: ["CF301", "CF101", "CF303"]})

    assert new == b"x = 1  # noqa: CF303, CF101, CF301\n"
    assert changed == 1


def test_line_endings_and_bom_are_kept() -> None:
    source = b"\xef\xbb\xbfx = 1\r\ny = 2\r\n"

    new, _, _ = with_noqa(source, {1: ["CF303"]})

    assert new == b"\xef\xbb\xbfx = 1  # noqa: CF303\r\ny = 2\r\n"


def test_a_line_inside_a_string_is_skipped_and_said() -> None:
    source = b'x = f("""\n""")\ny = 1 + \\\n    2\n'

    new, changed, skipped = with_noqa(source, {1: ["CF303"], 3: ["CF303"]})

    assert (new, changed, skipped) == (source, 0, [1, 3])


def test_a_finding_on_a_line_that_cannot_take_a_comment_is_a_warning(project: Path) -> None:
    source = (
        'import asyncio\n\n\nasync def f(conn):\n    asyncio.create_task(conn.send("""\n"""))\n'
    )
    path = write(project, "a.py", source)

    result = cli("check", "--add-noqa", "a.py")

    assert result.exit_code == 0
    assert result.stderr == (
        "a.py:5: warning: the line cannot end in a comment; no `# noqa` added\n"
        "Added 0 noqa directives.\n"
    )
    assert path.read_text() == source


def test_add_noqa_in_a_real_process(project: Path) -> None:
    path = write(project, "a.py", BROAD)

    result = subprocess.run(
        [sys.executable, "-m", "codemods", "check", "--add-noqa", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert result.stderr == "Added 1 noqa directive.\n"
    assert "        except BaseException:  # noqa: CF101\n" in path.read_text()


def test_add_noqa_respects_selection_and_leaves_other_files(project: Path) -> None:
    path = write(project, "a.py", EVERY_RULE)
    clean = write(project, "clean.py", "x = 1\n")

    cli("check", "--add-noqa", "--select", "CF3", ".")

    noqa_lines = [line for line in path.read_text().splitlines() if "# noqa" in line]
    assert [line.rsplit("# noqa: ", 1)[1] for line in noqa_lines] == ["CF301", "CF302", "CF303"]
    assert clean.read_text() == "x = 1\n"


def test_add_noqa_reads_no_stdin(project: Path) -> None:
    result = cli("check", "--add-noqa", "-", input=BROAD)

    assert result.exit_code == 2
    assert "--add-noqa" in result.stderr


def test_add_noqa_reports_a_file_it_cannot_parse(project: Path) -> None:
    write(project, "broken.py", SYNTAX_ERROR)

    result = cli("check", "--add-noqa", "broken.py")

    assert result.exit_code == 2
    assert result.stderr.startswith("broken.py:6:25: error: syntax error")
