"""The pipeline's guarantees: prefilter, verification, crash isolation, careful writes."""

from __future__ import annotations

import ast
import faulthandler
import os
import signal
import stat
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest

from codemods import engine, runner
from codemods.engine import process_path, process_source
from codemods.model import FixSafety, Mode, RuleOptions, Settings
from codemods.rule import Rule
from codemods.writer import ReadOnlyFileError, StaleFileError, write_atomic
from tests import samples

SWALLOWING = samples.SWALLOWING.encode()
FIXED_HANDLER = b"        except asyncio.CancelledError:\n            raise\n"
ALL_RULES = ("CF101", "CF102")


def settings(mode: Mode = Mode.FIX) -> Settings:
    return Settings(mode, ALL_RULES, RuleOptions())


def test_file_without_candidates_is_not_parsed() -> None:
    outcome = process_source(
        b"import asyncio\n\nasync def f():\n    await g()\n", "a.py", settings()
    )
    assert (outcome.parsed, outcome.findings, outcome.error) == (False, (), None)


def test_candidate_file_is_parsed_and_fixed() -> None:
    outcome = process_source(SWALLOWING, "a.py", settings())
    assert outcome.parsed and outcome.error is None
    assert outcome.new_source is not None and FIXED_HANDLER in outcome.new_source
    assert [(f.code, f.fixed) for f in outcome.findings] == [("CF102", True)]
    assert outcome.remaining == ()
    assert outcome.diff is not None and outcome.diff.startswith("--- a.py\n+++ a.py\n")


def test_check_mode_reports_without_fixing() -> None:
    outcome = process_source(SWALLOWING, "a.py", settings(Mode.CHECK))
    assert outcome.new_source is None
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [
        ("CF102", FixSafety.SAFE, False)
    ]


@pytest.mark.parametrize(
    ("prefix", "newline"),
    [
        (b"", b"\n"),
        (b"\xef\xbb\xbf", b"\n"),
        (b"", b"\r\n"),
        (b"# -*- coding: latin-1 -*-\n", b"\n"),
    ],
    ids=["plain", "bom", "crlf", "latin-1"],
)
def test_encoding_bom_and_line_endings_survive(prefix: bytes, newline: bytes) -> None:
    source = prefix + SWALLOWING.replace(b"\n", newline) + b"# caf\xe9\n".replace(b"\n", newline)
    if b"latin-1" not in prefix:
        source = source.replace(b"\xe9", "é".encode())
    outcome = process_source(source, "a.py", settings())
    assert outcome.new_source is not None
    assert outcome.new_source.startswith(prefix)
    assert FIXED_HANDLER.replace(b"\n", newline) in outcome.new_source
    assert outcome.new_source.endswith(source.splitlines(keepends=True)[-1])


def test_syntax_error_is_reported_with_cpythons_words() -> None:
    broken = SWALLOWING.replace(b"await queue.get()", b"await queue.get(")
    outcome = process_source(broken, "a.py", settings())
    assert outcome.error == "syntax error at 7:28: '(' was never closed"


class _Unstable(Rule):
    """A rule whose fix does not settle: it appends a statement on every run."""

    code = "CF999"
    name = "unstable"
    message = "never done"
    fix_kinds: ClassVar[tuple[FixSafety, ...]] = (FixSafety.SAFE,)
    required_bytes = ()

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if self.report(original_node, FixSafety.SAFE):
            return updated_node.with_changes(
                body=[*updated_node.body, cst.parse_statement("x = 1")]
            )
        return updated_node


def test_fix_that_does_not_settle_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "rule_by_code", lambda code: _Unstable)
    outcome = process_source(b"y = 2\n", "a.py", Settings(Mode.FIX, ("CF999",), RuleOptions()))
    assert outcome.new_source is None
    assert outcome.error is not None and "not idempotent" in outcome.error


def test_rule_crash_is_reported_for_its_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "_rules", explode)
    assert process_path(__file__, settings()).error == "internal error: RuntimeError: boom"


def test_dead_worker_loses_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = []
    for index in range(runner.PARALLEL_THRESHOLD + 6):
        path = tmp_path / f"m{index}.py"
        path.write_bytes(SWALLOWING)
        paths.append(str(path))
    victim = paths[7]
    real = runner.process_path

    def crash_on_victim(path: str, settings: Settings) -> engine.FileOutcome:
        if path == victim:
            faulthandler.disable()  # pytest's handler would print a traceback from the child
            os.kill(os.getpid(), signal.SIGSEGV)  # what a parser stack overflow looks like
        return real(path, settings)

    monkeypatch.setattr(runner, "process_path", crash_on_victim)  # inherited by forked workers
    outcomes = {outcome.path: outcome for outcome in runner.run(paths, settings(Mode.CHECK), 2)}
    assert sorted(outcomes) == sorted(paths)
    assert outcomes[victim].error == f"worker crashed (exit code {-signal.SIGSEGV})"
    assert all(o.error is None and len(o.findings) == 1 for p, o in outcomes.items() if p != victim)


