import logging
import uuid
from asyncio import exceptions, get_running_loop

log = logging.getLogger(__name__)


class RpcClient:
    def __init__(self, transport):
        self._transport = transport
        self._pending = {}

    async def call(self, method: str, **params):
        call_id = uuid.uuid4().hex
        future = get_running_loop().create_future()
        self._pending[call_id] = future
        try:
            await self._transport.send({"id": call_id, "method": method, "params": params})
            return await future
        except exceptions.TimeoutError:
            log.warning("rpc %s timed out", method)
            return None
        except exceptions.CancelledError:
            raise
        except BaseException:
            log.exception("rpc %s failed", method)
            return None
        finally:
            self._pending.pop(call_id, None)
