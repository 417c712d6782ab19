"""SIGINT and SIGTERM during a run: stop between files, never while one is being written.

The command installs `Interrupts` around a run; a caller from Python may do the same, or leave
its own handlers in force (then a Ctrl-C is its `KeyboardInterrupt`, and the writer still holds
the signals back while a temporary file has a name).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while files were being run (a BaseException, as Ctrl-C is)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class Interrupts:
    """SIGINT and SIGTERM during a run become `Interrupted`, raised between files, never while
    one is being written: its write completes (the writer also holds the signals back while a
    temporary file has a name), and the run stops. Exit code 128 + the signal, as a shell says.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.deferring = False
        self.pending: int | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.deferring:
            self.pending = self.pending or signum
            return
        raise Interrupted(signum)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread may set handlers; its own stay in force
            return
        previous = {}
        for signum in self.SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # `nohup`, `&`: stay ignored
                previous[signum] = signal.signal(signum, self._handle)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending is not None:
            raise Interrupted(self.pending)
