"""Graph environments: the national clouds, the local emulator and user-defined ones.

Facts from auth-and-pain.md §B.3 (``GraphEnvironmentConstants.cs``, ``GraphSettings.cs``):
built-ins Global, USGov, USGovDoD and China with their sign-in and Graph endpoints; names are
case-insensitive; user-defined environments are saved to ``~/.mg/mg.context.json`` as indented
JSON of the environment table with the built-ins left out, so they survive the process. A change
rewrites only the environments it touches: other top-level keys and other members of an entry stay.
A damaged file reads as no environments, with a warning from the command that reads it naming the
file and the fault; the next change keeps it aside as ``mg.context.json.damaged-<UTC time>`` and
warns, rather than replacing it in silence.

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
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator

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
    "keep_saved",
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


class DamagedSettings(ValueError):
    """``mg.context.json`` exists but is not a JSON object with an ``EnvironmentTable`` object."""


def _read_document() -> dict[str, Any]:
    """The settings file's JSON object; ``{}`` when there is no file. Raises :class:`DamagedSettings`
    for a file that is not UTF-8 JSON holding an object (whose ``EnvironmentTable``, if any, is an
    object), and ``OSError`` when it cannot be read at all."""
    data = paths.read_json_object(paths.context_settings(), DamagedSettings)
    if not isinstance(data.get("EnvironmentTable", {}), dict):
        raise DamagedSettings("its EnvironmentTable is not a JSON object")
    return data


def _environments(document: dict[str, Any]) -> dict[str, Environment]:
    found: dict[str, Environment] = {}
    for entry in document.get("EnvironmentTable", {}).values():
        if isinstance(entry, dict) and entry.get("Name"):
            found[str(entry["Name"]).lower()] = Environment(
                str(entry["Name"]), str(entry.get("AzureADEndpoint") or ""), str(entry.get("GraphEndpoint") or ""))
    return found


def _load_custom(warn: Callable[[str], None] | None = None) -> dict[str, Environment]:
    """Read the user-defined environments; a missing, unreadable or damaged file means none (the
    next Add/Set/Remove-MgEnvironment keeps a damaged one aside and says so). A damaged file is
    reported through ``warn`` when given (a command's warning stream), so a saved environment
    does not vanish without a word; the file itself is left as it is."""
    try:
        return _environments(_read_document())
    except DamagedSettings as exc:
        if warn is not None:
            warn(f"{paths.context_settings()} could not be read: {exc}, so the environments saved in it are not "
                 "available. The next Add-, Set- or Remove-MgEnvironment keeps it aside beside it and starts a new one.")
        return {}
    except OSError:
        return {}


def _warn(message: str) -> None:
    import warnings

    from ..errors import PSWarning

    warnings.warn(message, PSWarning, stacklevel=3)


def _keep_aside(path: Path, why: str, warn: Callable[[str], None]) -> None:
    """Rename a damaged settings file to ``<name>.damaged-<UTC time>`` (never over another) and warn."""
    target = paths.keep_aside(path)
    warn(f"{path} could not be read: {why}. It was kept as {target.name} beside it, and a new one holds the "
         "environments from now on; copy any environment you need from the kept file with Add-MgEnvironment.")


def _change(edit: Callable[[dict[str, Environment]], None], warn: Callable[[str], None] | None) -> None:
    """Read-change-write of the user-defined environments, holding the settings lock (which stands
    for the original's exclusive-write file protection), so concurrent writers in threads or
    processes never lose each other's environments.

    Everything in the file that is not an environment this changes stays as it was: other
    top-level keys, other members of each entry, entries without a ``Name``. A damaged file is
    kept aside (:func:`_keep_aside`, ``warn``, default a :class:`~pwshcompat.errors.PSWarning`) and
    a new one started. Raises :class:`pwshcompat.auth.paths.SettingsLockTimeout` if the lock cannot
    be had in time, and a ``TerminatingError`` when the file exists but cannot be read (nothing
    is written then).
    """
    path = paths.context_settings()
    with paths.locked(path):
        try:
            document = _read_document()
        except DamagedSettings as exc:
            _keep_aside(path, str(exc), warn or _warn)
            document = {}
        except OSError as exc:
            raise paths.unreadable(path, exc) from None
        before = _environments(document)
        table = dict(before)
        edit(table)
        entries: dict[str, Any] = {}
        written: set[str] = set()
        for key, entry in document.get("EnvironmentTable", {}).items():
            name = str(entry["Name"]).lower() if isinstance(entry, dict) and entry.get("Name") else None
            if name is None:
                entries[key] = entry  # not an environment we understand: kept as it is
            elif name in table and name not in written:  # still there (maybe changed); else removed
                entries[key] = _entry(table[name], entry)
                written.add(name)
        for name, env in table.items():
            if name not in written:
                entries[env.name] = _entry(env, {})
        _save({**document, "EnvironmentTable": entries})


def _entry(env: Environment, old: dict[str, Any]) -> dict[str, Any]:
    return {**old, "Name": env.name, "AzureADEndpoint": env.azure_ad_endpoint, "GraphEndpoint": env.graph_endpoint,
            "Type": USER_DEFINED_TYPE}


def _save(document: dict[str, Any]) -> None:
    """Write the settings atomically (a temporary file, then a rename); callers hold the lock."""
    path = paths.context_settings()
    paths.ensure_graph_directory()
    import tempfile  # only when saving

    fd, tmp = tempfile.mkstemp(prefix=".mg.context.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2)
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


def find(name: str, warn: Callable[[str], None] | None = None) -> Environment | None:
    """The environment called ``name`` (case-insensitive), built-ins first; a damaged settings
    file is reported through ``warn`` (see :func:`_load_custom`)."""
    key = name.lower()
    return _built_in(key) or _load_custom(warn).get(key)


def list_all(warn: Callable[[str], None] | None = None) -> Iterator[Environment]:
    """Every environment, built-ins first (the original sorts by Type); a damaged settings file
    is reported through ``warn`` (see :func:`_load_custom`)."""
    for key in BUILT_IN:
        yield _built_in(key)  # type: ignore[misc]
    yield from _load_custom(warn).values()


def add(env: Environment, warn: Callable[[str], None] | None = None) -> Environment:
    """Add (or replace) a user-defined environment and persist it (:func:`_change`: the rest of the
    file is kept, a damaged file is kept aside with a warning through ``warn``)."""
    _change(lambda table: table.__setitem__(env.name.lower(), env), warn)
    return env


def update(name: str, azure_ad_endpoint: str | None, graph_endpoint: str | None,
           warn: Callable[[str], None] | None = None) -> Environment:
    """Change the given endpoints of an existing user-defined environment; KeyError if absent."""
    changed: list[Environment] = []

    def edit(table: dict[str, Environment]) -> None:
        old = table[name.lower()]
        changed.append(Environment(old.name, azure_ad_endpoint or old.azure_ad_endpoint,
                                   graph_endpoint or old.graph_endpoint))
        table[name.lower()] = changed[0]

    _change(edit, warn)
    return changed[0]


def remove(name: str, warn: Callable[[str], None] | None = None) -> Environment:
    """Remove a user-defined environment; KeyError if absent."""
    removed: list[Environment] = []
    _change(lambda table: removed.append(table.pop(name.lower())), warn)
    return removed[0]


def resolve(env: Environment) -> Environment:
    """The concrete endpoints of ``env``: for ``Emulator``, start the embedded emulator first."""
    if env.name.lower() != EMULATOR.lower() or not env.is_built_in:
        return env
    from ..emulator import embedded  # imported here: only the emulator environment needs it

    return _emulator_environment(embedded.shared())


def _host(url: str) -> str:
    from urllib.parse import urlparse

    return (urlparse(url).hostname or "").lower()


#: The environment the command line saves a pairing of endpoint variables under when no name is given.
VARIABLES_ENVIRONMENT = "PwshCompatCli"


def keep_saved(name: str, graph_endpoint: str, azure_ad_endpoint: str | None) -> None:
    """Refuse to repoint an environment someone saved to the endpoints of variables.

    For callers configured by variables (``PWSHCOMPAT_ENVIRONMENT`` with ``PWSHCOMPAT_GRAPH_ENDPOINT``):
    saving the pairing under the name of an existing user-defined environment whose endpoints differ
    would change it for every later session (a dry run would leave ``Connect-MgGraph -Environment
    Contoso`` pointing at a local emulator). Raises a ``TerminatingError``
    (``EnvironmentEndpointsDiffer``) then, before anything is saved or sent; the command line's own
    :data:`VARIABLES_ENVIRONMENT` and endpoints that already match pass.
    """
    from ..errors import ErrorCategory, ErrorRecord, TerminatingError

    saved = _load_custom().get(name.lower())
    if saved is None or name.lower() == VARIABLES_ENVIRONMENT.lower():
        return
    graph = graph_endpoint.strip().rstrip("/")
    aad = azure_ad_endpoint.strip().rstrip("/") if azure_ad_endpoint else saved.azure_ad_endpoint.rstrip("/")
    if (graph.lower(), aad.lower()) == (saved.graph_endpoint.rstrip("/").lower(),
                                        saved.azure_ad_endpoint.rstrip("/").lower()):
        return
    raise TerminatingError(ErrorRecord(
        f"The environment {saved.name} is saved with the Graph endpoint {saved.graph_endpoint} and the sign-in "
        f"endpoint {saved.azure_ad_endpoint}, not {graph} and {aad}. It was left as it is and nothing was sent.",
        "EnvironmentEndpointsDiffer", ErrorCategory.InvalidArgument, saved.name,
        recommended_action=f"Leave PWSHCOMPAT_ENVIRONMENT unset (the endpoints are then saved as "
                           f"{VARIABLES_ENVIRONMENT}), name another environment, or change {saved.name} itself "
                           "with Set-MgEnvironment."))


def for_graph_endpoint(graph_endpoint: str, azure_ad_endpoint: str | None = None, name: str = VARIABLES_ENVIRONMENT) -> str:
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
    keep_saved(name, graph, aad)
    add(Environment(name, aad, graph))
    return name
