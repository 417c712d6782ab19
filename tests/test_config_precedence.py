"""Rule selection the way ruff documents it: `select`, `extend-select`, `ignore`,
`per-file-ignores` and `extend-per-file-ignores` from the configuration and the command line,
and the file-level `# cancelfix: noqa`.

Each case of `RUFF_CASES` restates one sentence of ruff's documentation
(https://docs.astral.sh/ruff/linter/#rule-selection and the `lint.select`, `lint.ignore`,
`lint.per-file-ignores` settings) with cancelfix's codes in place of ruff's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codemods.registry import all_rules
from tests.clitools import cli, write

EVERY_RULE = """\
import asyncio
import contextlib


async def cf101(conn):
    while True:
        try:
            await conn.read()
        except BaseException:
            pass


async def cf102(conn):
    while True:
        try:
            await conn.read()
        except asyncio.CancelledError:
            pass


async def cf105(conn):
    try:
        await conn.read()
    except asyncio.CancelledError:
        pass


async def cf103(conn):
    with contextlib.suppress(BaseException):
        await conn.read()
    return conn


async def cf104(conn):
    try:
        await conn.read()
    finally:
        return None


async def cf201(conn):
    try:
        await conn.send()
        conn.close()
    except Exception:
        conn.close()
        raise


async def cf202(conn):
    try:
        await conn.send()
    except Exception:
        await conn.rollback()
        raise


async def cf203(pool):
    conn = await pool.acquire()
    await conn.send()
    await conn.release()


async def cf301(task):
    task.cancel()
    await task


async def cf302(tasks):
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks)


async def cf303(work):
    asyncio.create_task(work())


async def cf204(pool, conn):
    try:
        await conn.execute("SELECT 1")
    except asyncio.CancelledError:
        raise
    except Exception:
        await pool.discard(conn)
        raise


async def cf205(bus, topic):
    subscription = await bus.subscribe(topic)
    try:
        await subscription.wait()
    except asyncio.TimeoutError:
        await bus.unsubscribe(subscription)
        raise


async def cf206(cleanups):
    errors = []
    for cleanup in cleanups:
        try:
            await cleanup()
        except Exception as exc:
            errors.append(exc)
    return errors


async def cf207(transport):
    await transport.send_eof()
    transport.close()
"""
"""One finding of every rule, the rule's code in the name of its coroutine."""

ALL_CODES = {rule.code for rule in all_rules()}


def codes(*prefixes: str) -> set[str]:
    return {code for code in ALL_CODES if code.startswith(prefixes)}


def checked(project: Path, *args: str, name: str = "every.py") -> set[str]:
    """The codes `cancelfix check` reports on EVERY_RULE written to `name`."""
    write(project, name, EVERY_RULE)
    result = cli("check", "--output-format", "json", *args, name)
    assert result.exit_code in (0, 1), result.stderr
    return {finding["code"] for finding in json.loads(result.stdout)["findings"]}


def configure(project: Path, body: str) -> None:
    write(project, "pyproject.toml", "[tool.cancelfix]\n" + body)


def test_every_rule_sample_has_one_finding_of_each_rule(project: Path) -> None:
    assert checked(project) == ALL_CODES


