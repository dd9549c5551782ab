"""Commands of Microsoft.Graph.Authentication: the connection and the environments.

Connect-MgGraph, Disconnect-MgGraph, Get-MgContext, Get-/Add-/Set-/Remove-MgEnvironment.
Facts (messages, error ids, what each writes) from auth-and-pain.md §A–§B.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlparse

from ..auth import connect as connect_flow
from ..auth import context, environments
from ..commands import command
from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from ..runtime import CommandRuntime

__all__ = ["connect_mg_graph", "disconnect_mg_graph", "get_mg_context", "get_mg_environment", "add_mg_environment",
           "set_mg_environment", "remove_mg_environment"]


@command("Connect-MgGraph", default_parameter_set=connect_flow.USER)
def connect_mg_graph(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    connect_flow.connect(parameter_set, bound, runtime)


@command("Disconnect-MgGraph")
def disconnect_mg_graph(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    """Forget the connection; for CurrentUser scope also the persisted token cache and auth record."""
    previous = context.set_current(None)
    if previous is None:
        runtime.write_error(ErrorRecord("No application to sign out from.", "NoApplicationToSignOutFrom",
                                        ErrorCategory.InvalidOperation))
        return
    if previous.context_scope == "CurrentUser":
        from ..auth import token_cache

        token_cache.delete_persisted()
    runtime.write_object(previous.info())


@command("Get-MgContext")
def get_mg_context(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    """The current connection's description (never its token), or nothing when not connected."""
    current = context.current()
    if current is not None:
        runtime.write_object(current.info())


def _endpoint(bound: dict[str, Any], key: str, required: bool) -> str | None:
    """An endpoint must be an absolute http(s) URL; it is stored without a trailing slash."""
    value = bound.get(key)
    if value is None and not required:
        return None
    text = str(value or "").strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise TerminatingError(ErrorRecord(
            f"Cannot validate argument on parameter '{key}'. '{text}' is not an absolute http or https URL.",
            "ParameterArgumentValidationError", ErrorCategory.InvalidArgument, text))
    return text.rstrip("/")


def _name(bound: dict[str, Any]) -> str:
    name = str(bound.get("Name") or "").strip()
    if not name:
        raise TerminatingError(ErrorRecord("Cannot bind argument to parameter 'Name' because it is an empty string.",
                                           "ParameterArgumentValidationErrorEmptyStringNotAllowed",
                                           ErrorCategory.InvalidData, "Name"))
    return name


def _changeable(name: str, saved: bool, warn: Callable[[str], None] | None = None) -> None:
    """Refuse the name of a built-in environment and, with ``saved``, one nobody added (after the
    arguments' own checks, as the original's binding comes before its command)."""
    if name.lower() in environments.BUILT_IN:
        raise TerminatingError(ErrorRecord(f"Cannot modify or remove the built-in environment '{name}'.",
                                           "CannotModifyBuiltInEnvironment", ErrorCategory.InvalidOperation, name))
    if saved and environments.find(name, warn) is None:
        raise TerminatingError(environments.not_found(name))


@command("Get-MgEnvironment")
def get_mg_environment(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    name = bound.get("Name")
    for env in environments.list_all(runtime.write_warning):
        if name is None or env.name.lower() == str(name).lower():
            runtime.write_object(env.to_output())


@command("Add-MgEnvironment")
def add_mg_environment(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    name = _name(bound)
    aad = _endpoint(bound, "AzureADEndpoint", True)
    graph = _endpoint(bound, "GraphEndpoint", True)
    _changeable(name, saved=False)
    if runtime.should_process(name, "Add environment"):
        env = environments.add(environments.Environment(name, aad or "", graph or ""), runtime.write_warning)
        runtime.write_object(env.to_output())


@command("Set-MgEnvironment")
def set_mg_environment(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    name = _name(bound)
    aad = _endpoint(bound, "AzureADEndpoint", False)
    graph = _endpoint(bound, "GraphEndpoint", False)
    _changeable(name, saved=True, warn=runtime.write_warning)
    if runtime.should_process(name, "Update environment"):
        runtime.write_object(environments.update(name, aad, graph, runtime.write_warning).to_output())


@command("Remove-MgEnvironment")
def remove_mg_environment(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    name = _name(bound)
    _changeable(name, saved=True, warn=runtime.write_warning)
    if runtime.should_process(name, "Remove environment"):
        environments.remove(name, runtime.write_warning)
