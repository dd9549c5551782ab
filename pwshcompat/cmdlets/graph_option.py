"""Get-MgGraphOption and Set-MgGraphOption: read and change the SDK-wide options saved in
``~/.mg/mg.graphoptions.json`` (:mod:`pwshcompat.auth.graph_options`).

As the original 2.25.0 (auth-and-pain.md §C.2b; ``SetMgGraphOption.cs``, ``GetMgGraphOption.cs``):
Set-MgGraphOption has one parameter, ``-EnableLoginByWAM <bool>``; when it is given, the option
changes and a debug line says ``Signin by Web Account Manager (WAM) is enabled.`` (or
``disabled.``); the file is written either way and nothing goes to the pipeline.
Get-MgGraphOption writes the options object (:class:`GraphOption`; in PowerShell a
``Microsoft.Graph.PowerShell.Authentication.GraphOption`` with the property ``EnableWAMForMSGraph``).

Ours adds a second debug line to Set-MgGraphOption: the option is stored but changes nothing about
sign-in here (pwshcompat signs in with msal, never through WAM). A debug line, not a verbose one:
under ``-Debug`` PowerShell asks (Inquire) before each verbose record of a command, which fails in a
non-interactive session. No warning: the original prints none.

    >>> import pwshcompat
    >>> pwshcompat.invoke("Set-MgGraphOption", EnableLoginByWAM=True)
    >>> pwshcompat.invoke("Get-MgGraphOption").EnableWAMForMSGraph
    True
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from ..auth import graph_options
from ..commands import command
from ..runtime import CommandRuntime

__all__ = ["GraphOption", "get_mg_graph_option", "set_mg_graph_option"]

#: Our debug line on Set-MgGraphOption (the original has no such line; it has WAM to use).
NO_EFFECT = ("pwshcompat signs in with MSAL (browser, device code, certificate, secret, managed identity or a "
             "given token) and never through the Web Account Manager, so this option is saved and reported by "
             "Get-MgGraphOption but does not change how Connect-MgGraph signs in.")


@dataclass(frozen=True)
class GraphOption:
    """What Get-MgGraphOption writes: the original's GraphOption at 2.25.0, one bool property
    (``EnableWAMForMSGraph``, what ``-EnableLoginByWAM`` last saved; False when never set).
    It can be read by name too (``option["EnableWAMForMSGraph"]``)."""

    PS_TYPE_NAME: ClassVar[str] = "Microsoft.Graph.PowerShell.Authentication.GraphOption"

    EnableWAMForMSGraph: bool

    @classmethod
    def of(cls, options: graph_options.GraphOptions) -> "GraphOption":
        """The object Get-MgGraphOption writes for ``options``."""
        return cls(EnableWAMForMSGraph=options.enable_wam_for_ms_graph)

    def __getitem__(self, name: str) -> Any:
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        return getattr(self, name)


@command("Get-MgGraphOption")
def get_mg_graph_option(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    runtime.write_object(GraphOption.of(graph_options.load(warn=runtime.write_warning)))


@command("Set-MgGraphOption")
def set_mg_graph_option(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    """``EnableLoginByWAM`` arrives as a bool (PowerShell's binder or ours converted it: only
    $true/$false and numbers bind, as for the original's bool parameter)."""
    wanted = bound.get("EnableLoginByWAM")
    enable = None if wanted is None else bool(wanted)
    graph_options.update(runtime.write_warning, enable_wam_for_ms_graph=enable)
    if enable is not None:
        runtime.write_debug(f"Signin by Web Account Manager (WAM) is {'enabled' if enable else 'disabled'}.")
        runtime.write_debug(NO_EFFECT)
