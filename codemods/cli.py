"""The `cancelfix` command line: check, fix, fix --diff, rules, explain.

Exit codes: 0 nothing to report; 1 findings left (or, with --diff, a diff); 2 a usage,
configuration or internal error, or a file that could not be read, parsed or written.

This module parses the options and prints; the run itself (discovery, selection, the cache, the
workers, writes, the bot's commit, the exit status) is `codemods.api`'s. The modules that need
LibCST (the engine, the runner and its workers, the rules) are imported where they are used, so
that a run whose files all come from the cache never loads the parser.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from codemods import __version__, api, bot, config, formatting, target_version
from codemods.cache import DEFAULT_DIRECTORY
from codemods.discovery import UNSUPPORTED_REASON
from codemods.interrupts import Interrupted, Interrupts
from codemods.model import FileOutcome, Mode, Settings
from codemods.output import Report, plural
from codemods.presentation import (
    FORMATS,
    Presentation,
    print_added_noqa,
    print_report,
    progress,
    shows_progress,
)
from codemods.selection import SelectionError, Shard

if TYPE_CHECKING:
    from codemods.rule import Rule

PROGRESS_THRESHOLD = 300
TARGET_CHOICES = [target_version.format_version(v) for v in target_version.SUPPORTED]


class UsageProblem(click.ClickException):
    """A usage or configuration error: one line on stderr, exit 2."""

    exit_code = api.EXIT_ERROR

    def show(self, file: Any = None) -> None:
        click.echo(f"cancelfix: error: {self.message}", err=True)


class _Choice(click.Choice):  # type: ignore[type-arg]
    """A choice that names the nearest value: `--output-format ful` (did you mean 'full'?)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as error:
            hint = config.did_you_mean(str(value), [str(choice) for choice in self.choices])
            raise click.BadParameter(f"{error.message}{hint}", ctx, param) from None


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
            "--extend-select",
            multiple=True,
            metavar="CODES",
            help="Rule codes or prefixes to run in addition to those selected.",
        ),
        click.option(
            "--ignore",
            multiple=True,
            metavar="CODES",
            help="Rule codes or prefixes to skip, in addition to those the configuration skips.",
        ),
        click.option(
            "--per-file-ignores",
            multiple=True,
            metavar="GLOB:CODES",
            help="Rules to skip in matching files, replacing the configuration's.",
        ),
        click.option(
            "--extend-per-file-ignores",
            multiple=True,
            metavar="GLOB:CODES",
            help="Rules to skip in matching files, in addition to the configuration's.",
        ),
        click.option(
            "--unsafe-fixes/--no-unsafe-fixes", default=None, help="Also apply fixes marked unsafe."
        ),
        click.option(
            "--target-version",
            type=_Choice(TARGET_CHOICES),
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
            "--respect-gitignore/--no-respect-gitignore",
            default=None,
            help="Skip the files .gitignore ignores (default: `respect-gitignore`, else yes).",
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
            type=_Choice(FORMATS),
            default="text",
            show_default=True,
            help="text (or concise): a line a finding; full: with the flagged line; github: "
            "workflow-command annotations; sarif: SARIF 2.1.0 for code scanning.",
        ),
        click.option(
            "-o",
            "--output-file",
            type=click.Path(path_type=Path, dir_okay=False),
            metavar="FILE",
            help="Write the report to FILE instead of standard output.",
        ),
        click.option(
            "--statistics",
            is_flag=True,
            help="Print the number of findings of each rule instead of the findings.",
        ),
        click.option(
            "--summary",
            "summary_file",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Also write a Markdown summary to FILE (such as $GITHUB_STEP_SUMMARY, which "
            "it appends to).",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the output (default: on a terminal, unless $NO_COLOR is set; "
            "$FORCE_COLOR: always).",
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
            "--formatter",
            type=_Choice(formatting.CHOICES),
            help="Format the files a fix changes with this formatter before writing them or "
            "printing their diff (default: `formatter` from the configuration, else none).",
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
class _Request:
    """The run the options ask for, and how to print it."""

    run: api.Request
    presentation: Presentation
    verbose: int

    @property
    def mode(self) -> Mode:
        return self.run.mode

    @property
    def settings(self) -> Settings:
        return self.run.settings


def _build_request(mode: Mode, options: dict[str, Any]) -> _Request:
    stdin_filename = options["stdin_filename"]
    # As ruff (and editors calling it): --stdin-filename without paths reads stdin.
    paths: tuple[Path, ...] = options["paths"] or (api.STDIN if stdin_filename else Path("."),)
    if api.STDIN in paths and len(paths) > 1:
        raise UsageProblem("`-` (read from stdin) cannot be combined with other paths")
    if stdin_filename and paths != (api.STDIN,):
        raise UsageProblem("--stdin-filename names the source read from `-`; pass `-` as the path")
    try:
        shard = Shard.parse(options["shard"]) if options["shard"] else None
        run = api.configure(paths, _api_options(options, shard), mode=mode)
    except (SelectionError, api.UsageError) as error:
        raise UsageProblem(str(error)) from error
    presentation = Presentation(
        format=options["output_format"],
        color=options["color"],
        quiet=options["quiet"],
        statistics=options["statistics"],
        output_file=options["output_file"],
        summary_file=options["summary_file"],
    )
    return _Request(run=run, presentation=presentation, verbose=options["verbose"])


def _api_options(options: dict[str, Any], shard: Shard | None) -> api.Options:
    """The options as the run's API takes them (what they leave out is the configuration's)."""
    return api.Options(
        config_file=options["config_file"],
        select=_codes(options["select"]),
        extend_select=_codes(options["extend_select"]),
        ignore=_codes(options["ignore"]),
        per_file_ignores=options["per_file_ignores"],
        extend_per_file_ignores=options["extend_per_file_ignores"],
        unsafe_fixes=options["unsafe_fixes"],
        target_version=target_version.parse(options["target_version"])
        if options["target_version"]
        else None,
        exclude=_codes(options["exclude"]),
        extend_exclude=_codes(options["extend_exclude"]),
        force_exclude=options["force_exclude"],
        respect_gitignore=options["respect_gitignore"],
        jobs=options["jobs"],
        since=options["since"],
        shard=shard,
        cache=not options["no_cache"],
        cache_dir=options["cache_dir"],
        stdin_filename=options["stdin_filename"],
        commit=_commit(options),
        # SARIF offers the fixes with the findings: a check computes them, writing nothing.
        offer_fixes=options["output_format"] == "sarif",
        exit_zero=options["exit_zero"],
        formatter=options.get("formatter"),  # `check` has no --formatter
        add_noqa=options.get("add_noqa", False),
    )


def _commit(options: dict[str, Any]) -> api.Commit | None:
    """`fix --commit`: how to commit what the fixes change (`check` has no such options)."""
    if not options.get("commit"):
        return None
    title = options["message"] or bot.DEFAULT_MESSAGE
    return api.Commit(title, push=options["push"], allow_dirty=options["allow_dirty"])


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="cancelfix")
def main() -> None:
    """Find and fix Python code that mishandles asyncio cancellation."""


@main.command()
@_run_options
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add a `# noqa: CODES` comment to every line with a finding (keeping existing codes).",
)
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
    if request.run.reads_stdin:
        if request.run.options.commit is not None:
            raise UsageProblem("--commit works on files in a git work tree, not on stdin")
        if request.run.options.add_noqa:
            raise UsageProblem("--add-noqa edits files; it cannot be combined with `-` (stdin)")
        _run_stdin(request)
    started = time.monotonic()
    interrupts = Interrupts()
    try:
        run = api.Run(request.run, interrupts=interrupts)
    except api.UsageError as error:
        raise UsageProblem(str(error)) from error
    _describe(request, run)
    try:
        with interrupts.installed(), contextlib.closing(iter(run)) as outcomes:
            _consume(request, outcomes, len(run.files))
    except Interrupted as interrupted:
        _stop(run, interrupted)
    result = run.finish()
    if result.cache_warning is not None:
        click.echo(f"cancelfix: warning: {result.cache_warning}", err=True)
    if run.cache is not None:
        _verbose(request, f"{run.cache.hits} of {plural(len(run.files), 'file')} from the cache")
    report = result.report
    elapsed = time.monotonic() - started
    _verbose(request, f"{report.parsed} of {report.files} files parsed; {elapsed:.2f}s")
    if result.committed is not None:
        _print_commit(result.committed)
    if result.added is not None:
        print_added_noqa(report, result.added, request.presentation)
    else:
        print_report(report, request.presentation)
    sys.exit(result.exit_status)  # (counting a summary that could not be written)


def _describe(request: _Request, run: api.Run) -> None:
    """What the run is about to do (with -v), and warnings for the files it skips and when
    there is nothing to do."""
    for path in run.skipped:
        click.echo(f"cancelfix: warning: {path}: {UNSUPPORTED_REASON}; skipped", err=True)
    version = target_version.format_version(request.settings.options.target_version)
    _verbose(request, f"configuration: {request.run.config.source or 'defaults'}")
    _verbose(request, f"target version: {version}")
    _verbose(request, f"rules: {', '.join(request.settings.rule_codes)}")
    ignores = " ".join(map(str, request.settings.per_file_ignores)) or "none"
    _verbose(request, f"per-file ignores: {ignores}")
    _verbose(request, f"{plural(len(run.files), 'file')}, {plural(request.run.jobs, 'job')}")
    if run.found_nothing:
        click.echo("cancelfix: warning: no Python files found", err=True)


def _consume(request: _Request, outcomes: Iterator[FileOutcome], count: int) -> None:
    """Run through the outcomes, with a progress bar on a terminal for a long run."""
    show_progress = shows_progress(request.presentation, count, PROGRESS_THRESHOLD)
    for _ in progress(outcomes, count) if show_progress else outcomes:
        pass


def _stop(run: api.Run, interrupted: Interrupted) -> NoReturn:
    """An interrupted run keeps what it learnt, says what it wrote, and exits 128 + signal."""
    warning = run.save_cache()
    if warning is not None:
        click.echo(f"cancelfix: warning: {warning}", err=True)
    done = (
        f"; {plural(len(run.report.changed), 'file')} written, the rest untouched"
        if run.request.mode is Mode.FIX
        else ""
    )
    click.echo(f"cancelfix: interrupted{done}", err=True)
    sys.exit(128 + interrupted.signum)


def _print_commit(committed: api.Committed) -> None:
    for path in committed.untracked:
        click.echo(f"cancelfix: warning: {path} is not tracked by git; not committed", err=True)
    if committed.sha is not None:
        upstream = committed.upstream
        pushed = f", pushed to {'/'.join(upstream)}" if upstream else ""
        click.echo(f"Committed {committed.sha}{pushed}.", err=True)


def _run_stdin(request: _Request) -> NoReturn:
    """`-`: read the source from stdin. `fix` writes the code to stdout and all else to stderr."""
    name = request.run.options.stdin_filename or "-"
    source = sys.stdin.buffer.read()
    result = api.analyse_source(source, name, request.run)
    report = Report(request.mode, request.settings.options)
    report.add(result.outcome)
    if request.mode is Mode.FIX:
        sys.stdout.buffer.write(result.fixed)
        sys.stdout.flush()
    # The findings left are positioned in the text written out.
    shown = result.fixed if request.mode is Mode.FIX else source
    print_report(
        report, request.presentation, to_stderr=request.mode is Mode.FIX, sources={name: shown}
    )
    sys.exit(api.exit_status(report, exit_zero=request.run.options.exit_zero))


def _verbose(request: _Request, message: str) -> None:
    if request.verbose:
        click.echo(f"cancelfix: {message}", err=True)
