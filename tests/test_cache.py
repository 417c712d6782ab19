"""The cache: a warm run says exactly what a cold one says, and is never wrong or broken by it.

Which files the engine was given is watched through `runner.run` (what the cache could not
answer); a real subprocess shows what a warm run imports. No timings here: they belong to
benchmarks, not to tests on shared machines.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import fields, replace
from pathlib import Path

import pytest
from click.testing import Result

from codemods import __version__, cache, runner
from codemods.model import FileOutcome, Finding, FixSafety, Mode, RuleOptions, Settings
from tests.clitools import cli, write
from tests.samples import BROAD, SYNTAX_ERROR

NARROW = BROAD.replace("BaseException", "OverflowError")
"""The same size as BROAD, and nothing to report."""
assert len(NARROW) == len(BROAD)

DANGLING = """\
import asyncio


async def main():
    asyncio.create_task(work())
    await asyncio.sleep(1)
"""
"""CF303, an unsafe fix."""

PLAIN = "x = 1\n"

PROJECT = {
    "broad.py": BROAD,
    "pkg/dangling.py": DANGLING,
    "pkg/broken.py": SYNTAX_ERROR,
    "pkg/plain.py": PLAIN,
    "narrow.py": NARROW,
}


@pytest.fixture(autouse=True)
def _cache_settings_from_the_tests_only(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test in its project (after the `project` fixture, which may set these)."""
    for name in ("CANCELFIX_CACHE_DIR", "CANCELFIX_NO_CACHE", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def files(project: Path) -> dict[str, Path]:
    return {name: write(project, name, source) for name, source in PROJECT.items()}


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The files of each call of `runner.run`: what the cache did not answer."""
    calls: list[list[str]] = []
    real = runner.run

    def spy(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileOutcome]:
        calls.append(sorted(paths))
        return real(paths, settings, jobs)

    monkeypatch.setattr(runner, "run", spy)
    return calls


ALL = sorted(str(Path(name)) for name in PROJECT)
"""The project's files, as the run names them."""

forking = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="monkeypatching reaches workers only when they are forked",
)


def here(name: str) -> str:
    """A file's key in the cache: its absolute path (through the current directory as the
    system gives it, that is with symlinks resolved)."""
    return os.path.join(os.getcwd(), name)


def outcome(result: Result) -> tuple[int, str, str]:
    return result.exit_code, result.stdout, result.stderr


def cached_paths(cache_dir: Path) -> set[str]:
    """The files the run caches under `cache_dir` hold entries for (absolute paths)."""
    paths: set[str] = set()
    for file in cache_dir.glob(f"{__version__}/run-*.json"):
        paths |= set(json.loads(file.read_bytes().partition(b"\n")[2]))
    return paths


def run_files(project: Path) -> list[Path]:
    return sorted((project / cache.DEFAULT_DIRECTORY / __version__).glob("run-*.json"))


# --------------------------------------------------------------------------------------------
# warm runs say what cold ones say
# --------------------------------------------------------------------------------------------

FORMATS = {
    "text": ["check"],
    "json": ["check", "--output-format", "json"],
    "github": ["check", "--output-format", "github"],
    "sarif": ["check", "--output-format", "sarif"],
    "quiet": ["check", "-q"],
    "unsafe": ["check", "--unsafe-fixes"],
    "diff": ["fix", "--diff"],
    "diff-json": ["fix", "--diff", "--output-format", "json"],
    "diff-unsafe": ["fix", "--diff", "--unsafe-fixes"],
    "select": ["check", "--select", "CF3", "--ignore", "CF302"],
    "target": ["check", "--target-version", "py312"],
}


@pytest.mark.parametrize("args", FORMATS.values(), ids=FORMATS.keys())
def test_warm_run_prints_what_the_cold_run_printed(
    project: Path, files: dict[str, Path], engine: list[list[str]], args: list[str]
) -> None:
    cold = cli(*args, "--summary", "cold.md")
    warm = cli(*args, "--summary", "warm.md")
    computed_when_warm = engine[1:]
    uncached = cli(*args, "--no-cache")

    assert outcome(warm) == outcome(cold) == outcome(uncached)
    assert (project / "warm.md").read_text() == (project / "cold.md").read_text()
    assert cold.exit_code in (1, 2), "the project has findings (and a syntax error)"
    assert engine[0] == ALL
    # Only outcomes that would change a file (a diff, a SARIF fix) are computed again.
    fixing = "--diff" in args or "sarif" in args
    fixable = {"broad.py"} | ({"pkg/dangling.py"} if "--unsafe-fixes" in args else set())
    assert computed_when_warm == ([sorted(fixable)] if fixing else [])


