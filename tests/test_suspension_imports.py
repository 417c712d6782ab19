"""Awaits of coroutine functions that another module of the package defines
(`codemods.analysis.suspension` reading through `codemods.analysis.siblings`).

Each case is a small package on disk: a caller whose guarded region (CF207's tail, the `try`
of CF205 and CF202) awaits an imported function, and the module that defines it. Where that
module's function never suspends, no cancellation can skip the cleanup: no finding. Where it
may suspend, or the import names no module of the package that can be read, the finding stays.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from codemods import cache
from codemods.analysis import siblings, suspension
from codemods.engine import process_path, process_source
from codemods.model import FileOutcome, Mode, RuleOptions, Settings
from codemods.server.adapter import analyse
from tests.clitools import cli, write

CALLERS = {
    "CF207": """\
        import asyncio
        {imports}


        class Journal:
            def __init__(self, sink) -> None:
                self._sink = sink
                self._lock = asyncio.Lock()

            async def flush_locked(self, name: str) -> None:
                # the caller acquired self._lock
                {call}
                self._lock.release()
        """,
    "CF205": """\
        import asyncio
        {imports}


        class Client:
            def __init__(self, lock: asyncio.Lock) -> None:
                self._lock = lock

            async def request(self, name: str) -> None:
                await self._lock.acquire()
                try:
                    {call}
                except OSError:
                    self._lock.release()
                    raise
                self._lock.release()
        """,
    "CF202": """\
        import asyncio
        {imports}


        class Pool:
            def __init__(self) -> None:
                self._holders: asyncio.Queue = asyncio.Queue()

            async def acquire(self, name: str) -> object:
                holder = await self._holders.get()
                try:
                    {call}
                except Exception:
                    self._holders.put_nowait(holder)
                    raise
                return holder
        """,
}
"""A caller of each rule, where `{call}` is the only await of the guarded region."""

NEVER = """\
import time

STATS: list[tuple[str, float]] = []


async def record(name: str) -> None:
    STATS.append((name, time.monotonic()))
