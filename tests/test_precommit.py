"""The pre-commit hooks of `.pre-commit-hooks.yaml`, run by pre-commit itself on a git project.

The hooks come from a snapshot of this checkout: its files as `git ls-files` lists them
(tracked and untracked-but-not-ignored), read from the working tree and committed to a
temporary repository. `pre-commit try-repo` on the checkout itself would not do: it takes HEAD
and the changes to tracked files only, so a hook manifest or module not yet committed would be
missing. Most tests run `pre-commit run --config` with a configuration naming that snapshot
and one PRE_COMMIT_HOME for the module, so the hook environment (a virtualenv with cancelfix
and its dependencies pip-installed) is built once; one test goes through `try-repo`, which
builds its own in a throwaway store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.samples import BROAD, BROAD_FIXED

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]


def _checkout_is_git_work_tree() -> bool:
    if shutil.which("git") is None:
        return False
    result = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    return result.returncode == 0 and Path(result.stdout.strip()).resolve() == ROOT


pytestmark = [
    pytest.mark.slow,  # pre-commit installs the hooks into a virtual environment of its own
    pytest.mark.skipif(
        not _checkout_is_git_work_tree(),
        reason=f"{ROOT} is not the top of a git work tree (or git is missing): the hooks are "
        "installed from the checkout's files as git lists them",
    ),
]

FINDING = "CF101 broad `except` swallows `CancelledError`"
MODIFIED = "files were modified by this hook"
HOOK_TIMEOUT = 900  # seconds; the first run builds the hook environment from PyPI


def _environment(pre_commit_home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.pop("PRE_COMMIT_COLOR", None)
    env.update(
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="cancelfix tests",
        GIT_AUTHOR_EMAIL="tests@example.invalid",
        GIT_COMMITTER_NAME="cancelfix tests",
        GIT_COMMITTER_EMAIL="tests@example.invalid",
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


class Hooks:
    """The snapshot repository of the checkout, and how to run its hooks on a project."""

    def __init__(self, base: Path) -> None:
        self.env = _environment(base / "pre-commit-home")
        self.repo = base / "cancelfix"
        self.repo.mkdir()
        listed = _git(
            ROOT, self.env, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
        )
        for name in filter(None, listed.split("\0")):
            source = ROOT / name
            if source.is_file():  # not a tracked file deleted in the working tree
                (self.repo / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.repo / name)
        assert (self.repo / ".pre-commit-hooks.yaml").is_file()
        _git(self.repo, self.env, "init", "-q")
        _git(self.repo, self.env, "add", "-A")
        _git(self.repo, self.env, "commit", "-q", "-m", "snapshot of the checkout")
        rev = _git(self.repo, self.env, "rev-parse", "HEAD").strip()
        self.config = base / "pre-commit-config.yaml"
        self.config.write_text(
            f"repos:\n"
            f"-   repo: {self.repo}\n"
            f"    rev: {rev}\n"
            f"    hooks:\n"
            f"    -   id: cancelfix-check\n"
            f"    -   id: cancelfix-fix\n",
            encoding="utf-8",
        )

    def pre_commit(self, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", *args],
            cwd=project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=HOOK_TIMEOUT,
        )

    def run(self, project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
        return self.pre_commit(
            project,
            "run",
            "--config",
            str(self.config),
            "--color",
            "never",
            hook,
            "--files",
            *files,
        )

    def project(self, path: Path, files: dict[str, str]) -> Path:
        """A git repository with `files` committed, as pre-commit expects to find them."""
        path.mkdir()
        for name, text in files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(text, encoding="utf-8")
        _git(path, self.env, "init", "-q")
        _git(path, self.env, "add", "-A")
        _git(path, self.env, "commit", "-q", "-m", "initial")
        return path


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    return Hooks(tmp_path_factory.mktemp("precommit"))


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def _hook_line(output: str, name: str) -> str:
    """pre-commit's status line for the hook called `name`: `name.....Passed`."""
    lines = [line for line in output.splitlines() if line.startswith(f"{name}...")]
    assert len(lines) == 1, output
    return lines[0]