# (configuration, command line, codes enabled): ruff's documented cases, one by one.
RUFF_CASES = [
    pytest.param(
        'select = ["CF1", "CF2"]\nignore = ["CF101"]\n',
        [],
        codes("CF1", "CF2") - {"CF101"},
        # "Ruff would enable all rules with the E or F prefix, with the exception of F401."
        id="select-prefixes-minus-an-ignored-code",
    ),
    pytest.param(
        'select = ["CF1", "CF2"]\nignore = ["CF101"]\n',
        ["--select", "CF101"],
        {"CF101"},
        # "Running `ruff check --select F401` would result in Ruff enforcing F401, and no other
        # rules": the command line's select is the highest-priority one, the basis of the set.
        id="cli-select-replaces-configured-select-and-ignore",
    ),
    pytest.param(
        'select = ["CF1", "CF2"]\nignore = ["CF101"]\n',
        ["--extend-select", "CF3"],
        codes("CF1", "CF2", "CF3") - {"CF101"},
        # "Running `ruff check --extend-select B` would result in Ruff enforcing the E, F, and B
        # rules, with the exception of F401."
        id="cli-extend-select-adds-to-configured-select",
    ),
    pytest.param(
        'ignore = ["CF303"]\n',
        ["--ignore", "CF302"],
        ALL_CODES - {"CF302", "CF303"},
        # A command line without select adjusts the configured set: its ignore adds to the
        # configuration's (a pre-commit `args: [--ignore, CF302]` keeps pyproject's ignores).
        id="cli-ignore-adds-to-configured-ignore",
    ),
    pytest.param(
        'extend-select = ["CF3"]\nselect = ["CF1"]\n',
        [],
        codes("CF1", "CF3"),
        # lint.extend-select: "A list of rule codes or prefixes to enable, in addition to those
        # specified by select."
        id="configured-extend-select-adds-to-configured-select",
    ),
    pytest.param(
        'select = ["CF"]\nignore = ["CF1"]\nextend-select = ["CF101"]\n',
        [],
        codes("CF") - codes("CF1") | {"CF101"},
        # "When breaking ties between enabled and disabled rules (via select and ignore),
        # more specific prefixes override less specific prefixes."
        id="more-specific-select-beats-less-specific-ignore",
    ),
    pytest.param(
        'select = ["CF1"]\nignore = ["CF1"]\n',
        [],
        set(),
        # "ignore takes precedence over select if the same prefix appears in both."
        id="ignore-wins-at-equal-specificity",
    ),
    pytest.param(
        "",
        ["--select", "ALL", "--ignore", "CF101"],
        ALL_CODES - {"CF101"},
        # "--select ALL --ignore E501 selects all rules except E501"
        id="select-all-ignore-one",
    ),
    pytest.param(
        "",
        ["--ignore", "ALL", "--select", "CF101"],
        {"CF101"},
        # "--ignore ALL --select E501 selects only E501"
        id="ignore-all-select-one",
    ),
    pytest.param(
        'ignore = ["CF101"]\n',
        ["--select", "CF101"],
        {"CF101"},
        # Ruff 0.0.238: "If pyproject.toml specified ignore = ["E501"] then you could
        # previously not override that with --select E501": now the command line's wins.
        id="cli-select-overrides-configured-ignore",
    ),
    pytest.param(
        'ignore = ["CF101"]\n',
        ["--extend-select", "CF101"],
        ALL_CODES,
        # Sources apply in order: the command line's extend-select comes after the file's ignore.
        id="cli-extend-select-overrides-configured-ignore",
    ),
    pytest.param(
        'select = ["CF1"]\nextend-select = ["CF3"]\n',
        ["--select", "CF2"],
        codes("CF2"),
        # The command line's select starts afresh: the file's extend-select goes with its select.
        id="cli-select-drops-configured-extend-select",
    ),
    pytest.param(
        'select = ["CF3"]\n',
        ["--extend-select", "CF101", "--ignore", "CF303"],
        {"CF101", "CF301", "CF302"},
        id="cli-extend-select-and-ignore-together",
    ),
]


@pytest.mark.parametrize(("config", "options", "expected"), RUFF_CASES)
def test_rule_selection_as_ruff_documents_it(
    project: Path, config: str, options: list[str], expected: set[str]
) -> None:
    configure(project, config)

    assert checked(project, *options) == expected


def test_selection_in_a_real_process_as_pre_commit_passes_args(project: Path) -> None:
    configure(project, 'ignore = ["CF303"]\n')
    write(project, "every.py", EVERY_RULE)

    command = ["check", "--output-format", "json", "--ignore", "CF302", "every.py"]
    result = subprocess.run(
        [sys.executable, "-m", "codemods", *command],
        cwd=project,
        capture_output=True,
        timeout=60,
        check=False,
    )

    found = {finding["code"] for finding in json.loads(result.stdout)["findings"]}
    assert found == ALL_CODES - {"CF302", "CF303"}


# Per-file ignores


