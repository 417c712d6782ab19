"""One file through the pipeline: prefilter -> parse once -> rules -> verify -> outcome.

Nothing here writes files: the outcome carries the new bytes, and the caller decides whether
to write them, print a diff, or only report.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import errno
import functools
import io
import os
import re
import tokenize
import warnings
from collections.abc import Iterable
from dataclasses import replace
from functools import partial

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods.model import FileOutcome, Finding, RuleOptions, Settings, digest
from codemods.positions import StatementPositions
from codemods.prefilter.focus import stubbed
from codemods.prefilter.statements import Function, ModuleCode, module_code
from codemods.registry import rule_by_code
from codemods.rule import Rule
from codemods.suppression import FileExemptions


class VerificationError(Exception):
    """A fix produced code that does not parse, compile, or settle after a few passes."""


def _fresh(module: cst.Module) -> MetadataWrapper:
    """A wrapper over a freshly parsed tree, which has no shared nodes to copy first."""
    return MetadataWrapper(module, unsafe_skip_copy=True)


def _run_rules(
    wrapper: MetadataWrapper,
    code: bytes,
    rules: list[type[Rule]],
    options: RuleOptions,
    path: str,
    frozen_lines: frozenset[bytes] = frozenset(),
) -> tuple[cst.Module, list[Finding]]:
    """Run `rules` in order over the module in `wrapper`, whose code is `code`, sharing the
    wrapper's metadata until a rule changes the tree; no fix on `frozen_lines`."""
    module = wrapper.module
    current: MetadataWrapper | None = wrapper
    positions = StatementPositions(wrapper, code)
    findings: list[Finding] = []
    for rule_class in rules:
        if current is None:
            # Fixes may reuse nodes in several places: this wrapper needs its own copy.
            current = MetadataWrapper(module)
            positions = StatementPositions(current)
        rule = rule_class(CodemodContext(filename=path), options)
        rule.frozen_lines = frozen_lines
        module = rule.run(current, positions)
        findings += rule.findings
        if rule.changed:
            current = None
    return module, findings


_TOO_DEEP = "too many nested parentheses"
"""CPython's own limit; LibCST's native parser may overflow its stack on such input."""


class _TooDeep(Exception):
    pass


