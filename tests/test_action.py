"""The GitHub Action (`action.yml`): its shape, and what its scripts run.

The structure is read with PyYAML. One step runs cancelfix in every mode, the `case` on the
mode picking the command: each mode's command is checked as text (and parsed by the real click
command), then the scripts are run the way the runner runs them (`bash --noprofile --norc -eo
pipefail`, inputs in the step's `env:`), the run step once per mode, with a stand-in
`cancelfix` and `python3` that record their arguments, so what reaches the command line is
tested too.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from codemods.cli import main

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
INPUTS: dict[str, dict[str, Any]] = ACTION["inputs"]
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
VENV = "cancelfix-venv"
"""The virtual environment's directory under $RUNNER_TEMP."""

INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.(?P<name>[\w-]+)\s*\}\}")
COMMANDS = {
    "check": ["cancelfix", "check", "--output-format", "github"],
    "review": ["cancelfix", "fix", "--diff"],
    "fix": ["cancelfix", "fix", "--commit", "--push"],
}
"""Each mode's command line, before the options and paths taken from the inputs."""
COMMAND_LINE = ["cancelfix", '"${command[@]}"', '"${options[@]}"', "--", '"${paths[@]}"']
"""The run step's one command line: the mode's command, then the options and paths."""
SETUP_PYTHON_CONDITION = "inputs.python-version != ''"
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def install_step() -> dict[str, Any]:
    (step,) = [step for step in STEPS if "pip install" in step.get("run", "")]
    return step


def command_lines(script: str) -> list[list[str]]:
    """The script's lines that run `cancelfix`, as shell words (quotes kept)."""
    lines = [shlex.split(line, posix=False) for line in script.splitlines() if line.strip()]
    return [words for words in lines if words[0] == "cancelfix"]


def run_cancelfix_step() -> dict[str, Any]:
    """The one step whose script runs `cancelfix` (the install step runs it by its path)."""
    (step,) = [step for step in STEPS if command_lines(step.get("run", ""))]
    return step


def case_branches(script: str, variable: str) -> dict[str, str]:
    """The branches of the script's one `case "$variable" in ... esac`: each pattern as written
    (`check | review | fix`, `*`) and the code after its `)`, up to its `;;`."""
    (match,) = re.finditer(rf'^( *)case "\${variable}" in\n(.*?)^\1esac$', script, re.M | re.S)
    # A pattern is indented one level (two spaces) under `case`; its code is indented deeper.
    pattern_line = re.compile(rf"{match[1]}  (?P<pattern>[^\s()][^()]*)\)(?P<code>.*)")
    branches: dict[str, list[str]] = {}
    for line in match[2].splitlines():
        found = pattern_line.fullmatch(line)
        if found:
            pattern = found["pattern"]
            assert pattern not in branches, f"two branches for {pattern}"
            branches[pattern] = [found["code"]]
        else:
            branches[pattern].append(line)
    return {
        pattern: "\n".join(code).strip().removesuffix(";;").rstrip()
        for pattern, code in branches.items()
    }


# --------------------------------------------------------------------------------------------
# structure
# --------------------------------------------------------------------------------------------


def test_composite_action_with_bash_steps() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["name"] and ACTION["description"]
    for step in STEPS:
        assert "name" in step
        if "run" in step:
            assert step["shell"] == "bash", step["name"]
        else:
            assert step["uses"].startswith("actions/setup-python@"), step["name"]


def test_every_input_is_described_and_used() -> None:
    everything = yaml.safe_dump(STEPS)
    for name, spec in INPUTS.items():
        assert spec["description"].strip(), name
        assert "default" in spec and spec.get("required", False) is False, name
        assert re.search(rf"inputs\.{re.escape(name)}(?![\w-])", everything), f"{name} unused"


def test_every_variable_passed_to_a_script_is_used_by_it() -> None:
    for step in STEPS:
        for variable in step.get("env", {}):
            assert re.search(rf"\$\{{?{variable}\b", step["run"]), (step["name"], variable)


