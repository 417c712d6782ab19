"""The run as an API: discovery, selection, the cache, the workers, writes, the report and the
exit status, callable from Python, with each file's outcome streamed as soon as it is done.

`configure` resolves what a caller asks for (`Options`: the command line's options) against the
configuration (`[tool.cancelfix]` in the nearest pyproject.toml, or a given file) into a
`Request`. A `Run` of a request finds the files and yields each one's `FileOutcome` as it is done:
first those the cache answers, then those the worker processes compute, in no fixed order. In fix
mode a file's fixes are written before its outcome is yielded. `Run.finish` then sorts the
report, saves the cache, makes the bot's commit (or adds the `# noqa` comments) and returns the
`Result`, with the exit status the command would give. `analyse_source` runs the rules over
one text in memory (an editor's buffer, stdin), with the settings of the file it stands for.

Nothing here prints or exits; `codemods.cli` parses the options and prints. The modules that
need LibCST (the engine, the runner, the rules) are imported where used, so that a run whose
files all come from the cache never loads the parser.

Example::

    from pathlib import Path

    from codemods import api

    request = api.configure([Path("src")], api.Options(select=("CF1",)), mode=api.Mode.FIX)
    run = api.Run(request)
    for outcome in run:  # as the files are done; their fixes are already written
        for finding in outcome.findings:
            print(f"{outcome.path}:{finding.line}: {finding.code} (fixed: {finding.fixed})")
    result = run.finish()
    print(result.report.summary(), "exit status", result.exit_status)

    text = Path("src/app.py").read_text()  # or the unsaved text of an editor's buffer
    buffer = api.analyse_source(text, "src/app.py", request)  # writes nothing
    print([finding.code for finding in buffer.findings], buffer.fixed_text == text)
"""

from __future__ import annotations

import contextlib
import io
import os
import tokenize
from collections.abc import Generator, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from codemods import bot, config, formatting
from codemods.cache import DEFAULT_DIRECTORY, Cache, CacheError, RuleMemo
from codemods.discovery import Excludes, discover_files, unsupported
from codemods.interrupts import Interrupts
from codemods.model import FileOutcome, Finding, Mode, RuleOptions, Settings
from codemods.noqa import Added, add_to_files
from codemods.output import Report
from codemods.selection import SelectionError, Shard, changed_since
from codemods.writer import write_atomic

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "STDIN",
    "Added",
    "Commit",
    "Committed",
    "FileOutcome",
    "Finding",
    "Mode",
    "Options",
    "Request",
    "Result",
    "Run",
    "SourceResult",
    "UsageError",
    "analyse_source",
    "configure",
    "exit_status",
]

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
STDIN = Path("-")
"""The path that stands for standard input on the command line."""


class UsageError(Exception):
    """A request that cannot be honoured (configuration, rule codes, `since`, the bot's work
    tree); the message says why, in one line."""


@dataclass(frozen=True)
class Commit:
    """How the bot commits what the fixes change (`cancelfix fix --commit`)."""

    title: str = bot.DEFAULT_MESSAGE
    push: bool = False
    allow_dirty: bool = False


@dataclass(frozen=True)
class Options:
    """What a caller asks for on top of the configuration: the command line's options.

    An empty tuple or None leaves the configuration's value.
    """

    config_file: Path | None = None
    """Read this file instead of the nearest pyproject.toml."""
    select: tuple[str, ...] = ()
    """Replaces the configured select (and drops its extend-select), as ruff's does."""
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    """Adds to the configured ignores."""
    per_file_ignores: tuple[str, ...] = ()
    """ruff's PATTERN:CODES (`'tests/*:CF303,CF1'`), replacing the configured ones."""
    extend_per_file_ignores: tuple[str, ...] = ()
    """PATTERN:CODES added to the configured per-file ignores."""
    unsafe_fixes: bool | None = None
    target_version: tuple[int, int] | None = None
    exclude: tuple[str, ...] = ()
    """Replaces the configured excludes."""
    extend_exclude: tuple[str, ...] = ()
    force_exclude: bool = False
    """Apply the excludes to files named explicitly too (pre-commit names every file)."""
    respect_gitignore: bool | None = None
    """Skip the files .gitignore ignores; None leaves the configuration's."""
    jobs: int = 0
    """Worker processes; 0 for one per core."""
    since: str | None = None
    """Only files changed since this git revision (and untracked ones)."""
    shard: Shard | None = None
    cache: bool = True
    cache_dir: Path | None = None
    stdin_filename: str | None = None
    """The name the command line reports for source read from `-`."""
    commit: Commit | None = None
    """In fix mode, commit the files the fixes changed."""
    offer_fixes: bool = False
    """In check mode, compute the fixes (to offer them, as SARIF does) and write nothing."""
    add_noqa: bool = False
    """In check mode, add a `# noqa: CODES` to every line with a finding left (ruff's
    `--add-noqa`), once the run is over."""
    exit_zero: bool = False
    formatter: str | None = None
    """"ruff", "black" or "none" for the files a fix changes; None leaves the configuration's."""


