"""Kill `cancelfix fix` at random moments on a real package, many times, and check the damage.

Run from the repository root, with the project's virtualenv (not part of CI: ~30 s a round):

    .venv/bin/python scripts/faults.py                  # 50 rounds
    .venv/bin/python scripts/faults.py --rounds 30 --seed 1

The Home Assistant sources under `.corpus/src/homeassistant-2024.3.3/` (downloaded by
`scripts/corpus.py` if missing) are copied, `.py` files only, into a temporary directory. A
clean `python -m codemods fix --unsafe-fixes .` over a second copy gives the fully fixed version
of every file and the run's usual duration. Then, each round:

1. the files are restored to their originals (only those that changed);
2. `python -m codemods fix --unsafe-fixes .` starts in the copy, and after a random delay
   between 0.05 s and the usual duration it gets SIGKILL (`kill -9` of the main process: its
   workers are orphaned) or SIGINT (to the process group, as Ctrl-C in a terminal), in turn;
3. every file must be byte-identical to its original or to its fixed version, no other file
   (such as a `.NAME.XXXXXXXX.cancelfix` temporary file) may exist, a SIGINT run must exit 130
   saying how many files it wrote (that many must be fixed), and no worker may outlive the run
   by more than a few seconds.

After the last round (always a SIGKILL one), a full `fix` runs over the files as the kill left
them and must leave every file exactly fully fixed. Prints one line a round and a summary;
exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "homeassistant==2024.3.3"
SOURCE = REPO_ROOT / ".corpus" / "src" / "homeassistant-2024.3.3"
COMMAND = [sys.executable, "-m", "codemods", "fix", "--unsafe-fixes", "--no-color", "."]
MIN_DELAY = 0.05
RUN_TIMEOUT = 600.0
WORKER_GRACE = 10.0
"""How long orphaned workers may take to notice that the main process is gone."""
INTERRUPTED = re.compile(r"cancelfix: interrupted; (\d+) files? written, the rest untouched")
SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}


def source_tree() -> Path:
    if (SOURCE / "homeassistant").is_dir():
        return SOURCE
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import DEFAULT_CACHE_DIR, Package, fetch

    return fetch(Package.parse(PACKAGE), DEFAULT_CACHE_DIR)


def copy_python_files(source: Path, destination: Path) -> None:
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [
            name
            for name in names
            if not name.endswith(".py") and not os.path.isdir(os.path.join(directory, name))
        ]

    shutil.copytree(source / "homeassistant", destination / "homeassistant", ignore=ignore)


def read_tree(root: Path) -> dict[str, bytes]:
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as file:
                files[os.path.relpath(path, root)] = file.read()
    return files


def sha(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def default_sigint() -> None:
    """In the child: take SIGINT as a terminal's Ctrl-C, even where this script ignores it
    (started with `&` or `nohup`, which Python and cancelfix honour)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def live_processes_in_group(group: int) -> list[int]:
    """Processes of the process group that are not zombies (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == group:
            found.append(int(entry))
    return found


@dataclass
class Expected:
    originals: dict[str, bytes]  # rel path -> digest of the original
    fixed: dict[str, bytes]  # rel path -> fixed bytes, for the files a clean run changes
    original_bytes: dict[str, bytes]  # rel path -> original bytes, for the same files


@dataclass
class Totals:
    kills: Counter[str] = field(default_factory=Counter)
    finished_first: int = 0
    files_checked: int = 0
    fixed_at_kill: int = 0
    violations: list[str] = field(default_factory=list)


def check_tree(root: Path, expected: Expected, totals: Totals, label: str) -> int:
    """Check every file against its two allowed versions; the number found fixed."""
    found = read_tree(root)
    fixed = 0
    for rel, data in found.items():
        totals.files_checked += 1
        if rel not in expected.originals:
            totals.violations.append(f"{label}: unexpected file {rel}")
        elif rel in expected.fixed and data == expected.fixed[rel]:
            fixed += 1
        elif sha(data) != expected.originals[rel]:
            totals.violations.append(f"{label}: {rel} is neither its original nor fixed version")
    for rel in expected.originals.keys() - found.keys():
        totals.violations.append(f"{label}: {rel} is missing")
    return fixed


def restore(root: Path, expected: Expected) -> None:
    for rel, original in expected.original_bytes.items():
        path = root / rel
        if not path.exists() or path.read_bytes() != original:
            path.write_bytes(original)
    for directory, _, names in os.walk(root):
        for name in names:
            rel = os.path.relpath(os.path.join(directory, name), root)
            if rel not in expected.originals:
                os.unlink(os.path.join(directory, name))


def one_round(
    root: Path, expected: Expected, totals: Totals, signame: str, delay: float, label: str
) -> float | None:
    """One round; how long the run took if it finished before the signal."""
    process = subprocess.Popen(
        COMMAND,
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    started = time.monotonic()
    signalled = False
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        if signame == "INT":
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        else:
            os.kill(process.pid, SIGNALS[signame])
        signalled = True
    try:
        _, stderr_bytes = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr_bytes = process.communicate()
        totals.violations.append(f"{label}: did not stop within {RUN_TIMEOUT:.0f} s")
    took = time.monotonic() - started
    stderr = stderr_bytes.decode(errors="replace")
    deadline = time.monotonic() + WORKER_GRACE
    while live_processes_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    lingering = live_processes_in_group(process.pid)
    if lingering:
        totals.violations.append(f"{label}: workers {lingering} alive {WORKER_GRACE:.0f} s later")
        for pid in lingering:
            os.kill(pid, signal.SIGKILL)
    fixed = check_tree(root, expected, totals, label)
    code = process.returncode
    if not signalled:
        totals.finished_first += 1
        outcome = "finished before the signal"
        if code not in (0, 1):
            totals.violations.append(f"{label}: exit code {code}: {stderr.strip()[-300:]}")
    else:
        totals.kills[signame] += 1
        totals.fixed_at_kill += fixed
        outcome = f"SIG{signame} after {delay:.2f} s"
        wanted = 128 + SIGNALS[signame] if signame != "KILL" else -signal.SIGKILL
        if code != wanted:
            totals.violations.append(f"{label}: exit code {code}, expected {wanted}: {stderr!r}")
        if signame != "KILL":
            match = INTERRUPTED.fullmatch(stderr.strip())
            if match is None:
                totals.violations.append(f"{label}: unexpected stderr {stderr!r}")
            elif int(match[1]) != fixed:
                totals.violations.append(f"{label}: says {match[1]} written, {fixed} are fixed")
    print(
        f"{label}: {outcome}; exit {code} after {took:.2f} s; "
        f"{fixed} of {len(expected.fixed)} files fixed",
        flush=True,
    )
    return None if signalled else took


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50, help="kill rounds (default: 50)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--signals",
        default="KILL,INT",
        help="signals to take turns with, of KILL, INT, TERM (default: KILL,INT)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    options = parser.parse_args(argv)
    signames = [name.strip().upper() for name in options.signals.split(",")]
    if not signames or not set(signames) <= set(SIGNALS) or options.rounds < 1:
        parser.error("--signals takes KILL, INT and TERM; --rounds at least 1")
    seed = options.seed if options.seed is not None else random.randrange(2**32)
    chooser = random.Random(seed)
    workspace = Path(tempfile.mkdtemp(prefix="cancelfix-faults-"))
    try:
        source = source_tree()
        victim, reference = workspace / "run", workspace / "fixed"
        copy_python_files(source, victim)
        copy_python_files(source, reference)
        originals = read_tree(victim)
        started = time.monotonic()
        clean = subprocess.run(COMMAND, cwd=reference, capture_output=True, timeout=RUN_TIMEOUT)
        duration = time.monotonic() - started
        if clean.returncode not in (0, 1):
            print(f"the clean run failed (exit {clean.returncode}):", file=sys.stderr)
            print(clean.stderr.decode(errors="replace")[-2000:], file=sys.stderr)
            return 2
        fixed_tree = read_tree(reference)
        if fixed_tree.keys() != originals.keys():
            print("the clean run added or removed files", file=sys.stderr)
            return 2
        changed = {rel for rel, data in fixed_tree.items() if data != originals[rel]}
        expected = Expected(
            originals={rel: sha(data) for rel, data in originals.items()},
            fixed={rel: fixed_tree[rel] for rel in changed},
            original_bytes={rel: originals[rel] for rel in changed},
        )
        del originals, fixed_tree
        print(
            f"{source.name}: {len(expected.originals)} files, {len(changed)} changed by a clean "
            f"run, which took {duration:.1f} s (exit {clean.returncode}); seed {seed}",
            flush=True,
        )
        totals = Totals()
        took: float | None = None
        for index in range(options.rounds):
            # The last round is a SIGKILL one (when KILL is among the signals): the restart
            # check below starts from the worst kind of interruption.
            signame = signames[(options.rounds - 1 - index) % len(signames)]
            restore(victim, expected)
            delay = chooser.uniform(MIN_DELAY, duration)
            label = f"round {index + 1:>{len(str(options.rounds))}}/{options.rounds}"
            took = one_round(victim, expected, totals, signame, delay, label)
            if took is not None:  # the clean run was slow (a busy machine): aim lower
                duration = min(duration, took)
        # The restart check starts from a kill that landed: extra rounds until one did.
        extra = 0
        while took is not None and extra < 5 and signames[0] == "KILL":
            extra += 1
            restore(victim, expected)
            delay = chooser.uniform(MIN_DELAY, duration / 2)
            took = one_round(victim, expected, totals, "KILL", delay, f"extra round {extra}")
        started = time.monotonic()
        rerun = subprocess.run(COMMAND, cwd=victim, capture_output=True, timeout=RUN_TIMEOUT)
        before = len(totals.violations)
        fully_fixed = check_tree(victim, expected, totals, "restart")
        if rerun.returncode not in (0, 1):
            totals.violations.append(f"restart: exit code {rerun.returncode}")
        if fully_fixed != len(expected.fixed):
            totals.violations.append(
                f"restart: {fully_fixed} of {len(expected.fixed)} files fully fixed"
            )
        print(
            f"restart after the last round: exit {rerun.returncode} after "
            f"{time.monotonic() - started:.1f} s; {fully_fixed} of {len(expected.fixed)} files "
            f"fully fixed{'' if len(totals.violations) == before else '; VIOLATIONS'}"
        )
        kills = ", ".join(f"SIG{name} {totals.kills[name]}" for name in signames)
        print()
        print(
            f"rounds: {options.rounds}{f' + {extra} extra' if extra else ''} ({kills}; "
            f"finished before the signal: "
            f"{totals.finished_first})"
        )
        print(f"files checked: {totals.files_checked}")
        print(f"files found fixed at kill time: {totals.fixed_at_kill} (over all rounds)")
        print(f"violations: {len(totals.violations)}")
        for violation in totals.violations[:50]:
            print(f"  {violation}")
        return 1 if totals.violations else 0
    finally:
        if options.keep:
            print(f"kept {workspace}", file=sys.stderr)
        else:
            shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
