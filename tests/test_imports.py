"""The import editor: `import X` where isort puts it, unused imports removed, a module-level
definition after the import section; every result checked with the real ruff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from codemods import imports
from tests.conftest import FIXTURES

ADDED = [
    # (name of the case, module to import, before, after)
    (
        "after a shebang and comments",
        "asyncio",
        "#!/usr/bin/env python\n# Licence.\n\n\nasync def f():\n    pass\n",
        "#!/usr/bin/env python\n# Licence.\n\n\nimport asyncio\n\n\nasync def f():\n    pass\n",
    ),
    (
        "sorted among straight imports, before the from imports",
        "asyncio",
        "import abc\nimport os\nfrom collections import deque\n\nx = 1\n",
        "import abc\nimport asyncio\nimport os\nfrom collections import deque\n\nx = 1\n",
    ),
    (
        "first of its block: takes the block's comments",
        "asyncio",
        '"""Doc."""\n\n# Standard library.\nimport os\n',
        '"""Doc."""\n\n# Standard library.\nimport asyncio\nimport os\n',
    ),
    (
        "force-sort-within-sections style is kept",
        "asyncio",
        "from abc import ABC\nimport os\n",
        "from abc import ABC\nimport asyncio\nimport os\n",
    ),
    (
        "beside an aliased import of the same module",
        "asyncio",
        "import asyncio as aio\nimport os\n",
        "import asyncio\nimport asyncio as aio\nimport os\n",
    ),
    (
        "after __future__, before a statement",
        "asyncio",
        "from __future__ import annotations\nx = 1\n",
        "from __future__ import annotations\n\nimport asyncio\n\nx = 1\n",
    ),
    (
        "new stdlib block before relative imports",
        "asyncio",
        "from . import models\n\n\nclass A:\n    pass\n",
        "import asyncio\n\nfrom . import models\n\n\nclass A:\n    pass\n",
    ),
    (
        "third party: beside the imports of the same package",
        "trio",
        "import os\n\nimport attrs\nfrom trio import sleep\n\nfrom app import x\n",
        "import os\n\nimport attrs\nimport trio\nfrom trio import sleep\n\nfrom app import x\n",
    ),
    (
        "already imported: unchanged",
        "asyncio",
        "import asyncio\nimport os\n",
        "import asyncio\nimport os\n",
    ),
]


def _ids(cases: list[tuple[str, ...]]) -> list[str]:
    return [case[0] for case in cases]


@pytest.mark.parametrize(("case", "name", "before", "after"), ADDED, ids=_ids(ADDED))
def test_add_import(case: str, name: str, before: str, after: str) -> None:
    module = imports.add_import(cst.parse_module(before), name)
    assert module.code == after
    assert imports.add_import(module, name).code == after, "not idempotent"


REMOVED = [
    (
        "one name of several",
        "CancelledError",
        "from asyncio import CancelledError, sleep\n",
        "from asyncio import sleep\n",
    ),
    (
        "the last name: the new last takes its comma",
        "sleep",
        "from asyncio import (\n    CancelledError,\n    sleep,\n)\n",
        "from asyncio import (\n    CancelledError,\n)\n",
    ),
    (
        "the whole line: its blank lines counted once",
        "suppress",
        '"""Doc."""\n\nfrom contextlib import suppress\n\nimport aiohttp\n',
        '"""Doc."""\n\nimport aiohttp\n',
    ),
    (
        "the whole line: a comment above it stays",
        "suppress",
        "import os\n# Why we suppress.\nfrom contextlib import suppress\nx = os\n",
        "import os\n# Why we suppress.\nx = os\n",
    ),
]


@pytest.mark.parametrize(("case", "bound", "before", "after"), REMOVED, ids=_ids(REMOVED))
def test_remove_import(case: str, bound: str, before: str, after: str) -> None:
    earlier = cst.parse_module(before)  # the tree the rule read; the fix made a new one
    statement = next(
        small
        for line in earlier.body
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
        if isinstance(small, cst.ImportFrom)
    )
    assert imports.remove_import(cst.parse_module(before), statement, bound).code == after


SET = cst.parse_statement("_tasks: set[object] = set()\n")
assert isinstance(SET, cst.SimpleStatementLine)

AFTER_IMPORTS = [
    (
        "after imports, before a function",
        "import asyncio\ndef f():\n    pass\n",
        "import asyncio\n\n_tasks: set[object] = set()\n\n\ndef f():\n    pass\n",
    ),
    (
        "after a block that ends with a function",
        "import sys\n\nif sys.version_info < (3, 11):\n    import x\n\n    def g():\n"
        "        pass\n\n\nY = 1\n",
        "import sys\n\nif sys.version_info < (3, 11):\n    import x\n\n    def g():\n"
        "        pass\n\n\n_tasks: set[object] = set()\n\n\nY = 1\n",
    ),
    (
        "no imports: after the docstring",
        '"""Doc."""\n\n\nclass A:\n    pass\n',
        '"""Doc."""\n\n_tasks: set[object] = set()\n\n\nclass A:\n    pass\n',
    ),
]


@pytest.mark.parametrize(("case", "before", "after"), AFTER_IMPORTS, ids=_ids(AFTER_IMPORTS))
def test_insert_after_imports(case: str, before: str, after: str) -> None:
    assert imports.insert_after_imports(cst.parse_module(before), SET).code == after


def _ruff(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments], cwd=cwd, capture_output=True, text=True
    )


def _findings(directory: Path) -> dict[str, set[str]]:
    """Ruff's sorted-import, blank-line and whitespace findings in the files, by file."""
    done = _ruff(
        "check", "--isolated", "--preview", "--select", "I,E3,W,PIE790", "--line-length", "100",
        "--output-format", "json", "--exit-zero", "--no-cache", ".", cwd=directory,
    )  # fmt: skip
    found: dict[str, set[str]] = {}
    for finding in json.loads(done.stdout):
        found.setdefault(Path(finding["filename"]).name, set()).add(finding["code"])
    return found


