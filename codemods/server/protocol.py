"""pygls' protocol, less a leak: it files the future of every notification it handles (each
`didChange`) among the futures of pending requests, and never takes it out again (pygls 2.1:
`JsonRPCProtocol._execute_handler` with `_check_handler_result`). Over a day of typing that is
tens of megabytes."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from pygls.protocol import LanguageServerProtocol


class Protocol(LanguageServerProtocol):
    def _check_handler_result(self, future: Future[Any]) -> None:
        super()._check_handler_result(future)
        done = [key for key, pending in self._request_futures.items() if pending is future]
        for key in done:
            del self._request_futures[key]
