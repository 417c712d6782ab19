"""The `cancelfix` command line: check, fix, fix --diff, rules, explain.

Exit codes: 0 nothing to report; 1 findings left (or, with --diff, a diff); 2 a usage,
configuration or internal error, or a file that could not be read, parsed or written.

The modules that need LibCST (the engine, the runner and its workers, the rules) are imported
where they are used, so that a run whose files all come from the cache never loads the parser.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from codemods import __version__, bot, config, target_version
from codemods.cache import DEFAULT_DIRECTORY, Cache, CacheError, RuleMemo
from codemods.discovery import Excludes, discover_files
from codemods.model import FileOutcome, Mode, RuleOptions, Settings
from codemods.output import (
    Report,
    changed_file_line,
    format_finding,
    plural,
    summary_line,
    to_github,
    to_json,
    to_markdown,
)
from codemods.selection import SelectionError, Shard, changed_since
from codemods.writer import write_atomic

if TYPE_CHECKING:
    from codemods.rule import Rule

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PROGRESS_THRESHOLD = 300
TARGET_CHOICES = [target_version.format_version(v) for v in target_version.SUPPORTED]


class UsageProblem(click.ClickException):
    """A usage or configuration error: one line on stderr, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"cancelfix: error: {self.message}", err=True)


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    """`--select CF1,CF201 --select CF3` -> ("CF1", "CF201", "CF3")."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


def _run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option(
            "--select",
            multiple=True,
            metavar="CODES",
            help="Rule codes or prefixes to run (default: all).",
        ),
        click.option(
            "--ignore", multiple=True, metavar="CODES", help="Rule codes or prefixes to skip."
        ),
        click.option(
            "--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply fixes marked unsafe."
        ),
        click.option(
            "--target-version",
            type=click.Choice(TARGET_CHOICES),
            help="Python version the code runs on (default: from requires-python, else py39).",
        ),
        click.option(
            "-j",
            "--jobs",
            type=click.IntRange(min=0),
            default=0,
            help="Worker processes (default: one per core).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="PATTERNS",
            help="Gitignore-style patterns to skip, replacing the defaults.",
        ),
        click.option(
            "--extend-exclude",
            multiple=True,
            metavar="PATTERNS",
            help="Patterns to skip in addition to the defaults.",
        ),
        click.option(
            "--force-exclude",
            is_flag=True,
            help="Apply excludes to files named on the command line too (for pre-commit).",
        ),
        click.option(
            "--since",
            metavar="REF",
            help="Only files changed since the git revision REF (and untracked ones).",
        ),
        click.option(
            "--shard",
            metavar="K/N",
            help="Only the K-th of N deterministic shards of the files (for CI job matrices).",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Configuration file (default: [tool.cancelfix] in the nearest pyproject.toml).",
        ),
        click.option(
            "--output-format",
            type=click.Choice(["text", "json", "github", "sarif"]),
            default="text",
            show_default=True,
            help="github: workflow-command annotations; sarif: SARIF 2.1.0 for code scanning.",
        ),
        click.option(
            "--summary",
            "summary_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Also write a Markdown summary to FILE (and to $GITHUB_STEP_SUMMARY when set).",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the output (default: when writing to a terminal).",
        ),
        click.option("-q", "--quiet", count=True, help="Print findings only, no summary."),
        click.option("-v", "--verbose", count=True, help="Print what is being done."),
        click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are left."),
        click.option(
            "--no-cache",
            is_flag=True,
            envvar="CANCELFIX_NO_CACHE",
            show_envvar=True,
            help="Neither read nor write the cache.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(path_type=Path),
            envvar="CANCELFIX_CACHE_DIR",
            show_envvar=True,
            metavar="DIR",
            help=f"The cache's directory (default: `cache-dir` from the configuration, else "
            f"{DEFAULT_DIRECTORY} in the project root).",
        ),
        click.option(
            "--stdin-filename",
            metavar="PATH",
            help="The file name to report for source read from `-`.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class _Bot:
    """`fix --commit`: how to commit what the fixes change."""

    title: str
    push: bool
    allow_dirty: bool


@dataclass(frozen=True)
class _Request:
    mode: Mode
    paths: tuple[Path, ...]
    settings: Settings
    config: config.Config
    excludes: Excludes
    jobs: int
    force_exclude: bool
    since: str | None
    shard: Shard | None
    bot: _Bot | None
    output_format: str
    summary_file: Path | None
    color: bool | None
    quiet: int
    verbose: int
    exit_zero: bool
    stdin_filename: str | None
    cache_dir: Path | None
    """None with --no-cache."""
    rule_memo: RuleMemo | None


def _cores() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may use
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _build_request(mode: Mode, options: dict[str, Any]) -> _Request:
    paths: tuple[Path, ...] = options["paths"] or (Path("."),)
    stdin_filename = options["stdin_filename"]
    if Path("-") in paths and len(paths) > 1:
        raise UsageProblem("`-` (read from stdin) cannot be combined with other paths")
    if stdin_filename and paths != (Path("-"),):
        raise UsageProblem("--stdin-filename names the source read from `-`; pass `-` as the path")
    anchor = Path(stdin_filename) if stdin_filename and paths == (Path("-"),) else paths[0]
    try:
        found = config.discover(options["config_file"], Path(os.path.abspath(anchor)))
    except config.ConfigError as error:
        raise UsageProblem(str(error)) from error
    select = _codes(options["select"]) or found.select
    ignore = _codes(options["ignore"]) or found.ignore
    cache_dir = None if options["no_cache"] or paths == (Path("-"),) else _cache_dir(options, found)
    rule_memo = RuleMemo(cache_dir) if cache_dir is not None else None
    rule_codes = rule_memo.get(select, ignore) if rule_memo is not None else None
    if rule_codes is None:
        from codemods.registry import UnknownRuleError, select_rules

        try:
            rule_codes = tuple(rule.code for rule in select_rules(select, ignore))
        except UnknownRuleError as error:
            origin = "" if options["select"] or options["ignore"] else f" (in {found.source})"
            raise UsageProblem(f"{error}{origin}") from error
        if rule_memo is not None:
            rule_memo.put(select, ignore, rule_codes)
    version = (
        target_version.parse(options["target_version"])
        if options["target_version"]
        else found.effective_target_version
    )
    unsafe = options["unsafe_fixes"] if options["unsafe_fixes"] is not None else found.unsafe_fixes
    rule_options = RuleOptions(
        unsafe_fixes=unsafe, target_version=version, cleanup_names=found.cleanup_names
    )
    try:
        shard = Shard.parse(options["shard"]) if options["shard"] else None
    except SelectionError as error:
        raise UsageProblem(str(error)) from error
    exclude = _codes(options["exclude"]) or found.exclude
    extend = _codes(options["extend_exclude"]) + found.extend_exclude
    return _Request(
        mode=mode,
        paths=paths,
        # SARIF offers the fixes with the findings: a check computes them, writing nothing.
        settings=Settings(
            Mode.DIFF if mode is Mode.CHECK and options["output_format"] == "sarif" else mode,
            rule_codes,
            rule_options,
        ),
        config=found,
        excludes=Excludes(found.root, (*exclude, *extend)),
        jobs=options["jobs"] or _cores(),
        force_exclude=options["force_exclude"],
        since=options["since"],
        shard=shard,
        bot=_Bot(options["message"] or bot.DEFAULT_MESSAGE, options["push"], options["allow_dirty"])
        if options.get("commit")
        else None,
        output_format=options["output_format"],
        summary_file=options["summary_file"],
        color=options["color"],
        quiet=options["quiet"],
        verbose=options["verbose"],
        exit_zero=options["exit_zero"],
        stdin_filename=stdin_filename,
        cache_dir=cache_dir,
        rule_memo=rule_memo,
    )


def _cache_dir(options: dict[str, Any], found: config.Config) -> Path:
    """--cache-dir (or $CANCELFIX_CACHE_DIR), else the configuration's `cache-dir`, else
    .cancelfix_cache in the project root: where the configuration is, else here."""
    chosen: Path | None = options["cache_dir"] or found.cache_dir
    return chosen if chosen is not None else found.root / DEFAULT_DIRECTORY


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cancelfix")
def main() -> None:
    """Find and fix Python code that mishandles asyncio cancellation."""


@main.command()
@_run_options
def check(**options: Any) -> None:
    """Report findings. Exit 1 if there are any, 0 if none, 2 on errors."""
    _run(_build_request(Mode.CHECK, options))


@main.command()
@_run_options
@click.option(
    "--diff", is_flag=True, help="Print a unified diff and write nothing; exit 1 if there is one."
)
@click.option(
    "--commit",
    is_flag=True,
    help="Commit the files the fixes changed, as one commit listing each fix (the CI bot).",
)
@click.option("--message", metavar="TEXT", help="The commit's title (with --commit).")
@click.option("--push", is_flag=True, help="Push the commit to the current branch's upstream.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Commit even though the work tree has other uncommitted changes.",
)
def fix(diff: bool, **options: Any) -> None:
    """Apply fixes in place (safe ones; unsafe ones too with --unsafe-fixes)."""
    if diff and options["commit"]:
        raise UsageProblem("--commit applies fixes; it cannot be combined with --diff")
    for flag in ("message", "push", "allow_dirty"):
        if options[flag] and not options["commit"]:
            raise UsageProblem(f"--{flag.replace('_', '-')} goes with --commit")
    _run(_build_request(Mode.DIFF if diff else Mode.FIX, options))


@main.command(name="rules")
@click.option(
    "--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def list_rules(output_format: str) -> None:
    """List the rules with their fix kinds."""
    from codemods.registry import all_rules

    rows = [(rule.code, rule.name, _fix_description(rule), rule.message) for rule in all_rules()]
    if output_format == "json":
        import json

        keys = ("code", "name", "fix", "message")
        click.echo(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
        return
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    click.echo(f"{'CODE':<{widths[0]}}  {'NAME':<{widths[1]}}  {'FIX':<{widths[2]}}  MESSAGE")
    for row in rows:
        click.echo(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation of a rule, such as CF101."""
    from codemods.registry import UnknownRuleError, rule_by_code

    try:
        rule = rule_by_code(code)
    except UnknownRuleError as error:
        raise UsageProblem(f"{error}; see `cancelfix rules`") from error
    click.echo(f"# {rule.code} ({rule.name})\n\nFix: {_fix_description(rule)}\n")
    click.echo(rule.documentation())


