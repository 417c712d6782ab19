"""How a run's report reaches the user: the output format, colour, `--statistics`,
`--output-file`, the Markdown summary and the progress bar, as a ruff user expects them."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import click

from codemods.model import Finding, Mode
from codemods.output import (
    Report,
    changed_file_line,
    format_finding,
    plural,
    statistics,
    summary_line,
    to_github,
    to_json,
    to_markdown,
)

if TYPE_CHECKING:
    from codemods.noqa import Added

T = TypeVar("T")

TEXT_FORMATS = ("text", "concise", "full")
"""`text` is `concise`: one line a finding. `full` adds the flagged line with a caret."""
FORMATS = (*TEXT_FORMATS, "json", "github", "sarif")


@dataclass(frozen=True)
class Presentation:
    """The command line's choices of how to print."""

    format: str = "text"
    color: bool | None = None
    """--color/--no-color; None: decided by the environment and the terminal."""
    quiet: int = 0
    statistics: bool = False
    output_file: Path | None = None
    """Where the report goes instead of standard output."""
    summary_file: Path | None = None
    """Where the Markdown summary goes (--summary)."""

    @property
    def colour(self) -> bool | None:
        """--color/--no-color; else none in an --output-file; else FORCE_COLOR, else NO_COLOR
        (https://no-color.org), else None: colour on a terminal only."""
        if self.color is not None:
            return self.color
        if self.output_file is not None:
            return False
        if os.environ.get("FORCE_COLOR"):
            return True
        return False if os.environ.get("NO_COLOR") else None


@contextlib.contextmanager
def _stdout(presentation: Presentation) -> Iterator[None]:
    """Standard output, or the --output-file in its place."""
    if presentation.output_file is None:
        yield
        return
    with (
        presentation.output_file.open("w", encoding="utf-8") as file,
        contextlib.redirect_stdout(file),
    ):
        yield


def print_report(
    report: Report,
    presentation: Presentation,
    *,
    to_stderr: bool = False,
    sources: Mapping[str, bytes] | None = None,
) -> None:
    """Print `report` in the chosen format. `to_stderr`: stdout carries fixed code (stdin);
    `sources`: texts not on disk (stdin), for the `full` format's source lines."""
    write_summary(report, presentation.summary_file)
    echo = functools.partial(click.echo, color=presentation.colour)
    try:
        with _stdout(presentation):
            _print(report, presentation, echo, to_stderr, sources or {})
    except OSError as error:
        report.errors.append((str(presentation.output_file), f"cannot write: {error.strerror}"))
        echo(_error_line(*report.errors[-1]), err=True)


def _print(
    report: Report,
    presentation: Presentation,
    echo: Callable[..., None],
    to_stderr: bool,
    sources: Mapping[str, bytes],
) -> None:
    if presentation.statistics:
        _print_statistics(report, presentation, echo, to_stderr)
    elif presentation.format == "json":
        echo(to_json(report, diffs=report.mode is Mode.DIFF), err=to_stderr)
    elif presentation.format == "sarif":
        from codemods.sarif import to_sarif  # the rules' documentation: imports them

        echo(to_sarif(report), err=to_stderr)
    elif presentation.format == "github":
        if annotations := to_github(report):
            echo(annotations, err=to_stderr)
        if not presentation.quiet:
            echo(summary_line(report), err=True)
    else:
        _print_text(report, presentation, echo, to_stderr, sources)


def _print_text(
    report: Report,
    presentation: Presentation,
    echo: Callable[..., None],
    to_stderr: bool,
    sources: Mapping[str, bytes],
) -> None:
    # With --diff, stdout carries only the patch, so that it can be piped to `git apply`.
    diff_mode = report.mode is Mode.DIFF
    info_to_stderr = to_stderr or diff_mode
    if diff_mode and not to_stderr:
        for path in report.changed:
            echo(coloured_diff(report.diffs[path]), nl=False)
    for path, reason in report.errors:
        echo(_error_line(path, reason), err=True)
    full = presentation.format == "full"
    lines = _SourceLines(sources)
    for path, finding in report.remaining:
        text = format_finding(path, finding, report.options)
        if full:
            text += "\n" + source_excerpt(finding, lines.of(path)) + "\n"
        echo(text, err=info_to_stderr)
    if presentation.quiet:
        return
    if report.mode is Mode.FIX:
        for path in report.changed:
            fixed = [finding for p, finding in report.fixed if p == path]
            echo(changed_file_line(path, fixed), err=info_to_stderr)
    echo(summary_line(report), err=info_to_stderr)


_LOCATION = re.compile(r" at (?P<line>\d+):(?P<column>\d+)")