PER_FILE_CASES = [
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"tests/*" = ["CF3", "CF101"]\n',
        [],
        "tests/deep/test_every.py",
        ALL_CODES - codes("CF3") - {"CF101"},
        # `*` crosses directories, as in ruff's globs; prefixes as in select.
        id="glob-below-the-configuration",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"tests/*" = ["CF3"]\n',
        [],
        "src/every.py",
        ALL_CODES,
        id="non-matching-file-keeps-every-rule",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"every.py" = ["CF1"]\n',
        [],
        "src/pkg/every.py",
        ALL_CODES - codes("CF1"),
        # A pattern is also matched against the file's name alone, as in ruff.
        id="file-name-pattern",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"!src/*" = ["CF2"]\n',
        [],
        "scripts/every.py",
        ALL_CODES - codes("CF2"),
        # "An initial '!' negates the file pattern."
        id="negated-pattern",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"{src,lib}/*.py" = ["CF2"]\n',
        [],
        "lib/every.py",
        ALL_CODES - codes("CF2"),
        id="alternatives",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF1"]\n'
        '[tool.cancelfix.extend-per-file-ignores]\n"*.py" = ["CF2"]\n',
        [],
        "every.py",
        ALL_CODES - codes("CF1", "CF2"),
        # extend-per-file-ignores: "in addition to any rules excluded by per-file-ignores".
        id="configured-extend-adds",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF1"]\n',
        ["--per-file-ignores", "*.py:CF2"],
        "every.py",
        ALL_CODES - codes("CF2"),
        # The command line's per-file-ignores take the place of the configuration's.
        id="cli-per-file-ignores-replace",
    ),
    pytest.param(
        '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF1"]\n',
        ["--extend-per-file-ignores", "*.py:CF2,CF301"],
        "every.py",
        ALL_CODES - codes("CF1", "CF2") - {"CF301"},
        id="cli-extend-per-file-ignores-add",
    ),
]


@pytest.mark.parametrize(("config", "options", "name", "expected"), PER_FILE_CASES)
def test_per_file_ignores(
    project: Path, config: str, options: list[str], name: str, expected: set[str]
) -> None:
    write(project, "pyproject.toml", config)

    assert checked(project, *options, name=name) == expected


def test_per_file_ignores_anchor_at_the_configuration_not_the_current_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(project, '[tool.cancelfix.per-file-ignores]\n"pkg/*" = ["CF1"]\n')
    write(project, "pkg/every.py", EVERY_RULE)
    monkeypatch.chdir(project / "pkg")

    result = cli("check", "--output-format", "json", "every.py")

    found = {finding["code"] for finding in json.loads(result.stdout)["findings"]}
    assert found == ALL_CODES - codes("CF1")


@pytest.mark.parametrize("directory", ["[weird] {dir}", "star*"])
def test_per_file_ignores_under_a_directory_whose_name_looks_like_a_glob(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, directory: str
) -> None:
    # The root is matched as a name: read as a glob, `[weird]` would be a class of letters.
    root = tmp_path / directory
    monkeypatch.setenv("CANCELFIX_CACHE_DIR", str(tmp_path / "cache"))
    write(root, "pyproject.toml", '[tool.cancelfix.per-file-ignores]\n"pkg/*" = ["CF1"]\n')
    write(root, "pkg/every.py", EVERY_RULE)
    monkeypatch.chdir(root)

    result = cli("check", "--output-format", "json", "pkg/every.py")

    found = {finding["code"] for finding in json.loads(result.stdout)["findings"]}
    assert found == ALL_CODES - codes("CF1")


def test_absolute_pattern(project: Path) -> None:
    pattern = f"{project.as_posix()}/src/*"
    write(project, "pyproject.toml", f'[tool.cancelfix.per-file-ignores]\n"{pattern}" = ["CF2"]\n')

    assert checked(project, name="src/every.py") == ALL_CODES - codes("CF2")
    assert checked(project, name="lib/every.py") == ALL_CODES


def test_per_file_ignores_do_not_stop_other_files_being_fixed(project: Path) -> None:
    configure(project, '[tool.cancelfix.per-file-ignores]\n"keep.py" = ["CF101"]\n')
    keep = write(project, "keep.py", EVERY_RULE)
    write(project, "fixed.py", EVERY_RULE)

    result = cli("fix", "--output-format", "json", "keep.py", "fixed.py")

    fixed = {(f["path"], f["code"]) for f in json.loads(result.stdout)["findings"] if f["fixed"]}
    assert ("fixed.py", "CF101") in fixed
    assert ("keep.py", "CF101") not in fixed
    assert "except BaseException:\n            pass" in keep.read_text()


