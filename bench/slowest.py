"""The time `cancelfix fix --diff --unsafe-fixes` takes on each file of a directory, alone.

Usage (bench/run.py runs it on each corpus, untimed, and prints the slowest files):

    python bench/slowest.py DIRECTORY [COUNT]

It finds the files as cancelfix does and runs the engine on each in this one process, with
every rule and unsafe fixes (fix mode's most work: every fix computed, nothing written), and
prints the COUNT (default 10) slowest as JSON lines, slowest first: `{"path": ...,
"seconds": ...}`, the path relative to the current directory. The time is this process's CPU
time (user and system) for the file, which a loaded machine changes less than wall time.
"""

from __future__ import annotations

import gc
import heapq
import json
import sys
import time
from pathlib import Path

from codemods.config import DEFAULT_EXCLUDE
from codemods.discovery import Excludes, discover_files
from codemods.engine import process_path
from codemods.model import Mode, RuleOptions, Settings
from codemods.registry import all_rules
from codemods.runner import GC_THRESHOLD

SETTINGS = Settings(
    Mode.DIFF, tuple(rule.code for rule in all_rules()), RuleOptions(unsafe_fixes=True)
)


def file_times(paths: list[Path]) -> list[tuple[float, str]]:
    """The CPU seconds fix mode takes on each of `paths`."""
    gc.set_threshold(GC_THRESHOLD)  # as in cancelfix's workers
    times = []
    for path in paths:
        start = time.process_time()
        process_path(str(path), SETTINGS)
        times.append((time.process_time() - start, str(path)))
    return times


def main(directory: str, count: str = "10") -> None:
    excludes = Excludes(Path.cwd(), DEFAULT_EXCLUDE)
    paths = discover_files([Path(directory)], excludes, respect_gitignore=True, force_exclude=False)
    for seconds, path in heapq.nlargest(int(count), file_times(paths)):
        print(json.dumps({"path": path, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