def _error_line(path: str, reason: str) -> str:
    """`path:line:col: error: reason` where the reason has a position (a syntax error), so that
    editors and terminals jump to it; `path: error: reason` otherwise."""
    label = click.style("error", fg="red", bold=True)
    match = _LOCATION.search(reason)
    if match is None:
        return f"{click.style(path, bold=True)}: {label}: {reason}"
    location = f"{path}:{match['line']}:{match['column']}:"
    rest = reason[: match.start()] + reason[match.end() :]
    return f"{click.style(location, bold=True)} {label}: {rest}"


def coloured_diff(diff: str) -> str:
    """A unified diff with git's colours (dropped by click where colour is off)."""
    styled = []
    for line in diff.splitlines(keepends=True):
        text, end = line.rstrip("\n"), "\n" if line.endswith("\n") else ""
        if line.startswith(("---", "+++")):
            text = click.style(text, bold=True)
        elif line.startswith("@@"):
            text = click.style(text, fg="cyan")
        elif line.startswith("+"):
            text = click.style(text, fg="green")
        elif line.startswith("-"):
            text = click.style(text, fg="red")
        styled.append(text + end)
    return "".join(styled)


class _SourceLines:
    """The lines of the files a report names, read once each (where they are now: a fix's
    findings left are positioned in the text it wrote)."""

    def __init__(self, sources: Mapping[str, bytes]) -> None:
        self.sources = sources
        self.read: dict[str, list[str]] = {}

    def of(self, path: str) -> list[str]:
        if path not in self.read:
            data = self.sources.get(path)
            if data is None:
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    data = b""
            self.read[path] = data.decode("utf-8", "replace").splitlines()
        return self.read[path]


def source_excerpt(finding: Finding, lines: list[str]) -> str:
    """The flagged line, numbered, with carets under the flagged span (ruff's `full` look)."""
    if not 0 < finding.line <= len(lines):
        return ""
    line = lines[finding.line - 1]
    number = str(finding.line)
    gutter = click.style(" " * len(number) + " |", fg="blue", bold=True)
    start = max(finding.column - 1, 0)
    end = finding.end_column - 1 if finding.end_line == finding.line else len(line)
    # Tabs stay tabs under the line, so that the carets line up in any terminal.
    padding = "".join(char if char == "\t" else " " for char in line[:start])
    carets = click.style("^" * max(end - start, 1) + " " + finding.code, fg="red", bold=True)
    numbered = click.style(f"{number} |", fg="blue", bold=True)
    return "\n".join([gutter, f"{numbered} {line}", f"{gutter} {padding}{carets}", gutter])


def _print_statistics(
    report: Report, presentation: Presentation, echo: Callable[..., None], to_stderr: bool
) -> None:
    """`--statistics`: a count of the findings left per rule, instead of the findings."""
    rows = statistics(report)
    if presentation.format == "json":
        import json

        echo(json.dumps(rows, indent=2), err=to_stderr)
        return
    if not rows:
        return
    width = max(len(str(row["count"])) for row in rows)
    for row in rows:
        marker = "[*]" if row["fixable"] else "[ ]"
        count = str(row["count"]).rjust(width)
        echo(f"{count}\t{row['code']}\t{marker} {row['name']}", err=to_stderr)


def print_added_noqa(report: Report, added: Added, presentation: Presentation) -> None:
    """What `check --add-noqa` did, on stderr."""
    echo = functools.partial(click.echo, color=presentation.colour, err=True)
    for path, reason in [*report.errors, *added.errors]:
        echo(_error_line(path, reason))
    for path, line in added.skipped:
        echo(f"{path}:{line}: warning: the line cannot end in a comment; no `# noqa` added")
    echo(f"Added {plural(added.directives, 'noqa directive')}.")


def write_summary(report: Report, path: Path | None) -> None:
    """The Markdown summary to `path` (--summary): appended to a GitHub job's summary file,
    which earlier steps share, else written afresh."""
    if path is None:
        return
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    shared = bool(step_summary) and os.path.abspath(path) == os.path.abspath(step_summary or "")
    try:
        with path.open("a" if shared else "w", encoding="utf-8") as file:
            file.write(to_markdown(report))
    except OSError as error:
        report.errors.append((str(path), f"cannot write the summary: {error.strerror}"))


def shows_progress(presentation: Presentation, count: int, threshold: int) -> bool:
    """A progress bar for a long run, on a terminal, when the findings are printed as text."""
    return (
        sys.stderr.isatty()
        and presentation.quiet == 0
        and presentation.format in TEXT_FORMATS
        and count > threshold
    )


def progress(items: Iterable[T], count: int, file: TextIO | None = None) -> Iterator[T]:
    """`items`, with a progress bar on stderr that is cleared when they are done (or the run
    stops), so that the findings print where it was."""
    stream = file or sys.stderr
    try:
        with click.progressbar(items, length=count, file=stream, label="Checking") as bar:
            yield from bar
    finally:
        if stream.isatty():  # click leaves the bar on its line, and goes below: clear it
            stream.write("\x1b[1A\r\x1b[2K")
            stream.flush()
