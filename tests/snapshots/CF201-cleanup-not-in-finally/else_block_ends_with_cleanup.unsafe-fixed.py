import asyncio
import logging

log = logging.getLogger(__name__)


class BannerGrabber:
    def __init__(self, timeout: float = 3.0) -> None:
        self.timeout = timeout
        self.banners: dict[tuple[str, int], str] = {}

    async def grab(self, host: str, port: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            line = await asyncio.wait_for(reader.readline(), self.timeout)
        except asyncio.TimeoutError:
            log.info("%s:%d sent no banner", host, port)
        else:
            self.banners[host, port] = line.decode("latin-1").strip()
        finally:
            writer.close()
            await writer.wait_closed()