def _fixed(tmp_path: Path) -> tuple[Path, engine.FileOutcome]:
    path = tmp_path / "a.py"
    path.write_bytes(SWALLOWING)
    path.chmod(0o640)
    outcome = process_path(str(path), settings())
    assert outcome.new_source is not None and outcome.original_digest is not None
    return path, outcome


def test_write_is_atomic_and_keeps_mode(tmp_path: Path) -> None:
    path, outcome = _fixed(tmp_path)
    assert outcome.new_source is not None and outcome.original_digest is not None
    write_atomic(str(path), outcome.new_source, outcome.original_digest)
    assert path.read_bytes() == outcome.new_source
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"], "a temporary file was left behind"


def test_file_changed_since_read_is_not_overwritten(tmp_path: Path) -> None:
    path, outcome = _fixed(tmp_path)
    assert outcome.new_source is not None and outcome.original_digest is not None
    path.write_bytes(SWALLOWING + b"# edited meanwhile\n")
    with pytest.raises(StaleFileError):
        write_atomic(str(path), outcome.new_source, outcome.original_digest)
    assert path.read_bytes().endswith(b"# edited meanwhile\n")


def test_read_only_file_is_not_overwritten(tmp_path: Path) -> None:
    path, outcome = _fixed(tmp_path)
    assert outcome.new_source is not None and outcome.original_digest is not None
    path.chmod(0o444)
    with pytest.raises(ReadOnlyFileError):
        write_atomic(str(path), outcome.new_source, outcome.original_digest)
    assert path.read_bytes() == SWALLOWING


def test_symlink_is_kept_and_its_target_rewritten(tmp_path: Path) -> None:
    path, outcome = _fixed(tmp_path)
    assert outcome.new_source is not None and outcome.original_digest is not None
    link = tmp_path / "link.py"
    link.symlink_to(path.name)
    write_atomic(str(link), outcome.new_source, outcome.original_digest)
    assert link.is_symlink() and path.read_bytes() == outcome.new_source


def test_nesting_beyond_cpythons_limit_is_reported_not_parsed() -> None:
    # LibCST's native parser can overflow its stack on such input; CPython refuses it first.
    deep = SWALLOWING + b"x = " + b"(" * 1000 + b")" * 1000 + b"\n"
    outcome = process_source(deep, "deep.py", settings())
    assert outcome.error is not None and outcome.error.startswith("too deeply nested to parse")
    assert not outcome.parsed


def test_small_runs_also_run_in_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(SWALLOWING)

    def crash(path: str, settings: Settings) -> engine.FileOutcome:
        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)
        raise AssertionError("unreachable")

    monkeypatch.setattr(runner, "process_path", crash)
    (outcome,) = runner.run([str(path)], settings(Mode.CHECK), 1)
    assert outcome.error == f"worker crashed (exit code {-signal.SIGSEGV})"


def test_rejected_fix_keeps_the_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "rule_by_code", lambda code: _Unstable)
    outcome = process_source(b"y = 2\n", "a.py", Settings(Mode.FIX, ("CF999",), RuleOptions()))
    assert [finding.code for finding in outcome.findings] == ["CF999"]


@pytest.mark.parametrize("line", ["-a\n", "a<b\n", "~-~-~-a\n", "a+b+c+d\n", "f(a,b)\n", "a,\n"])
def test_even_dense_code_has_fewer_nodes_per_byte_than_the_engine_assumes(line: str) -> None:
    """The engine counts nodes only in modules large enough to pass the limit at this rate."""
    source = line * 1_000
    nodes = sum(1 for _ in ast.walk(ast.parse(source)))
    assert nodes < engine.MAX_NODES_PER_BYTE * len(source)


@pytest.mark.slow
def test_module_too_large_to_analyse_is_reported_not_analysed() -> None:
    """Thousands of coroutines with a finding each: refused with the reason, in a fraction of
    the minutes and gigabytes LibCST would take over them."""
    handler = (
        "async def handler_{0}(queue):\n    try:\n        await queue.get()\n"
        "    except asyncio.CancelledError:\n        pass\n\n\n"
    )
    source = "import asyncio\n\n\n" + "".join(handler.format(n) for n in range(6_000))
    nodes = sum(1 for _ in ast.walk(ast.parse(source)))
    assert nodes > engine.MAX_ANALYSED_NODES

    outcome = process_source(
        source.encode(), "huge.py", Settings(Mode.FIX, ("CF102",), RuleOptions())
    )

    assert outcome.error == (
        f"too large to analyse: {nodes:,} syntax nodes (the limit is 100,000); "
        "split the module, or exclude it"
    )
    assert outcome.new_source is None
