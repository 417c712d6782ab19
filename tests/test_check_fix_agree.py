"""`check` and `fix` agree on every finding and its fix kind (issue 15, pattern 8), also where
one rule's fix would make another finding fixable in a later pass."""

from __future__ import annotations

from codemods.engine import process_source
from codemods.model import Mode, RuleOptions, Settings
from codemods.registry import all_rules

CODES = tuple(rule.code for rule in all_rules())

# The owner cancels the task and awaits it unguarded (CF301), so the task's swallow (CF105)
# is report-only: re-raising would raise in `close()`. Fixing CF301 guards that await, after
# which CF105 reads as fixable; the run did not fix it, and it must stay as `check` said, also
# beside a fixable CF105 on a line of the same text (`heartbeat`).
OWNER_RELIES_ON_NORMAL_END = b"""import asyncio


class Sender:
    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await self._task

    async def _run(self) -> None:
        try:
            while True:
                await asyncio.sleep(1)
        except asyncio.CancelledError:
            pass


async def heartbeat(conn) -> None:
    try:
        while True:
            await conn.ping()
            await asyncio.sleep(5)
    except asyncio.CancelledError:
        pass
"""


def test_a_finding_another_fix_makes_fixable_stays_as_check_reported() -> None:
    options = RuleOptions(unsafe_fixes=True)
    checked = process_source(
        OWNER_RELIES_ON_NORMAL_END, "s.py", Settings(Mode.CHECK, CODES, options)
    )
    fixed = process_source(OWNER_RELIES_ON_NORMAL_END, "s.py", Settings(Mode.FIX, CODES, options))

    kinds = {(f.code, f.fix and f.fix.value) for f in checked.findings}
    assert kinds == {("CF301", "unsafe"), ("CF105", None), ("CF105", "unsafe")}
    assert sorted(f.code for f in fixed.findings if f.fixed) == ["CF105", "CF301"]
    (left,) = fixed.remaining
    (reported,) = [f for f in checked.findings if f.code == "CF105" and f.fix is None]
    assert (left.code, left.fix, left.message) == ("CF105", None, reported.message)
    assert "report only" in left.message
