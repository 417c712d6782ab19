"""The auto-fix bot, `cancelfix fix --commit [--push]`, against a real git repository whose
`origin` is a bare repository: what it commits, what it pushes, and when it refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.clitools import cli, git, needs_git, write
from tests.samples import BROAD

pytestmark = needs_git


LEAKING = """\
import asyncio


async def ping(host):
    reader, writer = await asyncio.open_connection(host, 6379)
    writer.write(b"PING\\r\\n")
    reply = await reader.readline()
    writer.close()
    return reply
"""
"""CF203 at 8:5, fixed safely."""

CLEAN = "import asyncio\n\n\nasync def ok():\n    await asyncio.sleep(0)\n"


def output(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`project` as a git work tree with one commit, tracking a bare `origin`."""
    for key, value in {"NAME": "Bot", "EMAIL": "bot@example.com"}.items():
        monkeypatch.setenv(f"GIT_AUTHOR_{key}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{key}", value)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(project, "init", "-q", "-b", "main")
    write(project, "app/reader.py", BROAD)
    write(project, "app/ping.py", LEAKING)
    write(project, "app/ok.py", CLEAN)
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "-q", "-u", "origin", "main")
    return project


def test_commits_and_pushes_the_fixes(repo: Path) -> None:
    result = cli("fix", "--commit", "--push", "--message", "Let cancellation through")

    assert result.exit_code == 0, result.output
    assert "Committed " in result.stderr and "pushed to origin/main" in result.stderr
    assert output(repo, "log", "-1", "--format=%B") == (
        "Let cancellation through\n\n"
        "app/ping.py:8 CF203 cleanup-skipped-on-cancel\n"
        "app/reader.py:8 CF101 broad-except-swallows-cancel\n\n"
    )
    assert output(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "app/ping.py",
        "app/reader.py",
    ]
    assert output(repo, "status", "--porcelain") == ""
    assert output(repo, "rev-parse", "HEAD") == output(repo, "rev-parse", "origin/main")
    remote_head = subprocess.run(
        ["git", "--git-dir", str(repo.parent / "origin.git"), "rev-parse", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert remote_head == output(repo, "rev-parse", "HEAD")


def test_default_message(repo: Path) -> None:
    result = cli("fix", "--commit")

    assert result.exit_code == 0, result.output
    assert output(repo, "log", "-1", "--format=%s") == (
        "Fix asyncio cancellation handling (cancelfix)\n"
    )
    assert output(repo, "rev-parse", "origin/main") != output(repo, "rev-parse", "HEAD")


def test_nothing_to_fix_makes_no_commit(repo: Path) -> None:
    cli("fix", "--commit")
    head = output(repo, "rev-parse", "HEAD")

    result = cli("fix", "--commit", "--push")

    assert result.exit_code == 0, result.output
    assert "Committed" not in result.stderr
    assert output(repo, "rev-parse", "HEAD") == head


def test_refuses_a_dirty_work_tree_before_fixing_anything(repo: Path) -> None:
    write(repo, "app/ok.py", CLEAN + "# work in progress\n")
    head = output(repo, "rev-parse", "HEAD")

    result = cli("fix", "--commit")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "cancelfix: error: the work tree has uncommitted changes;"
        " commit or stash them, or pass --allow-dirty\n"
    )
    assert (repo / "app/reader.py").read_text() == BROAD
    assert output(repo, "rev-parse", "HEAD") == head


def test_allow_dirty_commits_only_the_files_it_fixed(repo: Path) -> None:
    write(repo, "app/ok.py", CLEAN + "# staged work in progress\n")
    git(repo, "add", "app/ok.py")

    result = cli("fix", "--commit", "--allow-dirty")

    assert result.exit_code == 0, result.output
    assert output(repo, "show", "--name-only", "--format=", "HEAD").split() == [
        "app/ping.py",
        "app/reader.py",
    ]
    assert output(repo, "status", "--porcelain") == "M  app/ok.py\n", "still staged, uncommitted"


def test_untracked_files_are_fixed_but_not_committed(repo: Path) -> None:
    git(repo, "rm", "-q", "--cached", "app/ping.py")
    git(repo, "commit", "-q", "-m", "untrack ping")

    result = cli("fix", "--commit")

    assert result.exit_code == 0, result.output
    assert "app/ping.py is not tracked by git; not committed" in result.stderr
    assert output(repo, "show", "--name-only", "--format=", "HEAD").split() == ["app/reader.py"]
    assert "try:" in (repo / "app/ping.py").read_text()


def test_push_needs_an_upstream_and_is_checked_first(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "topic")

    result = cli("fix", "--commit", "--push")

    assert result.exit_code == 2
    assert result.stderr.startswith("cancelfix: error: --push needs a branch with an upstream")
    assert (repo / "app/reader.py").read_text() == BROAD


def test_outside_git_is_a_usage_error(project: Path) -> None:
    write(project, "a.py", BROAD)

    result = cli("fix", "--commit")

    assert result.exit_code == 2
    assert result.stderr.startswith("cancelfix: error: --commit needs a git work tree")
    assert (project / "a.py").read_text() == BROAD


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--diff", "--commit"], "--commit applies fixes; it cannot be combined with --diff"),
        (["--push"], "--push goes with --commit"),
        (["--message", "x"], "--message goes with --commit"),
        (["--allow-dirty"], "--allow-dirty goes with --commit"),
    ],
)
def test_bot_flags_need_each_other(project: Path, args: list[str], message: str) -> None:
    result = cli("fix", *args)

    assert result.exit_code == 2
    assert result.stderr == f"cancelfix: error: {message}\n"
