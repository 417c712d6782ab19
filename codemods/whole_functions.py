"""A function is fixed whole, or reported whole.

The CF1 rules keep cancellation propagating: a CF1 finding says its function swallows the
caller's cancellation, and so does a finding another rule marks as swallowing (CF301's
`try: await task` / `except CancelledError: pass` and `suppress(CancelledError)`, which
catch the caller's cancellation with the task's). When a function holds one whose fix the
run may not apply (report only, or unsafe in a safe run), fixing the function's other
findings leaves it swallowing the cancellation all the same: the fix is partial (a cleanup
moved into `finally` that then runs, and the coroutine still returns normally). So every
finding of that function offers no stronger fix than its weakest swallowing finding: with a
report-only one, the whole function is reported, each finding saying which finding holds it
back; with an unsafe one, the whole function is fixed with `--unsafe-fixes` only.

The grouping reads only the findings and the function each lies in, so `check` and `fix`
announce the same fix kind for every finding, in safe and unsafe runs alike. After a fix run,
`partly_fixed` names the functions that had a fix applied and still hold a swallowing
finding: none, unless a fix made a function swallow the cancellation anew.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import replace

from codemods.model import Finding, FixSafety

SWALLOWING_RULES = "CF1"
"""The prefix of the rules whose findings say the function swallows the cancellation."""


def swallows(finding: Finding) -> bool:
    """Whether `finding` says its function swallows the caller's cancellation."""
    return finding.swallows or finding.code.startswith(SWALLOWING_RULES)


_STRENGTH: dict[FixSafety | None, int] = {None: 0, FixSafety.UNSAFE: 1, FixSafety.SAFE: 2}


def held_whole(findings: list[Finding], source: bytes) -> list[Finding]:
    """`findings` (in `source`), each capped at the weakest fix of the swallowing findings of
    its function; a finding whose fix is lowered names the function and the finding that
    holds it back. The same list when no function needs it (the usual case: no parse)."""
    if not _may_hold(findings):
        return findings
    functions = Functions(source)
    weakest: dict[str, Finding] = {}
    for finding in findings:
        name = functions.at(finding.line)
        if name is None or not swallows(finding):
            continue
        held = weakest.get(name)
        if held is None or _STRENGTH[finding.fix] < _STRENGTH[held.fix]:
            weakest[name] = finding
    return [_capped(finding, functions.at(finding.line), weakest) for finding in findings]


def _may_hold(findings: list[Finding]) -> bool:
    """Whether some finding offers a stronger fix than some swallowing finding."""
    swallowing = [f for f in findings if swallows(f)]
    if not swallowing:
        return False
    weakest = min(_STRENGTH[f.fix] for f in swallowing)
    return any(_STRENGTH[f.fix] > weakest for f in findings)


def _capped(finding: Finding, function: str | None, weakest: dict[str, Finding]) -> Finding:
    holder = weakest.get(function) if function is not None else None
    if holder is None or _STRENGTH[finding.fix] <= _STRENGTH[holder.fix]:
        return finding
    what = "report only" if holder.fix is None else "unsafe"
    reason = (
        f" ({what}: fixing part of `{function}` would leave it swallowing the cancellation: "
        f"{holder.code} at line {holder.line}"
        + ("" if holder.fix is None else ", whose fix is unsafe")
        + ")"
    )
    return replace(finding, fix=holder.fix, message=finding.message + reason, held_in=function)


def partly_fixed(
    fixed: Iterable[Finding], source: bytes, remaining: Iterable[Finding], new_source: bytes
) -> tuple[str, ...]:
    """The functions with a fix applied (of `fixed`, in `source`) that still hold a swallowing
    finding after the fix (of `remaining`, in `new_source`)."""
    lines = [f.line for f in remaining if swallows(f)]
    if not lines:  # (the usual case: neither module parsed)
        return ()
    touched = {Functions(source).at(f.line) for f in fixed} - {None}
    after = Functions(new_source)
    swallowing = {after.at(line) for line in lines}
    return tuple(sorted(name for name in touched & swallowing if name is not None))


class Functions:
    """The functions of a module by line: a line lies in the innermost function around it,
    named by its qualified name (`Class.method`, `outer.inner`)."""

    def __init__(self, source: bytes) -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = ast.Module(body=[], type_ignores=[])
        # Outer functions before inner ones: the last span around a line is the innermost.
        self.spans = sorted(_spans(tree, ""), key=lambda span: span[0])

    def at(self, line: int) -> str | None:
        found = None
        for start, end, name in self.spans:
            if start > line:
                break
            if line <= end:
                found = name
        return found


def _spans(node: ast.AST, prefix: str) -> Iterator[tuple[int, int, str]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + child.name
            yield child.lineno, child.end_lineno or child.lineno, name
            yield from _spans(child, name + ".")
        elif isinstance(child, ast.ClassDef):
            yield from _spans(child, prefix + child.name + ".")
        else:
            yield from _spans(child, prefix)
