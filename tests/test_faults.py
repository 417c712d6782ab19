"""Faults during `fix`: SIGINT, SIGTERM and SIGKILL mid-run, a worker that segfaults, a writer
killed mid-write. Every file ends up byte-identical to its original or its fully fixed version,
and no temporary file is left behind. (`scripts/faults.py` is the long version, on a real
package.)
"""

from __future__ import annotations

import faulthandler
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codemods import runner, writer
from codemods.model import FileOutcome, Settings, digest
from tests import samples
from tests.clitools import cli

pytestmark = pytest.mark.slow  # real processes, signalled and killed mid-run

ORIGINAL = samples.SWALLOWING.encode()
FIXED = samples.SWALLOWING_FIXED.encode()
COMMAND = [sys.executable, "-m", "codemods", "fix", "--unsafe-fixes", "--no-color", "."]
TIMEOUT = 60.0

linux_only = pytest.mark.skipif(
    not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"),
    reason="O_TMPFILE and /proc are Linux's",
)
forking = pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork",
    reason="monkeypatching reaches workers only when they are forked",
)


def _project(root: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = root / f"m{index:03}.py"
        path.write_bytes(ORIGINAL)
        paths.append(path)
    return paths


def _states(root: Path, paths: list[Path]) -> tuple[int, int]:
    """(untouched, fixed) files; fails on any other content and on leftover temporary files."""
    contents = [path.read_bytes() for path in paths]
    assert all(content in (ORIGINAL, FIXED) for content in contents), "a file is neither"
    leftovers = [p.name for p in root.iterdir() if p.name.endswith(writer.TEMPORARY_SUFFIX)]
    assert leftovers == [], "a temporary file was left behind"
    assert sorted(root.iterdir()) == sorted(paths)
    return contents.count(ORIGINAL), contents.count(FIXED)


def _live_processes_in_group(group: int) -> list[int]:
    """Processes of the process group that are not zombies (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(entry))
    return found


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def _start_and_interrupt_after_first_write(
    root: Path, paths: list[Path], send: Callable[[subprocess.Popen[bytes]], None]
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        COMMAND,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # Ctrl-C as in a terminal, even where pytest runs with SIGINT ignored (`&`, `nohup`).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )

    def some_file_written() -> bool:
        assert process.poll() is None, "the run ended before any file was written"
        return any(path.read_bytes() == FIXED for path in paths)

    try:
        _wait_for(some_file_written, "a first written file")
        send(process)
        process.wait(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process


@linux_only
@pytest.mark.parametrize(
    ("signum", "to_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-to-the-process-group", "sigterm-to-the-main-process"],
)
def test_interrupted_run_stops_cleanly(
    project: Path, signum: signal.Signals, to_group: bool
) -> None:
    paths = _project(project, 200)

    def send(process: subprocess.Popen[bytes]) -> None:
        if to_group:  # what a terminal does on Ctrl-C: workers get it too (and ignore it)
            os.killpg(process.pid, signum)
        else:
            os.kill(process.pid, signum)

    process = _start_and_interrupt_after_first_write(project, paths, send)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    assert process.returncode == 128 + signum, stderr
    untouched, fixed = _states(project, paths)
    assert fixed >= 1 and untouched >= 1, "the interrupt came too late to test anything"
    written = "1 file" if fixed == 1 else f"{fixed} files"
    assert stderr == f"cancelfix: interrupted; {written} written, the rest untouched\n"
    assert _live_processes_in_group(process.pid) == [], "a worker outlived the run"


@linux_only
def test_interrupted_run_keeps_what_it_learnt_in_the_cache(project: Path) -> None:
    # Files with nothing to fix are cached. Sorted first, they are handed out first: by the
    # time a file is fixed, many of them are done.
    clean = [project / f"clean{index:03}.py" for index in range(100)]
    for path in clean:
        path.write_bytes(FIXED)
    paths = _project(project, 200)

    def ctrl_c(process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGINT)

    process = _start_and_interrupt_after_first_write(project, paths, ctrl_c)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    assert process.returncode == 128 + signal.SIGINT, stderr
    fixed = sum(path.read_bytes() == FIXED for path in paths)
    assert 1 <= fixed < len(paths), "the interrupt came too late to test anything"
    written = "1 file" if fixed == 1 else f"{fixed} files"
    assert stderr == f"cancelfix: interrupted; {written} written, the rest untouched\n"
    # (Where the `project` fixture puts the cache.)
    (run_file,) = Path(os.environ["CANCELFIX_CACHE_DIR"]).glob("*/run-*.json")
    cached = {Path(key).name for key in json.loads(run_file.read_bytes().partition(b"\n")[2])}
    assert cached and cached <= {path.name for path in clean}

    rerun = subprocess.run([*COMMAND, "-v"], cwd=project, capture_output=True, timeout=TIMEOUT)
    assert rerun.returncode == 0, rerun.stderr
    total = len(clean) + len(paths)
    assert f"{len(cached)} of {total} files from the cache" in rerun.stderr.decode()
    assert all(path.read_bytes() == FIXED for path in clean + paths)


@linux_only
def test_killed_run_leaves_each_file_whole_and_a_new_run_finishes_it(project: Path) -> None:
    paths = _project(project, 20)
    process = _start_and_interrupt_after_first_write(
        project, paths, lambda process: os.kill(process.pid, signal.SIGKILL)
    )
    assert process.returncode == -signal.SIGKILL
    assert _states(project, paths)[1] >= 1
    # An orphaned worker finds its pipe closed and leaves, at the latest after its file.
    _wait_for(lambda: not _live_processes_in_group(process.pid), "orphaned workers to exit")
    rerun = subprocess.run(COMMAND, cwd=project, capture_output=True, timeout=TIMEOUT)
    assert rerun.returncode == 0, rerun.stderr
    assert _states(project, paths) == (0, len(paths))


@forking
def test_segfaulting_worker_loses_only_its_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _project(project, 10)
    victim = paths[5]
    real = runner.process_path

    def segfault_on_victim(path: str, settings: Settings) -> FileOutcome:
        if Path(path).name == victim.name:
            faulthandler.disable()  # pytest's handler would print a traceback from the child
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(path, settings)

    monkeypatch.setattr(runner, "process_path", segfault_on_victim)  # inherited by the fork
    result = cli("fix", "--unsafe-fixes", ".")
    assert result.exit_code == 2
    assert f"{victim.name}: error: worker crashed (exit code {-signal.SIGSEGV})" in result.output
    assert victim.read_bytes() == ORIGINAL
    assert all(path.read_bytes() == FIXED for path in paths if path != victim)
    assert sorted(project.iterdir()) == sorted(paths)


# --- the writer, killed or signalled in the middle of a write ---------------------------------


def _write_pausing_in(
    function: str, path: str, reached: Any, go: Any, named: bool
) -> None:  # pragma: no cover - runs in a child process
    """Write FIXED over `path`, stopping in os.`function` until `go` is set."""
    real = getattr(os, function)

    def paused(*args: Any, **kwargs: Any) -> Any:
        reached.set()
        go.wait()
        return real(*args, **kwargs)

    setattr(os, function, paused)
    if named:  # as where O_TMPFILE is unsupported
        writer._replace_through_anonymous_file = lambda *args: False  # type: ignore[assignment]
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    writer.write_atomic(path, FIXED, digest(ORIGINAL))
    os._exit(0)


def _start_writer(
    tmp_path: Path, function: str, *, named: bool = False
) -> tuple[Path, Any, Any, Any]:
    path = tmp_path / "a.py"
    path.write_bytes(ORIGINAL)
    context = multiprocessing.get_context("fork")
    reached, go = context.Event(), context.Event()
    child = context.Process(
        target=_write_pausing_in, args=(function, str(path), reached, go, named)
    )
    child.start()
    assert reached.wait(TIMEOUT)
    return path, child, reached, go


@linux_only
def test_writer_killed_before_the_link_leaves_nothing(tmp_path: Path) -> None:
    path, child, _, _ = _start_writer(tmp_path, "fsync")  # the anonymous file is being written
    child.kill()
    child.join()
    assert path.read_bytes() == ORIGINAL
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


@linux_only
def test_temporary_left_by_a_killed_writer_goes_with_the_next_write(tmp_path: Path) -> None:
    # The one window: the temporary file has its name, and is not yet renamed.
    path, child, _, _ = _start_writer(tmp_path, "replace")
    (temporary,) = [p for p in tmp_path.iterdir() if p.name != "a.py"]
    assert temporary.name.startswith(".a.py.") and temporary.name.endswith(".cancelfix")
    assert temporary.read_bytes() == FIXED and path.read_bytes() == ORIGINAL
    assert writer.remove_abandoned_temporaries(str(path)) == [], "removed a live writer's file"
    child.kill()
    child.join()
    assert temporary.exists()
    (tmp_path / "b.py").write_bytes(ORIGINAL)  # another file's write leaves it alone
    writer.write_atomic(str(tmp_path / "b.py"), FIXED, digest(ORIGINAL))
    assert temporary.exists()
    writer.write_atomic(str(path), FIXED, digest(ORIGINAL))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]
    assert path.read_bytes() == FIXED


@linux_only
@pytest.mark.parametrize(
    ("function", "named", "held"),
    [
        ("fsync", False, False),
        ("replace", False, True),
        ("fsync", True, True),
        ("replace", True, True),
    ],
    ids=["o-tmpfile-writing", "o-tmpfile-renaming", "named-writing", "named-renaming"],
)
def test_sigterm_during_a_write(tmp_path: Path, function: str, named: bool, held: bool) -> None:
    path, child, _, go = _start_writer(tmp_path, function, named=named)
    assert child.pid is not None
    os.kill(child.pid, signal.SIGTERM)
    if held:  # a temporary file has a name: the signal waits until the write is done
        time.sleep(0.1)
        assert child.is_alive()
        go.set()
    child.join(TIMEOUT)
    assert child.exitcode == -signal.SIGTERM
    # Not held while the file is still anonymous: it goes with the process.
    assert path.read_bytes() == (FIXED if held else ORIGINAL)
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]
