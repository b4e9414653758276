"""Wall-clock deadlines for HTTP requests and whole extracts.

Socket timeouts bound each connect and each read, but a server that trickles one byte every few
seconds never trips a per-read timeout. :func:`request_deadline` bounds a whole request (status
line, headers and body): a timer shuts the request's socket down when the time is up, which ends
any blocking read at once. The socket is handed over by the connection classes of
:class:`DeadlineAdapter` (mount it on the session) when they start reading the response.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from fuelopt.errors import SourceUnavailable

_current = threading.local()


class DeadlineExceeded(SourceUnavailable):
    """A request or a whole extract overran its configured deadline (transient: retried)."""


class _Watch:
    """Shuts down the watched socket ``seconds`` after it starts, unless cancelled first."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired:
                _shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            _shutdown(self._sock)


def _shutdown(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def request_deadline(seconds: float) -> Iterator[_Watch]:
    """Within the block, the response of a request sent through a :class:`DeadlineAdapter` is
    cut off ``seconds`` after the block starts; ``watch.fired`` tells whether it was."""
    watch = _Watch(seconds)
    _current.watch = watch
    watch._timer.start()
    try:
        yield watch
    finally:
        watch._timer.cancel()
        _current.watch = None


class _Watched:
    def getresponse(self, *args, **kwargs):
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.attach(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections honour :func:`request_deadline`."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class LoadDeadline:
    """The end of a whole extract: ``remaining()`` seconds, :class:`DeadlineExceeded` after."""

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds, self.what = seconds, what
        self.end = time.monotonic() + seconds

    def remaining(self, where: str) -> float:
        """Seconds left; once none are, raises naming ``where`` (e.g. the page)."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(
                f"{self.what} {where}: the extract did not finish within {self.seconds:g} s "
                "(sources.postgrest.load_timeout_seconds)"
            )
        return left
