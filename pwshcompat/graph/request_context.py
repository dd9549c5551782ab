"""The request context: retry and timeout settings every Graph call uses, and the commands
``Get-MgRequestContext`` / ``Set-MgRequestContext`` that read and change it.

Defaults and limits are the original's (Microsoft.Graph.Authentication ``SetMgRequestContext``,
PR #1584; Kiota ``RetryHandlerOption``): ``MaxRetry`` 3 (0..10), ``RetryDelay`` 3 s (0..180),
``RetriesTimeLimit`` 0 s (no limit), ``ClientTimeout`` 300 s. ``Connect-MgGraph -ClientTimeout``
sets the timeout through :func:`set_client_timeout`.

Both write the original's ``RequestContext`` object (:class:`RequestContextInfo`; in PowerShell a
``Microsoft.Graph.PowerShell.Authentication.Models.RequestContext`` with ClientTimeout, RetryDelay,
MaxRetry and RetriesTimeLimit, so ``Get-MgRequestContext | Select-Object MaxRetry`` works).

    >>> import pwshcompat
    >>> pwshcompat.invoke("Set-MgRequestContext", MaxRetry=5).MaxRetry
    5
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from ..commands import command
from ..conversion import TICKS_PER_SECOND, TimeSpan
from ..runtime import CommandRuntime

__all__ = ["RequestContext", "RequestContextInfo", "current", "reset", "set_client_timeout", "update"]

MAX_RETRY_LIMIT = 10
MAX_DELAY_SECONDS = 180


@dataclass(frozen=True)
class RequestContext:
    """Retry and timeout settings; times in seconds."""

    max_retry: int = 3
    retry_delay: float = 3.0
    retries_time_limit: float = 0.0
    client_timeout: float = 300.0

    def to_output(self) -> "RequestContextInfo":
        """The object the cmdlets write (see :class:`RequestContextInfo`)."""
        return RequestContextInfo(
            ClientTimeout=TimeSpan(round(self.client_timeout * TICKS_PER_SECOND)),
            RetryDelay=int(self.retry_delay) if float(self.retry_delay).is_integer() else self.retry_delay,
            MaxRetry=self.max_retry,
            RetriesTimeLimit=TimeSpan(round(self.retries_time_limit * TICKS_PER_SECOND)),
        )


@dataclass(frozen=True)
class RequestContextInfo:
    """What Get-/Set-MgRequestContext write: the original's RequestContext, its properties in order
    (ClientTimeout and RetriesTimeLimit as TimeSpan, RetryDelay in seconds, MaxRetry a count).
    Items can be read by name too (``info["MaxRetry"]``)."""

    PS_TYPE_NAME: ClassVar[str] = "Microsoft.Graph.PowerShell.Authentication.Models.RequestContext"

    ClientTimeout: TimeSpan
    RetryDelay: int | float
    MaxRetry: int
    RetriesTimeLimit: TimeSpan

    def __getitem__(self, name: str) -> Any:
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


_lock = threading.Lock()
_current = RequestContext()


def current() -> RequestContext:
    return _current


def update(**changes: Any) -> RequestContext:
    """Replace some settings (``max_retry=``, ``retry_delay=``, ...); returns the new context."""
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
    """``Connect-MgGraph -ClientTimeout``: the timeout of every following request."""
    update(client_timeout=float(seconds))


@command("Get-MgRequestContext")
def get_mg_request_context(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    runtime.write_object(current().to_output())


def _seconds(value: Any) -> float:
    if isinstance(value, TimeSpan):
        return value.ticks / TICKS_PER_SECOND
    return float(value)


@command("Set-MgRequestContext")
def set_mg_request_context(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    """Values were range-checked by the binder (spec: ValidateRange); only given ones change."""
    changes: dict[str, Any] = {}
    if bound.get("MaxRetry") is not None:
        changes["max_retry"] = int(bound["MaxRetry"])
    if bound.get("RetryDelay") is not None:
        changes["retry_delay"] = _seconds(bound["RetryDelay"])
    if bound.get("RetriesTimeLimit") is not None:
        changes["retries_time_limit"] = _seconds(bound["RetriesTimeLimit"])
    if bound.get("ClientTimeout") is not None:
        changes["client_timeout"] = _seconds(bound["ClientTimeout"])
    runtime.write_object(update(**changes).to_output())