@dataclass(frozen=True)
class Request:
    """A run resolved against the configuration: made by `configure`."""

    mode: Mode
    paths: tuple[Path, ...]
    options: Options
    config: config.Config
    settings: Settings
    """What the workers need: the mode, the rules, their options."""
    excludes: Excludes
    jobs: int
    cache_dir: Path | None
    """None without the cache."""
    rule_memo: RuleMemo | None
    formatter: str | None
    """The formatter of the files a fix changes; None for none."""

    @property
    def reads_stdin(self) -> bool:
        return self.paths == (STDIN,)

    @property
    def adds_noqa(self) -> bool:
        return self.options.add_noqa and self.mode is Mode.CHECK


def configure(
    paths: Iterable[Path] = (), options: Options = Options(), *, mode: Mode = Mode.CHECK
) -> Request:
    """The run of `mode` over `paths` (default: the current directory) with `options` over the
    configuration found for the first path. Raises `UsageError`."""
    chosen = tuple(paths) or (Path("."),)
    reads_stdin = chosen == (STDIN,)
    anchor = Path(options.stdin_filename) if options.stdin_filename and reads_stdin else chosen[0]
    try:
        found = config.discover(options.config_file, Path(os.path.abspath(anchor)))
        if options.respect_gitignore is not None:
            found = replace(found, respect_gitignore=options.respect_gitignore)
        cache_dir = None if not options.cache or reads_stdin else _cache_dir(options, found)
        rule_memo = RuleMemo(cache_dir) if cache_dir is not None else None
        command_line = _command_line(options, found)
        rule_codes = config.rule_codes(found, command_line, rule_memo)
    except config.ConfigError as error:
        raise UsageError(str(error)) from error
    exclude = options.exclude or found.exclude
    extend = options.extend_exclude + found.extend_exclude
    return Request(
        mode=mode,
        paths=chosen,
        options=options,
        config=found,
        settings=Settings(
            mode,
            rule_codes,
            _rule_options(options, found),
            offer_fixes=options.offer_fixes and mode is Mode.CHECK,
            per_file_ignores=config.per_file_ignores(found, command_line),
        ),
        excludes=Excludes(found.root, (*exclude, *extend)),
        jobs=options.jobs or _cores(),
        cache_dir=cache_dir,
        rule_memo=rule_memo,
        formatter=_formatter(options, found),
    )


def _formatter(options: Options, found: config.Config) -> str | None:
    """The option, else the configuration's `formatter`; "none" turns a configured one off."""
    chosen = options.formatter or found.formatter
    return None if chosen == "none" else chosen


def _command_line(options: Options, found: config.Config) -> config.CommandLine:
    """The rule options asked for, which take precedence over the configuration's as ruff's
    command line over its file (see `config.rule_codes`)."""
    return config.CommandLine.of(
        found.root,
        select=options.select,
        extend_select=options.extend_select,
        ignore=options.ignore,
        per_file_ignores=options.per_file_ignores,
        extend_per_file_ignores=options.extend_per_file_ignores,
    )


def _rule_options(options: Options, found: config.Config) -> RuleOptions:
    version = options.target_version or found.effective_target_version
    unsafe = options.unsafe_fixes if options.unsafe_fixes is not None else found.unsafe_fixes
    return RuleOptions(
        unsafe_fixes=unsafe, target_version=version, cleanup_names=found.cleanup_names
    )


def _cache_dir(options: Options, found: config.Config) -> Path:
    """The option (or $CANCELFIX_CACHE_DIR), else the configuration's `cache-dir`, else
    .cancelfix_cache in the project root: where the configuration is, else here."""
    chosen = options.cache_dir or found.cache_dir
    return chosen if chosen is not None else found.root / DEFAULT_DIRECTORY


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may use
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def exit_status(report: Report, *, exit_zero: bool = False, added: Added | None = None) -> int:
    """2 on any error; else 0 with `exit_zero` or after adding `# noqa` comments (`added`);
    else 1 if findings are left (with --diff: if there is a diff), 0 if none."""
    if report.errors or (added is not None and added.errors):
        return EXIT_ERROR
    if added is not None:
        return EXIT_CLEAN
    if exit_zero:
        return EXIT_CLEAN
    if report.mode is Mode.DIFF:
        return EXIT_FINDINGS if report.changed else EXIT_CLEAN
    return EXIT_FINDINGS if report.remaining else EXIT_CLEAN