@main.command()
def server() -> None:
    """Run the language server on stdin/stdout, for editors (needs `cancelfix[lsp]`)."""
    from codemods.server import MissingExtra, serve

    try:
        serve()
    except MissingExtra as error:
        raise UsageProblem(str(error)) from error


def _fix_description(rule: type[Rule]) -> str:
    return "/".join(kind.value for kind in rule.fix_kinds) or "none"


def _run(request: _Request) -> NoReturn:
    if request.paths == (Path("-"),):
        if request.bot is not None:
            raise UsageProblem("--commit works on files in a git work tree, not on stdin")
        _run_stdin(request)
    repository = None
    if request.bot is not None:
        try:
            repository = bot.prepare(
                Path.cwd(), push=request.bot.push, allow_dirty=request.bot.allow_dirty
            )
        except bot.BotError as error:
            raise UsageProblem(str(error)) from error
    started = time.monotonic()
    report = Report(request.mode, request.settings.options)
    missing = [path for path in request.paths if not path.exists()]
    for path in missing:
        report.errors.append((str(path), "no such file or directory"))
    discovered = discover_files(
        [path for path in request.paths if path.exists()],
        request.excludes,
        respect_gitignore=request.config.respect_gitignore,
        force_exclude=request.force_exclude,
    )
    files = _select(request, discovered)
    version = target_version.format_version(request.settings.options.target_version)
    _verbose(request, f"configuration: {request.config.source or 'defaults'}")
    _verbose(request, f"target version: {version}")
    _verbose(request, f"rules: {', '.join(request.settings.rule_codes)}")
    _verbose(request, f"{plural(len(files), 'file')}, {plural(request.jobs, 'job')}")
    if not discovered and not missing:
        click.echo("cancelfix: warning: no Python files found", err=True)
    show_progress = (
        sys.stderr.isatty()
        and request.quiet == 0
        and request.output_format == "text"
        and len(files) > PROGRESS_THRESHOLD
    )
    cache = (
        Cache(request.cache_dir, request.settings)
        if request.cache_dir is not None and files
        else None
    )
    interrupts = _Interrupts()
    try:
        with (
            interrupts.installed(),
            contextlib.closing(_outcomes(request, files, cache)) as outcomes,
        ):
            if show_progress:
                with click.progressbar(
                    outcomes, length=len(files), file=sys.stderr, label="Checking"
                ) as bar:
                    for outcome in bar:
                        _add(request, report, outcome, interrupts)
            else:
                for outcome in outcomes:
                    _add(request, report, outcome, interrupts)
    except _Interrupted as interrupted:
        if cache is not None:  # it holds only completed outcomes: true, and not to be redone
            _save_cache(request, cache)
        done = (
            f"; {plural(len(report.changed), 'file')} written, the rest untouched"
            if request.mode is Mode.FIX
            else ""
        )
        click.echo(f"cancelfix: interrupted{done}", err=True)
        sys.exit(128 + interrupted.signum)
    report.sort()
    if cache is not None:
        _save_cache(request, cache)
        _verbose(request, f"{cache.hits} of {plural(len(files), 'file')} from the cache")
    _verbose(
        request,
        f"{report.parsed} of {report.files} files parsed; {time.monotonic() - started:.2f}s",
    )
    if request.bot is not None and repository is not None and report.changed:
        _commit(request.bot, repository, report)
    _print_report(request, report)
    sys.exit(_exit_code(request, report))