@pytest.mark.slow
def test_warm_run_in_a_real_process_is_byte_for_byte_the_cold_run(
    project: Path, files: dict[str, Path]
) -> None:
    def run(*args: str) -> tuple[int, bytes, bytes]:
        done = subprocess.run(
            [sys.executable, "-m", "codemods", *args], cwd=project, capture_output=True
        )
        return done.returncode, done.stdout, done.stderr

    for args in (["check"], ["check", "--output-format", "json"], ["fix", "--diff"]):
        assert run(*args) == run(*args) == run(*args, "--no-cache")


WARM_MODULES = """\
import atexit, runpy, sys

def report():
    loaded = [name for name in sys.modules
              if name.split(".")[0] in ("libcst", "multiprocessing")
              or name in ("codemods.engine", "codemods.runner", "codemods.registry")]
    with open("modules.json", "w") as file:
        file.write(repr(sorted(loaded)))

atexit.register(report)
sys.argv = ["cancelfix", *sys.argv[1:]]
runpy.run_module("codemods", run_name="__main__")
"""


@pytest.mark.parametrize("args", [["check"], ["check", "--select", "CF1,CF3", "-v"]])
@pytest.mark.slow
def test_warm_run_imports_no_libcst_and_starts_no_worker(
    project: Path, files: dict[str, Path], args: list[str]
) -> None:
    """What makes a warm run fast: no parser to import, no worker process to start (the
    runner, which starts them, is not even imported), and the rule selection remembered."""
    files["broad.py"].write_text(NARROW)  # nothing that changes a file: all of it is cached

    def run() -> list[str]:
        subprocess.run(
            [sys.executable, "-c", WARM_MODULES, *args], cwd=project, capture_output=True
        )
        loaded: list[str] = eval((project / "modules.json").read_text())
        return loaded

    assert "libcst" in run()  # cold: the files are analysed
    assert run() == []  # warm


def test_warm_run_does_not_call_the_engine(
    project: Path, files: dict[str, Path], engine: list[list[str]]
) -> None:
    cli("check")
    warm = cli("check", "-v")

    assert engine == [ALL]
    assert "cancelfix: 5 of 5 files from the cache\n" in warm.stderr


# --------------------------------------------------------------------------------------------
# what invalidates an entry
# --------------------------------------------------------------------------------------------


def test_edited_file_is_analysed_again(
    project: Path, files: dict[str, Path], engine: list[list[str]]
) -> None:
    cli("check")
    files["narrow.py"].write_text(NARROW + "\n\nasync def g(t):\n    t.cancel()\n    await t\n")

    warm = cli("check")

    assert engine[1:] == [["narrow.py"]]
    assert outcome(warm) == outcome(cli("check", "--no-cache"))
    assert "narrow.py:14:5: CF301" in warm.stdout


def _same_size_mtime_and_inode_edit(path: Path, source: str) -> None:
    before = path.stat()
    with path.open("r+") as file:  # in place: the inode stays
        file.write(source)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def test_edit_keeping_size_mtime_and_inode_is_caught(project: Path) -> None:
    """An edit that a (size, mtime, inode) signature cannot see, as `os.utime` (or an edit
    within one tick of the filesystem's clock) makes it: the ctime moved, and the entry was
    racily clean anyway (written less than the margin after the file's last change)."""
    path = write(project, "a.py", BROAD)
    assert cli("check").exit_code == 1
    _same_size_mtime_and_inode_edit(path, NARROW)

    warm = cli("check")

    assert outcome(warm) == (0, "All checks passed (1 file checked).\n", "")


