from camfeed import open_stream


class CameraLog:
    def __init__(self, session, url: str) -> None:
        self._session = session
        self._url = url

    async def last_line(self) -> str:
        stream = await open_stream(self._url, websession=self._session)
        try:
            line = await stream.readline()
        finally:
            await stream.aclose()
        return line
