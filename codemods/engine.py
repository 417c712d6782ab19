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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.metadata import MetadataWrapper

from codemods.analysis import siblings
from codemods.model import FileOutcome, Finding, RuleOptions, Settings, digest
from codemods.positions import StatementPositions
from codemods.prefilter.focus import still_stubbed, stubbable, stubbed, unstubbed
from codemods.prefilter.statements import (
    Function,
    ModuleCode,
    coroutine_code,
    module_code,
    reached_by_name,
)
from codemods.registry import rule_by_code
from codemods.reparse import parsed_fix
from codemods.rule import FixSite, Rule
from codemods.suppression import FileExemptions
from codemods.verification import compiles
from codemods.whole_functions import held_whole, partly_fixed


class VerificationError(Exception):
    """A fix produced code that does not parse, compile, or settle after a few passes."""


def _fresh(module: cst.Module) -> MetadataWrapper:
    """A wrapper over a freshly parsed tree, which has no shared nodes to copy first."""
    return MetadataWrapper(module, unsafe_skip_copy=True)


FixSites = dict[str, list[FixSite]]
"""The fix sites (`Rule.fix_sites`) each rule's look found in a module, by rule code."""


def _run_rules(
    wrapper: MetadataWrapper, code: bytes, rules: list[type[Rule]], options: RuleOptions, path: str
) -> tuple[list[Finding], FixSites]:
    """The findings of `rules`, which only look, in the module in `wrapper`, whose code is
    `code`: they share the wrapper's metadata and the statements' positions. With them,
    where each rule's fixes would go (for a fixing visit of that module)."""
    positions = StatementPositions(wrapper, code)
    findings: list[Finding] = []
    sites: FixSites = {}
    for rule_class in rules:
        rule = _rule(rule_class, options, path, (frozenset(), frozenset()))
        rule.look(wrapper, positions)
        findings += rule.findings
        sites[rule.code] = rule.fix_sites
    return findings, sites


@dataclass(frozen=True)
class _FixingPass:
    """What a fixing pass left: the fixed code, parsed afresh, and the findings of the last
    `settled` rules, which looked at that very tree (they changed nothing after it), and
    where their fixes would go."""

    code: bytes
    wrapper: MetadataWrapper
    settled: int
    findings: list[Finding]
    sites: FixSites


def _fixing_pass(
    wrapper: MetadataWrapper,
    code: bytes,
    rules: list[type[Rule]],
    options: RuleOptions,
    path: str,
    frozen: tuple[frozenset[bytes], frozenset[int]],
    sites: FixSites,
) -> _FixingPass:
    """Run `rules` in order over the module in `wrapper` (code `code`), applying their fixes,
    none on the `frozen` lines and line numbers; `sites` are where the first rule's look at
    that module found its fixes. The code a rule's fix produced must parse, and its tree
    (`codemods.reparse`) serves the rules after it: those after the last fix look at the
    tree of the fixed code as the pass that verifies it does, which may take their findings."""
    positions = StatementPositions(wrapper, code)
    new_rule = partial(_rule, options=options, path=path, frozen=frozen)
    settled: list[Finding] = []
    settled_sites: FixSites = {}
    for index, rule_class in enumerate(rules):
        known = sites.get(rule_class.code)
        if index:
            # Only the first rule of a fixing pass is known to fix something; a look at the
            # module tells whether another would, and costs half its rebuilding visit.
            looked = new_rule(rule_class)
            looked.look(wrapper, positions)
            if not looked.changed:
                settled, settled_sites[looked.code] = settled + looked.findings, looked.fix_sites
                continue
            known = looked.fix_sites
        rule, module = _fixing_visit(partial(new_rule, rule_class), wrapper, positions, known)
        if not rule.changed:
            settled, settled_sites[rule.code] = settled + rule.findings, rule.fix_sites
            continue
        try:
            fixed = parsed_fix(module, wrapper.module, code)
        except cst.ParserSyntaxError as error:
            raise VerificationError(f"fixed code does not parse: {error.message}") from error
        code, wrapper = fixed.code, _fresh(fixed.module)
        positions = StatementPositions(wrapper, code)
        settled, settled_sites = [], {}
    return _FixingPass(code, wrapper, len(settled_sites), settled, settled_sites)


