"""The language server: LSP messages in, the run's findings and fixes out."""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from codemods import __version__
from codemods.model import FileOutcome, Settings
from codemods.server import actions, diagnostics
from codemods.server.analyses import Analyses, Analysis
from codemods.server.edits import text_edits
from codemods.server.protocol import Protocol
from codemods.server.settings import SettingsCache
from codemods.server.text import Buffer, split_lines
from codemods.server.worker import Job, Worker

MAX_BUFFER_BYTES = 1_000_000
"""The largest buffer analysed while typing (the `maxBufferBytes` initialization option):
about the engine's own limit of syntax nodes (`engine.MAX_ANALYSED_NODES`), which a larger
one would take seconds to reach."""
FIX_ALL_COMMAND = "cancelfix.fixAll"
MEMO_SIZE = 16


class CancelfixServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("cancelfix", __version__, protocol_cls=Protocol)
        self.worker = Worker()
        self.analyses = Analyses(self.worker, self.publish)
        self.settings = SettingsCache()
        self.documentation_url = diagnostics.DEFAULT_DOCUMENTATION_URL
        self.max_buffer_bytes = MAX_BUFFER_BYTES
        self._fixes: OrderedDict[tuple[bytes, str, Settings], FileOutcome] = OrderedDict()

    def path_of(self, document: TextDocument) -> Path:
        """The file a document is (an unsaved one: a file in the workspace's root)."""
        if document.uri.startswith("file:") and document.path:
            return Path(document.path)
        return Path(self.workspace.root_path or os.getcwd()) / "untitled.py"

    def place(self, text: str) -> diagnostics.Place:
        return diagnostics.Place(split_lines(text), self.workspace.position_codec)

    @property
    def pulls_diagnostics(self) -> bool:
        capabilities = self.client_capabilities.text_document
        return capabilities is not None and capabilities.diagnostic is not None

    @property
    def resolves_edits(self) -> bool:
        capabilities = self.client_capabilities.text_document
        action = capabilities.code_action if capabilities is not None else None
        support = action.resolve_support if action is not None else None
        return support is not None and "edit" in support.properties

    def analyse(self, uri: str) -> None:
        """Start analysing the document's current text (the newest version wins)."""
        document = self.workspace.get_text_document(uri)
        buffer, path = Buffer.of(document.source), self.path_of(document)
        found = self.settings.of(path)
        job: Job | FileOutcome = Job(buffer.source, str(path), found.settings)
        if found.error is not None:
            job = FileOutcome(str(path), error=f"configuration error: {found.error}")
        elif found.excluded:
            job = FileOutcome(str(path))
        elif len(buffer.source) > self.max_buffer_bytes:
            job = FileOutcome(
                str(path),
                error=f"not checked while editing: {len(buffer.source):,} bytes (the limit is "
                f"{self.max_buffer_bytes:,}); `cancelfix check` checks it",
            )
        self.analyses.update(uri, document.version or 0, buffer.text, job)

    def diagnostics_of(self, analysis: Analysis) -> list[types.Diagnostic]:
        return diagnostics.of_outcome(
            analysis.outcome, analysis.text, self.place(analysis.text), self.documentation_url
        )

    def publish(self, uri: str, analysis: Analysis) -> None:
        if not self.pulls_diagnostics:
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri, self.diagnostics_of(analysis), analysis.version)
            )

    async def fix_edit(self, request: actions.FixRequest) -> types.WorkspaceEdit | None:
        """The edits of a fix action on the document's version it was offered for (None when
        the document has changed since, or the fix cannot be applied)."""
        document = self.workspace.get_text_document(request.uri)
        if (document.version or 0) != request.version:
            return None
        buffer, path = Buffer.of(document.source), self.path_of(document)
        found = self.settings.of(path)
        if found.error is not None or found.excluded:
            return None
        settings = found.fixing(request.select, request.unsafe)
        key = (buffer.source, str(path), settings)
        outcome = self._fixes.get(key)
        if outcome is None:
            outcome = await self.worker.run(Job(buffer.source, str(path), settings))
            self._fixes[key] = outcome
            while len(self._fixes) > MEMO_SIZE:
                self._fixes.popitem(last=False)
        if outcome.error is not None or outcome.new_source is None:
            return None
        edits = text_edits(
            buffer.text, buffer.decode(outcome.new_source), self.workspace.position_codec
        )
        return actions.document_edit(request.uri, request.version, edits)


def fix_request(data: Any) -> actions.FixRequest:
    return actions.FixRequest(**data)