def test_changing_per_file_ignores_invalidates_the_cache(project: Path) -> None:
    configure(project, '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF1"]\n')
    assert checked(project) == ALL_CODES - codes("CF1")

    configure(project, '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF2"]\n')

    assert checked(project) == ALL_CODES - codes("CF2")


@pytest.mark.parametrize(
    ("config", "options", "message"),
    [
        (
            '[tool.cancelfix.per-file-ignores]\n"*.py" = ["CF9"]\n',
            [],
            "'CF9' matches no rule (see `cancelfix rules`) (in ",
        ),
        ('[tool.cancelfix.per-file-ignores]\n"*.py" = "CF1"\n', [], "must map to a list"),
        ("per-file-ignores = 3\n", [], "must be a table of glob = [codes]"),
        ("", ["--per-file-ignores", "CF101"], "is not PATTERN:CODES"),
        ("", ["--extend-per-file-ignores", "*.py:"], "is not PATTERN:CODES"),
        ("", ["--extend-select", "CF1O1"], "'CF1O1' matches no rule (did you mean 'CF101'?)"),
    ],
)
def test_bad_per_file_ignores_and_selectors_are_usage_errors(
    project: Path, config: str, options: list[str], message: str
) -> None:
    if config.startswith("["):
        write(project, "pyproject.toml", config)
    else:
        configure(project, config)
    write(project, "every.py", EVERY_RULE)

    result = cli("check", *options, "every.py")

    assert result.exit_code == 2
    assert result.stderr.startswith("cancelfix: error: ")
    assert message in result.stderr


# File-level noqa


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("# cancelfix: noqa", set()),
        ("# cancelfix: noqa: CF203", ALL_CODES - {"CF203"}),
        ("#cancelfix:NOQA:CF203,CF101", ALL_CODES - {"CF203", "CF101"}),
        ("x = 1  # cancelfix: noqa", ALL_CODES),  # only on a line of its own, as in ruff
        ('"""\n# cancelfix: noqa\n"""', ALL_CODES),  # not inside a string
        ("# noqa: CF203", ALL_CODES),  # a line's noqa, on a line with no finding
    ],
    ids=["all", "one", "compact", "trailing", "in-string", "line-noqa"],
)
def test_file_level_noqa(project: Path, comment: str, expected: set[str]) -> None:
    write(project, "every.py", comment + "\n" + EVERY_RULE)

    result = cli("check", "--output-format", "json", "every.py")

    assert {finding["code"] for finding in json.loads(result.stdout)["findings"]} == expected


def test_file_level_noqa_keeps_fix_from_touching_the_file(project: Path) -> None:
    source = "# cancelfix: noqa: CF101\n" + EVERY_RULE
    path = write(project, "every.py", source)

    cli("fix", "every.py")

    assert "except BaseException:\n            pass" in path.read_text()
    fixed = "except asyncio.CancelledError:\n            raise\n\n\nasync def cf105"
    assert fixed in path.read_text()  # CF102 fixed


def test_ruf006_noqa_also_silences_cf303(project: Path) -> None:
    source = EVERY_RULE.replace(
        "asyncio.create_task(work())", "asyncio.create_task(work())  # noqa: RUF006"
    )
    write(project, "every.py", source)

    result = cli("check", "--output-format", "json", "every.py")

    assert {f["code"] for f in json.loads(result.stdout)["findings"]} == ALL_CODES - {"CF303"}


# respect-gitignore as a flag


@pytest.mark.parametrize(
    ("config", "options", "checked_ignored"),
    [
        ("", [], False),
        ("", ["--no-respect-gitignore"], True),
        ("respect-gitignore = false\n", [], True),
        ("respect-gitignore = false\n", ["--respect-gitignore"], False),
    ],
)
def test_respect_gitignore_flag_overrides_the_configuration(
    project: Path, config: str, options: list[str], checked_ignored: bool
) -> None:
    configure(project, config)
    write(project, ".gitignore", "generated/\n")
    write(project, "generated/every.py", EVERY_RULE)
    write(project, "kept.py", EVERY_RULE)

    result = cli("check", "--output-format", "json", *options, ".")

    paths = {Path(f["path"]).as_posix() for f in json.loads(result.stdout)["findings"]}
    assert ("generated/every.py" in paths) is checked_ignored
    assert "kept.py" in paths
