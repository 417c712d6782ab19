"""Benchmark `cancelfix server`: how soon diagnostics follow an edit, and whether the
server's memory stays flat over many edits.

Run from the repository root, with the `lsp` extra installed (pip install -e '.[lsp]'):

    python bench/lsp.py                          # 50 timed edits, then 1,000 for memory
    python bench/lsp.py --edits 20 --memory-edits 200 --lines 1000

It starts `python -m codemods server` as an editor would (over stdio, pygls' client), opens a
generated module of about `--lines` lines (coroutines of varied shapes with unique names,
`--findings` of which have a finding: real modules have few), or the module `--module PATH`,
and types: each edit changes one line, as one incremental `didChange`, and waits for the
diagnostics published for that version. The latency of an edit is the time from sending it to
receiving them (the first edit, which also starts the analysis process, is reported apart).
Memory is the resident size of the server and of its analysis process (from /proc, so Linux
only), sampled as the edits go on.

It prints Markdown: the machine's load, the latency's median, p95 and maximum, the memory
samples, and the CPU time the server and its analysis process spent per edit (a loaded
machine stretches the latency, much less the CPU time). Exit status 0, or 1 when the server
does not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

_SHAPES = (
    """\
async def fetch_{i}(session_{i}, url_{i}):
    retries_{i} = {n}
    while retries_{i}:
        try:
            return await session_{i}.get(url_{i})
        except BaseException:
            retries_{i} -= 1
""",
    """\
async def consume_{i}(queue_{i}, handle_{i}):
    limit_{i} = {n}
    async with queue_{i}.lock:
        item_{i} = await queue_{i}.get()
        if item_{i} is not None and limit_{i}:
            await handle_{i}(item_{i})
    return item_{i}
""",
    """\
async def close_{i}(conn_{i}, timeout_{i}={n}):
    try:
        await conn_{i}.send(b"bye")
        await conn_{i}.flush()
    finally:
        conn_{i}.close()
    return timeout_{i}
""",
    """\
def parse_{i}(text_{i}, base_{i}={n}):
    values_{i} = [int(part, base_{i}) for part in text_{i}.split(",")]
    total_{i} = sum(values_{i})
    if total_{i} > 100:
        return values_{i}[:10]
    return values_{i}
""",
)


def module(lines: int, findings: int) -> str:
    """About `lines` lines of varied code (every function of nine lines with its blank lines),
    `findings` of its retry loops with a broad `except` that swallows cancellation."""
    count = lines // 9
    flagged = {count * k // findings for k in range(findings)} if findings else set()
    parts = ["import asyncio\n\n\n"]
    for i in range(count):
        shape = _SHAPES[0] if i in flagged else _SHAPES[i % len(_SHAPES)]
        if i not in flagged:
            shape = shape.replace("except BaseException:", "except Exception:")
        parts.append(shape.format(i=i, n=i % 7 + 1) + "\n\n")
    return "".join(parts)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """The CPU time of the server and of its analysis process (a new one after a stop
    starts from zero, which the median of many edits shrugs off)."""
    return _cpu_seconds(pid) + sum(_cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


class Typist:
    """A client that edits one document and times the diagnostics of each version."""

    def __init__(self, client: LanguageClient, uri: str, text: str) -> None:
        self.client, self.uri = client, uri
        self.lines = text.splitlines(keepends=True)
        self.version = 1
        self.arrived: dict[int, float] = {}
        self.published: asyncio.Event = asyncio.Event()
        self.last: Sequence[types.Diagnostic] = ()
        self.server_pid: int | None = None
        self.cpu: list[float] = []
        """CPU seconds the server and its analysis process spent on each edit: what the
        edits cost, whatever else the machine runs (the latency counts the waits too)."""

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
        def published(params: types.PublishDiagnosticsParams) -> None:
            if params.version is not None:
                self.arrived[params.version] = time.perf_counter()
                self.last = params.diagnostics
                self.published.set()

    async def wait_for(self, version: int, timeout: float = 120) -> None:
        deadline = time.perf_counter() + timeout
        while version not in self.arrived:
            self.published.clear()
            await asyncio.wait_for(self.published.wait(), deadline - time.perf_counter())

    async def edit(self, number: int) -> float:
        """Insert a comment line before a function (text that keeps the module valid, and that
        the analysis must read again); seconds until the new version's diagnostics arrive."""
        starts = [i for i, line in enumerate(self.lines) if line.lstrip().startswith("async def")]
        index = starts[number * 7 % len(starts)]
        indent = self.lines[index][: len(self.lines[index]) - len(self.lines[index].lstrip())]
        new = f"{indent}# edit {number}\n"
        self.lines.insert(index, new)
        self.version += 1
        change = types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(index, 0), types.Position(index, 0)), text=new
        )
        cpu = _tree_cpu_seconds(self.server_pid) if self.server_pid else 0.0
        sent = time.perf_counter()
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(self.version, self.uri), [change]
            )
        )
        await self.wait_for(self.version)
        if self.server_pid:
            self.cpu.append(_tree_cpu_seconds(self.server_pid) - cpu)
        return self.arrived[self.version] - sent


