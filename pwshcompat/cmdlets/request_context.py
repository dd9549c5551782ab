"""Get-MgRequestContext and Set-MgRequestContext: read and change the request context
(:mod:`pwshcompat.graph.request_context`, the retry and timeout settings every Graph call uses).

Both write the original's ``RequestContext`` object (:class:`RequestContextInfo`; in PowerShell a
``Microsoft.Graph.PowerShell.Authentication.Models.RequestContext`` with ClientTimeout, RetryDelay,
MaxRetry and RetriesTimeLimit, so ``Get-MgRequestContext | Select-Object MaxRetry`` works).
Set-MgRequestContext's ranges (``MaxRetry`` 0..10, ``RetryDelay`` 0..180 s) are in its spec, checked
by the binder before the command runs.

    >>> import pwshcompat
    >>> pwshcompat.invoke("Set-MgRequestContext", MaxRetry=5).MaxRetry
    5
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..commands import command
from ..conversion import TICKS_PER_SECOND, TimeSpan
from ..graph import request_context
from ..runtime import CommandRuntime

__all__ = ["RequestContextInfo", "get_mg_request_context", "set_mg_request_context"]


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

    @classmethod
    def of(cls, settings: request_context.RequestContext) -> "RequestContextInfo":
        """The object the cmdlets write for ``settings``."""
        return cls(
            ClientTimeout=TimeSpan(round(settings.client_timeout * TICKS_PER_SECOND)),
            RetryDelay=int(settings.retry_delay) if float(settings.retry_delay).is_integer() else settings.retry_delay,
            MaxRetry=settings.max_retry,
            RetriesTimeLimit=TimeSpan(round(settings.retries_time_limit * TICKS_PER_SECOND)),
        )

    def __getitem__(self, name: str) -> Any:
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


@command("Get-MgRequestContext")
def get_mg_request_context(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    runtime.write_object(RequestContextInfo.of(request_context.current()))


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
    runtime.write_object(RequestContextInfo.of(request_context.update(**changes)))
