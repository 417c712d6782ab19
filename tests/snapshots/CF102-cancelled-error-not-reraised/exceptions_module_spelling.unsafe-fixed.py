import asyncio
import asyncio.exceptions
import signal


async def wait_for_shutdown_signal(loop: asyncio.AbstractEventLoop) -> str:
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await stop.wait()
    except asyncio.exceptions.CancelledError:
        received.append("cancelled")
        raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return received[0]
