"""pwshcompat: Microsoft Graph PowerShell's presence cmdlets (both modules, 54 cmdlets) with a Python core.

Every cmdlet ``Verb-Noun`` is available as the function ``Verb_Noun`` taking the cmdlet's
parameters as keyword-only arguments (generated signatures: ``help(pwshcompat.Get_MgBetaUserPresence)``
lists them with their types), and as ``invoke("Verb-Noun", **kwargs)``::

    import pwshcompat
    pwshcompat.Connect_MgGraph(Environment="Global", AccessToken=token)
    pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
        PresenceId=user_id, Availability="Busy", Activity="Busy", PassThru=True)
    presence = pwshcompat.Get_MgUserPresence(UserId=user_id)
    presence.Availability, presence.AdditionalProperties.get("sequenceNumber")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

#: pwshcompat's own version (pyproject.toml's, which tests/core/test_version.py holds it to); the
#: PowerShell modules mirror Microsoft Graph PowerShell 2.25.0, a version of their own.
__version__ = "0.1.0"

from .errors import CommandError, ErrorCategory, ErrorRecord, ParameterBindingError, PSError, PSWarning, TerminatingError

_CMDLETS: tuple[str, ...]
try:
    from ._generated.names import CMDLETS as _CMDLETS
except ImportError:  # a checkout before its first scripts/generate
    _CMDLETS = ()

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
    # One function per cmdlet, generated from the specs (pwshcompat/_generated/cmdlets.py).
    *_CMDLETS,
]


if TYPE_CHECKING:
    from ._generated.cmdlets import *  # noqa: F401,F403
    from .api import invoke, invoke_pipeline, variables

# The Python API (and its binder) is imported on first use: the PowerShell host imports
# pwshcompat.bridge, which never needs it, and that keeps the module's cold start short.
_API = frozenset({"invoke", "invoke_pipeline", "variables"})
_GENERATED = frozenset(_CMDLETS)


def __dir__() -> list[str]:
    """What is defined so far plus every exported name, so ``dir()`` and REPL/IDE completion list the
    cmdlet functions before their first use (they are made by :func:`__getattr__`)."""
    return sorted(set(globals()) | set(__all__))


def __getattr__(attr: str) -> Callable[..., Any]:
    """``invoke`` and co. from :mod:`pwshcompat.api`; ``Verb_Noun`` -> the cmdlet's function."""
    if attr in _API:
        from . import api

        value = getattr(api, attr)
        globals()[attr] = value
        return value  # type: ignore[no-any-return]
    if attr in _GENERATED:
        from ._generated import cmdlets

        function: Callable[..., Any] = getattr(cmdlets, attr)
        globals()[attr] = function  # later lookups skip this function
        return function
    if "_" not in attr or attr.startswith("_"):
        raise AttributeError(attr)
    # A command without a generated function (a spec added since the last scripts/generate).
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
    globals()[attr] = cmdlet
    return cmdlet