def test_no_expression_is_interpolated_into_a_script() -> None:
    """`${{ inputs.paths }}` in a script would be pasted into the shell code, unquoted: a
    script injection. Inputs go through `env:`, where the runner sets them as plain values."""
    for step in STEPS:
        assert "${{" not in step.get("run", ""), step["name"]
        for value in step.get("env", {}).values():
            assert INPUT_EXPRESSION.fullmatch(value), (step["name"], value)


def test_modes_of_the_description_are_the_case_branches() -> None:
    described = set(re.findall(r"`([^`]+)`", INPUTS["mode"]["description"]))
    assert described == set(COMMANDS)
    assert INPUTS["mode"]["default"] == "check"
    # The run step has a command for each mode, and for no other.
    branches = case_branches(run_cancelfix_step()["run"], "INPUT_MODE")
    assert set(branches) - {"*"} == described
    assert branches["*"].endswith("exit 2")
    # The install step rejects any other mode before installing anything.
    install = case_branches(install_step()["run"], "INPUT_MODE")
    (accepted,) = set(install) - {"*"}
    assert set(accepted.split(" | ")) == described
    assert install["*"].endswith("exit 2")


def test_one_step_runs_cancelfix_in_every_mode() -> None:
    step = run_cancelfix_step()
    assert "if" not in step
    assert STEPS.index(install_step()) < STEPS.index(step)
    # No step depends on the mode; the only condition is setting up Python.
    assert {step.get("if") for step in STEPS} == {None, SETUP_PYTHON_CONDITION}
    assert command_lines(step["run"]) == [COMMAND_LINE]


def test_setup_python_only_when_asked() -> None:
    (step,) = [step for step in STEPS if "uses" in step]
    assert step["if"] == SETUP_PYTHON_CONDITION
    assert step["with"] == {"python-version": "${{ inputs.python-version }}"}
    assert STEPS.index(step) < STEPS.index(install_step())


@pytest.mark.parametrize("mode", sorted(COMMANDS))
def test_each_mode_runs_its_cancelfix_command(mode: str) -> None:
    code = case_branches(run_cancelfix_step()["run"], "INPUT_MODE")[mode]
    (command,) = re.findall(r"^\s*command=\(([^)]*)\)", code, re.M)
    words = ["cancelfix", *shlex.split(command)]
    assert words == COMMANDS[mode]
    # The real command accepts this command line (the shell arrays stood for by their words).
    subcommand = main.commands[words[1]]
    argv = [*words[2:], "--select", "CF1", "--since", "HEAD", "--unsafe-fixes", "--", "src"]
    subcommand.make_context(words[1], argv)


# --------------------------------------------------------------------------------------------
# the scripts, run
# --------------------------------------------------------------------------------------------


def has_cancelfix(directory: str) -> bool:
    return shutil.which("cancelfix", path=directory) is not None


