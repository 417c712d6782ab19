import asyncio
import logging

import asyncssh

log = logging.getLogger(__name__)


class RemoteHost:
    def __init__(self, host: str, username: str = "deploy") -> None:
        self.host = host
        self.username = username
        self.platform: str | None = None
        self._conn: asyncssh.SSHClientConnection | None = None

    async def connect(self) -> None:
        conn = await asyncssh.connect(self.host, username=self.username, known_hosts=None)
        try:
            result = await conn.run("uname -s", check=True, timeout=10)
        except BaseException:
            conn.close()
            log.exception("probing %s failed", self.host)
            raise
        self.platform = result.stdout.strip()
        self._conn = conn

    async def run(self, command: str) -> str:
        assert self._conn is not None, "connect() first"
        result = await self._conn.run(command, check=True, timeout=120)
        return result.stdout
