import json
import logging
import time

from gmqtt import Client as MQTTClient

log = logging.getLogger(__name__)


class FirmwareAnnouncer:
    def __init__(self, broker: str, audit, client_id: str = "fw-announcer"):
        self._broker = broker
        self._audit = audit
        self._client_id = client_id
        self.published = 0

    async def announce(self, fleet: str, version: str, url: str) -> None:
        client = MQTTClient(self._client_id)
        try:
            await client.connect(self._broker, keepalive=30)
            payload = json.dumps({"version": version, "url": url, "ts": time.time()})
            client.publish(f"fleet/{fleet}/firmware", payload, qos=1, retain=True)
        finally:
            await client.disconnect()
        self.published += 1
        await self._audit.record("firmware.announced", fleet=fleet, version=version)
        log.info("announced firmware %s to fleet %s", version, fleet)