def test_every_result_passes_ruff(tmp_path: Path) -> None:
    """What the editor writes, and the fixed snapshots of the import fixtures, pass ruff's
    import sorting, blank-line and whitespace rules and `ruff format --check`, as their
    inputs do."""
    outputs = {f"added_{i}.py": case[3] for i, case in enumerate(ADDED)}
    outputs |= {f"after_imports_{i}.py": case[2] for i, case in enumerate(AFTER_IMPORTS)}
    inputs = {f"added_{i}.py": case[2] for i, case in enumerate(ADDED)}
    snapshots = FIXTURES.parent / "tests" / "snapshots"
    for fixture in FIXTURES.glob("CF*/*import*.py"):
        for fixed in sorted((snapshots / fixture.parent.name).glob(f"{fixture.stem}.*fixed.py")):
            outputs[f"{fixture.stem}_{fixed.name}"] = fixed.read_text()
            inputs[f"{fixture.stem}_{fixed.name}"] = fixture.read_text()
    for directory, files in (("before", inputs), ("after", outputs)):
        for name, text in files.items():
            (tmp_path / directory).mkdir(exist_ok=True)
            (tmp_path / directory / name).write_text(text)
    before, after = _findings(tmp_path / "before"), _findings(tmp_path / "after")
    new = {name: codes - before.get(name, set()) for name, codes in after.items()}
    assert {name: codes for name, codes in new.items() if codes} == {}
    formatted = _ruff("format", "--isolated", "--line-length", "100", "--check", ".", cwd=tmp_path)
    unformatted = {line.split()[-1] for line in formatted.stdout.splitlines() if "Would" in line}
    assert not {path for path in unformatted if path.startswith("after/")} - {
        path.replace("before/", "after/") for path in unformatted
    }


# Which imports a fix leaves unused: the module's names read without a scope analysis where
# that gives the scopes' answer, which every case below compares with.
UNUSED_CASES = [
    # (case, module, the expression statement a fix replaces by `pass`)
    ("only-use", "import contextlib\n\nasync def f():\n    contextlib.x()\n", "contextlib.x()"),
    ("from-import", "from m import suppress\n\ndef f():\n    suppress()\n", "suppress()"),
    ("alias", "import contextlib as cl\n\ndef f():\n    cl.x()\n", "cl.x()"),
    (
        "used-elsewhere",
        "import contextlib\n\ndef f():\n    contextlib.x()\n\ndef g():\n    contextlib.y()\n",
        "contextlib.x()",
    ),
    (
        "shadowed-elsewhere",
        "import contextlib\n\ndef f():\n    contextlib.x()\n\ndef g(contextlib):\n    return 1\n",
        "contextlib.x()",
    ),
    (
        "attribute-of-the-same-name",
        "import contextlib\n\ndef f():\n    contextlib.x()\n\ndef g(a):\n    a.contextlib\n",
        "contextlib.x()",
    ),
    (
        "string-annotation",
        "import contextlib\n\ndef f(a: 'contextlib.X'):\n    contextlib.x()\n",
        "contextlib.x()",
    ),
    (
        "bound-twice",
        "try:\n    import contextlib\nexcept ImportError:\n    contextlib = None\n"
        "import contextlib\n\ndef f():\n    contextlib.x()\n",
        "contextlib.x()",
    ),
    ("dotted", "import contextlib.abc\n\ndef f():\n    contextlib.x()\n", "contextlib.x()"),
    (
        "module-of-a-from-import",
        "from contextlib import suppress\nimport contextlib\n\ndef f():\n    contextlib.x()\n",
        "contextlib.x()",
    ),
    (
        "renamed-away",
        "from m import contextlib as other\n\ndef f():\n    contextlib.x()\n",
        "contextlib.x()",
    ),
    (
        "star-import",
        "from m import *\nimport contextlib\n\ndef f():\n    contextlib.x()\n",
        "contextlib.x()",
    ),
    ("global", "import x\n\ndef f():\n    global x\n    x.y()\n", "x.y()"),
]


@pytest.mark.parametrize(
    ("case", "text", "replaced"), UNUSED_CASES, ids=[c[0] for c in UNUSED_CASES]
)
def test_unused_imports_read_without_scopes_as_the_scopes_do(
    case: str, text: str, replaced: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from libcst.metadata import MetadataWrapper, ScopeProvider

    module = cst.parse_module(text)
    old = next(
        node
        for node in imports.walk(module)
        if isinstance(node, cst.Expr) and module.code_for_node(node) == replaced
    )
    edits = imports.ImportEdits(replaced=[(old, [cst.Pass()])])
    asked: list[bool] = []

    def scopes() -> object:
        asked.append(True)
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)

    found = list(edits._unused(module, scopes))  # type: ignore[arg-type]
    monkeypatch.setattr(imports, "_spelled_only_by_their_import", lambda *args: {})
    assert list(edits._unused(module, scopes)) == found  # type: ignore[arg-type]
    # The usual case, an import only the replaced code used, needs no scope analysis.
    if case in ("only-use", "from-import", "alias"):
        assert found and len(asked) == 1
