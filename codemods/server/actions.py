"""The code actions offered on a document: a quick fix and a `# noqa` per finding, "fix all
safe", and `source.fixAll.cancelfix` (for fixing on save).

A fix action stands for one `cancelfix fix` command line (a `FixRequest`); its edits are
computed from that command's output on the document's text, when the client asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from lsprotocol import types

from codemods.model import Finding, FixSafety
from codemods.server.diagnostics import Place, finding_range, of_finding
from codemods.server.noqa import noqa_edit

FIX_ALL = "source.fixAll.cancelfix"


@dataclass(frozen=True)
class FixRequest:
    """`cancelfix fix [--select SELECT] [--unsafe-fixes|--no-unsafe-fixes]` on a document's
    version (None: the option is left to the configuration)."""

    uri: str
    version: int
    select: str | None = None
    unsafe: bool | None = None


@dataclass(frozen=True)
class Context:
    """What the client asked about: a document's version, a range of it and the kinds."""

    uri: str
    version: int
    text: str
    place: Place
    range: types.Range
    only: Sequence[str] | None
    documentation_url: str

    def wants(self, kind: str) -> bool:
        if self.only is None:
            return kind != FIX_ALL  # a source action is offered when asked for by kind
        return any(kind == asked or kind.startswith(f"{asked}.") for asked in self.only)

    def touches(self, finding: Finding) -> bool:
        found = finding_range(finding, self.place)
        start, end = self.range.start, self.range.end
        return (found.start.line, found.start.character) <= (end.line, end.character) and (
            start.line,
            start.character,
        ) <= (found.end.line, found.end.character)


def _fix(
    title: str,
    kind: str,
    request: FixRequest,
    diagnostic: types.Diagnostic | None = None,
    preferred: bool | None = None,
) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=kind,
        diagnostics=[diagnostic] if diagnostic is not None else None,
        is_preferred=preferred,
        data=asdict(request),
    )


def offered(context: Context, findings: Sequence[Finding]) -> list[types.CodeAction]:
    """The actions for `context`; fix actions come without their edits (see `FixRequest`)."""
    quick = types.CodeActionKind.QuickFix.value
    actions: list[types.CodeAction] = []
    touched = [finding for finding in findings if context.touches(finding)]
    for finding in touched if context.wants(quick) else ():
        diagnostic = of_finding(finding, context.place, context.documentation_url)
        if finding.fix is not None:
            unsafe = finding.fix is FixSafety.UNSAFE
            title = f"Fix {finding.code} ({finding.name})" + (" — unsafe fix" if unsafe else "")
            request = FixRequest(context.uri, context.version, finding.code, unsafe)
            actions.append(_fix(title, quick, request, diagnostic, preferred=not unsafe))
        edit = noqa_edit(context.text, finding.line, finding.code, context.place.codec)
        if edit is not None:
            actions.append(
                types.CodeAction(
                    title=f"Add `# noqa: {finding.code}` (suppress {finding.name} here)",
                    kind=quick,
                    diagnostics=[diagnostic],
                    edit=document_edit(context.uri, context.version, [edit]),
                )
            )
    if context.wants(quick) and any(finding.fix is FixSafety.SAFE for finding in touched):
        request = FixRequest(context.uri, context.version, unsafe=False)
        actions.append(_fix("Fix all safe cancelfix findings", quick, request))
    if context.wants(FIX_ALL) and findings:
        request = FixRequest(context.uri, context.version)
        actions.append(_fix("cancelfix: fix all", FIX_ALL, request))
    return actions


def document_edit(uri: str, version: int, edits: Sequence[types.TextEdit]) -> types.WorkspaceEdit:
    """Edits of one version of a document: a client rejects them once it has another."""
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri, version),
                edits=list(edits),
            )
        ]
    )