@dataclass(frozen=True)
class Committed:
    """The bot's commit."""

    sha: str | None
    """None when no file that git tracks was changed."""
    upstream: tuple[str, str] | None
    """(remote, branch) it was pushed to."""
    untracked: tuple[str, ...]
    """Files changed but left out: not the repository's to add."""


@dataclass(frozen=True)
class Result:
    """What a run found and did, once it is over."""

    request: Request
    report: Report
    cache_warning: str | None = None
    """Why the cache could not be written (which costs nothing more)."""
    committed: Committed | None = None
    added: Added | None = None
    """What adding `# noqa` comments did (`Options.add_noqa`)."""

    @property
    def exit_status(self) -> int:
        return exit_status(self.report, exit_zero=self.request.options.exit_zero, added=self.added)


class Run:
    """One run over files: iterate it for the outcomes as they are done, then `finish` it.

    Making it finds and selects the files (`files`) and, for the bot, checks the work tree
    before anything is fixed; raises `UsageError`. `interrupts`, when given, hold SIGINT and
    SIGTERM back while a file is written and recorded.
    """

    def __init__(self, request: Request, *, interrupts: Interrupts | None = None) -> None:
        if request.reads_stdin:
            raise UsageError("`-` stands for stdin on the command line: use analyse_source")
        self.request = request
        self._interrupts = interrupts
        self._repository = _prepare_commit(request)
        self.report = Report(request.mode, request.settings.options)
        existing = [path for path in request.paths if path.exists()]
        for path in request.paths:
            if path not in existing:
                self.report.errors.append((str(path), "no such file or directory"))
        self.skipped = unsupported(request.paths)
        """Files named that cannot be checked (notebooks): left out, never counted."""
        discovered = discover_files(
            [path for path in existing if path not in self.skipped],
            request.excludes,
            respect_gitignore=request.config.respect_gitignore,
            force_exclude=request.options.force_exclude,
        )
        self.found_nothing = not discovered and len(existing) == len(request.paths)
        """No Python file found, and no path missing."""
        self.files = _select(request, discovered)
        self.cache = (
            Cache(request.cache_dir, request.settings)
            if request.cache_dir is not None and self.files
            else None
        )
        self._stream = self._outcomes()

    def __iter__(self) -> Generator[FileOutcome, None, None]:
        """Each file's outcome once it is done (and, in fix mode, written), recorded in the
        report. Close it (or let an exception through it) to stop: the workers are stopped."""
        return self._stream

    def _outcomes(self) -> Generator[FileOutcome, None, None]:
        with contextlib.closing(_computed(self.files, self.cache, self.request)) as computed:
            for outcome in computed:
                yield self._record(outcome)

    def _record(self, outcome: FileOutcome) -> FileOutcome:
        """Report an outcome, formatting its fixes and, in fix mode, writing them first (never
        cut off by a signal)."""
        if self.request.mode is not Mode.CHECK:
            request = self.request
            outcome = formatting.formatted(outcome, request.formatter, request.config.root)
        if self.request.mode is not Mode.FIX or not outcome.changed:
            self.report.add(outcome)
            return outcome
        with self._interrupts.deferred() if self._interrupts else contextlib.nullcontext():
            outcome = _written(outcome)
            self.report.add(outcome)
        return outcome

    def save_cache(self) -> str | None:
        """Write what this run learnt (after an interruption too: the cache holds only outcomes
        that are complete); the warning to show when it cannot be written."""
        if self.cache is None:
            return None
        try:
            if self.request.rule_memo is not None:
                self.request.rule_memo.save()
            self.cache.save()
        except CacheError as error:
            return str(error)
        return None

    def finish(self) -> Result:
        """Run the files not run yet; sort the report, save the cache, make the bot's commit,
        add the `# noqa` comments."""
        for _ in self._stream:
            pass
        self.report.sort()
        cache_warning = self.save_cache()
        committed = None
        if self._repository is not None and self.report.changed:
            committed = _commit(self.request, self._repository, self.report)
        added = add_to_files(self.report.remaining) if self.request.adds_noqa else None
        return Result(self.request, self.report, cache_warning, committed, added)


def _prepare_commit(request: Request) -> bot.Repository | None:
    commit = request.options.commit
    if commit is None:
        return None
    try:
        return bot.prepare(Path.cwd(), push=commit.push, allow_dirty=commit.allow_dirty)
    except bot.BotError as error:
        raise UsageError(str(error)) from error


