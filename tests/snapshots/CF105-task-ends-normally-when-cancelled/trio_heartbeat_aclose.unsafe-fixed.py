import logging

import trio

log = logging.getLogger(__name__)


async def heartbeat(stream: trio.abc.Stream, interval: float = 5.0) -> None:
    while True:
        try:
            await stream.send_all(b"PING\n")
            with trio.fail_after(interval):
                reply = await stream.receive_some(64)
            if reply.strip() != b"PONG":
                log.warning("unexpected heartbeat reply %r", reply)
        except trio.Cancelled:
            await stream.aclose()
            raise
        except BaseException:
            log.exception("heartbeat failed, closing stream")
            await stream.aclose()
            return
        await trio.sleep(interval)
