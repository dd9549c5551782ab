"""pwshcompat: Microsoft Graph's Set-MgBetaCommunicationPresenceUserPreferredPresence with a Python core.

Every cmdlet ``Verb-Noun`` is available as the function ``Verb_Noun`` taking the cmdlet's
parameters as keyword arguments, and as ``invoke("Verb-Noun", **kwargs)``::

    import pwshcompat
    pwshcompat.Connect_MgGraph(Environment="Global", AccessToken=token)
    pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
        PresenceId=user_id, Availability="Busy", Activity="Busy", PassThru=True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from .errors import CommandError, ErrorCategory, ErrorRecord, ParameterBindingError, PSError, PSWarning, TerminatingError

__all__ = [
    "invoke",
    "invoke_pipeline",
    "variables",
    "ParameterBindingError",
    "CommandError",
    "ErrorCategory",
    "ErrorRecord",
    "PSError",
    "PSWarning",
    "TerminatingError",
    # One function per registered cmdlet (made on first use by __getattr__ below).
    "Add_MgEnvironment",
    "Connect_MgGraph",
    "Disconnect_MgGraph",
    "Get_MgContext",
    "Get_MgEnvironment",
    "Get_MgRequestContext",
    "Invoke_MgGraphRequest",
    "Remove_MgEnvironment",
    "Set_MgBetaCommunicationPresenceUserPreferredPresence",
    "Set_MgEnvironment",
    "Set_MgRequestContext",
]


if TYPE_CHECKING:
    from .api import invoke, invoke_pipeline, variables

# The Python API (and its binder) is imported on first use: the PowerShell host imports
# pwshcompat.bridge, which never needs it, and that keeps the module's cold start short.
_API = frozenset({"invoke", "invoke_pipeline", "variables"})


def __getattr__(attr: str) -> Callable[..., Any]:
    """``invoke`` and co. from :mod:`pwshcompat.api`; ``Verb_Noun`` -> a function that invokes ``Verb-Noun``."""
    if attr in _API:
        from . import api

        value = getattr(api, attr)
        globals()[attr] = value
        return value  # type: ignore[no-any-return]
    if "_" not in attr or attr.startswith("_"):
        raise AttributeError(attr)
    from . import commands

    name = attr.replace("_", "-", 1)
    try:
        cmd = commands.get(name)
    except PSError:
        raise AttributeError(attr) from None

    from .api import invoke

    def cmdlet(**kwargs: Any) -> Any:
        return invoke(cmd.name, **kwargs)

    cmdlet.__name__ = attr
    cmdlet.__doc__ = (f"Invoke the cmdlet {cmd.name} with its parameter names (any case, prefixes, aliases or "
                      "snake_case) as keyword arguments; see pwshcompat.api.")
    globals()[attr] = cmdlet  # later lookups skip this function
    return cmdlet
