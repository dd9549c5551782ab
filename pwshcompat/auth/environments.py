"""Graph environments: the national clouds, the local emulator and user-defined ones.

Facts from auth-and-pain.md §B.3 (``GraphEnvironmentConstants.cs``, ``GraphSettings.cs``):
built-ins Global, USGov, USGovDoD and China with their sign-in and Graph endpoints; names are
case-insensitive; user-defined environments are saved to ``~/.mg/mg.context.json`` as indented
JSON of the environment table with the built-ins left out, so they survive the process.

One built-in is ours: ``Emulator`` stands for the process-wide local emulator
(:func:`pwshcompat.emulator.embedded.shared`, or the one an ``embedded.serving`` block names). Its
endpoints are only known once that emulator runs, so it is listed with empty endpoints until
:func:`resolve` starts it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterator

from . import paths

if TYPE_CHECKING:
    from ..emulator.server import Emulator
    from ..errors import ErrorRecord

__all__ = [
    "BUILT_IN",
    "EMULATOR",
    "Environment",
    "add",
    "find",
    "list_all",
    "not_found",
    "for_graph_endpoint",
    "remove",
    "resolve",
    "update",
]

BUILT_IN_TYPE = "Built-in"
USER_DEFINED_TYPE = "User-defined"
EMULATOR = "Emulator"


@dataclass(frozen=True)
class Environment:
    """One cloud: where to sign in and where Graph is.

    ``ca_bundle`` is not part of the original's model: it names a CA file to trust for the
    sign-in endpoint (only the embedded emulator sets it; everything else uses the system store).
    """

    name: str
    azure_ad_endpoint: str
    graph_endpoint: str
    type: str = USER_DEFINED_TYPE
    ca_bundle: str | None = None

    @property
    def is_built_in(self) -> bool:
        return self.type == BUILT_IN_TYPE

    def to_output(self) -> "GraphEnvironment":
        return GraphEnvironment(self.name, self.azure_ad_endpoint, self.graph_endpoint, self.type)


@dataclass
class GraphEnvironment:
    """What the environment cmdlets write: the original's ``GraphEnvironment`` properties, in order."""

    PS_TYPE_NAME: ClassVar[str] = "Microsoft.Graph.PowerShell.Authentication.GraphEnvironment"

    Name: str
    AzureADEndpoint: str
    GraphEndpoint: str
    Type: str


