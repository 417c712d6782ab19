"""A test that wants the CancelledError around a guarded wait: left alone."""

import asyncio
import contextlib

import pytest


async def test_stop_raises_cancelled() -> None:
    task = asyncio.create_task(asyncio.sleep(10))
    try:
        await asyncio.sleep(0)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        try:
            await task
        except asyncio.CancelledError:
            raise
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise asyncio.CancelledError
