"""Analyses run in a child process: one that takes too long can be stopped (by ending the
process), and one that crashes the parser takes down the child, not the server."""

from __future__ import annotations

import ast
import asyncio
import multiprocessing
import warnings
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection

from codemods.model import FileOutcome, Settings

CRASHED = "internal error: the analysis process ended unexpectedly"


@dataclass(frozen=True)
class Job:
    source: bytes
    path: str
    settings: Settings


def outcome_of(job: Job) -> FileOutcome:
    """The run's outcome; where the run had no need to parse the text (no rule could apply
    to it), its syntax error all the same: an editor shows what does not parse."""
    from codemods.server.adapter import analyse  # imported here: the child loads the rules

    outcome = analyse(job.source, job.path, job.settings)
    if outcome.parsed or outcome.error is not None:
        return outcome
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like: not errors
            compile(job.source, job.path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return replace(outcome, error=f"syntax error at {error.lineno}:{error.offset}: {error.msg}")
    except (ValueError, RecursionError, MemoryError):
        pass  # not a syntax error: the run, had it parsed the text, would say what
    return outcome


def _serve(connection: Connection) -> None:
    """The child's loop: a job in, its outcome out, until the server closes the pipe."""
    while True:
        try:
            job: Job = connection.recv()
        except EOFError:
            return
        connection.send(outcome_of(job))


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
            except (EOFError, OSError):  # the child ended mid-job (a crash of the parser)
                self.stop()
                return FileOutcome(job.path, error=CRASHED)

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
