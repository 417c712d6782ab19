"""Whether code compiles: what a fix, and a formatter's rewrite of it, must keep.

A module of its own, free of LibCST, so that the formatter (run in the main process, where a
warm run never loads the parser) and the engine share one definition.
"""

from __future__ import annotations

import warnings


def compiles(source: bytes, path: str) -> bool:
    """Whether CPython compiles `source` (warnings, such as invalid escapes, silenced)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True
