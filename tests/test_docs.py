"""The rules' documentation: their docstrings have ruff's sections, and the pages and the README's
rule table that `scripts/docs.py` generates from them are up to date."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from codemods.registry import all_rules
from codemods.rule import Rule
from tests.clitools import cli
from tests.conftest import ROOT


def _load_docs_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_script", ROOT / "scripts" / "docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load_docs_script()


@pytest.mark.parametrize("rule", all_rules(), ids=lambda rule: rule.code)
def test_docstring_has_ruffs_sections(rule: type[Rule]) -> None:
    """What it does, Why is this bad?, Example (the code, "Use instead:", the fixed code) and
    Fix safety, then optionally Options and See also, in that order and nothing else."""
    assert docs.section_problems(rule) == []


def test_generated_pages_and_table_are_up_to_date() -> None:
    """One page per rule under docs/rules/, none for no rule, and the README's table, each as
    `python scripts/docs.py` writes it from the docstrings (run it after editing one)."""
    assert docs.stale_files() == []


def test_check_mode_finds_a_stale_a_missing_and_an_extra_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "rules"
    readme = tmp_path / "README.md"
    readme.write_text(f"# cancelfix\n\n{docs.TABLE_START}{docs.TABLE_END}\nmore\n")
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    monkeypatch.setattr(docs, "PAGES", pages)
    monkeypatch.setattr(docs, "README", readme)

    assert docs.main([]) == 0
    assert sorted(path.name for path in pages.iterdir()) == [
        f"{rule.code}.md" for rule in all_rules()
    ]
    assert docs.main(["--check"]) == 0
    capsys.readouterr()

    (pages / "CF101.md").write_text("# CF101\n")
    (pages / "CF102.md").unlink()
    (pages / "CF999.md").write_text("# a rule that is gone\n")
    readme.write_text(readme.read_text().replace("| [CF103]", "| [CF1O3]"))
    assert docs.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "rules/CF101.md is stale",
        "rules/CF102.md is missing",
        "README.md is stale",
        "rules/CF999.md documents no rule",
    ]

    assert docs.main([]) == 0
    assert not (pages / "CF999.md").exists()
    assert docs.main(["--check"]) == 0


def test_page_has_title_summary_fix_kinds_and_the_docstring() -> None:
    """The See also list links the other rules' pages."""
    rule = next(rule for rule in all_rules() if rule.code == "CF101")
    page = docs.page(rule)

    assert page.startswith("# CF101 broad-except-swallows-cancel\n")
    assert "\nBroad `except` swallows `CancelledError`; let cancellation propagate.\n" in page
    assert (
        "\nFix: safe (applied by `cancelfix fix`) or unsafe (applied with `--unsafe-fixes`).\n"
        in page
    )
    linked = rule.documentation().replace("\n- CF102:", "\n- [CF102](CF102.md):")
    assert page.endswith("\n" + linked.replace("\n- CF202:", "\n- [CF202](CF202.md):") + "\n")


def test_section_problems_name_what_is_wrong() -> None:
    class Undocumented(Rule):
        """## What it does
        Nothing.

        ## Fix
        None.

        ## Why is this bad?
        It is not.
        """

        code = "CF000"

    assert docs.section_problems(Undocumented) == [
        "CF000: unknown section 'Fix'",
        "CF000: no 'Example' section",
        "CF000: no 'Fix safety' section",
        "CF000: the example needs the code, then 'Use instead:' and the fixed code",
    ]


def test_explain_prints_the_docstring() -> None:
    for rule in all_rules():
        result = cli("explain", rule.code)
        assert result.exit_code == 0
        assert rule.documentation() in result.stdout


def test_readme_stays_short() -> None:
    """The README is for users; the details live in docs/ and CONTRIBUTING.md."""
    assert len((ROOT / "README.md").read_bytes()) <= 15_000
    assert "python -m pytest\n" in (ROOT / "README.md").read_text(), "CI runs this command"


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown text."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.DOTALL), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_links_between_the_documents_resolve() -> None:
    """Every relative link of README.md, CONTRIBUTING.md and docs/ names a file that exists, and
    a heading of it when it has an anchor."""
    documents = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted(ROOT.glob("docs/**/*.md"))]
    broken = []
    for document in documents:
        for target in _LINK.findall(document.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.exists():
                broken.append(f"{document.relative_to(ROOT)}: {target}")
            elif anchor and anchor not in _anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{document.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []
