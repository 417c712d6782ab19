"""`cancelfix server`: the rules in the editor, over the Language Server Protocol (stdio).

Needs the `lsp` extra (pygls); the rest of the package never imports this one.
"""

from __future__ import annotations

import importlib.util


class MissingExtra(Exception):
    """pygls is not installed."""


def serve() -> None:
    """Answer LSP messages on stdin and stdout until the client says exit."""
    if importlib.util.find_spec("pygls") is None:
        raise MissingExtra(
            "the language server needs pygls: install cancelfix with the `lsp` extra "
            "(pip install 'cancelfix[lsp]')"
        )
    from codemods.server.features import server

    try:
        server.start_io()
    finally:
        server.worker.stop()  # however the session ended, the analysis process ends with it
