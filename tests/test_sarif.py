"""SARIF levels: each result and each rule's default configuration at the rule's severity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemods.model import Severity
from codemods.registry import rule_by_code
from codemods.sarif import LEVELS
from tests.clitools import cli, write
from tests.samples import BROAD


@pytest.mark.parametrize(
    ("severity", "level"),
    [(Severity.ERROR, "error"), (Severity.WARNING, "warning"), (Severity.INFORMATION, "note")],
)
def test_a_results_level_is_its_rules_severity(
    project: Path, monkeypatch: pytest.MonkeyPatch, severity: Severity, level: str
) -> None:
    monkeypatch.setattr(rule_by_code("CF101"), "severity", severity)
    write(project, "a.py", BROAD)

    result = cli("check", "--no-cache", "--output-format", "sarif", "a.py")

    (run,) = json.loads(result.stdout)["runs"]
    (finding,) = run["results"]
    assert (finding["ruleId"], finding["level"]) == ("CF101", level)
    descriptors = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert descriptors["CF101"]["defaultConfiguration"] == {"level": level}
    assert all(
        rule["defaultConfiguration"]["level"] == LEVELS[rule_by_code(rule["id"]).severity]
        for rule in descriptors.values()
    )


def test_every_severity_has_a_sarif_level() -> None:
    assert set(LEVELS) == set(Severity)
    assert set(LEVELS.values()) <= {"none", "note", "warning", "error"}