def _stdlib_parse(source: bytes) -> ast.Module | SyntaxError | None:
    """The stdlib AST, ten times cheaper than LibCST; the error when it cannot parse the file
    (which may be syntax newer than this interpreter: LibCST decides)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source)
    except SyntaxError as error:
        if _TOO_DEEP in str(error.msg):
            raise _TooDeep(
                f"too deeply nested to parse: {error.msg} (line {error.lineno})"
            ) from error
        return error
    except (RecursionError, MemoryError) as error:
        raise _TooDeep("too deeply nested to parse") from error
    except ValueError:
        return None


def _syntax_error_reason(error: cst.ParserSyntaxError, stdlib: SyntaxError | None) -> str:
    """CPython's message where it has one: it says what is wrong ("'(' was never closed") and
    where it started, where LibCST lists the tokens it expected after the fact."""
    if stdlib is not None and stdlib.lineno is not None:
        return f"syntax error at {stdlib.lineno}:{stdlib.offset or 1}: {stdlib.msg}"
    return f"syntax error at {error.editor_line}:{error.editor_column}: {error.message}"


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
"""PEP 263's coding declaration, as CPython's tokenizer looks for it in the first two lines."""


def _position(source: bytes, offset: int) -> str:
    """`line:column` (1-based, column in bytes) of a byte offset."""
    line = source.count(b"\n", 0, offset) + 1
    column = offset - (source.rfind(b"\n", 0, offset) + 1) + 1
    return f"{line}:{column}"


def _undecodable(source: bytes) -> str | None:
    """Why `source` is not text Python can read, in one line; None when it is.

    Decoded the way CPython and LibCST decode it (BOM, else a coding declaration in the first
    two lines, else UTF-8), so that the reason names the encoding and the first bad byte.
    """
    if (offset := source.find(b"\0")) >= 0:
        return f"binary file, not Python source (NUL byte at {_position(source, offset)})"
    declared = ""
    for number, line in enumerate(source.splitlines()[:2], start=1):
        if _CODING.match(line):
            declared = f" (declared on line {number})"
            break
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as error:
        if declared:  # "unknown encoding: foobar", "encoding problem: utf-8" (BOM and cookie)
            return f"cannot decode: {error.msg}{declared}"
        encoding = "utf-8"  # undecodable bytes in the first two lines: say which and where
    try:
        source.decode(encoding)
    except UnicodeDecodeError as error:
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        bad = source[error.start : error.start + 1].hex()
        where = _position(source, error.start)
        return f"cannot decode as {name}{declared}: byte 0x{bad} at {where} ({error.reason})"
    except LookupError as error:
        return f"cannot decode: {error}{declared}"
    return None


MAX_ANALYSED_NODES = 100_000
"""The most syntax nodes (of the stdlib tree) a module may have for LibCST to analyse it:
twice the largest module of the ten real packages the corpus checks (redis's 420 KB
`commands/core.py`, 49,417 nodes, ten seconds). LibCST's time and memory grow with the nodes,
and a 5 MB generated module of coroutines would take minutes and gigabytes per pass."""


MAX_NODES_PER_BYTE = 4
"""More syntax nodes than a module can have per byte of source (real code has under 0.3;
`-a` on every line, 1.7): a smaller module is within the limit without counting."""


def _node_count(tree: ast.Module) -> int:
    return sum(1 for _ in ast.walk(tree))


def _compiles(source: bytes, path: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


MAX_FIX_ROUNDS = 4
"""Passes of all rules a file may take to settle: one rule's fix can make another's safe
(code that CF203 wraps in `try`/`finally` no longer skips cleanup by re-raising)."""


def _fix(
    wrapper: MetadataWrapper,
    source: bytes,
    rules: list[type[Rule]],
    options: RuleOptions,
    path: str,
    frozen: frozenset[bytes],
) -> tuple[bytes, list[Finding]]:
    """Apply fixes pass after pass until a pass changes nothing (so the result is idempotent),
    checking the code still parses and compiles after each. `wrapper` holds the parsed
    `source`, with whatever metadata the detection pass computed.

    No fix applies on `frozen` lines: those of findings that `check` reports without a fix
    the run may apply. Another rule's fix may make them fixable in a later pass, but `check`
    and `fix` must agree on every finding.

    Returns the new source and the findings the last pass still reports (left unfixed).
    """
    compiled = _compiles(source, path)
    current = source
    for round_ in range(MAX_FIX_ROUNDS):
        # The first pass applies what `check` offers (a frozen line may read like another).
        held = frozen if round_ else frozenset()
        fixed_module, remaining = _run_rules(wrapper, current, rules, options, path, held)
        new_source = fixed_module.bytes
        if new_source == current and not any(finding.fixed for finding in remaining):
            return new_source, remaining
        try:
            wrapper = _fresh(cst.parse_module(new_source))
        except cst.ParserSyntaxError as error:
            raise VerificationError(f"fixed code does not parse: {error.message}") from error
        if compiled and not _compiles(new_source, path):
            raise VerificationError("fixed code does not compile")
        current = new_source
    raise VerificationError(
        f"fixes are not idempotent: pass {MAX_FIX_ROUNDS} still changes the code"
    )


def _mark_fixed(findings: list[Finding], options: RuleOptions) -> list[Finding]:
    """The original findings, marked fixed when the run may apply their fix. One it may not
    apply stays unfixed, even where another rule's fix changed its code (a CF102 may then
    read as a CF105): later passes apply no fix on its line, so `check` and `fix` agree."""
    return [replace(finding, fixed=options.allows(finding.fix)) for finding in findings]


def report_only_lines(
    source: bytes, findings: Iterable[Finding], options: RuleOptions
) -> frozenset[bytes]:
    """The lines (stripped) of the findings in `source` whose fix the run may not apply.
    A fix run applies no fix there, even where another rule's fix makes one possible in a
    later pass: a second run over its output may then fix them (its `check` says so)."""
    lines = source.splitlines()
    return frozenset(_line(lines, f.line) for f in findings if not options.allows(f.fix))


def _line(lines: list[bytes], number: int) -> bytes:
    return lines[number - 1].strip() if 0 < number <= len(lines) else b""


def unified_diff(path: str, before: bytes, after: bytes, encoding: str) -> str:
    lines = difflib.unified_diff(
        before.decode(encoding).splitlines(keepends=True),
        after.decode(encoding).splitlines(keepends=True),
        fromfile=path,
        tofile=path,
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def process_source(
    source: bytes,
    path: str,
    settings: Settings,
    *,
    focus: bool = True,
    prefilter: bool = True,
) -> FileOutcome:
    """Run the selected rules over one file's bytes. Never raises: a bad file, or a bug of
    ours on it, becomes an outcome with an error.

    With `focus`, the rules look for findings in a focused copy of the module (see
    `codemods.prefilter.focus`); without it, in the whole module, which gives the same
    findings slower.
    With `prefilter` off, no rule's gate (byte test, stdlib candidate check) is asked, and
    nothing is focused: every selected rule runs on the whole module. The findings must be
    the same (the drift property, checked by the fixture, fuzz and corpus tests).
    """
    try:
        return _process_source(source, path, settings, focus and prefilter, prefilter)
    except Exception as error:
        return FileOutcome(path, error=f"internal error: {type(error).__name__}: {error}")


def _process_source(
    source: bytes, path: str, settings: Settings, focus: bool, prefilter: bool
) -> FileOutcome:
    options = settings.options
    exempt = FileExemptions.of(path, source, settings.per_file_ignores)
    rules = [rule for rule in _rules(settings.rule_codes) if not exempt.silences(rule.code)]
    if prefilter:
        rules = [rule for rule in rules if rule.may_apply(source, options)]
    try:
        tree = _stdlib_parse(source) if rules else None
    except _TooDeep as error:
        return FileOutcome(path, error=str(error))
    focused = source
    if isinstance(tree, ast.Module) and prefilter:
        code = module_code(tree)
        rules = [
            rule for rule in rules if code.may_apply(partial(rule.is_candidate, options=options))
        ]
        if focus and rules:
            focused = stubbed(source, _unneeded(code, rules, options))
    if not rules:
        return FileOutcome(path)
    if (
        isinstance(tree, ast.Module)
        and len(source) > MAX_ANALYSED_NODES // MAX_NODES_PER_BYTE
        and (nodes := _node_count(tree)) > MAX_ANALYSED_NODES
    ):
        return FileOutcome(
            path,
            error=f"too large to analyse: {nodes:,} syntax nodes (the limit is "
            f"{MAX_ANALYSED_NODES:,}); split the module, or exclude it",
        )
    if (reason := _undecodable(source)) is not None:
        return FileOutcome(path, error=reason)
    module = _parse(focused, path, tree)
    if isinstance(module, FileOutcome):
        return module
    try:
        return _process_module(module, focused, source, path, rules, settings)
    except RecursionError:
        return FileOutcome(path, parsed=True, error="too deeply nested to analyse")


@functools.lru_cache(maxsize=4)
def _rules(codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
    return tuple(rule_by_code(code) for code in codes)


def _unneeded(code: ModuleCode, rules: list[type[Rule]], options: RuleOptions) -> list[Function]:
    """The functions of the module that no rule needs to see: none of their candidate checks
    accepts them, and none reads them for context."""
    return [
        function
        for function, part in code.units
        if not any(
            rule.is_candidate(part, options) or rule.is_context(part, options) for rule in rules
        )
    ]


def _parse(
    source: bytes, path: str, tree: ast.Module | SyntaxError | None
) -> cst.Module | FileOutcome:
    """LibCST's tree of `source`, or the outcome that says why there is none."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        stdlib_error = tree if isinstance(tree, SyntaxError) else None
        return FileOutcome(path, error=_syntax_error_reason(error, stdlib_error))
    except (UnicodeDecodeError, LookupError, SyntaxError) as error:
        return FileOutcome(path, error=f"cannot decode: {error}")
    except RecursionError:
        return FileOutcome(path, error="too deeply nested to parse")


