import asyncio
import logging

log = logging.getLogger(__name__)


class Downloader:
    def __init__(self, session, retries: int = 3) -> None:
        self.session = session
        self.retries = retries
        self.shutting_down = False

    async def download(self, url: str, dest) -> bool:
        try:
            async with self.session.get(url) as response:
                async for chunk in response.content.iter_chunked(65536):
                    dest.write(chunk)
            return True
        except asyncio.CancelledError:
            if self.shutting_down:
                log.info("download of %s stopped for shutdown", url)
                raise
            else:
                log.warning("download of %s interrupted", url)
            raise
        dest.truncate(0)
        return False