"""
"""A metrics hook written as `async def` without an await: it never suspends."""


def _suspending(source: str) -> str:
    """`source`, a module of the cases, with its hooks awaiting a sleep first."""
    return "import asyncio\n" + source.replace(
        "    STATS.append", "    await asyncio.sleep(0)\n    STATS.append"
    )


SUSPENDS = _suspending(NEVER)

PACKAGE = {"app/__init__.py": ""}


@dataclass(frozen=True)
class Case:
    code: str
    imports: str
    call: str = "await record(name)"
    files: dict[str, str] = field(default_factory=lambda: {"app/metrics.py": NEVER})
    caller: str = "app/client.py"
    package: dict[str, str] = field(default_factory=lambda: dict(PACKAGE))

    def write(self, root: Path) -> Path:
        for name, source in {**self.package, **self.files}.items():
            write(root, name, source)
        source = textwrap.dedent(CALLERS[self.code]).format(imports=self.imports, call=self.call)
        return write(root, self.caller, source)


NEVER_SUSPENDS = {
    "cf207-relative": Case("CF207", "from .metrics import record"),
    "cf205-relative": Case("CF205", "from .metrics import record"),
    "cf202-relative": Case("CF202", "from .metrics import record"),
    "cf207-absolute": Case("CF207", "from app.metrics import record"),
    "cf205-absolute-in-src-layout": Case(
        "CF205",
        "from app.metrics import record",
        files={"src/app/metrics.py": NEVER},
        caller="src/app/client.py",
        package={"src/app/__init__.py": ""},
    ),
    "cf202-module-alias": Case("CF202", "import app.metrics as m", call="await m.record(name)"),
    "cf207-alias": Case("CF207", "from .metrics import record as note", call="await note(name)"),
    "cf205-parent-package": Case(
        "CF205",
        "from ..metrics import record",
        caller="app/sub/client.py",
        package={**PACKAGE, "app/sub/__init__.py": ""},
    ),
    "cf202-subpackage-module": Case(
        "CF202", "from .metrics import record", files={"app/metrics/__init__.py": NEVER}
    ),
    "cf207-through-the-modules-own-helper": Case(
        "CF207",
        "from .metrics import record as _record\n\n\nasync def _note(name):\n"
        "    await _record(name)\n    await _record('flush')",
        call="await _note(name)",
    ),
    "cf205-sibling-awaits-its-own-helper": Case(
        "CF205",
        "from .metrics import record",
        files={
            "app/metrics.py": NEVER.replace("async def record", "async def _append")
            + "\n\nasync def record(name: str) -> None:\n    await _append(name)\n"
        },
    ),
    "cf202-await-in-a-return": Case(
        "CF202", "from .metrics import record", call="return await record(name)"
    ),
    "cf207-another-name-declared-global": Case(
        "CF207",
        "from .metrics import record",
        files={
            "app/metrics.py": NEVER
            + "\n\ndef configure(level):\n    global LEVEL\n    LEVEL = level\n"
        },
    ),
    "cf205-another-attribute-of-the-module-set": Case(
        "CF205", "import app.metrics as m\n\nm.LEVEL = 3", call="await m.record(name)"
    ),
}

MAY_SUSPEND = {
    "cf207-sibling-awaits": Case(
        "CF207", "from .metrics import record", files={"app/metrics.py": SUSPENDS}
    ),
    "cf205-sibling-awaits": Case(
        "CF205", "from .metrics import record", files={"app/metrics.py": SUSPENDS}
    ),
    "cf202-sibling-awaits": Case(
        "CF202", "from .metrics import record", files={"app/metrics.py": SUSPENDS}
    ),
    "cf205-decorated": Case(
        "CF205",
        "from .metrics import record",
        files={"app/metrics.py": NEVER.replace("async def", "@traced\nasync def")},
    ),
    "cf202-bound-twice-in-its-module": Case(
        "CF202",
        "from .metrics import record",
        files={"app/metrics.py": NEVER + "\nrecord = wrap(record)\n"},
    ),
    "cf207-name-not-in-its-module": Case(
        "CF207", "from .metrics import note", call="await note(name)"
    ),
    "cf207-star-import": Case("CF207", "from .metrics import *"),
    "cf205-star-import-besides": Case(
        "CF205",
        "from .metrics import record\ntry:\n    from ._fast import *\nexcept ImportError:\n"
        "    pass",
    ),
    "cf205-unresolvable-module": Case("CF205", "from .missing import record"),
    "cf202-module-outside-the-package": Case(
        "CF202",
        "from other.metrics import record",
        files={"other/__init__.py": "", "other/metrics.py": NEVER},
    ),
    "cf207-relative-beyond-the-top-package": Case(
        "CF207", "from ..metrics import record", files={"metrics.py": NEVER}
    ),
    "cf207-no-package": Case("CF207", "from .metrics import record", package={}),
    "cf205-rebound-by-the-caller-module": Case(
        "CF205", "from .metrics import record\nrecord = with_retries(record)"
    ),
    "cf202-bound-by-the-caller": Case(
        "CF202",
        "from .metrics import record",
        call="record = self._hooks[name]\n            await record(name)",
    ),
    "cf207-module-and-package-both": Case(
        "CF207",
        "from .metrics import record",
        files={"app/metrics.py": NEVER, "app/metrics/__init__.py": NEVER},
    ),
    "cf207-plain-def-returning-a-coroutine": Case(
        "CF207",
        "from .metrics import record",
        files={"app/metrics.py": NEVER.replace("async def record", "def record")},
    ),
    "cf205-sibling-does-not-parse": Case(
        "CF205", "from .metrics import record", files={"app/metrics.py": NEVER + "\ndef (\n"}
    ),
    "cf202-sibling-imports-it-in-turn": Case(
        "CF202",
        "from .metrics import record",
        files={"app/metrics.py": "from .hooks import record\n", "app/hooks.py": NEVER},
    ),
    "cf207-sibling-awaits-another-module": Case(
        "CF207",
        "from .metrics import record",
        files={
            "app/metrics.py": "from .hooks import hook\n\n\n"
            "async def record(name):\n    await hook(name)\n",
            "app/hooks.py": NEVER.replace("record", "hook"),
        },
    ),
    "cf205-namespace-package": Case(
        "CF205", "from .metrics import record", files={"app/metrics/hooks.py": NEVER}
    ),
    # Its module may bind the name again, otherwise than by a second top-level `def`:
    "cf207-imported-again-in-a-try-in-its-module": Case(
        "CF207",
        "from .metrics import record",
        files={
            "app/metrics.py": NEVER
            + "\n\ntry:\n    from ._statsd import record\nexcept ImportError:\n    pass\n"
        },
    ),
    "cf205-imported-again-after-the-def": Case(
        "CF205",
        "from .metrics import record",
        files={"app/metrics.py": NEVER + "\n\nfrom ._remote import record\n"},
    ),
    "cf202-star-import-in-its-module": Case(
        "CF202",
        "from .metrics import record",
        files={"app/metrics.py": NEVER + "\n\nfrom ._native import *\n"},
    ),
    "cf207-defined-again-under-an-if": Case(
        "CF207",
        "from .metrics import record",
        files={
            "app/metrics.py": NEVER
            + "\n\nif REMOTE:\n\n    async def record(name):\n        await send(name)\n"
        },
    ),
    "cf205-annotated-assignment-in-its-module": Case(
        "CF205",
        "from .metrics import record",
        files={"app/metrics.py": NEVER + "\n\nrecord: Callable = remote.record\n"},
    ),
    "cf202-declared-global-in-its-module": Case(
        "CF202",
        "from .metrics import record",
        files={
            "app/metrics.py": NEVER
            + "\n\ndef configure(backend):\n    global record\n    record = backend.record\n"
        },
    ),
    "cf207-module-alias-of-a-module-that-declares-it-global": Case(
        "CF207",
        "import app.metrics as m",
        call="await m.record(name)",
        files={
            "app/metrics.py": NEVER
            + "\n\ndef configure(backend):\n    global record\n    record = backend.record\n"
        },
    ),
    # The importing module may bind it again:
    "cf207-declared-global-by-the-caller-module": Case(
        "CF207",
        "from .metrics import record\n\n\ndef use_backend(backend):\n"
        "    global record\n    record = backend.record",
    ),
    "cf205-attribute-set-by-the-caller-module": Case(
        "CF205",
        "import app.metrics as m\n\nm.record = remote_record",
        call="await m.record(name)",
    ),
    "cf202-setattr-by-the-caller-module": Case(
        "CF202",
        "import app.metrics as m\n\nsetattr(m, 'record', remote_record)",
        call="await m.record(name)",
    ),
}


def _settings(code: str, mode: Mode = Mode.CHECK) -> Settings:
    return Settings(mode, (code,), RuleOptions(unsafe_fixes=True))


def _findings(outcome: FileOutcome) -> list[tuple[str, int, int]]:
    assert outcome.error is None, outcome.error
    return [(finding.code, finding.line, finding.column) for finding in outcome.findings]


@pytest.mark.parametrize("case", NEVER_SUSPENDS.values(), ids=NEVER_SUSPENDS.keys())
def test_await_of_a_package_function_that_never_suspends_skips_nothing(
    case: Case, tmp_path: Path
) -> None:
    caller = case.write(tmp_path)
    assert _findings(process_path(str(caller), _settings(case.code))) == []
    # The same caller, where the function suspends: the finding (the case tests the await).
    for name, source in case.files.items():
        write(tmp_path, name, _suspending(source))
    assert [code for code, *_ in _findings(process_path(str(caller), _settings(case.code)))] == [
        case.code
    ]


@pytest.mark.parametrize("case", MAY_SUSPEND.values(), ids=MAY_SUSPEND.keys())
def test_await_of_what_no_package_module_says_never_suspends_may_suspend(
    case: Case, tmp_path: Path
) -> None:
    caller = case.write(tmp_path)
    found = _findings(process_path(str(caller), _settings(case.code)))
    assert [code for code, *_ in found] == [case.code]


@pytest.mark.parametrize(
    "case", [*NEVER_SUSPENDS.values(), *MAY_SUSPEND.values()], ids=[*NEVER_SUSPENDS, *MAY_SUSPEND]
)
def test_the_whole_module_and_fix_find_what_check_finds(case: Case, tmp_path: Path) -> None:
    """The focused module, the whole one and `fix` read the same package; fixing twice
    changes nothing more."""
    caller = case.write(tmp_path)
    source = caller.read_bytes()
    checked = _findings(process_source(source, str(caller), _settings(case.code)))
    whole = process_source(source, str(caller), _settings(case.code), prefilter=False)
    assert _findings(whole) == checked
    fixed = process_source(source, str(caller), _settings(case.code, Mode.FIX))
    assert _findings(fixed) == checked
    if fixed.new_source is not None:
        again = process_source(fixed.new_source, str(caller), _settings(case.code, Mode.FIX))
        assert again.new_source is None and _findings(again) == []


def test_an_outcome_names_the_files_it_read(tmp_path: Path) -> None:
    caller = NEVER_SUSPENDS["cf207-relative"].write(tmp_path)
    outcome = process_path(str(caller), _settings("CF207"))
    read = dict(outcome.dependencies)
    assert read[str(tmp_path / "app" / "metrics.py")] is not None
    assert read[str(tmp_path / "app" / "__init__.py")] is not None
    assert read[str(tmp_path / "app" / "metrics" / "__init__.py")] is None  # looked for: none


def test_an_outcome_that_asks_nothing_of_other_files_names_none(tmp_path: Path) -> None:
    caller = Case(
        "CF207", "from .metrics import record", call="await self._sink.write(name)"
    ).write(tmp_path)
    outcome = process_path(str(caller), _settings("CF207"))
    assert [f.code for f in outcome.findings] == ["CF207"] and outcome.dependencies == ()


def test_each_module_is_read_once_while_it_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summaries = siblings.FileSummaries(suspension._never_suspending)
    monkeypatch.setattr(suspension, "_SIBLINGS", summaries)
    reads: list[str] = []
    real = siblings._read

    def read(path: str) -> bytes | None:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(siblings, "_read", read)
    callers = [
        Case(code, "from .metrics import record", caller=f"app/{code.lower()}.py").write(tmp_path)
        for code in CALLERS
    ]
    for caller in callers:
        process_path(str(caller), Settings(Mode.CHECK, tuple(CALLERS), RuleOptions()))
    assert reads.count(str(tmp_path / "app" / "metrics.py")) == 1
    write(tmp_path, "app/metrics.py", SUSPENDS)
    found = process_path(str(callers[0]), Settings(Mode.CHECK, tuple(CALLERS), RuleOptions()))
    assert reads.count(str(tmp_path / "app" / "metrics.py")) == 2
    assert [f.code for f in found.findings] == ["CF207"]


def test_a_module_too_large_to_read_may_suspend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(suspension, "MAX_SIBLING_BYTES", len(NEVER) - 1)
    monkeypatch.setattr(
        suspension, "_SIBLINGS", siblings.FileSummaries(suspension._never_suspending)
    )
    caller = NEVER_SUSPENDS["cf205-relative"].write(tmp_path)
    assert [f.code for f in process_path(str(caller), _settings("CF205")).findings] == ["CF205"]


# --------------------------------------------------------------------------------------------
# the command, stdin, the editor server and the cache read the package as a directory run does
# --------------------------------------------------------------------------------------------


def _package(project: Path) -> None:
    """A package whose three modules await the metrics hook in CF207's, CF205's and CF202's
    guarded regions."""
    Case("CF207", "from .metrics import record", caller="app/journal.py").write(project)
    Case("CF205", "from app.metrics import record", caller="app/client.py").write(project)
    Case("CF202", "import app.metrics as m", "await m.record(name)", caller="app/pool.py").write(
        project
    )


def test_check_over_the_package_reads_its_modules(project: Path) -> None:
    _package(project)
    result = cli("check", "--no-cache", ".")
    assert result.exit_code == 0, result.output
    write(project, "app/metrics.py", SUSPENDS)
    result = cli("check", "--no-cache", ".")
    assert result.exit_code == 1
    assert {"CF207", "CF205", "CF202"} <= {
        line.split()[1] for line in result.stdout.splitlines() if ": CF" in line
    }


@pytest.mark.parametrize("mode", ["check", "fix"])
def test_stdin_and_the_server_read_the_package_as_a_directory_run(project: Path, mode: str) -> None:
    _package(project)
    write(project, "app/other.py", SUSPENDS.replace("record", "other"))
    source = (project / "app" / "journal.py").read_text()
    suspending = source.replace("from .metrics import record", "from .other import other as record")
    for text, expected in ((source, 0), (suspending, 1)):
        result = cli(mode, "-", "--stdin-filename", "app/journal.py", input=text)
        assert result.exit_code == expected, result.output
        outcome = analyse(text.encode(), str(project / "app" / "journal.py"), _settings("CF207"))
        assert [f.code for f in outcome.findings] == ["CF207"] * expected
    # Without the name of a file in the package, the import names nothing it can read.
    assert cli(mode, "-", input=source).exit_code == 1


def test_a_warm_check_reports_again_when_the_other_module_changes(project: Path) -> None:
    _package(project)
    cold = cli("check", ".")
    assert cold.exit_code == 0, cold.output
    assert cli("check", ".").exit_code == 0  # warm, from the cache
    write(project, "app/metrics.py", SUSPENDS)
    warm = cli("check", ".")
    assert warm.exit_code == 1
    assert warm.stdout == cli("check", "--no-cache", ".").stdout
    write(project, "app/metrics.py", NEVER)
    assert cli("check", ".").exit_code == 0


def test_the_cache_answers_while_the_other_modules_are_unchanged(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _package(project)
    settings = _settings("CF207")
    directory = project / ".cache"
    journal = str(project / "app" / "journal.py")
    first = cache.Cache(directory, settings)
    assert first.lookup(journal) is None
    outcome = process_path(journal, settings)
    assert outcome.dependencies
    first.store(outcome)
    first.save()
    second = cache.Cache(directory, settings)
    hit = second.lookup(journal)
    assert hit is not None and hit.dependencies == tuple(
        (path, recorded and recorded[:32]) for path, recorded in outcome.dependencies
    )
    write(project, "app/metrics/__init__.py", NEVER)  # a file found missing is there now
    assert cache.Cache(directory, settings).lookup(journal) is None
