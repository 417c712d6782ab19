"""`check` and `fix` agree on every finding and its fix kind (issue 15, pattern 8), also where
one rule's fix would make another finding fixable in a later pass."""

from __future__ import annotations

from codemods.engine import process_source
from codemods.model import Mode, RuleOptions, Settings
from codemods.registry import all_rules

CODES = tuple(rule.code for rule in all_rules())

# The owner cancels the task and awaits it unguarded (CF301), relying on the task's swallow
# (CF105) to end normally: the two are one design, so both are report-only, as `check` says
# and as `fix` leaves them; fixing the owner's wait alone would make the swallow fixable in a
# second run (fix would not be idempotent). Beside them, a fixable CF105 on a line of the same
# text (`heartbeat`) is fixed.
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


def test_a_wait_and_the_swallow_it_relies_on_stay_as_check_reported() -> None:
    options = RuleOptions(unsafe_fixes=True)
    settings = Settings(Mode.FIX, CODES, options)
    checked = process_source(
        OWNER_RELIES_ON_NORMAL_END, "s.py", Settings(Mode.CHECK, CODES, options)
    )
    fixed = process_source(OWNER_RELIES_ON_NORMAL_END, "s.py", settings)

    kinds = {(f.code, f.fix and f.fix.value) for f in checked.findings}
    assert kinds == {("CF301", None), ("CF105", None), ("CF105", "unsafe")}
    assert [f.code for f in fixed.findings if f.fixed] == ["CF105"]
    reported = {(f.code, f.message) for f in checked.findings if f.fix is None}
    assert {(f.code, f.message) for f in fixed.remaining} == reported
    assert all("report only" in message for _, message in reported)
    assert fixed.new_source is not None
    again = process_source(fixed.new_source, "s.py", settings)
    assert again.new_source is None or again.new_source == fixed.new_source