async def run(arguments: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="cancelfix-lsp-bench-"))
    (folder / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.11"\n')
    if arguments.module is not None:
        text = arguments.module.read_text()
    else:
        text = module(arguments.lines, arguments.findings)
    path = folder / "service.py"
    path.write_text(text)
    client = LanguageClient("cancelfix-bench", "1")
    await client.start_io(sys.executable, "-m", "codemods", "server")
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(folder.as_uri(), folder.name)],
        )
    )
    client.initialized(types.InitializedParams())
    typist = Typist(client, path.as_uri(), text)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "python", 1, text))
    )
    await typist.wait_for(1)
    server = client._server
    assert server is not None
    typist.server_pid = server.pid
    first = await typist.edit(0)
    latencies = [await typist.edit(number) for number in range(1, arguments.edits)]
    cpu = typist.cpu[1:]
    samples = []
    marks = {max(1, arguments.memory_edits * k // 10) for k in range(1, 11)}
    for number in range(arguments.edits, arguments.edits + arguments.memory_edits):
        await typist.edit(number)
        done = number - arguments.edits + 1
        if done in marks:
            worker = sum(_rss_kib(child) for child in _children(server.pid))
            samples.append((done, _rss_kib(server.pid), worker))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    _print(arguments, text, first, latencies, samples)
    print(
        f"\nCPU per edit (server and analysis process, the {len(cpu)} after the first): "
        f"median {statistics.median(cpu) * 1000:.0f} ms, p95 {_p95(cpu) * 1000:.0f} ms"
    )
    print(f"\nThe analysis alone, in-process, on the last version: {_analysis_ms(typist):.0f} ms")
    codes = sorted(str(d.code) for d in typist.last)
    print(f"\nDiagnostics of the last version: {', '.join(codes) or 'none'}.")
    return 0


def _analysis_ms(typist: Typist) -> float:
    """The median time of the run's own check of the last text (what each edit waits for,
    less the server's part)."""
    from codemods import api
    from codemods.server.adapter import analyse

    options = api.Options(cache=False, target_version=(3, 11))
    settings = api.configure([Path.cwd() / "service.py"], options).settings
    source = "".join(typist.lines).encode()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        analyse(source, "service.py", settings)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _print(
    arguments: argparse.Namespace,
    text: str,
    first: float,
    latencies: list[float],
    samples: list[tuple[int, int, int]],
) -> None:
    ordered = sorted(latencies)
    p95 = _p95(latencies)
    lines = text.count("\n")
    name = arguments.module or f"generated, {arguments.findings} findings"
    print(f"## cancelfix server: {lines:,}-line module ({name})\n")
    print(f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}, ")
    print(f"{os.cpu_count()} cores.\n")
    print("| diagnostics after an edit | ms |\n|---|---:|")
    print(f"| first edit | {first * 1000:.0f} |")
    print(f"| median of the next {len(latencies)} | {statistics.median(latencies) * 1000:.0f} |")
    print(f"| p95 | {p95 * 1000:.0f} |")
    print(f"| max | {ordered[-1] * 1000:.0f} |\n")
    print("| edits | server RSS (MiB) | analysis process RSS (MiB) |\n|---:|---:|---:|")
    for done, server, worker in samples:
        print(f"| {done} | {server / 1024:.1f} | {worker / 1024:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000, help="module size (default 2000)")
    parser.add_argument(
        "--findings", type=int, default=3, help="findings in the module (default 3)"
    )
    parser.add_argument("--module", type=Path, help="a real module to edit instead")
    parser.add_argument("--edits", type=int, default=50, help="timed edits (default 50)")
    parser.add_argument(
        "--memory-edits", type=int, default=1000, help="edits for the memory samples (1000)"
    )
    arguments = parser.parse_args()
    try:
        return asyncio.run(run(arguments))
    except (TimeoutError, RuntimeError) as error:
        print(f"bench/lsp.py: the server did not answer: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
