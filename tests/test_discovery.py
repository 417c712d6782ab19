"""File discovery (`codemods.discovery`), called directly: which files a run takes, spelled how,
in what order. The command-line tests cover the options; these pin what discovery must keep
while it works on strings instead of a `Path` per entry: a file reached through symlinks counts
once, .gitignore precedence, exclude names against anchored patterns, the order of the result.

Each test runs in `project` (the current directory, outside any git repository unless the test
makes one) and most run twice: walking the tree, and with git listing the files.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from codemods.discovery import Excludes, discover_files
from tests.clitools import git, needs_git

WAYS = [
    pytest.param(False, id="walk"),
    pytest.param(True, id="git", marks=needs_git),
]


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def found(
    *paths: str | Path,
    root: Path | None = None,
    patterns: Sequence[str] = (),
    respect_gitignore: bool = True,
    force_exclude: bool = False,
) -> list[str]:
    """What discovery takes for `paths`, with exclude patterns anchored at `root` (the current
    directory by default), as the strings the command would print."""
    excludes = Excludes(root or Path.cwd(), patterns)
    result = discover_files(
        [Path(path) for path in paths],
        excludes,
        respect_gitignore=respect_gitignore,
        force_exclude=force_exclude,
    )
    return [str(path) for path in result]


def commit_all(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


# --------------------------------------------------------------------------------------------
# symlinks: identity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_git", WAYS)
def test_files_below_a_symlinked_directory_count_once(project: Path, in_git: bool) -> None:
    touch(project, "real/pkg/a.py")
    (project / "alias").symlink_to("real")
    if in_git:
        commit_all(project)

    assert found("alias", "real") == ["alias/pkg/a.py"]
    assert found("real", "alias") == ["real/pkg/a.py"]
    # The symlink is above the directory named: its files are still the same files.
    assert found("alias/pkg", "real/pkg/a.py") == ["alias/pkg/a.py"]
    assert found(project / "real" / "pkg" / "a.py", "alias/pkg") == [
        str(project / "real" / "pkg" / "a.py")
    ]


def test_a_symlinked_directory_below_the_one_named_is_not_followed(project: Path) -> None:
    touch(project, "src/a.py", "outside/b.py")
    (project / "src" / "linked").symlink_to(project / "outside")

    assert found("src") == ["src/a.py"]


@pytest.mark.parametrize(
    ("in_git", "kept"), [(False, "z.py"), pytest.param(True, "src/a.py", marks=needs_git)]
)
def test_a_symlink_to_a_file_in_the_tree_counts_once(
    project: Path, in_git: bool, kept: str
) -> None:
    """The first spelling met is kept: a walk meets a directory's files before those of its
    subdirectories, git lists paths in order."""
    touch(project, "src/a.py")
    (project / "z.py").symlink_to("src/a.py")
    touch(project.parent, "elsewhere.py")
    (project / "linked.py").symlink_to(project.parent / "elsewhere.py")
    if in_git:
        commit_all(project)

    assert found(".") == sorted([kept, "linked.py"])


@needs_git
def test_a_tracked_directory_replaced_by_a_symlink_counts_its_files_once(project: Path) -> None:
    touch(project, "pkg/m.py")
    commit_all(project)
    (project / "pkg").rename(project / "real_pkg")
    (project / "pkg").symlink_to("real_pkg")  # git still lists pkg/m.py, and real_pkg/m.py

    assert found(".") == ["pkg/m.py"]


@pytest.mark.parametrize("in_git", WAYS)
def test_dangling_links_are_kept_other_non_files_are_not(project: Path, in_git: bool) -> None:
    """A link leading nowhere is taken, for the run to report it; a link to a directory, a
    pipe, a deleted file are not files to process."""
    touch(project, "ok.py", "deleted.py", "dir.py/inner.py")
    (project / "gone.py").symlink_to("missing.py")
    (project / "loop_a.py").symlink_to("loop_b.py")
    (project / "loop_b.py").symlink_to("loop_a.py")
    (project / "gone.txt").symlink_to("missing.txt")
    (project / "linked_dir.py").symlink_to("dir.py")
    os.mkfifo(project / "pipe.py")
    if in_git:
        commit_all(project)
    (project / "deleted.py").unlink()

    assert found(".") == ["dir.py/inner.py", "gone.py", "loop_a.py", "loop_b.py", "ok.py"]


# --------------------------------------------------------------------------------------------
# .gitignore
# --------------------------------------------------------------------------------------------


def nested_gitignores(root: Path) -> None:
    touch(
        root,
        "app.py",
        "api_pb2.py",
        "generated/g.py",
        "sub/x.py",
        "sub/keep_pb2.py",
        "sub/deeper/keep_pb2.py",
        "sub/deeper/other.py",
    )
    (root / ".gitignore").write_text("*_pb2.py\ngenerated/\n")
    (root / "sub" / ".gitignore").write_text("!keep_pb2.py\n")
    (root / "sub" / "deeper" / ".gitignore").write_text("keep_pb2.py\n")
    (root / "generated" / ".gitignore").write_text("!g.py\n")


@pytest.mark.parametrize("in_git", WAYS)
def test_the_deepest_gitignore_with_a_matching_pattern_decides(project: Path, in_git: bool) -> None:
    """`!` re-includes a file below; a deeper .gitignore ignores it again; nothing is
    re-included in an ignored directory."""
    nested_gitignores(project)
    if in_git:
        git(project, "init", "-q")

    assert found(".") == ["app.py", "sub/deeper/other.py", "sub/keep_pb2.py", "sub/x.py"]
    # The .gitignore files above the directory named apply too.
    assert found("sub") == ["sub/deeper/other.py", "sub/keep_pb2.py", "sub/x.py"]


def test_gitignore_files_are_not_read_when_told_not_to(project: Path) -> None:
    nested_gitignores(project)

    assert found(".", respect_gitignore=False) == [
        "api_pb2.py",
        "app.py",
        "generated/g.py",
        "sub/deeper/keep_pb2.py",
        "sub/deeper/other.py",
        "sub/keep_pb2.py",
        "sub/x.py",
    ]


def test_a_gitignored_directory_is_ignored_where_a_directory_of_that_name_is(
    project: Path,
) -> None:
    touch(project, "cache/a.py", "src/cache/b.py", "src/cache.py", "src/c.py")
    (project / ".gitignore").write_text("cache/\n")

    assert found(".") == ["src/c.py", "src/cache.py"]


# --------------------------------------------------------------------------------------------
# exclude patterns
# --------------------------------------------------------------------------------------------


def excluded_tree(root: Path) -> None:
    touch(
        root,
        "build/a.py",
        "src/build/b.py",
        "src/gen/g.py",
        "gen/h.py",
        "src/app.py",
        "src/app_pb2.py",
    )


PATTERNS = ("build", "*_pb2.py", "src/gen/")


@pytest.mark.parametrize("in_git", WAYS)
def test_exclude_names_match_anywhere_anchored_patterns_at_the_root(
    project: Path, in_git: bool
) -> None:
    excluded_tree(project)
    if in_git:
        commit_all(project)

    assert found(".", patterns=PATTERNS) == ["gen/h.py", "src/app.py"]
    assert found("src", patterns=PATTERNS) == ["src/app.py"]
    assert found(project / "src", patterns=PATTERNS) == [str(project / "src" / "app.py")]
    # Names are tested below the directory named, an anchored pattern wherever it is named.
    assert found("build", patterns=PATTERNS) == ["build/a.py"]
    assert found("src/gen", patterns=PATTERNS) == []
    # A directory outside the root: the anchored pattern does not reach it, names do.
    assert found("src", root=project / "elsewhere", patterns=PATTERNS) == [
        "src/app.py",
        "src/gen/g.py",
    ]


@pytest.mark.parametrize("in_git", WAYS)
def test_exclude_names_match_below_a_directory_named_above_the_root(
    project: Path, in_git: bool
) -> None:
    """`cd proj/sub && cancelfix check ..` without a configuration: the root is `sub`, and an
    excluded name matches at any depth below `..`, inside the root or not."""
    touch(project, "build/a.py", "sub/build/b.py", "sub/ok.py", "ok.py")
    if in_git:
        commit_all(project)

    assert found(project, root=project / "sub", patterns=("build",)) == [
        str(project / "ok.py"),
        str(project / "sub" / "ok.py"),
    ]
    excludes = Excludes(project / "sub", ("build",))
    assert excludes.matches(project / "sub" / "build" / "b.py", anchor=project)
    assert not excludes.matches(project / "sub" / "ok.py", anchor=project)


def test_no_exclude_pattern_excludes_nothing(project: Path) -> None:
    excluded_tree(project)

    assert len(found(".")) == 6


def test_files_named_are_taken_unless_force_exclude(project: Path) -> None:
    excluded_tree(project)

    assert found("build/a.py", "src/gen/g.py", patterns=PATTERNS) == [
        "build/a.py",
        "src/gen/g.py",
    ]
    assert found("build/a.py", "src/gen/g.py", patterns=PATTERNS, force_exclude=True) == []


TREE = [
    "a.py",
    "build/b.py",
    "src/c.py",
    "src/build/d.py",
    "src/deep/e.py",
    "src/deep/build/f.py",
    "src/deep/gen/g.py",
    "src/deep/x/build/h.py",
    "gen/i.py",
]


@pytest.mark.parametrize("named", [".", "src", "src/deep"])
@pytest.mark.parametrize("root", [".", "src", "src/deep", "src/deep/x", "/"])
@pytest.mark.parametrize(
    "patterns", [("build",), ("build", "gen"), ("deep/gen/",), ("src/*/build/",)]
)
def test_what_a_walk_excludes_is_what_excludes_matches_says(
    project: Path, named: str, root: str, patterns: tuple[str, ...]
) -> None:
    """Discovery tests names a directory at a time; `Excludes.matches`, which decides for the
    files named on the command line, one file at a time. They must agree, wherever the root of
    the patterns lies relative to the directory named."""
    touch(project, *TREE)
    excludes = Excludes(project / root, patterns)
    every = [
        Path(directory) / name
        for directory, _, names in os.walk(named)
        for name in names
        if name.endswith(".py")
    ]
    expected = sorted(path for path in every if not excludes.matches(path, anchor=Path(named)))

    result = discover_files([Path(named)], excludes, respect_gitignore=False, force_exclude=False)

    assert result == expected


# --------------------------------------------------------------------------------------------
# the result
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_git", WAYS)
def test_files_are_sorted_as_paths_not_as_strings(project: Path, in_git: bool) -> None:
    """`a/b.py` comes before `a-b/x.py` (a path sorts by its parts), which git lists after it."""
    touch(project, "a-b/x.py", "a/b.py", "a.py", "B.py", "a/c/d.py", "a/c.pyi", "notes.txt")
    touch(project, ".py", "x.PY")  # no Python suffix: a hidden file, an upper-case suffix
    if in_git:
        commit_all(project)

    expected = ["B.py", "a/b.py", "a/c/d.py", "a/c.pyi", "a-b/x.py", "a.py"]
    assert found(".") == expected
    assert found("a-b", "a.py", "a") == ["a/b.py", "a/c/d.py", "a/c.pyi", "a-b/x.py", "a.py"]
    assert found(project) == [str(project / name) for name in expected]


@pytest.mark.parametrize("in_git", WAYS)
def test_paths_are_spelled_as_the_directory_was_named(
    project: Path, in_git: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    touch(project, "src/pkg/a.py")
    if in_git:
        commit_all(project)
    monkeypatch.chdir(project / "src")

    assert found(".") == ["pkg/a.py"]
    assert found("./pkg") == ["pkg/a.py"]
    assert found("../src/pkg") == ["../src/pkg/a.py"]
    assert found(project / "src") == [str(project / "src" / "pkg" / "a.py")]