def _fixing_visit(
    new_rule: Callable[[], Rule],
    wrapper: MetadataWrapper,
    positions: StatementPositions,
    sites: list[FixSite] | None,
) -> tuple[Rule, cst.Module]:
    """A new rule after its fixing visit of the module in `wrapper`, which enters only the
    fix `sites` where they are known, and the module it leaves. A visit so restricted that
    changes nothing saw part of the module only: the whole is visited again, for the
    findings (and whatever fix the sites missed)."""
    rule = new_rule()
    module = rule.run(wrapper, positions, sites)
    if rule.changed or not sites:
        return rule, module
    rule = new_rule()
    return rule, rule.run(wrapper, positions)


def _rule(
    rule_class: type[Rule],
    options: RuleOptions,
    path: str,
    frozen: tuple[frozenset[bytes], frozenset[int]],
) -> Rule:
    rule = rule_class(CodemodContext(filename=path), options)
    rule.frozen_lines, rule.frozen_numbers = frozen
    return rule


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


MAX_FIX_ROUNDS = 4
"""Passes of all rules a file may take to settle: one rule's fix can make another's safe
(code that CF203 wraps in `try`/`finally` no longer skips cleanup by re-raising). The last
pass finds nothing more to fix."""


def _fix(
    wrapper: MetadataWrapper,
    source: bytes,
    looked: tuple[list[Finding], FixSites],
    rules: list[type[Rule]],
    options: RuleOptions,
    path: str,
    frozen: frozenset[bytes],
) -> tuple[bytes, list[Finding]]:
    """Apply fixes pass after pass until a pass finds nothing more to fix (so the result is
    idempotent), checking the code still parses and compiles after each. `wrapper` holds the
    parsed `source`, with whatever metadata the detection pass, which found the findings of
    `looked` (and where their fixes go, if known), computed; some of them are to be fixed.

    No fix applies on `frozen` lines: those of findings that `check` reports without a fix
    the run may apply. Another rule's fix may make them fixable in a later pass, but `check`
    and `fix` must agree on every finding.

    Returns the new source and the findings the last pass still reports (left unfixed).
    """
    look = replace(options, apply_fixes=False)
    current = source
    findings, sites = looked
    checked = findings
    held_numbers = _held_numbers(findings, options)
    for round_ in range(MAX_FIX_ROUNDS - 1):
        # The first pass applies what `check` offers (a frozen line may read like another).
        held = frozen if round_ else frozenset()
        fixing = _fixing(rules, findings, options, current, held)
        numbers = frozenset() if round_ else held_numbers  # (positions of the first pass)
        fixed = _fixing_pass(wrapper, current, fixing, options, path, (held, numbers), sites)
        if not compiles(fixed.code, path) and compiles(source, path):  # (the original: rarely)
            raise VerificationError("fixed code does not compile")
        current, wrapper = fixed.code, fixed.wrapper
        # A pass that only looks finds what a fixing pass would, and costs less: LibCST's
        # transformer rebuilds every node it visits. The rules that looked at this tree last
        # in the fixing pass found what they would find again.
        looking = rules[: len(rules) - fixed.settled]
        findings, sites = _run_rules(wrapper, current, looking, look, path)
        findings, sites = held_whole(findings + fixed.findings, current), sites | fixed.sites
        if not _to_fix(findings, options, current, frozen):
            reported_only = [f for f in checked if not options.allows(f.fix)]
            return current, _as_checked(findings, current, reported_only, source, frozen)
    raise VerificationError(
        f"fixes are not idempotent: pass {MAX_FIX_ROUNDS} still changes the code"
    )


def _as_checked(
    left: list[Finding],
    code: bytes,
    checked: list[Finding],
    source: bytes,
    frozen: frozenset[bytes],
) -> list[Finding]:
    """The findings `left` in the fixed `code`, those on a frozen line as `check` reported
    them in `source` (`checked`: those it reported without a fix the run may apply; their
    fix kind and message): another rule's fix may have made one
    fixable (a guarded owner lets CF105 re-raise), but the run did not fix it, and `check`
    and `fix` must agree on every finding."""
    source_lines, lines = source.splitlines(), code.splitlines()
    before = {(f.code, _line(source_lines, f.line)): f for f in checked}
    as_checked = []
    for finding in left:
        text = _line(lines, finding.line)
        original = before.get((finding.code, text)) if text in frozen else None
        if original is not None:
            finding = replace(finding, fix=original.fix, message=original.message)
        as_checked.append(finding)
    return as_checked