def fake(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def record(log: Path) -> str:
    """Shell code that logs a call to `log`: the program's name and its arguments, one per
    line, then a blank line."""
    return f'printf "%s\\n" "$(basename "$0")" "$@" "" >> {shlex.quote(str(log))}'


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [call.splitlines() for call in log.read_text(encoding="utf-8").split("\n\n") if call]


def run_step(
    step: dict[str, Any],
    tmp_path: Path,
    cwd: Path,
    *,
    exit_code: int = 0,
    extra_env: dict[str, str] | None = None,
    **inputs: str,
) -> subprocess.CompletedProcess[str]:
    """Run the step's script as the runner would, with the inputs' defaults overridden by
    `inputs` (underscores for dashes), and a stand-in cancelfix, exiting with `exit_code`, in
    the virtual environment the install step makes. Calls are logged to tmp_path/calls."""
    values = {name: spec["default"] for name, spec in INPUTS.items()}
    values.update({name.replace("_", "-"): value for name, value in inputs.items()})
    # No real cancelfix on PATH: the script must find the stand-in where it installed it.
    search = [d for d in os.environ["PATH"].split(os.pathsep) if d and not has_cancelfix(d)]
    env = {
        **(extra_env or {}),
        "PATH": os.pathsep.join([str(tmp_path / "bin"), *search]),
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
    }
    for variable, expression in step.get("env", {}).items():
        match = INPUT_EXPRESSION.fullmatch(expression)
        assert match, expression
        env[variable] = values[match["name"]]
    log = tmp_path / "calls"
    fake(
        tmp_path / "runner-temp" / VENV / "bin" / "cancelfix",
        f"{record(log)}\nexit {exit_code}",
    )
    script = tmp_path / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def workdir(tmp_path: Path, *, git: bool = False) -> Path:
    """The job's work tree; a git repository when the step needs one (`fix`)."""
    cwd = tmp_path / "work"
    if git:
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        subprocess.run(["git", "init", "-q", str(cwd)], check=True)
    else:
        cwd.mkdir()
    return cwd


@needs_bash
@pytest.mark.parametrize("mode", sorted(COMMANDS))
def test_defaults_process_the_current_directory(mode: str, tmp_path: Path) -> None:
    cwd = workdir(tmp_path, git=mode == "fix")
    result = run_step(run_cancelfix_step(), tmp_path, cwd, mode=mode)
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path / "calls") == [COMMANDS[mode] + ["--", "."]]


@needs_bash
@pytest.mark.parametrize("mode", sorted(COMMANDS))
def test_inputs_become_options_and_paths(mode: str, tmp_path: Path) -> None:
    cwd = workdir(tmp_path, git=mode == "fix")
    result = run_step(
        run_cancelfix_step(),
        tmp_path,
        cwd,
        mode=mode,
        paths="src\n  tests/unit  ",
        args="--select CF1,CF2  -q",
        since="origin/main",
        unsafe_fixes="true",
    )
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path / "calls") == [
        COMMANDS[mode]
        + ["--select", "CF1,CF2", "-q", "--since", "origin/main", "--unsafe-fixes"]
        + ["--", "src", "tests/unit"]
    ]


@needs_bash
def test_inputs_are_values_not_shell_code(tmp_path: Path) -> None:
    cwd = workdir(tmp_path)
    (cwd / "a.py").touch()
    hostile = "$(touch pwned)`touch pwned`;touch pwned"
    result = run_step(run_cancelfix_step(), tmp_path, cwd, paths="*.py", since=hostile)
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path / "calls") == [COMMANDS["check"] + ["--since", hostile, "--", "*.py"]]
    assert not (cwd / "pwned").exists()


@needs_bash
@pytest.mark.parametrize("mode", sorted(COMMANDS))
def test_the_step_fails_as_cancelfix_does(mode: str, tmp_path: Path) -> None:
    cwd = workdir(tmp_path, git=mode == "fix")
    result = run_step(run_cancelfix_step(), tmp_path, cwd, exit_code=1, mode=mode)
    assert result.returncode == 1


@needs_bash
@pytest.mark.parametrize("mode", ["lint", "check; touch pwned", ""])
def test_an_unknown_mode_runs_nothing(mode: str, tmp_path: Path) -> None:
    """The install step has rejected it already; the run step must not fall back to a
    command either."""
    cwd = workdir(tmp_path, git=True)
    result = run_step(run_cancelfix_step(), tmp_path, cwd, mode=mode)
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=cancelfix::")
    assert calls(tmp_path / "calls") == []
    assert git_identity(cwd) == ("", "")
    assert not (cwd / "pwned").exists()


def git_identity(repo: Path) -> tuple[str, str]:
    def get(key: str) -> str:
        return subprocess.run(
            ["git", "config", "--local", key], cwd=repo, capture_output=True, text=True
        ).stdout.strip()

    return get("user.name"), get("user.email")