def test_check_hook_fails_on_a_finding_and_passes_once_fixed(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(tmp_path / "project", {"app/worker.py": BROAD})

    result = hooks.run(project, "cancelfix-check", "app/worker.py")
    output = _output(result)
    assert result.returncode == 1, output
    assert _hook_line(output, "cancelfix check").endswith("Failed")
    assert "- hook id: cancelfix-check" in output
    assert "- exit code: 1" in output
    assert f"app/worker.py:8:9: {FINDING}" in output
    assert (project / "app/worker.py").read_text(encoding="utf-8") == BROAD  # check writes nothing

    (project / "app/worker.py").write_text(BROAD_FIXED, encoding="utf-8")
    result = hooks.run(project, "cancelfix-check", "app/worker.py")
    output = _output(result)
    assert result.returncode == 0, output
    assert _hook_line(output, "cancelfix check").endswith("Passed")
    assert "CF101" not in output


def test_fix_hook_rewrites_the_file_then_passes(hooks: Hooks, tmp_path: Path) -> None:
    project = hooks.project(tmp_path / "project", {"app/worker.py": BROAD})

    result = hooks.run(project, "cancelfix-fix", "app/worker.py")
    output = _output(result)
    assert result.returncode == 1, output
    assert _hook_line(output, "cancelfix fix").endswith("Failed")
    assert "- hook id: cancelfix-fix" in output
    assert f"- {MODIFIED}" in output
    assert "Fixed app/worker.py (CF101)" in output
    assert (project / "app/worker.py").read_text(encoding="utf-8") == BROAD_FIXED

    result = hooks.run(project, "cancelfix-fix", "app/worker.py")
    output = _output(result)
    assert result.returncode == 0, output
    assert _hook_line(output, "cancelfix fix").endswith("Passed")
    assert MODIFIED not in output
    assert (project / "app/worker.py").read_text(encoding="utf-8") == BROAD_FIXED


def test_excluded_files_are_skipped_though_pre_commit_passes_them(
    hooks: Hooks, tmp_path: Path
) -> None:
    project = hooks.project(
        tmp_path / "project",
        {
            "pyproject.toml": '[tool.cancelfix]\nextend-exclude = ["generated/"]\n',
            "generated/client.py": BROAD,
            "app/worker.py": BROAD,
        },
    )

    # Both files are passed by name; only the one not excluded is reported.
    result = hooks.run(project, "cancelfix-check", "generated/client.py", "app/worker.py")
    output = _output(result)
    assert result.returncode == 1, output
    assert f"app/worker.py:8:9: {FINDING}" in output
    assert "generated/client.py" not in output

    result = hooks.run(project, "cancelfix-check", "generated/client.py")
    output = _output(result)
    assert result.returncode == 0, output
    assert _hook_line(output, "cancelfix check").endswith("Passed")

    result = hooks.run(project, "cancelfix-fix", "generated/client.py", "app/worker.py")
    output = _output(result)
    assert result.returncode == 1, output
    assert f"- {MODIFIED}" in output
    assert (project / "app/worker.py").read_text(encoding="utf-8") == BROAD_FIXED
    assert (project / "generated/client.py").read_text(encoding="utf-8") == BROAD


def test_try_repo_runs_both_hooks(hooks: Hooks, tmp_path: Path) -> None:
    """`pre-commit try-repo`, the way to try the hooks before adding them to a configuration:
    with no hook named it runs every hook of the manifest."""
    project = hooks.project(tmp_path / "project", {"app/worker.py": BROAD})

    result = hooks.pre_commit(
        project, "try-repo", str(hooks.repo), "--all-files", "--color", "never"
    )
    output = _output(result)
    assert result.returncode == 1, output
    # The manifest is sorted by id: check reports the finding, then fix rewrites the file.
    assert _hook_line(output, "cancelfix check").endswith("Failed")
    assert f"app/worker.py:8:9: {FINDING}" in output
    assert _hook_line(output, "cancelfix fix").endswith("Failed")
    assert f"- {MODIFIED}" in output
    assert (project / "app/worker.py").read_text(encoding="utf-8") == BROAD_FIXED
