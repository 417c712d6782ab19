"""Each open document's newest analysis: edits that arrive while one runs replace the waiting
version, an analysis that has run long is cancelled by a newer edit, and a result for a
version older than the newest is never published."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from codemods.model import FileOutcome
from codemods.server.worker import Job, Worker

LONG_ANALYSIS = 1.0
"""Seconds after which an analysis of a version that a newer one has replaced is stopped. A
shorter one runs to its end (and is dropped): starting a new child process costs about as
much as it has left."""


@dataclass(frozen=True)
class Analysis:
    """An outcome and the document version (and text) it is for."""

    version: int
    text: str
    outcome: FileOutcome
    generation: int
    """Which update of the document it answers (settings change too: see `_Document`)."""


@dataclass
class _Document:
    version: int
    text: str
    job: Job | FileOutcome
    """What to analyse, or the outcome where there is nothing to analyse."""
    generation: int = 0
    """Counts updates: a new one (new text or new settings) makes earlier results stale."""
    latest: Analysis | None = None
    running: asyncio.Task[FileOutcome] | None = None
    running_generation: int = 0
    started: float = 0.0
    pump: asyncio.Task[None] | None = None
    current: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while `latest` is for `version`."""


def _stop_if_stale(document: _Document, running: asyncio.Task[FileOutcome]) -> None:
    """Stop an analysis, if it is still running for a version that is no longer the newest."""
    if document.running is running and document.running_generation != document.generation:
        running.cancel()


Publish = Callable[[str, Analysis], None]


class Analyses:
    def __init__(self, worker: Worker, publish: Publish, *, long: float = LONG_ANALYSIS) -> None:
        self._worker = worker
        self._publish = publish
        self._long = long
        self._documents: dict[str, _Document] = {}

    def update(self, uri: str, version: int, text: str, job: Job | FileOutcome) -> None:
        """A new version of a document (opened, edited, saved or its settings changed)."""
        document = self._documents.get(uri)
        if document is None:
            document = self._documents[uri] = _Document(version, text, job)
        document.version, document.text, document.job = version, text, job
        document.generation += 1
        document.current.clear()
        if document.running is not None:
            left = self._long - (time.monotonic() - document.started)
            loop = asyncio.get_running_loop()
            loop.call_later(max(left, 0.0), _stop_if_stale, document, document.running)
        if document.pump is None or document.pump.done():
            document.pump = asyncio.ensure_future(self._pump(uri, document))

    async def _pump(self, uri: str, document: _Document) -> None:
        """Analyse the document's newest version until the result is for the newest."""
        while not document.current.is_set():
            generation, version, text = document.generation, document.version, document.text
            job = document.job
            document.started = time.monotonic()
            document.running = asyncio.ensure_future(self._outcome(job))
            document.running_generation = generation
            try:
                outcome = await document.running
            except asyncio.CancelledError:
                if self._documents.get(uri) is not document:
                    return  # closed
                continue  # a newer version cancelled it
            finally:
                document.running = None
            if generation == document.generation and self._documents.get(uri) is document:
                document.latest = Analysis(version, text, outcome, generation)
                document.current.set()
                self._publish(uri, document.latest)

    async def _outcome(self, job: Job | FileOutcome) -> FileOutcome:
        return job if isinstance(job, FileOutcome) else await self._worker.run(job)

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's newest version, once there is one."""
        document = self._documents.get(uri)
        while document is not None and not document.current.is_set():
            await document.current.wait()
            if self._documents.get(uri) is not document:
                return None  # closed meanwhile
        return None if document is None else document.latest

    def close(self, uri: str) -> None:
        document = self._documents.pop(uri, None)
        if document is not None:
            document.current.set()  # wakes those waiting for it, to find it gone
            if document.running is not None:
                document.running.cancel()