def _process_module(
    module: cst.Module,
    focused: bytes,
    source: bytes,
    path: str,
    rules: list[type[Rule]],
    settings: Settings,
) -> FileOutcome:
    """Findings in `module`, `focused` parsed (`source` or a focused copy); fixes, where there
    are some to apply, computed on the whole module."""
    options = replace(settings.options, apply_fixes=False)
    wrapper = _fresh(module)
    _, findings = _run_rules(wrapper, focused, rules, options, path)
    fixable = [finding for finding in findings if settings.options.allows(finding.fix)]
    if not settings.computes_fixes or not fixable:
        return FileOutcome(path, tuple(findings), parsed=True)
    if focused != source:
        # The fixes are computed on the whole module; its findings are those just found.
        whole = _parse(source, path, None)
        if isinstance(whole, FileOutcome):
            return whole
        wrapper = _fresh(whole)
    try:
        frozen = report_only_lines(source, findings, settings.options)
        new_source, remaining = _fix(wrapper, source, rules, settings.options, path, frozen)
    except VerificationError as error:
        reason = f"fix rejected, file left unchanged: {error}"
        return FileOutcome(path, tuple(findings), error=reason, parsed=True)
    findings = _mark_fixed(findings, settings.options)
    diff = unified_diff(path, source, new_source, module.encoding)
    return FileOutcome(
        path,
        tuple(findings),
        tuple(remaining),
        new_source=new_source,
        original_digest=digest(source),
        diff=diff,
        parsed=True,
    )


def process_path(path: str, settings: Settings) -> FileOutcome:
    """The outcome of a file, with the digest of the bytes read (for the cache)."""
    try:
        with open(path, "rb") as file:
            source = file.read()
    except OSError as error:
        return FileOutcome(path, error=_unreadable(path, error))
    return replace(process_source(source, path, settings), original_digest=digest(source))


def _unreadable(path: str, error: OSError) -> str:
    """Why a file could not be read, in one line; a symlink says where it leads."""
    if error.errno in (errno.ELOOP, errno.ENOENT) and os.path.islink(path):
        if error.errno == errno.ELOOP:
            return "cannot read: symlink loop"
        with contextlib.suppress(OSError):  # (gone meanwhile: the plain reason will do)
            return f"cannot read: broken symlink to {os.readlink(path)}"
    return f"cannot read: {error.strerror or error}"
