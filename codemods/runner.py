"""Run the engine over many files, always in worker processes (one for a small run).

Workers take one file at a time over a pipe. If a worker dies (a crash in LibCST's native
parser, the OOM killer), only the file it held is reported, and a fresh worker takes its place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from codemods.engine import FileOutcome, Settings, process_path

PARALLEL_THRESHOLD = 64
"""Below this many files, a second worker costs more than it saves."""


def _serve(connection: Connection, settings: Settings) -> None:
    while True:
        path = connection.recv()
        if path is None:
            return
        connection.send(process_path(path, settings))


class _Worker:
    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context()
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, settings), daemon=True
        )
        self.process.start()
        child.close()
        self.path: str | None = None

    def give(self, path: str) -> None:
        self.path = path
        self.connection.send(path)

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # the worker may be dead already
            self.connection.send(None)
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
        self.connection.close()


def run(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileOutcome]:
    """Outcomes as files finish (not in input order)."""
    if not paths:
        return
    workers = 1 if len(paths) < PARALLEL_THRESHOLD else max(1, min(jobs, len(paths)))
    yield from _run_in_workers(paths, settings, workers)


def _run_in_workers(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileOutcome]:
    pending = list(reversed(paths))
    workers = [_Worker(settings) for _ in range(jobs)]
    try:
        for worker in workers:
            worker.give(pending.pop())
        busy = set(workers)
        while busy:
            ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy])
            for worker in list(busy):
                if worker.connection in ready:
                    try:
                        outcome = worker.connection.recv()
                    except (EOFError, OSError):
                        outcome = None
                elif worker.process.sentinel in ready:
                    outcome = None
                else:
                    continue
                if outcome is None:
                    # The worker died with this file: report it, replace the worker.
                    worker.process.join(timeout=5)
                    code = worker.process.exitcode
                    assert worker.path is not None
                    yield FileOutcome(worker.path, error=f"worker crashed (exit code {code})")
                    worker.stop()
                    busy.discard(worker)
                    workers.remove(worker)
                    if not pending:
                        continue
                    worker = _Worker(settings)
                    workers.append(worker)
                else:
                    yield outcome
                    busy.discard(worker)
                if pending:
                    worker.give(pending.pop())
                    busy.add(worker)
    finally:
        for worker in workers:
            worker.stop()
