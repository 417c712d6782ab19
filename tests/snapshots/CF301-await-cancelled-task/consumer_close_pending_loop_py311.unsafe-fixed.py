# cancelfix: target-version=py311
"""A stop, a statement that does not await, then a loop stopping each pending request in turn:
one group. Cancelled while it waits for the poller, `close()` used to leave the pending
requests running for ever: every task of the group is now cancelled before the first wait,
and the waits stay where they were (the wake-up still follows the poller's end). A
cancellation of the caller while it waits now skips the wake-up: the fix is unsafe."""

import asyncio


class Consumer:
    async def close(self) -> None:
        self._closed = True
        self._poller.cancel()
        cancelled = []
        for request in self._requests:
            request.cancel()
            cancelled.append(request)
        task = self._poller
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise

        # Wake whoever waits for records.
        for waiter in self._waiters:
            waiter.set_result(None)

        for request in cancelled:
            cancelling = asyncio.current_task().cancelling()
            try:
                await request
            except asyncio.CancelledError:
                if not request.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