def _outcomes(
    request: _Request, files: list[Path], cache: Cache | None
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


def _add(request: _Request, report: Report, outcome: FileOutcome, interrupts: _Interrupts) -> None:
    """Report an outcome, writing its fixes first in fix mode (never cut off by a signal)."""
    if request.mode is Mode.FIX and outcome.changed:
        with interrupts.deferred():
            report.add(outcome, error=_apply(request, outcome))
    else:
        report.add(outcome)


def _save_cache(request: _Request, cache: Cache) -> None:
    """Write what this run learnt; a cache that cannot be written costs a warning, no more."""
    try:
        if request.rule_memo is not None:
            request.rule_memo.save()
        cache.save()
    except CacheError as error:
        click.echo(f"cancelfix: warning: {error}", err=True)


def _commit(settings: _Bot, repository: bot.Repository, report: Report) -> None:
    """The bot's commit (and push) of what this run changed; a git failure is an error."""
    try:
        sha, untracked = bot.commit(repository, report.changed, report.fixed, settings.title)
    except bot.BotError as error:
        report.errors.append((str(repository.top), str(error)))
        return
    for path in untracked:
        click.echo(f"cancelfix: warning: {path} is not tracked by git; not committed", err=True)
    if sha is not None:
        pushed = f", pushed to {'/'.join(repository.upstream)}" if repository.upstream else ""
        click.echo(f"Committed {sha}{pushed}.", err=True)


def _select(request: _Request, files: list[Path]) -> list[Path]:
    """The discovered files that `--since` and `--shard` leave to this run."""
    if request.since is not None:
        try:
            changed = changed_since(request.since, Path.cwd())
        except SelectionError as error:
            raise UsageProblem(str(error)) from error
        files = [path for path in files if os.path.realpath(path) in changed]
    if request.shard is not None:
        files = [path for path in files if request.shard.takes(path)]
    return files


class _Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while files were being run (a BaseException, as Ctrl-C is)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Interrupts:
    """SIGINT and SIGTERM during a run become `_Interrupted`, raised between files, never while
    one is being written: its write completes (the writer also holds the signals back while a
    temporary file has a name), and the run stops. Exit code 128 + the signal, as a shell says.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise _Interrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers; its own stay in force
            return
        previous = {}
        for signum in self.SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup`, `&`: stay ignored
                previous[signum] = signal.signal(signum, self._handle)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending is not None:
            raise _Interrupted(self.pending)


def _apply(request: _Request, outcome: FileOutcome) -> str | None:
    """Write the outcome's fixes in fix mode; the reason it could not be written, if any."""
    if request.mode is not Mode.FIX or not outcome.changed:
        return None
    assert outcome.new_source is not None and outcome.original_digest is not None
    try:
        write_atomic(outcome.path, outcome.new_source, outcome.original_digest)
    except OSError as error:
        return f"cannot write: {error.strerror or error}"
    except Exception as error:
        return f"cannot write: {error}"
    return None


def _print_report(request: _Request, report: Report, *, to_stderr: bool = False) -> None:
    _write_summaries(request, report)
    echo = functools.partial(click.echo, color=request.color)
    diff_mode = request.mode is Mode.DIFF
    if request.output_format == "json":
        echo(to_json(report, diffs=diff_mode), err=to_stderr)
        return
    if request.output_format == "sarif":
        from codemods.sarif import to_sarif  # the rules' documentation: imports them

        echo(to_sarif(report), err=to_stderr)
        return
    if request.output_format == "github":
        annotations = to_github(report)
        if annotations:
            echo(annotations, err=to_stderr)
        if not request.quiet:
            echo(summary_line(report), err=True)
        return
    # With --diff, stdout carries only the patch, so that it can be piped to `git apply`.
    info_to_stderr = to_stderr or diff_mode
    if diff_mode and not to_stderr:
        for path in report.changed:
            echo(report.diffs[path], nl=False)
    for path, reason in report.errors:
        label = click.style("error", fg="red", bold=True)
        echo(f"{click.style(path, bold=True)}: {label}: {reason}", err=True)
    for path, finding in report.remaining:
        echo(format_finding(path, finding, request.settings.options), err=info_to_stderr)
    if request.quiet:
        return
    if request.mode is Mode.FIX:
        for path in report.changed:
            fixed = [finding for p, finding in report.fixed if p == path]
            echo(changed_file_line(path, fixed), err=info_to_stderr)
    echo(summary_line(report), err=info_to_stderr)


def _write_summaries(request: _Request, report: Report) -> None:
    """The Markdown summary: to --summary FILE, and appended to a GitHub job's summary."""
    targets = [(request.summary_file, "w")] if request.summary_file else []
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        targets.append((Path(step_summary), "a"))
    for path, mode in targets:
        try:
            with path.open(mode, encoding="utf-8") as file:
                file.write(to_markdown(report))
        except OSError as error:
            report.errors.append((str(path), f"cannot write the summary: {error.strerror}"))


def _exit_code(request: _Request, report: Report) -> int:
    if report.errors:
        return EXIT_ERROR
    if request.exit_zero:
        return EXIT_CLEAN
    if request.mode is Mode.DIFF:
        return EXIT_FINDINGS if report.changed else EXIT_CLEAN
    return EXIT_FINDINGS if report.remaining else EXIT_CLEAN


def _run_stdin(request: _Request) -> NoReturn:
    """`-`: read the source from stdin. `fix` writes the code to stdout and all else to stderr."""
    from codemods.engine import process_source

    name = request.stdin_filename or "-"
    source = sys.stdin.buffer.read()
    excluded = (
        request.force_exclude and request.stdin_filename and request.excludes.matches(Path(name))
    )
    outcome = FileOutcome(name) if excluded else process_source(source, name, request.settings)
    report = Report(request.mode, request.settings.options)
    report.add(outcome)
    if request.mode is Mode.FIX:
        sys.stdout.buffer.write(
            outcome.new_source if outcome.new_source and report.changed else source
        )
        sys.stdout.flush()
    _print_report(request, report, to_stderr=request.mode is Mode.FIX)
    sys.exit(_exit_code(request, report))


def _verbose(request: _Request, message: str) -> None:
    if request.verbose:
        click.echo(f"cancelfix: {message}", err=True)
