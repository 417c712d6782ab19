"""Run the engine over many files, always in worker processes (one for a small run).

Workers take a few files at a time over a pipe, and send back each file's outcome as soon as
it is done, so that a worker never waits for the main process between files. If a worker
dies (a crash in LibCST's native parser, the OOM killer), only the file it was on is
reported, the rest of its batch goes back to the queue, and a fresh worker takes its place.
Workers only compute; the main process writes. Workers ignore SIGINT (a Ctrl-C reaches the whole
process group): the main process decides, and stops them. When the consumer of `run` stops early
(an interrupt), busy workers are killed at once; they have nothing to lose.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections.abc import Generator, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess

from codemods.engine import process_path
from codemods.model import FileOutcome, Settings

PARALLEL_THRESHOLD = 64
"""Below this many files, a second worker costs more than it saves."""


_WORKER_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
PARENT_CHECK_SECONDS = 1.0
"""How often an idle worker checks that the main process is still there."""
GC_THRESHOLD = 10_000
"""Allocations between a worker's collections of young objects."""


def _serve(connection: Connection, main_end: Connection, settings: Settings) -> None:
    # Started with these signals blocked (see `_Worker`), so that no handler inherited from
    # the main process runs here: SIGINT is the main process's to handle, SIGTERM kills.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _WORKER_SIGNALS)
    # A forked worker holds a copy of the main process's end of its pipe: close it, so that
    # the pipe ends when the main process does. (Workers forked later may hold copies too:
    # an idle worker also checks every second that its parent is alive.)
    main_end.close()
    # A file's syntax trees are millions of short-lived objects and few cycles: collecting
    # every 700 allocations (the default) takes a third of the stdlib parse's time.
    gc.set_threshold(GC_THRESHOLD)
    parent = os.getppid()
    try:
        while True:
            while not connection.poll(PARENT_CHECK_SECONDS):
                if os.getppid() != parent:
                    return
            batch = connection.recv()
            if batch is None:
                return
            for path in batch:
                connection.send(process_path(path, settings))
    except (EOFError, OSError):  # the main process is gone (killed): so is the work
        return


class _Worker:
    def __init__(self, settings: Settings) -> None:
        context = multiprocessing.get_context()
        self.connection, child = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=_serve, args=(child, self.connection, settings), daemon=True
        )
        if hasattr(signal, "pthread_sigmask"):
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, _WORKER_SIGNALS)
            try:
                self.process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        else:  # pragma: no cover - Windows
            self.process.start()
        child.close()
        self.batch: list[str] = []
        """The files given and not yet answered for, in the order the worker takes them."""

    def give(self, batch: list[str]) -> None:
        self.batch = batch
        self.connection.send(batch)

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # the worker may be dead already
            self.connection.send(None)
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
        self.connection.close()

    def kill(self) -> None:
        """Stop at once, whatever the worker is doing."""
        self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


def run(paths: Sequence[str], settings: Settings, jobs: int) -> Generator[FileOutcome, None, None]:
    """Outcomes as files finish (not in input order).

    Close the generator (or let an exception through it) to stop early: no more files are
    handed out and the workers are killed.
    """
    if not paths:
        return
    workers = 1 if len(paths) < PARALLEL_THRESHOLD else max(1, min(jobs, len(paths)))
    yield from _run_in_workers(paths, settings, workers)


MAX_BATCH = 16
"""The most files a worker is given at once: enough that it rarely waits for the main process,
few enough that the last files spread over all workers."""


def _next_batch(pending: list[str], jobs: int) -> list[str]:
    size = max(1, min(MAX_BATCH, len(pending) // (4 * jobs)))
    batch = pending[-size:][::-1]
    del pending[-size:]
    return batch


def _run_in_workers(paths: Sequence[str], settings: Settings, jobs: int) -> Iterator[FileOutcome]:
    pending = list(reversed(paths))
    workers: list[_Worker] = []
    finished = False
    try:
        for _ in range(jobs):
            workers.append(_Worker(settings))
        for worker in workers:
            worker.give(_next_batch(pending, jobs))
        busy = {worker for worker in workers if worker.batch}
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
                    # The worker died with its current file: report it, requeue the rest of
                    # its batch, replace the worker.
                    worker.process.join(timeout=5)
                    code = worker.process.exitcode
                    if worker.batch:
                        crashed, *rest = worker.batch
                        pending.extend(reversed(rest))
                        yield FileOutcome(crashed, error=f"worker crashed (exit code {code})")
                    worker.stop()
                    busy.discard(worker)
                    workers.remove(worker)
                    if not pending:
                        continue
                    worker = _Worker(settings)
                    workers.append(worker)
                else:
                    worker.batch.pop(0)
                    yield outcome
                    if worker.batch:
                        continue
                    busy.discard(worker)
                if pending:
                    worker.give(_next_batch(pending, jobs))
                    busy.add(worker)
        finished = True
    finally:
        for worker in workers:
            if finished:
                worker.stop()
            else:
                worker.kill()
