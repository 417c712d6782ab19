"""The default per-file ignores of test files: no cleanup rule (CF2) runs in `test_*.py`,
`*_test.py`, `conftest.py` or under a `tests/` or `test/` directory unless the configuration
asks for it; every other rule still does. The default is ruff's kind of default (as `exclude`):
the user's `per-file-ignores` replaces it and `extend-per-file-ignores` adds to it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import config
from tests.clitools import cli, write

SOURCE = """\
import asyncio


async def acquire_and_send(lock, send):
    await lock.acquire()
    try:
        await send()
    except Exception:
        lock.release()
        raise


async def poll(fetch):
    while True:
        try:
            await fetch()
        except BaseException:
            pass
"""
"""A CF202 finding (cleanup skipped on cancellation) and a CF101 finding (a swallow)."""

TEST_FILES = [
    "test_pool.py",
    "pkg/test_pool.py",
    "pkg/pool_test.py",
    "conftest.py",
    "tests/helpers.py",
    "src/pkg/tests/unit/helpers.py",
    "test/support.py",
]
LIBRARY_FILES = ["pool.py", "pkg/pool.py", "pkg/testing_pool.py", "mytests/pool.py", "contest.py"]


def codes(project: Path, *args: str) -> list[tuple[str, str]]:
    """(path, code) of each finding of `check ARGS .` run in `project`, in-process."""
    result = cli("check", "--no-cache", "--output-format", "json", str(project), *args)
    assert result.exit_code in (0, 1), result.output
    return [
        (Path(f["path"]).relative_to(project).as_posix(), f["code"])
        for f in json.loads(result.output)["findings"]
    ]


@pytest.mark.parametrize("name", TEST_FILES)
def test_cleanup_rules_are_off_in_test_files_by_default(tmp_path: Path, name: str) -> None:
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\n")
    write(tmp_path, name, SOURCE)
    assert codes(tmp_path) == [(name, "CF101")]


@pytest.mark.parametrize("name", LIBRARY_FILES)
def test_cleanup_rules_run_on_library_files_by_default(tmp_path: Path, name: str) -> None:
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\n")
    write(tmp_path, name, SOURCE)
    assert codes(tmp_path) == [(name, "CF202"), (name, "CF101")]


def test_fix_leaves_cleanup_in_test_files_alone(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\n")
    test_file = write(tmp_path, "tests/test_pool.py", SOURCE)
    result = cli("fix", "--no-cache", str(tmp_path))
    assert result.exit_code == 0, result.output
    fixed = test_file.read_text()
    assert "except Exception:\n        lock.release()" in fixed  # CF202 not applied
    assert "except asyncio.CancelledError:\n            raise" in fixed  # CF101 applied


def test_an_empty_per_file_ignores_runs_the_cleanup_rules_in_tests(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\nper-file-ignores = {}\n")
    write(tmp_path, "tests/test_pool.py", SOURCE)
    found = codes(tmp_path)
    assert found == [("tests/test_pool.py", "CF202"), ("tests/test_pool.py", "CF101")]


def test_the_users_per_file_ignores_replace_the_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.cancelfix.per-file-ignores]\n"scripts/*" = ["CF1"]\n',
    )
    write(tmp_path, "tests/test_pool.py", SOURCE)
    write(tmp_path, "scripts/run.py", SOURCE)
    assert codes(tmp_path) == [
        ("scripts/run.py", "CF202"),
        ("tests/test_pool.py", "CF202"),
        ("tests/test_pool.py", "CF101"),
    ]


def test_extend_per_file_ignores_keep_the_default(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.cancelfix.extend-per-file-ignores]\n"scripts/*" = ["CF1"]\n',
    )
    write(tmp_path, "tests/test_pool.py", SOURCE)
    write(tmp_path, "scripts/run.py", SOURCE)
    assert codes(tmp_path) == [("scripts/run.py", "CF202"), ("tests/test_pool.py", "CF101")]


def test_command_line_per_file_ignores_replace_the_default(tmp_path: Path) -> None:
    write(tmp_path, "tests/test_pool.py", SOURCE)
    found = codes(tmp_path, "--per-file-ignores", "scripts/*:CF1")
    assert found == [("tests/test_pool.py", "CF202"), ("tests/test_pool.py", "CF101")]


def test_selecting_a_cleanup_rule_does_not_override_the_per_file_ignores(tmp_path: Path) -> None:
    """As in ruff, `per-file-ignores` win over `select`: `--select CF202` on a test file
    reports nothing until the per-file ignores stop silencing CF2 there."""
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\n")
    write(tmp_path, "tests/test_pool.py", SOURCE)
    write(tmp_path, "pool.py", SOURCE)
    assert codes(tmp_path, "--select", "CF202") == [("pool.py", "CF202")]
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\nper-file-ignores = {}\n")
    assert codes(tmp_path, "--select", "CF202") == [
        ("pool.py", "CF202"),
        ("tests/test_pool.py", "CF202"),
    ]


def test_verbose_output_names_the_per_file_ignores_in_force(tmp_path: Path) -> None:
    write(tmp_path, "pool.py", SOURCE)
    result = cli("check", "-v", "--no-cache", str(tmp_path))
    expected = " ".join(f"{glob}:CF2" for glob in config.TEST_FILES)
    assert f"cancelfix: per-file ignores: {expected}\n" in result.stderr
    write(tmp_path, "pyproject.toml", "[tool.cancelfix]\nper-file-ignores = {}\n")
    result = cli("check", "-v", "--no-cache", str(tmp_path))
    assert "cancelfix: per-file ignores: none\n" in result.stderr


@pytest.mark.slow
def test_the_installed_command_applies_the_default(tmp_path: Path) -> None:
    """The same through a real process, in a project without configuration."""
    write(tmp_path, "tests/test_pool.py", SOURCE)
    write(tmp_path, "pool.py", SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "codemods", "check", "--no-cache", "--output-format", "concise"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    reported = sorted(re.findall(r"^(\S+?):\d+:\d+: (CF\d+)", done.stdout, re.MULTILINE))
    assert reported == [("pool.py", "CF101"), ("pool.py", "CF202"), ("tests/test_pool.py", "CF101")]