def _held_numbers(findings: list[Finding], options: RuleOptions) -> frozenset[int]:
    """The lines of the findings held with the rest of their function, in the code they were
    found in: their rule would fix them, but not the run (`codemods.whole_functions`)."""
    return frozenset(f.line for f in findings if f.held_in and not options.allows(f.fix))


def _fixing(
    rules: list[type[Rule]],
    findings: list[Finding],
    options: RuleOptions,
    code: bytes,
    frozen: frozenset[bytes],
) -> list[type[Rule]]:
    """The rules a fixing pass runs, given the `findings` of the pass that looked at the
    same module: those from the first with a fix to apply on. (A rule before it has nothing
    to fix; one after it may, in the code the fixes before it leave.)"""
    codes = [rule.code for rule in rules]
    first = min(codes.index(f.code) for f in _to_fix(findings, options, code, frozen))
    return rules[first:]


def _to_fix(
    findings: list[Finding], options: RuleOptions, code: bytes, frozen: frozenset[bytes]
) -> list[Finding]:
    """The findings in `code` whose fix the run applies: allowed, and not on a frozen line."""
    lines = code.splitlines()
    return [f for f in findings if options.allows(f.fix) and _line(lines, f.line) not in frozen]


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
    The outcome names the other files that the analysis read (`FileOutcome.dependencies`).
    """
    try:
        with siblings.recording() as files:
            outcome = _process_source(source, path, settings, focus and prefilter, prefilter)
        return replace(outcome, dependencies=tuple(sorted(files.items()))) if files else outcome
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
    stubs: list[Function] = []
    if isinstance(tree, ast.Module) and prefilter:
        rules, stubs = _candidates(source, tree, rules, options, focus)
    focused = stubbed(source, stubs) if stubs else source
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
        return _process_module(module, _Module(source, focused, stubs), path, rules, settings)
    except RecursionError:
        return FileOutcome(path, parsed=True, error="too deeply nested to analyse")


def _candidates(
    source: bytes, tree: ast.Module, rules: list[type[Rule]], options: RuleOptions, focus: bool
) -> tuple[list[type[Rule]], list[Function]]:
    """The rules whose candidate check accepts some part of the module, and (with `focus`)
    the functions that none of them needs to see."""
    whole = coroutine_code(tree)  # (false of the whole module: false of each part)
    rules = [rule for rule in rules if rule.is_candidate(whole, options)]
    if not rules:
        return [], []
    code = module_code(tree)
    rules = [rule for rule in rules if code.may_apply(partial(rule.is_candidate, options=options))]
    if not (focus and rules):
        return rules, []
    return rules, stubbable(source, _unneeded(code, rules, options))


@functools.lru_cache(maxsize=4)
def _rules(codes: tuple[str, ...]) -> tuple[type[Rule], ...]:
    return tuple(rule_by_code(code) for code in codes)


def _unneeded(code: ModuleCode, rules: list[type[Rule]], options: RuleOptions) -> list[Function]:
    """The functions of the module that no rule needs to see: none of their candidate checks
    accepts them, and none reads them for context. Context that a rule reads only through
    its name is needed where the needed code spells that name, in turn."""
    needed: set[Function] = set()
    named: set[Function] = set()
    for rule in rules:
        analysed, by_name = _needed_by(rule, code, options)
        needed |= analysed
        named |= by_name
    needed |= reached_by_name(needed, named - needed)
    return [function for function, _ in code.units if function not in needed]


def _needed_by(
    rule: type[Rule], code: ModuleCode, options: RuleOptions
) -> tuple[set[Function], set[Function]]:
    """The functions `rule` analyses: its candidates with the context it reads (where it
    reads it: in a candidate's classes, or anywhere in the module); and the context it reads
    only where the code analysed spells its name (see `Rule.reads_context_by_name`)."""
    candidates = {function for function, part in code.units if rule.is_candidate(part, options)}
    if any(
        rule.reads_every_function(function, function not in code.owners) for function in candidates
    ):
        return {function for function, _ in code.units}, set()
    context = {
        function
        for function, part in code.units
        if function not in candidates and rule.is_context(part, options)
    }
    if not context or rule.is_candidate(code.rest, options):
        return candidates | context, set()  # (what module code reads is not placed: all of it)
    if rule.reads_context_in_class:
        classes = set().union(*map(code.classes_read_from, candidates))
        context = {
            function
            for function in context
            if not code.owners.get(function) or classes & set(code.owners[function])
        }
    return (candidates, context) if rule.reads_context_by_name else (candidates | context, set())


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


@dataclass(frozen=True)
class _Module:
    """A module's source, and the focused copy the rules analyse: `source` with `stubs`
    reduced to stubs (the same bytes when there are none)."""

    source: bytes
    focused: bytes
    stubs: list[Function]


def _process_module(
    module: cst.Module, code: _Module, path: str, rules: list[type[Rule]], settings: Settings
) -> FileOutcome:
    """Findings in `module`, `code.focused` parsed; fixes, where there are some to apply."""
    options = replace(settings.options, apply_fixes=False)
    wrapper = _fresh(module)
    findings, sites = _run_rules(wrapper, code.focused, rules, options, path)
    findings = held_whole(findings, code.focused)
    fixable = [finding for finding in findings if settings.options.allows(finding.fix)]
    if not settings.computes_fixes or not fixable:
        return FileOutcome(path, tuple(findings), parsed=True)
    source = code.source
    try:
        frozen = report_only_lines(code.focused, findings, settings.options)
        looked = (findings, sites)
        fixed = _fixes(wrapper, code, looked, rules, settings.options, path, frozen)
    except VerificationError as error:
        reason = f"fix rejected, file left unchanged: {error}"
        return FileOutcome(path, tuple(findings), error=reason, parsed=True)
    if isinstance(fixed, FileOutcome):
        return fixed
    new_source, remaining = fixed
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
        partly_fixed=partly_fixed([f for f in findings if f.fixed], source, remaining, new_source),
    )


def _fixes(
    wrapper: MetadataWrapper,
    code: _Module,
    looked: tuple[list[Finding], FixSites],
    rules: list[type[Rule]],
    options: RuleOptions,
    path: str,
    frozen: frozenset[bytes],
) -> tuple[bytes, list[Finding]] | FileOutcome:
    """The fixed source and the findings left, as `_fix` gives them for the whole module;
    `wrapper` holds `code.focused`, parsed, in which the rules found the findings of `looked`
    (with where their fixes go, in that tree). The fixes
    are computed on the focused module where that gives the whole module's (see
    `codemods.prefilter.focus`), else on one with fewer stubs (those that spell none of the
    names the fixes chose), at last on the whole module; the outcome that says why not
    when the whole module does not parse."""
    if code.focused != code.source:
        fixed, remaining = _fix(wrapper, code.focused, looked, rules, options, path, frozen)
        whole = unstubbed(fixed, code.source, code.stubs)
        if whole is not None and _parses(whole):
            if not compiles(whole, path) and compiles(code.source, path):
                raise VerificationError("fixed code does not compile")
            return whole, remaining
        fewer = still_stubbed(fixed, code.source, code.stubs) if whole is None else None
        looked = (looked[0], {})  # (the sites are nodes of the tree in `wrapper`)
        if fewer and len(fewer) < len(code.stubs):
            refocused = _Module(code.source, stubbed(code.source, fewer), fewer)
            module = _parse(refocused.focused, path, None)
            if not isinstance(module, FileOutcome):
                return _fixes(_fresh(module), refocused, looked, rules, options, path, frozen)
        module = _parse(code.source, path, None)
        if isinstance(module, FileOutcome):
            return module
        wrapper = _fresh(module)
    fixed, remaining = _fix(wrapper, code.source, looked, rules, options, path, frozen)
    # Each pass parsed again only the statements its fixes changed (`codemods.reparse`): the
    # code to be written is parsed whole once, as the focused module's is above.
    if not _parses(fixed):
        raise VerificationError("fixed code does not parse")
    return fixed, remaining


def _parses(source: bytes) -> bool:
    """Whether LibCST parses `source` (the focused module's fixes, with the stubs' code back)."""
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return False
    return True


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
