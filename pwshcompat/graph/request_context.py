"""The request context: the retry and timeout settings every Graph call uses.

Defaults are the original's (Microsoft.Graph.Authentication ``SetMgRequestContext``, PR #1584;
Kiota ``RetryHandlerOption``): ``MaxRetry`` 3, ``RetryDelay`` 3 s, ``RetriesTimeLimit`` 0 s (no
limit), ``ClientTimeout`` 300 s. The commands that read and change them, ``Get-MgRequestContext``
and ``Set-MgRequestContext``, are :mod:`pwshcompat.cmdlets.request_context` (their spec holds the
ranges the binder checks); ``Connect-MgGraph -ClientTimeout`` sets the timeout through
:func:`set_client_timeout`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["RequestContext", "current", "reset", "set_client_timeout", "update"]


@dataclass(frozen=True)
class RequestContext:
    """Retry and timeout settings; times in seconds."""

    max_retry: int = 3
    retry_delay: float = 3.0
    retries_time_limit: float = 0.0
    client_timeout: float = 300.0


_lock = threading.Lock()
_current = RequestContext()


def current() -> RequestContext:
    """The settings in force in this process."""
    return _current


def update(**changes: Any) -> RequestContext:
    """Replace some settings (``max_retry=``, ``retry_delay=``, ...); returns the new context.

    Raises TypeError for a name that is not a field of :class:`RequestContext`."""
    global _current
    with _lock:
        _current = replace(_current, **changes)
        return _current


def reset() -> RequestContext:
    """Back to the defaults (used by tests and Disconnect-style resets)."""
    global _current
    with _lock:
        _current = RequestContext()
        return _current


def set_client_timeout(seconds: float) -> None:
    """``Connect-MgGraph -ClientTimeout``: the timeout of every following request, in seconds."""
    update(client_timeout=float(seconds))
