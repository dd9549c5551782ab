"""Commands of Microsoft.Graph.Authentication: Add-MgEnvironment, Connect-MgGraph."""

from __future__ import annotations

from typing import Any

from ..commands import command
from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from ..runtime import CommandRuntime
from . import context, environments


@command("Add-MgEnvironment")
def add_mg_environment(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    env = environments.Environment(
        name=bound["Name"],
        azure_ad_endpoint=str(bound.get("AzureADEndpoint", "")).rstrip("/"),
        graph_endpoint=str(bound["GraphEndpoint"]).rstrip("/"),
    )
    runtime.write_object(environments.add(env))


@command("Connect-MgGraph")
def connect_mg_graph(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    env_name = bound.get("Environment") or "Global"
    env = environments.find(env_name)
    if env is None:
        raise TerminatingError(
            ErrorRecord(f"Unable to find environment with name '{env_name}'.", "", ErrorCategory.InvalidArgument, env_name)
        )
    token = bound.get("AccessToken")
    if not token:
        raise TerminatingError(ErrorRecord("Only -AccessToken is supported so far.", "", ErrorCategory.NotImplemented))
    context.set_current(context.GraphContext(env, "UserProvidedAccessToken", "UserProvidedAccessToken", str(token)))
