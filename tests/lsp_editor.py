"""A language client over stdio, driven step by step from synchronous tests: an editor that
opens, edits and saves documents, asks for code actions and applies their edits as a real
client would (with pygls' own document model)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.client import LanguageClient

T = TypeVar("T")

PULL = types.TextDocumentClientCapabilities(
    diagnostic=types.DiagnosticClientCapabilities(),
    code_action=types.CodeActionClientCapabilities(
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"])
    ),
)
"""A client that pulls diagnostics and resolves code actions' edits lazily."""


def _offset(text: str, position: types.Position) -> int:
    """The string index of an LSP position (UTF-16 units; lines end at \n, \r\n or \r)."""
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)
    if position.line >= len(lines):
        return len(text)
    index = sum(len(line) for line in lines[: position.line])
    units = 0
    for char in lines[position.line].rstrip("\r\n"):
        if units >= position.character:
            break
        units += 2 if ord(char) > 0xFFFF else 1
        index += 1
    return index


def apply_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """`text` with `edits` (which do not overlap) applied, bottom-up as clients do."""
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
    for edit in reversed(ordered):
        start, end = _offset(text, edit.range.start), _offset(text, edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


class Editor:
    def __init__(
        self,
        folders: Sequence[Path],
        text_document: types.TextDocumentClientCapabilities | None = None,
        initialization_options: Any = None,
        command: Sequence[str] = (sys.executable, "-m", "codemods", "server"),
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("cancelfix-tests", "1")
        self.published: dict[str, list[types.PublishDiagnosticsParams]] = {}
        self.messages: list[str] = []
        self.documents: dict[str, tuple[int, str]] = {}
        """Each open document's version and text."""
        self._register_handlers()
        self.run(self.client.start_io(*command))
        capabilities = types.ClientCapabilities(
            text_document=text_document,
            workspace=types.WorkspaceClientCapabilities(
                apply_edit=True,
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True),
                did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                    dynamic_registration=True
                ),
                workspace_folders=True,
            ),
        )
        self.initialize_result = self.run(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=capabilities,
                    root_uri=folders[0].as_uri() if folders else None,
                    workspace_folders=[
                        types.WorkspaceFolder(folder.as_uri(), folder.name) for folder in folders
                    ],
                    initialization_options=initialization_options,
                )
            )
        )
        self.client.initialized(types.InitializedParams())

    def _register_handlers(self) -> None:
        client = self.client

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(params)

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

        @client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            return types.ApplyWorkspaceEditResult(applied=self.apply(params.edit))

    def run(self, awaitable: Awaitable[T], timeout: float = 60) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        async def poll() -> None:
            while not condition():
                await asyncio.sleep(0.01)

        self.run(poll(), timeout)

    # Documents

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text() if text is None else text
        self.documents[uri] = (1, text)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "python", 1, text))
        )
        return uri

    def change(self, uri: str, text: str) -> int:
        """Replace the whole text, as one incremental change (what a paste over it does)."""
        old = self.documents[uri][1]
        end = types.Position(old.count("\n") + 1, 0)
        change = types.TextDocumentContentChangePartial(
            types.Range(types.Position(0, 0), end), text
        )
        return self._send(uri, text, [change])

    def edit(self, uri: str, edits: Sequence[types.TextEdit]) -> int:
        """Apply edits as typing would, sending them as incremental changes."""
        old = self.documents[uri][1]
        ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
        changes = [types.TextDocumentContentChangePartial(e.range, e.new_text) for e in ordered]
        return self._send(uri, apply_edits(old, edits), changes[::-1])

    def _send(
        self, uri: str, text: str, changes: list[types.TextDocumentContentChangePartial]
    ) -> int:
        version = self.documents[uri][0] + 1
        self.documents[uri] = (version, text)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version, uri), list(changes)
            )
        )
        return version

    def apply(self, edit: types.WorkspaceEdit) -> bool:
        """Apply a workspace edit as a client does: refused if for another version."""
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit)
            uri = change.text_document.uri
            if change.text_document.version != self.version(uri):
                return False
            self.edit(uri, [e for e in change.edits if isinstance(e, types.TextEdit)])
        return True

    def text(self, uri: str) -> str:
        return self.documents[uri][1]

    def version(self, uri: str) -> int:
        return self.documents[uri][0]

    # Requests

    def diagnostics(self, uri: str, timeout: float = 60) -> list[types.Diagnostic]:
        """The diagnostics published for the document's current version."""
        version = self.version(uri)

        def arrived() -> bool:
            return any(p.version == version for p in self.published.get(uri, []))

        self.wait_until(arrived, timeout)
        return [p for p in self.published[uri] if p.version == version][-1].diagnostics

    def pull(self, uri: str, previous: str | None = None) -> types.DocumentDiagnosticReport:
        params = types.DocumentDiagnosticParams(
            types.TextDocumentIdentifier(uri), previous_result_id=previous
        )
        return self.run(self.client.text_document_diagnostic_async(params))

    def code_actions(
        self, uri: str, line: int = 0, only: list[str] | None = None, end_line: int | None = None
    ) -> list[types.CodeAction]:
        """The actions on lines `line`..`end_line` (0-based; end_line defaults to line)."""
        end = line if end_line is None else end_line
        params = types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(line, 0), types.Position(end, 10_000)),
            types.CodeActionContext(diagnostics=[], only=only),
        )
        result = self.run(self.client.text_document_code_action_async(params)) or []
        return [action for action in result if isinstance(action, types.CodeAction)]

    def resolve(self, action: types.CodeAction) -> types.CodeAction:
        if action.edit is not None:
            return action
        return self.run(self.client.code_action_resolve_async(action))

    def execute(self, command: str, *arguments: Any) -> Any:
        params = types.ExecuteCommandParams(command, list(arguments))
        return self.run(self.client.workspace_execute_command_async(params))

    def pyproject_changed(self, path: Path) -> None:
        self.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                [types.FileEvent(path.as_uri(), types.FileChangeType.Changed)]
            )
        )

    def close(self) -> int | None:
        """Shut the server down and exit; its exit status."""
        if self.loop.is_closed():
            return None
        try:
            self.run(self.client.shutdown_async(None), timeout=30)
            self.client.exit(None)
            server = self.client._server
            if server is not None:
                self.run(server.wait(), timeout=30)
            self.run(self.client.stop(), timeout=30)
            return server.returncode if server is not None else None
        finally:
            self.loop.close()
