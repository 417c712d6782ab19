"""CF303's fix, judged by what the code does on a real event loop.

The event loop keeps only weak references to its tasks. A task that waits on a future nobody
else holds forms a cycle with that future (the task awaits it, the future's callback wakes
the task) that nothing outside references: the garbage collector frees it mid-flight. The
cases below build exactly that, deterministically, run the original and the fixed source
(CF303 only, unsafe fixes on), and show:

- the original's task is collected by `gc.collect()` and never finishes ("Task was destroyed
  but it is pending!"); the fixed code's task survives and finishes once its reply comes;
- the module-level set of the fix does not grow: a thousand finished tasks leave it empty,
  failed ones included (whose exceptions are still reported as never retrieved);
- otherwise nothing changes: the spawned coroutines run and do what they did.
"""

from __future__ import annotations

import asyncio
import gc
import textwrap
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from codemods.model import FixSafety
from tests.behaviour import Namespace, fixed, load, squash

RULES = ("CF303",)
SET = "_background_tasks"

T = TypeVar("T")

RPC_CLIENT = textwrap.dedent(
    """\
    import asyncio
    import weakref

    # The reply router finds a request's future by its id; it must not keep it alive.
    replies = weakref.WeakValueDictionary()
    spawned = []  # weak references to the request tasks, taken by the tasks themselves
    answered = []


    async def wait_for_reply(request_id):
        reply = asyncio.get_running_loop().create_future()
        replies[request_id] = reply
        spawned.append(weakref.ref(asyncio.current_task()))
        answered.append((request_id, await reply))


    def on_request(request_id):
        asyncio.create_task(wait_for_reply(request_id))
    """
)

EVENT_HANDLER = textwrap.dedent(
    """\
    import asyncio

    processed = []


    async def process(event_id):
        await asyncio.sleep(0)
        if event_id % 100 == 0:
            raise ValueError(f"malformed event {event_id}")
        processed.append(event_id)


    def on_event(event_id):
        asyncio.create_task(process(event_id))
    """
)


def fixed_source(source: str) -> str:
    outcome = fixed(source, RULES, unsafe=True)
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [
        ("CF303", FixSafety.UNSAFE, True)
    ]
    assert outcome.new_source is not None
    return outcome.new_source.decode()


def versions(source: str) -> dict[str, str]:
    return {"original": source, "fixed": fixed_source(source)}


def run(scenario: Callable[[list[str]], Awaitable[T]]) -> tuple[T, list[str]]:
    """Run `scenario` on a fresh event loop, collecting what the loop reports (destroyed
    pending tasks, exceptions never retrieved) instead of logging it. Only the messages are
    kept: holding the context would keep its task alive. The automatic collector is off
    meanwhile, so that only the scenario's own `gc.collect()` frees anything."""
    messages: list[str] = []

    async def main() -> T:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: messages.append(context["message"]))
        return await scenario(messages)

    automatic = gc.isenabled()
    gc.disable()
    try:
        return asyncio.run(main()), messages
    finally:
        if automatic:
            gc.enable()


async def settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_fix_is_unsafe_only() -> None:
    outcome = fixed(RPC_CLIENT, RULES, unsafe=False)
    assert outcome.new_source is None
    assert [(f.code, f.fix, f.fixed) for f in outcome.findings] == [
        ("CF303", FixSafety.UNSAFE, False)
    ]
    fixed_text = fixed_source(RPC_CLIENT)
    assert f"{SET}: set[object] = set()" in fixed_text
    assert "    task = asyncio.create_task(wait_for_reply(request_id))\n" in fixed_text
    assert f"    {SET}.add(task)\n" in fixed_text
    assert f"    task.add_done_callback({SET}.discard)\n" in fixed_text


async def _spawn_and_collect(ns: Namespace) -> dict[str, Any]:
    ns["on_request"](7)
    await asyncio.sleep(0)  # the task starts, registers its reply future and waits on it
    assert len(ns["spawned"]) == 1 and len(ns["replies"]) == 1
    gc.collect()
    task = ns["spawned"][0]()
    return {"task": task, "reply_pending": 7 in ns["replies"]}


def test_original_task_is_collected_mid_flight() -> None:
    ns = load(RPC_CLIENT)

    async def scenario(messages: list[str]) -> None:
        state = await _spawn_and_collect(ns)
        assert state["task"] is None, "the dangling task survived gc.collect()"
        assert not state["reply_pending"], "its reply future went with it"
        await settle()
        assert ns["answered"] == []

    _, messages = run(scenario)
    assert "Task was destroyed but it is pending!" in messages


def test_fixed_task_survives_collection_and_finishes() -> None:
    ns = load(fixed_source(RPC_CLIENT))

    async def scenario(messages: list[str]) -> None:
        state = await _spawn_and_collect(ns)
        task = state["task"]
        assert task is not None and not task.done()
        assert state["reply_pending"]
        assert ns[SET] == {task}
        ns["replies"][7].set_result("pong")
        del task, state
        await settle()
        assert ns["answered"] == [(7, "pong")]
        assert ns[SET] == set()
        gc.collect()
        assert ns["spawned"][0]() is None, "a finished task is not kept any longer"

    _, messages = run(scenario)
    assert messages == []


