from __future__ import annotations

import os
from pathlib import Path

import pytest

from codemods.config import discover as discover_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, the current directory, outside any git repository."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # The cache stays on (every test exercises it) but out of the project, whose files the
    # tests list; tests/test_cache.py undoes this to test the default location.
    monkeypatch.setenv("CANCELFIX_CACHE_DIR", str(tmp_path / "cancelfix-cache"))
    monkeypatch.delenv("CANCELFIX_NO_CACHE", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert discover_config(None, root).source is None, "tmp_path must not lie below a config"
    return root
