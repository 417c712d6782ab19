"""The Action asks for the job summary (`--summary "$GITHUB_STEP_SUMMARY"`): cancelfix no
longer writes it whenever the variable is set, so the Action must pass it, in every mode."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_action import COMMANDS, calls, needs_bash, run_cancelfix_step, run_step, workdir


@needs_bash
@pytest.mark.parametrize("mode", sorted(COMMANDS))
def test_the_action_asks_for_the_job_summary(mode: str, tmp_path: Path) -> None:
    cwd = workdir(tmp_path, git=mode == "fix")
    summary = str(tmp_path / "step-summary.md")

    result = run_step(
        run_cancelfix_step(), tmp_path, cwd, mode=mode, extra_env={"GITHUB_STEP_SUMMARY": summary}
    )

    assert result.returncode == 0, result.stderr
    assert calls(tmp_path / "calls") == [COMMANDS[mode] + ["--summary", summary, "--", "."]]
