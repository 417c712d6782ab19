"""The LSP methods the server answers, each a thin handler over `CancelfixServer`."""

from __future__ import annotations

from lsprotocol import types

from codemods.server import actions
from codemods.server.app import FIX_ALL_COMMAND, CancelfixServer, fix_request

server = CancelfixServer()


@server.feature(types.INITIALIZE)
def initialize(ls: CancelfixServer, params: types.InitializeParams) -> None:
    """Options an editor may pass: `documentationUrl` (a pattern with `{code}`, where the
    rules' pages are) and `maxBufferBytes`."""
    options = params.initialization_options
    if not isinstance(options, dict):
        return
    if isinstance(url := options.get("documentationUrl"), str) and "{code}" in url:
        ls.documentation_url = url
    if isinstance(limit := options.get("maxBufferBytes"), int) and limit > 0:
        ls.max_buffer_bytes = limit


@server.feature(types.INITIALIZED)
async def initialized(ls: CancelfixServer, params: types.InitializedParams) -> None:
    ls.worker.start()  # the child loads the rules while the editor opens its documents
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is not None and watched.dynamic_registration:
        options = types.DidChangeWatchedFilesRegistrationOptions(
            [types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]
        )
        registration = types.Registration(
            "cancelfix-pyproject", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options
        )
        await ls.client_register_capability_async(types.RegistrationParams([registration]))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CancelfixServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.analyse(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CancelfixServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.analyse(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: CancelfixServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.analyse(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CancelfixServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.analyses.close(params.text_document.uri)
    if not ls.pulls_diagnostics:
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(params.text_document.uri, [])
        )


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(
    ls: CancelfixServer, params: types.DidChangeWatchedFilesParams
) -> None:
    """A pyproject.toml changed: check the open documents again with the settings now in force."""
    for uri in ls.workspace.text_documents:
        ls.analyse(uri)
    workspace = ls.client_capabilities.workspace
    refresh = workspace.diagnostics if workspace is not None else None
    if ls.pulls_diagnostics and refresh is not None and refresh.refresh_support:
        ls.workspace_diagnostic_refresh(None)


@server.feature(types.TEXT_DOCUMENT_DIAGNOSTIC)
async def diagnostic(
    ls: CancelfixServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    uri = params.text_document.uri
    analysis = await ls.analyses.current(uri)
    if analysis is None:  # not open: check it as it is now
        ls.analyse(uri)
        analysis = await ls.analyses.current(uri)
    if analysis is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    result_id = str(analysis.generation)
    if params.previous_result_id == result_id:
        return types.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    return types.RelatedFullDocumentDiagnosticReport(
        items=ls.diagnostics_of(analysis), result_id=result_id
    )


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL],
        resolve_provider=True,
    ),
)
async def code_action(
    ls: CancelfixServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    uri = params.text_document.uri
    analysis = await ls.analyses.current(uri)
    if analysis is None:
        return None
    context = actions.Context(
        uri,
        analysis.version,
        analysis.text,
        ls.place(analysis.text),
        params.range,
        params.context.only,
        ls.documentation_url,
    )
    offered = actions.offered(context, analysis.outcome.findings)
    if not ls.resolves_edits:
        offered = [await code_action_resolve(ls, action) for action in offered]
    return offered


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: CancelfixServer, action: types.CodeAction) -> types.CodeAction:
    """Compute the edits of a fix action: the output of its `cancelfix fix` command line."""
    if action.edit is None and action.data is not None:
        action.edit = await ls.fix_edit(fix_request(action.data))
    return action


@server.command(FIX_ALL_COMMAND)
async def fix_all(ls: CancelfixServer, uri: str) -> bool:
    """Apply what `cancelfix fix` gives on the document; whether the client applied it."""
    document = ls.workspace.get_text_document(uri)
    edit = await ls.fix_edit(actions.FixRequest(uri, document.version or 0))
    if edit is None:
        return False
    result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit, "cancelfix"))
    return result.applied


@server.feature(types.SHUTDOWN)
def shutdown(ls: CancelfixServer, params: None) -> None:
    ls.worker.stop()