def _select(request: Request, files: list[Path]) -> list[Path]:
    """The discovered files that `since` and `shard` leave to this run."""
    if request.options.since is not None:
        try:
            changed = changed_since(request.options.since, Path.cwd())
        except SelectionError as error:
            raise UsageError(str(error)) from error
        files = [path for path in files if os.path.realpath(path) in changed]
    if (shard := request.options.shard) is not None:
        files = [path for path in files if shard.takes(path)]
    return files


def _computed(
    files: list[Path], cache: Cache | None, request: Request
) -> Generator[FileOutcome, None, None]:
    """Each file's outcome: from the cache as the files are looked up, then from the workers
    for the rest (which are started only if there is a rest)."""
    pending = []
    for path in files:
        outcome = cache.lookup(str(path)) if cache is not None else None
        if outcome is None:
            pending.append(str(path))
        else:
            yield outcome
    if not pending:
        return
    from codemods import runner

    with contextlib.closing(runner.run(pending, request.settings, request.jobs)) as computed:
        for outcome in computed:
            if cache is not None:
                cache.store(outcome)
            yield outcome


def _written(outcome: FileOutcome) -> FileOutcome:
    """Write the outcome's fixes. When they cannot be written, the outcome of a file left as it
    was: nothing fixed, and the reason as its error."""
    assert outcome.new_source is not None and outcome.original_digest is not None
    try:
        write_atomic(outcome.path, outcome.new_source, outcome.original_digest)
    except OSError as error:
        reason = f"cannot write: {error.strerror or error}"
    except Exception as error:
        reason = f"cannot write: {error}"
    else:
        return outcome
    unfixed = tuple(replace(finding, fixed=False) for finding in outcome.findings)
    return replace(
        outcome, findings=unfixed, remaining=(), new_source=None, diff=None, error=reason
    )


def _commit(request: Request, repository: bot.Repository, report: Report) -> Committed | None:
    """The bot's commit (and push) of what this run changed; a git failure is an error."""
    assert request.options.commit is not None
    try:
        sha, untracked = bot.commit(
            repository, report.changed, report.fixed, request.options.commit.title
        )
    except bot.BotError as error:
        report.errors.append((str(repository.top), str(error)))
        return None
    return Committed(sha, repository.upstream, tuple(untracked))


@dataclass(frozen=True)
class SourceResult:
    """What the rules make of one text: its findings, and the text with the fixes applied."""

    outcome: FileOutcome
    fixed: bytes
    """The source with the fixes applied; the source itself when there are none, or when the
    request's mode is check (without `offer_fixes`)."""
    encoding: str
    """The source's encoding (its declaration, else UTF-8)."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Positions in the source as given; `fixed` marks those the fixed text fixes."""
        return self.outcome.findings

    @property
    def error(self) -> str | None:
        return self.outcome.error

    @property
    def fixed_text(self) -> str:
        return self.fixed.decode(self.encoding)


def analyse_source(
    source: str | bytes, path: str | os.PathLike[str], request: Request
) -> SourceResult:
    """Run the request's rules over `source`, the text of the file at `path` (which need not
    exist: it names the file in findings, and decides the excludes). Writes nothing.

    A `str` is encoded as its coding declaration says (else as UTF-8). With the request's
    `force_exclude`, an excluded path gives no findings, as the command line's `-` does.
    """
    from codemods.engine import process_source

    name = os.fspath(path)
    data, encoding = _encoded(source)
    excluded = (
        request.options.force_exclude
        and name != str(STDIN)
        and request.excludes.matches(Path(name))
    )
    outcome = FileOutcome(name) if excluded else process_source(data, name, request.settings)
    if request.mode is not Mode.CHECK:
        outcome = formatting.formatted(outcome, request.formatter, request.config.root, data)
    fixed = outcome.new_source if outcome.new_source is not None and not outcome.error else data
    return SourceResult(outcome, fixed, encoding)


def _encoded(source: str | bytes) -> tuple[bytes, str]:
    """The source's bytes and encoding: declared in its first two lines, else UTF-8."""
    head = source if isinstance(source, bytes) else source.encode("utf-8", "surrogateescape")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError:  # an unknown or contradictory declaration: the engine says which
        encoding = "utf-8"
    if isinstance(source, bytes):
        return source, encoding
    if encoding == "utf-8-sig":  # a str keeps a BOM as its first character
        encoding = "utf-8"
    try:
        return source.encode(encoding), encoding
    except (UnicodeEncodeError, LookupError):
        return head, "utf-8"
