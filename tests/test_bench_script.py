"""The pure parts of bench/run.py, and its process measurement on tiny commands: no network,
no benchmark, no assertion on timings."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow  # the benchmark script, measuring real processes

ROOT = Path(__file__).resolve().parent.parent


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
TIMES = "\N{MULTIPLICATION SIGN}"


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip("|").split("|")]


def measurement(corpus: str, tool: str, *seconds: float, rss: float = 50.0, files: int = 10):
    result = bench.Measurement(corpus, tool, files, files * 100)
    result.runs += [bench.Run(value, rss, 0) for value in seconds]
    return result


# --- options ----------------------------------------------------------------------------------


def test_defaults() -> None:
    options = bench.parse_args([])
    # Every package of the corpus (`scripts/corpus.py`'s ten, which its tests name), Home
    # Assistant first: the fix-mode target holds for each of them.
    assert options.corpora == tuple(bench.CORPORA)
    assert list(bench.CORPORA.values()) == list(bench.CORPUS_PACKAGES)
    assert (options.corpora[0], len(options.corpora)) == ("homeassistant", 10)
    assert (options.runs, options.slow_runs, options.scaling) == (5, 1, True)
    assert options.cache_dir == ROOT / ".bench"
    assert options.png == ROOT / "bench" / "results.png"
    assert options.cancelfix == (sys.executable, "-m", "codemods")
    assert options.json is None


def test_quick_and_corpus_selection() -> None:
    argv = ["--quick", "--runs", "7", "--corpus", "websockets", "--corpus", "aiohttp"]
    options = bench.parse_args([*argv, "--cancelfix", "/opt/venv/bin/cancelfix --jobs 2"])
    assert options.corpora == ("aiohttp", "websockets")  # in the default order
    assert (options.runs, options.slow_runs, options.scaling) == (1, 1, False)
    assert options.cancelfix == ("/opt/venv/bin/cancelfix", "--jobs", "2")


def test_no_scaling_and_run_counts() -> None:
    options = bench.parse_args(["--no-scaling", "--runs", "3", "--slow-runs", "2"])
    assert (options.runs, options.slow_runs, options.scaling) == (3, 2, False)


def test_flake8_async_may_be_left_out() -> None:
    assert bench.parse_args(["--slow-runs", "0"]).slow_runs == 0
    assert bench.parse_args(["--quick", "--slow-runs", "0"]).slow_runs == 0


@pytest.mark.parametrize(
    "argv", [["--runs", "0"], ["--corpus", "django"], ["--slow-runs", "x"], ["--slow-runs", "-1"]]
)
def test_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


# --- numbers and tables -----------------------------------------------------------------------


def test_median_and_peak() -> None:
    result = measurement("c", bench.COLD, 3.0, 1.0, 2.0, 10.0)
    result.runs[0] = bench.Run(3.0, 180.0, 1)
    assert result.seconds == 2.5
    assert result.rss_mb == 180.0
    empty = bench.Measurement("c", bench.COLD, 1, 1)
    assert empty.seconds is None and empty.rss_mb is None
    result.error = "the fifth run failed"
    assert result.seconds is None and result.rss_mb is None
    assert bench.median([]) is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "n/a"), (0.01234, "0.012"), (4.617, "4.62"), (16.27, "16.3")]
)
def test_format_seconds(seconds: float | None, text: str) -> None:
    assert bench.format_seconds(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"), [(None, "n/a"), (0.4237, "0.42*"), (2.14, "2.1*"), (344.4, "344*")]
)
def test_format_ratio(value: float | None, text: str) -> None:
    assert bench.format_ratio(value) == text.replace("*", TIMES)


def test_ratio() -> None:
    assert bench.ratio(3.0, 1.5) == 2.0
    assert bench.ratio(None, 1.0) is None
    assert bench.ratio(1.0, None) is None
    assert bench.ratio(1.0, 0.0) is None


def test_markdown_table() -> None:
    table = bench.markdown_table(["name", "kind", "n"], [["a", "x", 1], ["bbbb", "y", 1234]])
    assert table.splitlines() == [
        "| name | kind |    n |",
        "| ---- | ---- | ---: |",
        "| a    | x    |    1 |",
        "| bbbb | y    | 1234 |",
    ]


def test_results_table_ratios_to_ruff() -> None:
    results = [
        measurement("ha", bench.COLD, 2.0, 2.2, 2.1, rss=150.4, files=1200),
        measurement("ha", bench.RUFF, 1.0, files=1200),
        measurement("ws", bench.COLD, 1.0),
    ]
    results[2].error = "`x` exited 2: boom"
    rows = bench.results_table(results).splitlines()[2:]
    assert cells(rows[0]) == [
        "ha",
        "cancelfix check (cold)",
        "1,200",
        "120,000",
        "2.10",
        f"2.1{TIMES} ruff",
        "n/a",  # (no CPU time measured)
        "150",
    ]
    assert cells(rows[1])[5] == f"1.0{TIMES} ruff"
    assert cells(rows[2])[4:] == ["error", "n/a", "n/a", "n/a"]


def test_cpu_time_is_the_median_of_the_runs_and_in_the_fix_targets() -> None:
    cold = bench.Measurement("ws", bench.COLD, 10, 1000)
    cold.runs += [bench.Run(5.0, 50.0, 0, cpu) for cpu in (1.0, 3.0, 2.0)]
    fix = bench.Measurement("ws", bench.FIX, 10, 1000)
    fix.runs.append(bench.Run(9.0, 50.0, 0, 3.2))
    assert cold.cpu_seconds == 2.0
    assert cells(bench.results_table([cold, fix]).splitlines()[2])[6] == "2.00"
    found = {t.description: t for t in bench.targets([cold, fix], corpus="ws")}
    assert found["ws: `fix --diff` / cold `check`"].status == "FAIL"  # wall: 1.8x
    assert found["ws: `fix --diff` / cold `check` (CPU)"].status == "FAIL"  # 1.6x
    fix.runs[0] = bench.Run(9.0, 50.0, 0, 2.8)
    found = {t.description: t for t in bench.targets([cold, fix], corpus="ws")}
    assert found["ws: `fix --diff` / cold `check` (CPU)"].status == "PASS"


def test_targets_pass_and_fail() -> None:
    results = [
        measurement("homeassistant", bench.COLD, 2.0, rss=120.0),
        measurement("homeassistant", bench.WARM, 0.5, rss=90.0),
        measurement("homeassistant", bench.FIX, 3.0, rss=230.0),
        measurement("homeassistant", bench.FIX_UNSAFE, 2.9, rss=180.0),
        measurement("homeassistant", bench.FLOOR, 1.6, rss=100.0),
        measurement("homeassistant", bench.RUFF, 1.0, rss=500.0),
        measurement("homeassistant", bench.FLAKE8_ASYNC, 150.0),
        measurement("websockets", bench.COLD, 1.0),
        measurement("websockets", bench.FIX, 1.2),
    ]
    slowest = [bench.SlowFile("websockets", "a.py", 2.5), bench.SlowFile("ha", "b.py", 0.5)]
    found = {target.description: target for target in bench.targets(results, slowest)}
    ratios_of_cpu = [d for d in found if "/" in d and d.endswith("(CPU)")]
    assert ratios_of_cpu and all(found[d].value is None for d in ratios_of_cpu), "not measured"
    found = {d: target for d, target in found.items() if d not in ratios_of_cpu}
    assert [(t.value, t.status) for t in found.values()] == [
        (1.25, "PASS"),
        (0.5, "PASS"),
        (75.0, "FAIL"),
        (1.5, "PASS"),
        (1.45, "PASS"),
        (1.2, "PASS"),
        (None, "n/a"),  # not measured
        (2.5, "FAIL"),
        (230.0, "FAIL"),  # the largest of cancelfix's commands, not ruff's
    ]
    assert "websockets: `fix --diff --unsafe-fixes` / cold `check`" in found
    table = bench.targets_table(list(found.values()))
    assert f"≤ 1.5{TIMES}" in table and "≥ 100" in table and "≤ 200 MB" in table
    assert "230 MB" in table and "≤ 2 s" in table and "2.50 s" in table


def test_targets_without_measurements() -> None:
    results = [measurement("homeassistant", bench.RUFF, 1.0)]
    assert {target.status for target in bench.targets(results)} == {"n/a"}


def test_slowest_table_ranks_the_files_of_every_corpus() -> None:
    slowest = [bench.SlowFile("ws", f"f{index}.py", index / 10) for index in range(12)]
    slowest.append(bench.SlowFile("ha", "big.py", 3.0))
    rows = bench.slowest_table(slowest).splitlines()[2:]
    assert len(rows) == bench.SLOWEST_SHOWN
    assert cells(rows[0]) == ["ha", "big.py", "3.00"]
    assert cells(rows[1]) == ["ws", "f11.py", "1.10"]


def test_scaling_table_shows_time_per_thousand_files() -> None:
    points = [
        bench.ScalePoint(
            copies,
            measurement("ha", bench.COLD, 2.0 * copies, files=1000 * copies),
            measurement("ha", bench.RUFF, 0.1 * copies, files=1000 * copies),
        )
        for copies in (1, 2, 4)
    ]
    rows = bench.scaling_table(points).splitlines()
    assert cells(rows[4]) == [
        f"4{TIMES}",
        "4,000",
        "8.00",
        "2.00",
        f"4.0{TIMES}",
        "50",
        "0.40",
        "0.10",
        f"4.0{TIMES}",
    ]


def test_report_without_the_reference_corpus() -> None:
    machine = bench.Machine(2, "Linux", "3.11.7", {"ruff": "ruff 0.1"}, (0.5, 0.4, 0.3))
    results = [measurement("websockets", bench.RUFF, 0.02)]
    text = bench.report(machine, bench.parse_args(["--quick"]), results, [])
    assert "2 CPUs" in text and "ruff 0.1" in text and "0.50 0.40 0.30" in text
    assert "measured on homeassistant, not in this run" in text


# --- corpora ----------------------------------------------------------------------------------


def _tree(root: Path) -> None:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("x = 1\ny = 2\n")
    (root / "pkg" / "sub" / "mod.py").write_text("import asyncio\n")
    (root / "pkg" / "data.json").write_text("{}")
    (root / "pkg" / "ext.pyx").write_text("cdef int x\n")
    (root / "pkg" / "link.py").symlink_to(root / "pkg" / "__init__.py")


def test_copy_python_files_copies_only_python(tmp_path: Path) -> None:
    _tree(tmp_path / "src")
    files = bench.copy_python_files(tmp_path / "src", tmp_path / "dst")
    assert files == ["pkg/__init__.py", "pkg/sub/mod.py"]
    assert bench.python_files(tmp_path / "dst") == files
    assert sorted(p.name for p in (tmp_path / "dst").rglob("*") if p.is_file()) == [
        "__init__.py",
        "mod.py",
    ]
    assert bench.count_lines(tmp_path / "dst", files) == 3


def test_build_scaled_copies_the_corpus_n_times(tmp_path: Path) -> None:
    _tree(tmp_path / "src")
    names = bench.build_scaled(tmp_path / "src", tmp_path / "scaled", 4)
    assert names == ["copy1", "copy2", "copy3", "copy4"]
    files = bench.python_files(tmp_path / "scaled")
    assert len(files) == 8
    assert "copy3/pkg/sub/mod.py" in files
    assert (tmp_path / "scaled" / "copy4" / "pkg" / "sub" / "mod.py").read_text() == (
        "import asyncio\n"
    )


def test_extract_python_files_from_a_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "a = 1\n")
        archive.writestr("demo/_speedups.c", "int x;\n")
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
        archive.writestr("../escape.py", "evil = 1\n")
    bench.extract_python_files(wheel, tmp_path / "out")
    extracted = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py"))
    assert extracted == ["out/demo/__init__.py", "out/escape.py"]  # ".." dropped


def test_extract_python_files_from_an_sdist(tmp_path: Path) -> None:
    (tmp_path / "demo-1.0" / "demo").mkdir(parents=True)
    (tmp_path / "demo-1.0" / "demo" / "core.py").write_text("b = 2\n")
    (tmp_path / "demo-1.0" / "README").write_text("hi\n")
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(tmp_path / "demo-1.0", arcname="demo-1.0")
    bench.extract_python_files(sdist, tmp_path / "out")
    assert bench.python_files(tmp_path / "out") == ["demo-1.0/demo/core.py"]
    assert not (tmp_path / "out" / "demo-1.0" / "README").exists()


def test_download_reuses_the_cached_archive(tmp_path: Path) -> None:
    cached = tmp_path / "demo-1.0" / "demo-1.0-py3-none-any.whl"
    cached.parent.mkdir()
    cached.write_bytes(b"")
    assert bench.download("demo==1.0", cached.parent) == cached  # no pip, no network


# --- running commands -------------------------------------------------------------------------


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("code", [0, 1])
def test_run_command_accepts_findings(tmp_path: Path, code: int) -> None:
    run = bench.run_command(python(f"import sys; print('x' * 100000); sys.exit({code})"), tmp_path)
    assert run.exit_code == code
    assert run.seconds > 0
    assert run.rss_mb > 1  # a Python interpreter, at least ru_maxrss


def test_run_command_reports_errors(tmp_path: Path) -> None:
    usage_error = "import sys; sys.stderr.write('Error: No such option\\n'); sys.exit(2)"
    with pytest.raises(bench.CommandError, match=r"exited 2: Error: No such option$"):
        bench.run_command(python(usage_error), tmp_path)
    # A crash exits 1, the same as findings: the traceback tells them apart.
    with pytest.raises(bench.CommandError, match=r"exited 1: ZeroDivisionError"):
        bench.run_command(python("1 / 0"), tmp_path)


def test_run_command_runs_in_the_directory_without_cancelfix_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANCELFIX_NO_CACHE", "1")
    code = "import os; open('here', 'w').write(os.environ.get('CANCELFIX_NO_CACHE', 'unset'))"
    bench.run_command(python(code), tmp_path)
    assert (tmp_path / "here").read_text() == "unset"


def test_process_tree_includes_children() -> None:
    child = subprocess.Popen(python("import time; time.sleep(30)"))
    try:
        tree = bench.process_tree(bench.os.getpid())
        assert tree[0] == bench.os.getpid()
        assert child.pid in tree
        assert bench.rss_kb(child.pid) > 0
    finally:
        child.kill()
        child.wait()
    assert bench.rss_kb(child.pid) == 0


def test_measure_takes_turns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "log"

    def writes(letter: str) -> tuple[str, ...]:
        return tuple(python(f"open({str(log)!r}, 'a').write({letter!r})"))

    fast = bench.Tool(bench.WARM, writes("w"), prepare=writes("p"))
    slow = bench.Tool(bench.FLAKE8_ASYNC, writes("f"), slow=True)
    broken = bench.Tool(bench.RUFF, tuple(python("import sys; sys.exit(5)")))
    jobs = [(tool, bench.Measurement("demo", tool.key, 1, 1)) for tool in (fast, slow, broken)]
    bench.measure(jobs, tmp_path, runs=3, slow_runs=1)
    assert log.read_text() == "pwfww"
    assert [len(result.runs) for _, result in jobs] == [3, 1, 0]
    assert "exited 5" in (jobs[2][1].error or "")
    assert "demo: ruff --select ASYNC: `" in capsys.readouterr().err
    log.unlink()
    skipped = [(tool, bench.Measurement("demo", tool.key, 1, 1)) for tool in (fast, slow)]
    bench.measure(skipped, tmp_path, runs=1, slow_runs=0)
    assert log.read_text() == "pw"
    assert skipped[1][1].seconds is None and skipped[1][1].error is None


def fake_cancelfix(stderr: str, code: int) -> tuple[str, ...]:
    return (sys.executable, "-c", f"import sys; sys.stderr.write({stderr!r}); sys.exit({code})")


def test_supports_detects_a_missing_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.supports(fake_cancelfix("", 0), "check", ["--no-cache"], tmp_path)
    missing = fake_cancelfix("Error: No such option '--no-cache'.\n", 2)
    assert not bench.supports(missing, "check", ["--no-cache"], tmp_path)
    assert "`check --no-cache` is not supported" in capsys.readouterr().err
    with pytest.raises(bench.BenchError, match="exited 3"):
        bench.supports(fake_cancelfix("boom", 3), "check", ["--no-cache"], tmp_path)


def test_all_tools(tmp_path: Path) -> None:
    commands = bench.Commands(
        cancelfix=("py", "-m", "codemods"),
        ruff="ruff",
        flake8_async="flake8-async",
        check_no_cache=("--no-cache",),
        fix_no_cache=(),
        has_cache_dir=True,
    )
    tools = {tool.key: tool for tool in bench.all_tools(commands, ["a.py", "b/c.py"], tmp_path)}
    assert list(tools) == [
        bench.COLD,
        bench.WARM,
        bench.FIX,
        bench.FIX_UNSAFE,
        bench.FLOOR,
        bench.RUFF,
        bench.FLAKE8_ASYNC,
    ]
    assert tools[bench.COLD].argv == ("py", "-m", "codemods", "check", "--no-cache", ".")
    assert tools[bench.WARM].prepare == tools[bench.WARM].argv
    assert tools[bench.WARM].argv[-3:] == ("--cache-dir", str(tmp_path), ".")
    assert tools[bench.FIX].argv == ("py", "-m", "codemods", "fix", "--diff", ".")
    assert tools[bench.FIX_UNSAFE].argv[3:] == ("fix", "--diff", "--unsafe-fixes", ".")
    assert "--no-cache" in tools[bench.RUFF].argv and "ASYNC" in tools[bench.RUFF].argv
    assert tools[bench.FLAKE8_ASYNC].argv[-2:] == ("a.py", "b/c.py")
    assert [tool.key for tool in tools.values() if tool.slow] == [bench.FLAKE8_ASYNC]


# --- the chart --------------------------------------------------------------------------------


def test_chart_written(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    results = [
        measurement(corpus, tool, seconds)
        for corpus in ("homeassistant", "websockets")
        for tool, seconds in [(bench.COLD, 16.0), (bench.RUFF, 0.3), (bench.FLAKE8_ASYNC, 80.0)]
    ]
    results.append(bench.Measurement("websockets", bench.WARM, 1, 1))  # no run: no bar
    path = tmp_path / "out" / "chart.png"
    assert bench.write_chart(results, path, "2 CPUs")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_no_chart_without_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes the import fail
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    path = tmp_path / "chart.png"
    assert not bench.write_chart([measurement("ws", bench.RUFF, 0.1)], path, "")
    assert not path.exists()
    assert "matplotlib is not installed" in capsys.readouterr().err


def test_floor_script_parses_only_what_a_prefilter_lets_through(tmp_path: Path) -> None:
    (tmp_path / "swallows.py").write_text(
        "import asyncio\n\nasync def f():\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        pass\n"
    )
    (tmp_path / "plain.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("async def f(:\n    except BaseException: pass\n")

    done = subprocess.run(
        [sys.executable, str(bench.FLOOR_SCRIPT), "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )

    assert (done.stdout, done.stderr) == ("3 files, 2 parsed\n", "")


def test_slowest_script_times_each_file_in_fix_mode(tmp_path: Path) -> None:
    (tmp_path / "swallows.py").write_text(
        "import asyncio\n\nasync def f():\n    try:\n        await g()\n"
        "    except asyncio.CancelledError:\n        pass\n"
    )
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.py").write_text("x = 1\n")

    done = subprocess.run(
        [sys.executable, str(bench.SLOWEST_SCRIPT), ".", "2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )

    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 2 and done.stderr == ""
    assert rows[0]["path"] == "swallows.py"  # the one file with something to fix
    assert rows[0]["seconds"] >= rows[1]["seconds"] >= 0
    corpus = bench.Corpus("tmp", "tmp==1", tmp_path, ("a.py",), 1)
    assert [file.path for file in bench.slowest_files(corpus)][:1] == ["swallows.py"]