@pytest.fixture
def ctime_blind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures without the ctime: as on a filesystem where an edit within the same clock
    tick as the last one leaves every timestamp as it was (only the racy rule is left)."""

    def signature(stat: os.stat_result) -> cache.Signature:
        return (stat.st_size, stat.st_mtime_ns, 0, stat.st_ino)

    monkeypatch.setattr(cache, "_stat_signature", signature)


@pytest.mark.usefixtures("ctime_blind")
def test_racily_clean_entry_is_checked_against_the_content(project: Path) -> None:
    """Pinned: git's racy-clean rule. The file changed less than RACY_MARGIN_NS before the
    run that cached it began, so a later edit may leave the signature as it was: the file is
    read and its digest compared, and the edit is caught."""
    path = write(project, "a.py", BROAD)
    assert cli("check").exit_code == 1
    _same_size_mtime_and_inode_edit(path, NARROW)

    assert outcome(cli("check")) == (0, "All checks passed (1 file checked).\n", "")


@pytest.mark.usefixtures("ctime_blind")
def test_settled_file_with_its_signature_is_not_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pinned: the other side of the rule, what makes a warm run cheap. A file that last
    changed well before the run that cached it is trusted by its signature and not read.
    (Which is why an edit that keeps size, mtime, ctime and inode, impossible without
    changing the clock, would go unseen: git makes the same bet.)"""
    path = write(project, "a.py", BROAD)
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(an_hour_ago, an_hour_ago))
    assert cli("check").exit_code == 1
    _same_size_mtime_and_inode_edit(path, NARROW)
    read: list[str] = []
    real = cache._file_digest
    monkeypatch.setattr(cache, "_file_digest", lambda path: read.append(path) or real(path))

    warm = cli("check")

    assert read == []
    assert warm.exit_code == 1  # the entry's findings, as the signature vouches for them


