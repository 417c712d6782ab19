"""The first stages of a cold `cancelfix check`, alone: the least a cold check costs.

Usage (bench/run.py measures it next to the real commands, as a fresh process):

    python bench/floor.py DIRECTORY

It does what a cold check does before any candidate check, LibCST or rule runs: start Python
and import the rules (and so LibCST, whose codemods they are), find the files as cancelfix
does, then, in one worker process per CPU, read each file, test its bytes with every rule's
prefilter, and parse with the stdlib `ast` each file that a prefilter lets through. It prints
how many files there were and how many were parsed.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import os
import sys
import warnings
from multiprocessing import Pool
from pathlib import Path

from codemods.config import DEFAULT_EXCLUDE
from codemods.discovery import Excludes, discover_files
from codemods.model import RuleOptions
from codemods.registry import all_rules
from codemods.runner import GC_THRESHOLD

OPTIONS = RuleOptions()


def parse_what_passes(paths: list[str]) -> int:
    """Read each file, and parse it if some rule's byte prefilter lets it through; how many
    were parsed."""
    gc.set_threshold(GC_THRESHOLD)
    warnings.simplefilter("ignore")
    rules = all_rules()
    parsed = 0
    for path in paths:
        with open(path, "rb") as file:
            source = file.read()
        if any(rule.may_apply(source, OPTIONS) for rule in rules):
            with contextlib.suppress(SyntaxError, ValueError):  # (reported as a finding)
                ast.parse(source)
            parsed += 1
    return parsed


def main(directory: str) -> None:
    excludes = Excludes(Path.cwd(), DEFAULT_EXCLUDE)
    paths = discover_files([Path(directory)], excludes, respect_gitignore=True, force_exclude=False)
    jobs = os.cpu_count() or 1
    shares = [[str(path) for path in paths[index::jobs]] for index in range(jobs)]
    with Pool(jobs) as pool:
        parsed = sum(pool.map(parse_what_passes, shares))
    print(f"{len(paths)} files, {parsed} parsed")


if __name__ == "__main__":
    main(*sys.argv[1:])
