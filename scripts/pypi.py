"""Real packages from PyPI, for the corpus script and the benchmark: download once, extract.

Standard library only: the benchmark fetches its corpora without importing the project.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")

CORPUS_PACKAGES = (
    "homeassistant==2024.3.3",
    "aiohttp==3.14.5",
    "redis==8.1.0",
    "tornado==6.6.1",
    "websockets==17.4",
    "anyio==4.16.0",
    "asyncpg==0.32.0",
    "aiokafka==0.14.0",
    "starlette==1.10.0",
    "uvicorn==0.54.0",
)
"""The corpus: the packages `scripts/corpus.py` checks by default and `bench/run.py` measures.
Home Assistant stays at the last release that installs on Python 3.11; the others are the
newest releases when the list was last updated."""


class FetchError(Exception):
    """A package cannot be downloaded or extracted; the message says which and why."""


def _archives(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.name.endswith(ARCHIVE_SUFFIXES))


def download(spec: str, directory: Path) -> Path:
    """A wheel of `spec` (`name==version`), else its sdist, downloaded into `directory`
    unless one is there already."""
    found = _archives(directory)
    if not found:
        directory.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
        pip += ["--quiet", "-d", str(directory)]
        errors = []
        for kind in ("--only-binary=:all:", "--no-binary=:all:"):
            print(f"downloading {spec} ({kind})", file=sys.stderr)
            done = subprocess.run(
                [*pip, kind, spec], capture_output=True, text=True, stdin=subprocess.DEVNULL
            )
            if done.returncode == 0:
                break
            errors.append(done.stderr.strip().splitlines()[-1:] or ["pip failed"])
        found = _archives(directory)
        if not found:
            raise FetchError(f"cannot download {spec}: {errors}")
    if len(found) > 1:
        raise FetchError(f"several archives in {directory}: {[path.name for path in found]}")
    return found[0]


def extract_python_files(archive: Path, destination: Path) -> None:
    """Extract the `.py` files of a wheel or sdist, and nothing else (a compiled wheel's
    `.pyx`, `.pxd`, `.c` and `.so` files are not Python source)."""
    destination.mkdir(parents=True)
    try:
        if archive.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as wheel:
                # ZipFile.extract drops absolute paths and "..": nothing lands outside.
                for member in wheel.infolist():
                    if member.filename.endswith(".py") and not member.is_dir():
                        wheel.extract(member, destination)
        else:
            with tarfile.open(archive) as sdist:
                members = [m for m in sdist if m.isfile() and m.name.endswith(".py")]
                sdist.extractall(destination, members, filter="data")
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as error:
        raise FetchError(f"cannot extract {archive}: {error}") from error


def python_files(root: Path) -> list[str]:
    """Relative paths of the `.py` files under `root`, sorted."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if path.is_file() and not path.is_symlink()
    )
