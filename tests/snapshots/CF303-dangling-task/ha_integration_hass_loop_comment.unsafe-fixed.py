"""Support for Acme smart plugs."""

from __future__ import annotations

import logging
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant

from .api import AcmeHub

_background_tasks: set[object] = set()

_LOGGER = logging.getLogger(__name__)

SCAN_INTERVAL = timedelta(seconds=30)


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    hub = AcmeHub(entry.data["host"], entry.data["token"])
    await hub.async_connect()

    def _on_stop(event: Event) -> None:
        task = hass.loop.create_task(hub.async_disconnect())  # close the session on shutdown
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop))
    return True
