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
    pool = _Pool(paths, settings, jobs)
    finished = False
    try:
        pool.start()
        while pool.busy:
            yield from pool.collect()
        finished = True
    finally:
        pool.close(kill=not finished)


class _Pool:
    """The workers of one run, and the files not handed out yet (last first)."""

    def __init__(self, paths: Sequence[str], settings: Settings, jobs: int) -> None:
        self.pending = list(reversed(paths))
        self.settings = settings
        self.jobs = jobs
        self.workers: list[_Worker] = []
        self.busy: set[_Worker] = set()

    def start(self) -> None:
        for _ in range(self.jobs):
            self.workers.append(_Worker(self.settings))
        for worker in self.workers:
            worker.give(_next_batch(self.pending, self.jobs))
        self.busy = {worker for worker in self.workers if worker.batch}

    def collect(self) -> Iterator[FileOutcome]:
        """The outcomes the busy workers have ready (waiting for one at least), handing out more
        files to the workers done with their batch."""
        ready = wait([w.connection for w in self.busy] + [w.process.sentinel for w in self.busy])
        for worker in list(self.busy):
            if worker.connection in ready:
                outcome = _receive(worker)
            elif worker.process.sentinel in ready:
                outcome = None
            else:
                continue
            if outcome is None:
                yield from self._replace(worker)
                if not self.pending:
                    continue
                worker = self._spawn()
            else:
                worker.batch.pop(0)
                yield outcome
                if worker.batch:
                    continue
                self.busy.discard(worker)
            if self.pending:
                worker.give(_next_batch(self.pending, self.jobs))
                self.busy.add(worker)

    def _replace(self, worker: _Worker) -> Iterator[FileOutcome]:
        """A worker died with its current file: report it, requeue the rest of its batch, and
        let the worker go (`_spawn` makes its successor when there is work left)."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        if worker.batch:
            crashed, *rest = worker.batch
            self.pending.extend(reversed(rest))
            yield FileOutcome(crashed, error=f"worker crashed (exit code {code})")
        worker.stop()
        self.busy.discard(worker)
        self.workers.remove(worker)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.settings)
        self.workers.append(worker)
        return worker

    def close(self, *, kill: bool) -> None:
        """Stop the workers; kill them at once when the run was cut short."""
        for worker in self.workers:
            if kill:
                worker.kill()
            else:
                worker.stop()


def _receive(worker: _Worker) -> FileOutcome | None:
    """The worker's next outcome; None when it died."""
    try:
        outcome: FileOutcome = worker.connection.recv()
    except (EOFError, OSError):
        return None
    return outcome
