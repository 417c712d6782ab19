"""Analyses run in a child process: one that takes too long can be stopped (by ending the
process), and one that crashes the parser takes down the child, not the server."""

from __future__ import annotations

import asyncio
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection

from codemods.model import FileOutcome, Settings


@dataclass(frozen=True)
class Job:
    source: bytes
    path: str
    settings: Settings


def _serve(connection: Connection) -> None:
    """The child's loop: a job in, its outcome out, until the server closes the pipe."""
    from codemods.server.adapter import analyse  # imported here: the child loads the rules

    while True:
        try:
            job: Job = connection.recv()
        except EOFError:
            return
        connection.send(analyse(job.source, job.path, job.settings))


class Worker:
    """One child process that runs one job at a time; cancelling a job ends the child, and
    the next job starts a new one."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._process: multiprocessing.process.BaseProcess | None = None
        self._connection: Connection | None = None
        self._lock = asyncio.Lock()
        self.started = 0
        """Children started so far (the first, and one after each stop)."""

    def start(self) -> Connection:
        """The running child (started now if there is none)."""
        if self._connection is not None and self._process is not None:
            if self._process.is_alive():
                return self._connection
            self.stop()
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs,), daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        self.started += 1
        return ours

    async def run(self, job: Job) -> FileOutcome:
        async with self._lock:
            connection = self.start()
            try:
                connection.send(job)
                return await _receive(connection)
            except asyncio.CancelledError:
                self.stop()  # the child may be anywhere in the job: only ending it stops it
                raise
            except (EOFError, OSError) as error:
                self.stop()
                reason = f"the analysis stopped unexpectedly ({type(error).__name__})"
                return FileOutcome(job.path, error=f"internal error: {reason}")

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            self._process.kill()
            self._process.join()
        self._process = self._connection = None


async def _receive(connection: Connection) -> FileOutcome:
    """The child's answer, awaited without blocking the server's event loop."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(connection.fileno(), wake)
    try:
        await ready
    finally:
        loop.remove_reader(connection.fileno())
    outcome: FileOutcome = connection.recv()
    return outcome
