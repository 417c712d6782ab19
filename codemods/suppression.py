"""`# noqa` comments: which codes a comment suppresses on its line."""

from __future__ import annotations

import re

_NOQA = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


def suppresses(comment: str, code: str) -> bool:
    """Whether a comment is `# noqa` (every code) or `# noqa: ...` naming `code`."""
    match = _NOQA.search(comment)
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or code in {c.upper() for c in re.split(r"[\s,]+", codes) if c}
