"""The current connection: what the Graph client sends requests through.

``Connect-MgGraph`` (:mod:`pwshcompat.auth`) makes a connection and installs it here with
:func:`set_current`; the Graph client reads it with :func:`current` before each command. The client
needs only what :class:`Connection` names, so this package never imports the sign-in code: the
connection of a sign-in is :class:`pwshcompat.auth.context.GraphContext`, and a test or another
host may install any object of that shape.

One connection per process, as the original keeps one ``GraphSession.Instance.AuthContext``.
"""

from __future__ import annotations

import threading
from typing import Protocol

__all__ = ["Connection", "current", "set_current"]


class Connection(Protocol):
    """What the Graph client asks of a connection."""

    @property
    def graph_endpoint(self) -> str:
        """The environment's Graph endpoint (``https://graph.microsoft.com``, an emulator's URL)."""
        ...

    @property
    def tenant_id(self) -> str | None:
        """The tenant signed in to (None when not known); with ``client_id``, it picks the shared pacer."""
        ...

    @property
    def client_id(self) -> str | None:
        """The application signed in as (None when not known)."""
        ...

    def get_token(self, force_refresh: bool = False) -> str:
        """A bearer token for Graph; ``force_refresh`` asks for a new one (after a 401)."""
        ...


_current: Connection | None = None
_lock = threading.Lock()


def current() -> Connection | None:
    """The connection of the last ``Connect-MgGraph`` in this process, or None."""
    return _current


def set_current(connection: Connection | None) -> Connection | None:
    """Install ``connection`` (None disconnects); returns the one it replaced."""
    global _current
    with _lock:
        previous, _current = _current, connection
    return previous
