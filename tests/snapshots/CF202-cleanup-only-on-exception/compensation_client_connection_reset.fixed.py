import logging

log = logging.getLogger(__name__)


class RedisClient:
    def __init__(self, connector) -> None:
        self._connector = connector
        self._connection = None

    async def ensure_connected(self) -> None:
        self._connection = await self._connector.open()
        try:
            await self._connection.send_command("HELLO", 3)
            await self._connection.read_response()
        except BaseException:
            log.debug("handshake failed, dropping the connection")
            self._connection = None
            raise
