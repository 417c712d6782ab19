"""The project's formatter over the files a fix changed (`formatter = "ruff"` or `"black"`).

As in Fixit and LibCST's codemod runner, the formatter runs on the fixed text of each changed
file, and only those, before the file is written and before `--diff` prints it. It reads the
text on stdin with the file's path (`--stdin-filename`), from the project's directory, so that
the project's own formatter configuration applies. A formatter that is missing or fails is an
error for that file, which is then not written.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
from dataclasses import replace
from pathlib import Path

from codemods.model import FileOutcome
from codemods.verification import compiles

FORMATTERS: dict[str, tuple[str, ...]] = {
    "ruff": ("format", "--stdin-filename", "{path}", "-"),
    "black": ("-q", "--stdin-filename", "{path}", "-"),
}
"""Each formatter's executable, and its arguments to format stdin to stdout."""
CHOICES = (*FORMATTERS, "none")
"""What the `formatter` setting and `--formatter` accept; "none" for no formatter."""
TIMEOUT_SECONDS = 60


class FormatterError(Exception):
    pass


def executable(name: str) -> str:
    """The formatter's program: on PATH, else beside this Python (a virtualenv not activated)."""
    found = shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))
    if found is None:
        raise FormatterError(f"formatter `{name}` not found (install it, or unset `formatter`)")
    return found


def format_source(name: str, source: bytes, path: str, project: Path) -> bytes:
    """`source`, the text of the file at `path`, as the formatter `name` writes it."""
    arguments = [argument.format(path=os.path.abspath(path)) for argument in FORMATTERS[name]]
    try:
        done = subprocess.run(
            [executable(name), *arguments],
            input=source,
            capture_output=True,
            cwd=project,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise FormatterError(f"formatter `{name}` timed out after {TIMEOUT_SECONDS}s") from error
    except OSError as error:
        raise FormatterError(f"formatter `{name}` could not run: {error.strerror}") from error
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
        message = _in_fixed_text(lines[-1])
        raise FormatterError(f"formatter `{name}` failed (exit code {done.returncode}): {message}")
    if not compiles(done.stdout, path) and compiles(source, path):
        raise FormatterError(f"formatter `{name}` returned code that does not compile")
    return done.stdout


_POSITION = re.compile(r" at (\d+):(\d+)")


def _in_fixed_text(message: str) -> str:
    """The formatter's message with its positions said to be in the fixed text: they are not
    positions in the file on disk, so they must not read as `path:line:col` ones."""
    return _POSITION.sub(r" at line \1, column \2 of the fixed text", message)


def formatted(
    outcome: FileOutcome, name: str | None, project: Path, original: bytes | None = None
) -> FileOutcome:
    """The outcome with its fixed text formatted by `name` (None: no formatter), and its diff
    against `original` (else the file as read) redone; when the formatter cannot format it,
    an outcome with the error and nothing to write."""
    if name is None or outcome.new_source is None:
        return outcome
    try:
        if original is None:
            original = Path(outcome.path).read_bytes()
        new_source = format_source(name, outcome.new_source, outcome.path, project)
    except (FormatterError, OSError) as error:
        reason = str(error) if isinstance(error, FormatterError) else error.strerror
        return replace(outcome, new_source=None, diff=None, error=f"{reason}; file left unchanged")
    from codemods.engine import unified_diff  # (imports LibCST: only when formatting)

    diff = unified_diff(outcome.path, original, new_source, _encoding(original))
    return replace(outcome, new_source=new_source, diff=diff)


def _encoding(source: bytes) -> str:
    try:
        return tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    except SyntaxError:
        return "utf-8"
