"""The cleanup vocabulary's default verbs, apart from `cleanup.py`'s LibCST analysis so that
the configuration loads without the parser."""

from __future__ import annotations

DEFAULT_CLEANUP_NAMES: frozenset[str] = frozenset(
    {
        "close",
        "aclose",
        "wait_closed",
        "disconnect",
        "release",
        "shutdown",
        "stop",
        "terminate",
        "kill",
        "cancel",
        "unlink",
        "rollback",
        "unsubscribe",
        "cleanup",
        "__aexit__",
        "__exit__",
    }
)
