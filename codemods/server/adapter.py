"""The server's one door into the run: analyse, or fix, one text held in memory.

Everything the server knows about findings and fixes comes through `analyse`, so that pointing
it at another entry point of the run is a one-line change.
"""

from __future__ import annotations

from codemods.engine import process_source
from codemods.model import FileOutcome, Settings


def analyse(source: bytes, path: str, settings: Settings) -> FileOutcome:
    """What `cancelfix check|fix - --stdin-filename PATH` computes for `source`."""
    return process_source(source, path, settings)