BUILT_IN: dict[str, Environment] = {
    e.name.lower(): e
    for e in (
        Environment("Global", "https://login.microsoftonline.com", "https://graph.microsoft.com", BUILT_IN_TYPE),
        Environment("China", "https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn", BUILT_IN_TYPE),
        Environment("USGov", "https://login.microsoftonline.us", "https://graph.microsoft.us", BUILT_IN_TYPE),
        Environment("USGovDoD", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us", BUILT_IN_TYPE),
        Environment(EMULATOR, "", "", BUILT_IN_TYPE),
    )
}


def _emulator_environment(emu: "Emulator") -> Environment:
    return Environment(EMULATOR, emu.login_url, emu.graph_url, BUILT_IN_TYPE, ca_bundle=emu.ca_bundle)


def _built_in(key: str) -> Environment | None:
    if key == EMULATOR.lower():
        # The emulator the environment stands for now (pwshcompat.emulator.embedded.current), if one
        # runs; the module is only loaded once something started an emulator through it.
        embedded = sys.modules.get("pwshcompat.emulator.embedded")
        emu = embedded.current() if embedded is not None else None
        if emu is not None:
            return _emulator_environment(emu)
    return BUILT_IN.get(key)


def _load_custom() -> dict[str, Environment]:
    """Read the user-defined environments; a missing or unreadable file means none."""
    try:
        data = json.loads(paths.context_settings().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    table = data.get("EnvironmentTable", {}) if isinstance(data, dict) else {}
    found: dict[str, Environment] = {}
    for entry in table.values() if isinstance(table, dict) else ():
        if isinstance(entry, dict) and entry.get("Name"):
            found[str(entry["Name"]).lower()] = Environment(
                str(entry["Name"]), str(entry.get("AzureADEndpoint") or ""), str(entry.get("GraphEndpoint") or ""))
    return found


def _save_custom(table: dict[str, Environment]) -> None:
    """Write the table atomically (write a temp file, then rename); callers hold ``paths.locked``,
    which stands for the original's exclusive-write file protection."""
    path = paths.context_settings()
    paths.ensure_graph_directory()
    body = {"EnvironmentTable": {
        e.name: {"Name": e.name, "AzureADEndpoint": e.azure_ad_endpoint, "GraphEndpoint": e.graph_endpoint,
                 "Type": USER_DEFINED_TYPE}
        for e in table.values()
    }}
    import tempfile  # only when saving

    fd, tmp = tempfile.mkstemp(prefix=".mg.context.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(body, f, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def not_found(name: str, error_id: str = "EnvironmentNotFound") -> "ErrorRecord":
    """The one error for an environment name nobody defined (the original's text); ``error_id`` is
    the command's own id (``InvalidEnvironment`` for Connect-MgGraph, as the original)."""
    from ..errors import ErrorCategory, ErrorRecord

    return ErrorRecord(f"Environment {name} not found.", error_id, ErrorCategory.ObjectNotFound, name,
                       recommended_action="Get-MgEnvironment lists the environments; Add-MgEnvironment adds one.")


def find(name: str) -> Environment | None:
    """The environment called ``name`` (case-insensitive), built-ins first."""
    key = name.lower()
    return _built_in(key) or _load_custom().get(key)


def list_all() -> Iterator[Environment]:
    """Every environment, built-ins first (the original sorts by Type)."""
    for key in BUILT_IN:
        yield _built_in(key)  # type: ignore[misc]
    yield from _load_custom().values()


def add(env: Environment) -> Environment:
    """Add (or replace) a user-defined environment and persist it.

    The read-change-write holds the settings lock (:func:`pwshcompat.auth.paths.locked`), so
    concurrent writers in threads or processes never lose each other's environments; raises
    :class:`pwshcompat.auth.paths.SettingsLockTimeout` if the lock cannot be had in time.
    """
    with paths.locked(paths.context_settings()):
        table = _load_custom()
        table[env.name.lower()] = env
        _save_custom(table)
    return env


def update(name: str, azure_ad_endpoint: str | None, graph_endpoint: str | None) -> Environment:
    """Change the given endpoints of an existing user-defined environment; KeyError if absent."""
    with paths.locked(paths.context_settings()):
        table = _load_custom()
        old = table[name.lower()]
        new = Environment(old.name, azure_ad_endpoint or old.azure_ad_endpoint, graph_endpoint or old.graph_endpoint)
        table[name.lower()] = new
        _save_custom(table)
    return new


def remove(name: str) -> Environment:
    """Remove a user-defined environment; KeyError if absent."""
    with paths.locked(paths.context_settings()):
        table = _load_custom()
        env = table.pop(name.lower())
        _save_custom(table)
    return env


def resolve(env: Environment) -> Environment:
    """The concrete endpoints of ``env``: for ``Emulator``, start the embedded emulator first."""
    if env.name.lower() != EMULATOR.lower() or not env.is_built_in:
        return env
    from ..emulator import embedded  # imported here: only the emulator environment needs it

    return _emulator_environment(embedded.shared())


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return (urlparse(url).hostname or "").lower()


def for_graph_endpoint(graph_endpoint: str, azure_ad_endpoint: str | None = None, name: str = "PwshCompatCli") -> str:
    """The environment to sign in with when only a Graph endpoint (and maybe a sign-in endpoint) is given.

    For callers configured by variables (the command line's ``PWSHCOMPAT_GRAPH_ENDPOINT`` and
    ``PWSHCOMPAT_AZUREAD_ENDPOINT``). Sign-in must happen in the cloud the Graph endpoint belongs
    to, never elsewhere: with real credentials, a dry run against a local emulator must not sign in
    to the public cloud. So: the environment that already has this Graph endpoint (and this
    sign-in endpoint, if given); a built-in cloud's own Graph endpoint pairs with that cloud's
    sign-in endpoint; with both endpoints given and consistent, a user-defined environment ``name``
    is added or updated to pair them. Anything else raises a ``TerminatingError``
    (``CloudMismatch``) before any request is sent: an unknown Graph endpoint without its sign-in
    endpoint, or a pairing where one endpoint belongs to a built-in cloud and the other does not.
    Returns the environment's name.
    """
    from ..errors import ErrorCategory, ErrorRecord, TerminatingError

    graph = graph_endpoint.strip().rstrip("/")
    aad = azure_ad_endpoint.strip().rstrip("/") if azure_ad_endpoint else None
    for env in list_all():
        if env.graph_endpoint and env.graph_endpoint.rstrip("/").lower() == graph.lower() and (
                aad is None or env.azure_ad_endpoint.rstrip("/").lower() == aad.lower()):
            return env.name
    graph_clouds = [e for e in BUILT_IN.values() if e.graph_endpoint and _host(e.graph_endpoint) == _host(graph)]
    aad_clouds = [e for e in BUILT_IN.values() if aad and e.azure_ad_endpoint and _host(e.azure_ad_endpoint) == _host(aad)]

    def refuse(message: str) -> TerminatingError:
        return TerminatingError(ErrorRecord(
            message + " Signing in elsewhere would mix clouds, so nothing was sent.", "CloudMismatch",
            ErrorCategory.InvalidArgument, graph,
            recommended_action="Set PWSHCOMPAT_AZUREAD_ENDPOINT to the sign-in endpoint of that Graph endpoint (a "
                               "local emulator prints it as 'sign-in at https://127.0.0.1:PORT'), or "
                               "PWSHCOMPAT_ENVIRONMENT to an environment Get-MgEnvironment lists."))

    if aad is None:
        if graph_clouds:
            return graph_clouds[0].name
        raise refuse(f"The Graph endpoint {graph} belongs to no known environment, so its sign-in endpoint is "
                     "unknown.")
    if graph_clouds and not any(_host(c.azure_ad_endpoint) == _host(aad) for c in graph_clouds):
        raise refuse(f"The Graph endpoint {graph} belongs to {graph_clouds[0].name}, whose sign-in endpoint is "
                     f"{graph_clouds[0].azure_ad_endpoint}, not {aad}.")
    if aad_clouds and not graph_clouds:
        raise refuse(f"The sign-in endpoint {aad} belongs to {aad_clouds[0].name}, but the Graph endpoint {graph} "
                     "does not.")
    if name.lower() in BUILT_IN:
        raise refuse(f"The environment {name} is built in, and its endpoints are not {graph} and {aad}.")
    add(Environment(name, aad, graph))
    return name