@needs_bash
def test_fix_commits_as_the_bot(tmp_path: Path) -> None:
    repo = workdir(tmp_path, git=True)
    result = run_step(run_cancelfix_step(), tmp_path, repo, mode="fix")
    assert result.returncode == 0, result.stderr
    assert git_identity(repo) == (BOT_NAME, BOT_EMAIL)


@needs_bash
def test_fix_keeps_an_identity_configured_before(tmp_path: Path) -> None:
    repo = workdir(tmp_path, git=True)
    subprocess.run(["git", "config", "user.name", "Fixer"], cwd=repo, check=True)
    subprocess.run(["git", "config", "user.email", "fixer@example.com"], cwd=repo, check=True)
    result = run_step(run_cancelfix_step(), tmp_path, repo, mode="fix")
    assert result.returncode == 0, result.stderr
    assert git_identity(repo) == ("Fixer", "fixer@example.com")


@needs_bash
@pytest.mark.parametrize("mode", ["check", "review"])
def test_only_fix_sets_a_git_identity(mode: str, tmp_path: Path) -> None:
    repo = workdir(tmp_path, git=True)
    result = run_step(run_cancelfix_step(), tmp_path, repo, mode=mode)
    assert result.returncode == 0, result.stderr
    assert calls(tmp_path / "calls") == [COMMANDS[mode] + ["--", "."]]
    assert git_identity(repo) == ("", "")


@pytest.fixture
def fake_python(tmp_path: Path) -> Path:
    """A python3 that logs its calls; `-m venv --clear DIR` makes DIR/bin/python, which logs
    too. Exits 1 for the version check when $FAKE_OLD_PYTHON is set."""
    log = tmp_path / "calls"
    fake(
        tmp_path / "bin" / "python3",
        f"""{record(log)}
if [ "$1" = -c ] && [ -n "$FAKE_OLD_PYTHON" ]; then exit 1; fi
if [ "$1 $2 $3" = "-m venv --clear" ]; then
  mkdir -p "$4/bin"
  printf '#!/usr/bin/env bash\\n%s\\n' {shlex.quote(record(log))} > "$4/bin/python"
  chmod +x "$4/bin/python"
fi""",
    )
    return log


@needs_bash
def test_install_into_a_venv_of_its_own_from_the_actions_checkout(
    tmp_path: Path, fake_python: Path
) -> None:
    result = run_step(install_step(), tmp_path, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    venv = str(tmp_path / "runner-temp" / VENV)
    (version_check, create, install, report) = calls(fake_python)
    assert version_check[:2] == ["python3", "-c"]
    assert create == ["python3", "-m", "venv", "--clear", venv]
    assert install[:4] == ["python", "-m", "pip", "install"]
    assert install[-1] == str(ROOT)  # not a package index: cancelfix is not published
    # The stand-in cancelfix in that venv is the one the run step puts on PATH.
    assert report == ["cancelfix", "--version"]


@needs_bash
@pytest.mark.parametrize(
    "inputs",
    [{"mode": "lint"}, {"mode": "check; touch pwned"}, {"unsafe_fixes": "yes"}],
    ids=["unknown-mode", "hostile-mode", "unsafe-fixes-not-boolean"],
)
def test_install_rejects_bad_inputs(
    inputs: dict[str, str], tmp_path: Path, fake_python: Path
) -> None:
    result = run_step(install_step(), tmp_path, tmp_path, **inputs)
    assert result.returncode == 2
    assert result.stdout.startswith("::error title=cancelfix::")
    assert calls(fake_python) == []
    assert not (tmp_path / "pwned").exists()


@needs_bash
def test_install_needs_python_3_11(tmp_path: Path, fake_python: Path) -> None:
    result = run_step(install_step(), tmp_path, tmp_path, extra_env={"FAKE_OLD_PYTHON": "1"})
    assert result.returncode == 2
    assert "python-version" in result.stdout
    assert [call[:2] for call in calls(fake_python)] == [["python3", "-c"]]