def test_background_set_does_not_grow() -> None:
    ns = load(fixed_source(EVENT_HANDLER))
    count = 1000

    async def scenario(messages: list[str]) -> None:
        for event_id in range(1, count + 1):
            ns["on_event"](event_id)
        assert len(ns[SET]) == count
        await settle()
        assert ns[SET] == set(), "finished tasks must leave the set, failed ones too"

    _, messages = run(scenario)
    assert sorted(ns["processed"]) == [i for i in range(1, count + 1) if i % 100]
    # The fix keeps tasks alive; it does not retrieve their exceptions.
    gc.collect()
    assert messages == ["Task exception was never retrieved"] * (count // 100)


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_spawned_coroutines_run_the_same(version: str) -> None:
    ns = load(versions(EVENT_HANDLER)[version])

    async def scenario(messages: list[str]) -> None:
        assert ns["on_event"](1) is None
        assert ns["on_event"](2) is None
        assert ns["processed"] == [], "spawning does not run the coroutine yet"
        await settle()

    run(scenario)
    assert ns["processed"] == [1, 2]


@pytest.mark.parametrize("version", ["original", "fixed"])
def test_replies_arriving_in_time_are_the_same(version: str) -> None:
    """While something still holds the task (here the test, through its reply), both
    versions behave alike: the fix changes only what happens to unreferenced tasks."""
    ns = load(versions(RPC_CLIENT)[version])

    async def scenario(messages: list[str]) -> None:
        ns["on_request"](1)
        ns["on_request"](2)
        await asyncio.sleep(0)
        held = [ref() for ref in ns["spawned"]]
        ns["replies"][2].set_result("second")
        ns["replies"][1].set_result("first")
        await settle()
        assert all(task is not None and task.done() for task in held)

    _, messages = run(scenario)
    assert ns["answered"] == [(2, "second"), (1, "first")]
    assert messages == []


CHAINED_CALLBACK = textwrap.dedent(
    """\
    import asyncio
    import weakref

    replies = weakref.WeakValueDictionary()
    spawned = []
    finished = []  # what the chained callback saw, in order


    async def wait_for_reply(request_id):
        reply = asyncio.get_running_loop().create_future()
        replies[request_id] = reply
        spawned.append(weakref.ref(asyncio.current_task()))
        return await reply


    def on_request(request_id):
        asyncio.get_running_loop().create_task(wait_for_reply(request_id)).add_done_callback(
            lambda task: finished.append(task.result())
        )
    """
)


def test_chained_callback_fix_keeps_the_task_and_its_callback() -> None:
    """`create_task(...).add_done_callback(cb)`: the callback does not keep the task; the fix
    does, and the callback still runs once, with the task's result, before the set lets go."""
    fixed_text = fixed_source(CHAINED_CALLBACK)
    # `task` is the lambda's parameter: the fix takes the next free name.
    assert squash(fixed_text).endswith(
        squash(
            """
            task_1 = asyncio.get_running_loop().create_task(wait_for_reply(request_id))
            task_1.add_done_callback(
                lambda task: finished.append(task.result())
            )
            _background_tasks.add(task_1)
            task_1.add_done_callback(_background_tasks.discard)
            """
        )
    )
    original, fixed_ns = load(CHAINED_CALLBACK), load(fixed_text)

    async def collected(messages: list[str]) -> None:
        state = await _spawn_and_collect(original)
        assert state["task"] is None and not state["reply_pending"]
        await settle()
        assert original["finished"] == []

    _, messages = run(collected)
    assert "Task was destroyed but it is pending!" in messages

    async def kept(messages: list[str]) -> None:
        state = await _spawn_and_collect(fixed_ns)
        task = state["task"]
        assert task is not None and fixed_ns[SET] == {task}
        fixed_ns["replies"][7].set_result("pong")
        del task, state
        await settle()
        assert fixed_ns["finished"] == ["pong"]
        assert fixed_ns[SET] == set()

    _, messages = run(kept)
    assert messages == []


SCHEDULED_FROM_THREAD = textwrap.dedent(
    """\
    import asyncio
    import threading

    handled = []


    async def handle(item):
        await asyncio.sleep(0)
        handled.append(item)


    def produce(loop, items):
        for item in items:
            loop.call_soon_threadsafe(loop.create_task, handle(item))


    def start(loop, items):
        thread = threading.Thread(target=produce, args=(loop, items))
        thread.start()
        return thread
    """
)


def test_scheduled_spawn_is_reported_without_a_fix() -> None:
    """The loop throws away what a scheduled callback returns: no statement can keep the
    task there, so the finding says why and nothing is rewritten, even with unsafe fixes."""
    outcome = fixed(SCHEDULED_FROM_THREAD, RULES, unsafe=True)
    assert outcome.new_source is None
    assert [(f.code, f.fix, f.fixed, f.line) for f in outcome.findings] == [
        ("CF303", None, False, 14)
    ]
    assert "no fix: the loop throws away what the callback returns" in outcome.findings[0].message
    ns = load(SCHEDULED_FROM_THREAD)

    async def scenario(messages: list[str]) -> None:
        await asyncio.to_thread(ns["start"](asyncio.get_running_loop(), [1, 2]).join)
        await settle()

    run(scenario)
    assert ns["handled"] == [1, 2], "the shape it flags does spawn the tasks"