def test_files_are_read_until_settled_then_trusted(
    project: Path, files: dict[str, Path], engine: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries of files that changed just before the run are racily clean: the next run reads
    the files, finds the same bytes, and records them as settled; a touched file (new mtime,
    same bytes) is read once again, and not analysed."""
    cli("check")
    monkeypatch.setattr(cache, "RACY_MARGIN_NS", -3600 * 10**9)  # as if an hour had passed
    read: list[str] = []
    real = cache._file_digest
    monkeypatch.setattr(cache, "_file_digest", lambda path: read.append(path) or real(path))

    first = cli("check")
    os.utime(files["narrow.py"])
    second = cli("check")
    third = cli("check")

    assert read == [*ALL, "narrow.py"]
    assert engine[1:] == [], "the same bytes need no analysis"
    assert outcome(first) == outcome(second) == outcome(third)


RUN_VARIANTS = {
    "select": ["check", "--select", "CF1"],
    "ignore": ["check", "--ignore", "CF303"],
    "unsafe-fixes": ["check", "--unsafe-fixes"],
    "target-version": ["check", "--target-version", "py37"],
    "mode-diff": ["fix", "--diff"],
    "mode-sarif": ["check", "--output-format", "sarif"],
}


@pytest.mark.parametrize("args", RUN_VARIANTS.values(), ids=RUN_VARIANTS.keys())
def test_other_rules_options_or_mode_use_their_own_entries(
    project: Path, files: dict[str, Path], engine: list[list[str]], args: list[str]
) -> None:
    cli("check")

    varied = cli(*args)

    assert engine[1] == ALL
    assert outcome(varied) == outcome(cli(*args, "--no-cache"))
    assert len(run_files(project)) == 2


def test_cleanup_names_from_the_configuration_are_part_of_the_key(
    project: Path, engine: list[list[str]]
) -> None:
    write(project, "pyproject.toml", '[tool.cancelfix]\ncleanup-names = ["close"]\n')
    write(project, "a.py", BROAD)
    cli("check")
    write(project, "pyproject.toml", '[tool.cancelfix]\ncleanup-names = ["close", "reset"]\n')

    cli("check")

    assert engine == [["a.py"], ["a.py"]]


def test_every_rule_option_changes_the_fingerprint() -> None:
    base = Settings(Mode.CHECK, ("CF101",), RuleOptions())
    changed: dict[str, object] = {
        "apply_fixes": False,
        "unsafe_fixes": True,
        "target_version": (3, 12),
        "cleanup_names": RuleOptions().cleanup_names | {"reset"},
    }
    assert set(changed) == {field.name for field in fields(RuleOptions)}, "a new option"
    prints = {cache.fingerprint(base)}
    for name, value in changed.items():
        prints.add(cache.fingerprint(replace(base, options=replace(base.options, **{name: value}))))
    prints.add(cache.fingerprint(replace(base, rule_codes=("CF101", "CF102"))))
    prints |= {cache.fingerprint(replace(base, mode=mode)) for mode in Mode}
    assert len(prints) == len(changed) + 1 + 1 + len(Mode) - 1


def test_fingerprint_does_not_depend_on_set_order() -> None:
    names = ["close", "reset", "drop", "aclose"]
    one = RuleOptions(cleanup_names=frozenset(names))
    other = RuleOptions(cleanup_names=frozenset(reversed(names)))
    assert cache.fingerprint(Settings(Mode.CHECK, (), one)) == cache.fingerprint(
        Settings(Mode.CHECK, (), other)
    )


def test_another_tool_stamp_starts_afresh(
    project: Path, files: dict[str, Path], engine: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing the tool's own source (or another install, or another Python) changes the stamp."""
    cli("check")
    monkeypatch.setattr(cache, "tool_stamp", lambda: "edited")

    assert outcome(cli("check")) == outcome(cli("check", "--no-cache"))
    assert len(engine) == 3


def test_source_stamp_follows_every_module_of_the_package(tmp_path: Path) -> None:
    write(tmp_path, "pkg/__init__.py", "")
    module = write(tmp_path, "pkg/rules/rule.py", "CODE = 1\n")
    stamps = [cache.source_stamp(tmp_path / "pkg")]
    write(tmp_path, "pkg/__pycache__/rule.cpython-311.py", "")
    write(tmp_path, "pkg/notes.txt", "")
    assert cache.source_stamp(tmp_path / "pkg") == stamps[0], "only modules count"

    module.write_text("CODE = 2\n")  # same size
    os.utime(module, ns=(0, module.stat().st_mtime_ns + 1))
    stamps.append(cache.source_stamp(tmp_path / "pkg"))
    module.write_text("CODE = 22\n")
    stamps.append(cache.source_stamp(tmp_path / "pkg"))
    write(tmp_path, "pkg/rules/new.py", "")
    stamps.append(cache.source_stamp(tmp_path / "pkg"))

    assert len(set(stamps)) == len(stamps)


# --------------------------------------------------------------------------------------------
# what is cached, what is not
# --------------------------------------------------------------------------------------------

ERRORS = {
    "syntax error at 6:25: '(' was never closed": True,
    "cannot decode as utf-8: byte 0xff at 1:1 (invalid start byte)": True,
    "binary file, not Python source (NUL byte at 1:1)": True,
    "too deeply nested to parse": True,
    "too large to analyse: 200,000 syntax nodes (the limit is 100,000); split it": True,
    "fix rejected, file left unchanged: fixed code does not compile": True,
    "cannot read: Permission denied": False,
    "cannot read: broken symlink to nowhere.py": False,
    "internal error: KeyError: 'x'": False,
    "worker crashed (exit code -11)": False,
    "cannot write: file is read-only; not modified": False,
}


@pytest.mark.parametrize(("error", "kept"), ERRORS.items(), ids=range(len(ERRORS)))
def test_only_errors_of_the_content_are_cached(error: str, kept: bool) -> None:
    assert cache.cacheable(FileOutcome("a.py", error=error)) is kept


def test_outcomes_that_change_the_file_are_not_cached() -> None:
    finding = Finding("CF101", "n", "m", 1, 1, 1, 2, FixSafety.SAFE, fixed=True)
    assert cache.cacheable(FileOutcome("a.py", (finding,), parsed=True))
    assert not cache.cacheable(FileOutcome("a.py", (finding,), new_source=b"x", parsed=True))


def test_unreadable_file_is_analysed_once_it_can_be_read(
    project: Path, engine: list[list[str]]
) -> None:
    (project / "a.py").symlink_to("target.py")
    first = cli("check")
    write(project, "target.py", BROAD)

    second = cli("check")

    assert first.stderr == "a.py: error: cannot read: broken symlink to target.py\n"
    assert second.exit_code == 1 and second.stderr == ""
    assert second.stdout.startswith("a.py:8:9: CF101")  # (target.py is the same file)


@forking
@pytest.mark.parametrize("blind", [False, True], ids=["signature", "digest"])
def test_file_changed_before_the_worker_read_it_is_not_cached(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    engine: list[list[str]],
    blind: bool,
    request: pytest.FixtureRequest,
) -> None:
    """The main process takes the digest, then a worker reads the file: an edit in between
    would pair the digest of some bytes with the outcome of others. The signature and the
    digest are checked again after the analysis (the edit here keeps size, mtime and inode;
    `blind` hides the ctime too, so that only the digest can tell)."""
    if blind:
        request.getfixturevalue("ctime_blind")
    path = write(project, "a.py", BROAD)
    real = runner.process_path

    def edit_then_process(name: str, settings: Settings) -> FileOutcome:
        _same_size_mtime_and_inode_edit(Path(name), NARROW)
        return real(name, settings)

    monkeypatch.setattr(runner, "process_path", edit_then_process)  # inherited by the fork
    first = cli("check")
    monkeypatch.setattr(runner, "process_path", real)
    _same_size_mtime_and_inode_edit(path, BROAD)  # the bytes the digest was taken of

    second = cli("check")

    assert first.exit_code == 0, "the worker read the edited file"
    assert second.exit_code == 1, "not the outcome of the other bytes"
    assert engine == [["a.py"], ["a.py"]]


def test_stdin_is_never_cached(project: Path) -> None:
    result = cli("check", "-", "--stdin-filename", "a.py", input=BROAD)

    assert result.exit_code == 1
    assert list(project.iterdir()) == []


def test_fix_then_check_reports_the_fixed_files(
    project: Path, files: dict[str, Path], engine: list[list[str]]
) -> None:
    assert cli("check").exit_code == 2
    fixed = cli("fix")
    again = cli("fix")
    check = cli("check")

    assert "Fixed broad.py (CF101)" in fixed.stdout
    assert "Fixed" not in again.stdout
    assert outcome(check) == outcome(cli("check", "--no-cache"))
    assert "CF101" not in check.stdout
    # check, fix, fix again and check (only the rewritten file), check --no-cache
    assert engine == [ALL, ALL, ["broad.py"], ["broad.py"], ALL]


def test_fix_mode_is_warm_after_files_settle(
    project: Path, files: dict[str, Path], engine: list[list[str]]
) -> None:
    cli("fix")
    cli("fix")
    third = cli("fix")

    assert engine[1:] == [["broad.py"]]  # rewritten by the first; unchanged since
    assert "Fixed" not in third.stdout


# --------------------------------------------------------------------------------------------
# the cache's files
# --------------------------------------------------------------------------------------------


def test_deleted_file_leaves_the_cache(project: Path, files: dict[str, Path]) -> None:
    cli("check")
    files["pkg/plain.py"].unlink()

    cli("check")

    assert cached_paths(project / cache.DEFAULT_DIRECTORY) == {
        here(name) for name in PROJECT if name != "pkg/plain.py"
    }


@pytest.mark.parametrize("subset", [["pkg"], ["broad.py"], ["--shard", "1/2"]])
def test_run_over_a_subset_keeps_the_other_entries(
    project: Path, files: dict[str, Path], engine: list[list[str]], subset: list[str]
) -> None:
    cli("check")
    files["narrow.py"].write_text(NARROW + "\n")

    cli("check", *subset)
    cli("check")

    assert cached_paths(project / cache.DEFAULT_DIRECTORY) == {here(name) for name in PROJECT}
    assert [path for call in engine[1:] for path in call] == ["narrow.py"]


def test_default_cache_is_in_the_project_root_with_tag_files(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\n")
    write(project, "src/a.py", BROAD)
    monkeypatch.chdir(project / "src")

    cli("check", ".")

    directory = project / cache.DEFAULT_DIRECTORY
    assert (directory / ".gitignore").read_text() == "*\n"
    assert (
        (directory / "CACHEDIR.TAG")
        .read_bytes()
        .startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert cached_paths(directory) == {here("a.py")}
    assert not (project / "src" / cache.DEFAULT_DIRECTORY).exists()


def test_without_configuration_the_cache_is_in_the_current_directory(project: Path) -> None:
    write(project, "src/a.py", BROAD)

    cli("check", "src")

    assert cached_paths(project / cache.DEFAULT_DIRECTORY) == {here("src/a.py")}


def test_cache_dir_option_environment_and_configuration(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "conf/pyproject.toml", '[tool.cancelfix]\ncache-dir = "../from-config"\n')
    write(project, "a.py", BROAD)
    config = ["--config", "conf/pyproject.toml"]

    cli("check", *config)
    assert cached_paths(project / "from-config")
    monkeypatch.setenv("CANCELFIX_CACHE_DIR", "from-env")
    cli("check", *config)
    assert cached_paths(project / "from-env")
    cli("check", *config, "--cache-dir", "from-option")
    assert cached_paths(project / "from-option")
    assert not (project / cache.DEFAULT_DIRECTORY).exists()


def test_cache_dir_in_the_configuration_must_be_a_string(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\ncache-dir = 1\n")
    write(project, "a.py", BROAD)

    result = cli("check")

    assert result.exit_code == 2
    assert result.stderr == (
        f"cancelfix: error: {here('pyproject.toml')}: "
        "`cache-dir` must be a directory name (a string)\n"
    )


@pytest.mark.parametrize("how", ["option", "environment"])
def test_no_cache_neither_reads_nor_writes(
    project: Path,
    files: dict[str, Path],
    engine: list[list[str]],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    args = ["--no-cache"] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("CANCELFIX_NO_CACHE", "1")
    cli("check", *args)
    assert not (project / cache.DEFAULT_DIRECTORY).exists()
    monkeypatch.delenv("CANCELFIX_NO_CACHE", raising=False)
    cli("check")  # fills it

    cli("check", "--no-cache")

    assert len(engine) == 3 and engine[2] == engine[0]


def test_help_documents_the_cache_options() -> None:
    text = " ".join(cli("check", "--help").stdout.split())
    assert "--no-cache Neither read nor write the cache. [env var: CANCELFIX_NO_CACHE]" in text
    assert "--cache-dir DIR" in text and "[env var: CANCELFIX_CACHE_DIR]" in text


def _cache_file(header: list[bytes], body: bytes) -> bytes:
    checksum = cache.hashlib.sha256(body).hexdigest().encode()
    return b" ".join([*header, checksum]) + b"\n" + body


def _corrupted(project: Path, corruption: str) -> bytes:
    good = run_files(project)[0].read_bytes()
    magic, layout, owner, _ = good.partition(b"\n")[0].split(b" ")
    digest = cache._file_digest("broad.py")
    assert digest is not None
    key = json.dumps(here("broad.py"))
    # Entries a checksum vouches for but that are not ours: the digest of broad.py matches.
    wrong_entry = f'{{{key}: ["{digest}",1,2,3,4,true,"yes",null,[],[]]}}'
    wrong_finding = f'{{{key}: ["{digest}",1,2,3,4,true,true,null,[["CF101",1,2,3,4,5,6,7]],[]]}}'
    wrong_fix = f'{{{key}: ["{digest}",1,2,3,4,true,true,null,[["C","n","m",1,1,1,1,"x"]],[]]}}'
    wrong_dependency = f'{{{key}: ["{digest}",1,2,3,4,true,true,null,[],[["a.py",1]]]}}'
    return {
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "garbage": bytes(range(256)),
        "flipped": good[:-10] + bytes([good[-10] ^ 1]) + good[-9:],
        "other-format": good.replace(b" %s " % layout, b" 999 ", 1),
        "foreign": _cache_file([magic, layout, b"0" * 32], good.partition(b"\n")[2]),
        "not-json": _cache_file([magic, layout, owner], b"{"),
        "not-a-dict": _cache_file([magic, layout, owner], b"[1, 2]"),
        "short-entry": _cache_file([magic, layout, owner], f"{{{key}: [1, 2]}}".encode()),
        "wrong-entry": _cache_file([magic, layout, owner], wrong_entry.encode()),
        "wrong-finding": _cache_file([magic, layout, owner], wrong_finding.encode()),
        "wrong-fix": _cache_file([magic, layout, owner], wrong_fix.encode()),
        "wrong-dependency": _cache_file([magic, layout, owner], wrong_dependency.encode()),
    }[corruption]


CORRUPTIONS = [
    "truncated",
    "empty",
    "garbage",
    "flipped",
    "other-format",
    "foreign",
    "not-json",
    "not-a-dict",
    "short-entry",
    "wrong-entry",
    "wrong-finding",
    "wrong-fix",
    "wrong-dependency",
]


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_corrupt_cache_file_is_ignored_and_rewritten(
    project: Path, files: dict[str, Path], engine: list[list[str]], corruption: str
) -> None:
    cold = cli("check", "--output-format", "json")
    (path,) = run_files(project)
    path.write_bytes(_corrupted(project, corruption))

    repaired = cli("check", "--output-format", "json")
    warm = cli("check", "--output-format", "json")

    assert outcome(repaired) == outcome(warm) == outcome(cold)
    assert len(engine) == 2, "the corrupt file was ignored, then rewritten"


def test_corrupt_rule_memo_is_ignored(project: Path, files: dict[str, Path]) -> None:
    cold = cli("check", "--select", "CF1")
    for memo in (project / cache.DEFAULT_DIRECTORY / __version__).glob("rules-*.json"):
        memo.write_bytes(memo.read_bytes()[:-3])

    assert outcome(cli("check", "--select", "CF1")) == outcome(cold)


@pytest.mark.parametrize("select", ["CF999", "CF1,XY"])
def test_unknown_rule_fails_the_same_with_or_without_a_cache(
    project: Path, files: dict[str, Path], select: str
) -> None:
    cli("check")
    cli("check", "--select", "CF1")

    warm = cli("check", "--select", select)
    uncached = cli("check", "--select", select, "--no-cache")

    assert outcome(warm) == outcome(uncached)
    assert warm.exit_code == 2
    assert warm.stderr.startswith("cancelfix: error: ") and "matches no rule" in warm.stderr


@pytest.mark.parametrize("blocker", ["file", "file-below"])
def test_unwritable_cache_warns_once_and_the_run_goes_on(
    project: Path, files: dict[str, Path], blocker: str
) -> None:
    """A cache directory that cannot be created (here a file is in the way: the tests may run
    as root, whom permissions do not stop)."""
    (project / "in-the-way").write_text("")
    cache_dir = "in-the-way" if blocker == "file" else "in-the-way/cache"
    uncached = cli("check", "--output-format", "json", "--no-cache")

    result = cli("check", "--output-format", "json", "--cache-dir", cache_dir)

    warning, *rest = result.stderr.splitlines(keepends=True)
    assert warning.startswith(f"cancelfix: warning: cannot write the cache in {cache_dir}: ")
    assert warning.count("cancelfix:") == 1
    assert (result.exit_code, result.stdout, "".join(rest)) == outcome(uncached)


def test_no_temporary_files_are_left_and_unused_files_are_pruned(
    project: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "RACY_MARGIN_NS", -3600 * 10**9)  # settled: no rewrite
    cli("check")
    directory = project / cache.DEFAULT_DIRECTORY / __version__
    (in_use,) = run_files(project)
    stale = directory / "run-0123.json"
    stale.write_text("")
    old = time.time() - cache.UNUSED_SECONDS - 60
    os.utime(stale, (old, old))
    os.utime(in_use, (old, old))

    cli("check")  # reads in_use, and so touches it
    assert in_use.stat().st_mtime > old + 60
    cli("check", "--select", "CF1")  # writes a new file, pruning the unused ones

    names = sorted(path.name for path in directory.iterdir())
    assert in_use.name in names and stale.name not in names
    assert not [name for name in names if name.startswith(".tmp-")]
    assert len([name for name in names if name.startswith("run-")]) == 2


def test_unused_directories_of_other_versions_are_pruned(
    project: Path, files: dict[str, Path]
) -> None:
    cli("check")
    cache_dir = project / cache.DEFAULT_DIRECTORY
    old = time.time() - cache.UNUSED_SECONDS - 60
    unused = [
        "0.0.1/run-1.json",
        "0.0.1/rules-1.json",
        "0.0.1/.tmp-1",
        "0.0.2/run-2.json",
        "0.0.3/run-3.json",
        "0.0.3/notes.txt",
        "0.0.3/below/run-4.json",
        "notes.txt",
    ]
    for name in [*unused, "0.0.2/run-in-use.json"]:
        path = cache_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        if name in unused:
            os.utime(path, (old, old))
    (cache_dir / "empty").mkdir()

    cli("check", "--select", "CF1")  # writes a new file, pruning the unused ones

    left = sorted(
        path.relative_to(cache_dir).as_posix()
        for path in cache_dir.rglob("*")
        if not path.is_relative_to(cache_dir / __version__)
    )
    assert left == [
        ".gitignore",
        "0.0.2",
        "0.0.2/run-in-use.json",
        "0.0.3",
        "0.0.3/below",
        "0.0.3/below/run-4.json",
        "0.0.3/notes.txt",
        "CACHEDIR.TAG",
        "empty",
        "notes.txt",
    ]
    assert len(run_files(project)) == 2


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600)], ids=["022", "077"])
def test_cache_files_follow_the_umask(
    project: Path, files: dict[str, Path], umask: int, mode: int
) -> None:
    previous = os.umask(umask)
    try:
        cli("check", "--select", "CF1")  # a run file and a rule memo
    finally:
        os.umask(previous)

    written = [path for path in (project / cache.DEFAULT_DIRECTORY).rglob("*") if path.is_file()]
    assert len(written) == 4
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in written} == {
        path.name: mode for path in written
    }
