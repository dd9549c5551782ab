"""The entry point the PowerShell module calls in-process through pythonnet.

PowerShell's own binder has already resolved the parameter set and bound the values; the module's
host assembly (``src/PwshCompat.Host``) converts them to plain Python values as the shared contract
says (str, bool, int, float, None, list, dict, :class:`~pwshcompat.conversion.TimeSpan`; a
``PSCredential`` as ``{"UserName", "Password"}``; an ``X509Certificate2`` as ``{"Thumbprint",
"Subject", "Pkcs12"}``; a ``SecureString`` as plain text) and calls :func:`invoke_host` once per
pipeline record. The result holds only values the host converts back without guessing:

* plain values, :class:`TimeSpan`, and ``datetime`` (a ``DateTime`` in UTC);
* :class:`PSObjectData` for an output object (a dataclass or any object with attributes), which
  becomes a ``PSCustomObject`` whose first type name is the object's ``PS_TYPE_NAME`` class
  attribute when it has one;
* :class:`ModelData` for a Graph model object (anything with ``ps_model()``, such as
  :class:`pwshcompat.operation.GraphObject`), which becomes an instance of the original's model
  class (``Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence``) with typed properties;
* :class:`HeaderDictionary` for a mapping of header name to a list of values, which becomes the
  case-insensitive ``Dictionary[string, IEnumerable[string]]`` the original stores in
  ``-ResponseHeadersVariable``;
* the values of :mod:`pwshcompat.hostvalues`: a :class:`~pwshcompat.hostvalues.Hashtable`
  becomes a case-insensitive ``Hashtable`` (its values read as JSON values), an
  :class:`~pwshcompat.hostvalues.HttpResponseMessage` a ``System.Net.Http.HttpResponseMessage``.

An error record may carry the HTTP response it reports (``record.extra["response"]``, an
``HttpResponseMessage``): the host gives its exception that response (``HttpResponseException``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import os
import sys
from typing import Any, Callable, Mapping

from . import cancellation, commands
from .cancellation import CancellationToken
from .conversion import TimeSpan
from .errors import ErrorRecord, PSError
from .hostvalues import Hashtable, HttpResponseMessage
from .runtime import CommandRuntime

__all__ = ["HeaderDictionary", "ModelData", "PSObjectData", "invoke", "invoke_host", "invoke_json", "update_environment"]

# Nested objects deeper than this are passed as their text (cycles end here too).
_MAX_DEPTH = 32


class PSObjectData(dict):  # type: ignore[type-arg]
    """An output object's properties in order, plus the type names PowerShell should show."""

    def __init__(self, properties: Mapping[str, Any], type_names: list[str]) -> None:
        super().__init__(properties)
        self.type_names = type_names


class ModelData(PSObjectData):
    """A Graph model object: ``type_names[0]`` is the .NET model class the host creates and fills."""


class HeaderDictionary(dict):  # type: ignore[type-arg]
    """Response headers: name -> list of values (case-insensitive once in PowerShell)."""


# Variables read once into long-lived objects, which must be made again when one of them changes:
# the Graph clients' proxies and CA bundle (pwshcompat.graph.client), and the browser list the
# standard library's webbrowser module builds on first use.
_CLIENT_VARIABLES = frozenset({"requests_ca_bundle", "curl_ca_bundle", "ssl_cert_file", "ssl_cert_dir"})
_BROWSER_VARIABLES = frozenset({"BROWSER", "DISPLAY", "WAYLAND_DISPLAY"})


def update_environment(changes: dict[str, str | None], complete: bool | int = False) -> None:
    """Make ``os.environ`` what the host process's environment is now.

    ``changes`` maps a variable name to its new value, or to None when it was removed; with
    ``complete`` it holds every variable and any other in ``os.environ`` is removed too. Called by
    the PowerShell host (``src/PwshCompat.Host/SessionEnvironment.cs``) before a command runs,
    because .NET on Unix keeps ``$env:`` changes to itself; assignments go through ``os.environ``,
    so native code (OpenSSL reading ``SSL_CERT_FILE``) sees them as well. Objects that read a
    variable once are made again: the Graph clients when a proxy or CA variable changed, the
    webbrowser module's browser list when ``BROWSER`` or the display changed.
    """
    environ = os.environ
    if complete:
        changes = {**{name: None for name in environ if name not in changes}, **changes}
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    # A module still being imported (the host preloads them on another thread) has made nothing
    # yet, so only fully imported ones are looked at.
    names = {name.lower() for name in changes}
    if any(name.endswith("_proxy") or name in _CLIENT_VARIABLES for name in names):
        close_clients = getattr(sys.modules.get("pwshcompat.graph.client"), "close_clients", None)
        if close_clients is not None:
            close_clients()
    webbrowser = sys.modules.get("webbrowser")
    if hasattr(webbrowser, "register_standard_browsers") and not _BROWSER_VARIABLES.isdisjoint(changes):
        webbrowser._tryorder = None  # type: ignore[union-attr]  # rebuilt from BROWSER on the next get()
        webbrowser._browsers = {}  # type: ignore[union-attr]


def _record(record: ErrorRecord, plain: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    return {
        "message": record.message,
        "error_id": record.error_id,
        "category": record.category.value,
        "target": plain(record.target) if plain else record.target,
        "command": record.command,
        "exception_type": record.exception_type,
        "fully_qualified_error_id": record.fully_qualified_error_id,
        "details_message": record.details_message,
        "recommended_action": record.recommended_action,
        "target_name": record.extra.get("target_name"),
        "response": record.extra.get("response") if isinstance(record.extra.get("response"), HttpResponseMessage) else None,
    }


def _type_names(value: Any, output_type: str | None = None) -> list[str]:
    """PowerShell type names for an output object: the class's ``PS_TYPE_NAME`` or else the
    command's declared ``[OutputType()]`` (so formatting and ``-is`` checks by name see the
    original's type, e.g. Microsoft.Graph.PowerShell.Authentication.GraphEnvironment), then ours."""
    cls = type(value)
    names = [f"pwshcompat.{cls.__name__}"]
    declared = getattr(cls, "PS_TYPE_NAME", None) or output_type
    return [declared, *names] if declared else names


def _output_type(name: str) -> str | None:
    """The command's first declared output type that is not a plain System type."""
    try:
        from . import spec

        declared = spec.load(name).output_type
    except (KeyError, ImportError):
        return None
    return next((t for t in declared if not t.startswith("System.")), None)


def _plain(value: Any, depth: int = 0, output_type: str | None = None) -> Any:
    """``value`` as the host converts it: see the module docstring."""
    if value is None or isinstance(value, (str, bool, int, float, TimeSpan, _dt.datetime)):
        return value
    if depth > _MAX_DEPTH:
        return str(value)
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, HttpResponseMessage):
        return value
    if isinstance(value, Hashtable):
        return Hashtable({k: _plain(v, depth + 1) for k, v in value.items()})
    if isinstance(value, Mapping):
        return {str(k) if not isinstance(k, (str, int)) else k: _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    ps_model = getattr(value, "ps_model", None)
    if callable(ps_model):
        type_name, properties = ps_model()
        return ModelData({k: _plain(v, depth + 1) for k, v in properties.items()}, [type_name])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        props = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return PSObjectData({k: _plain(v, depth + 1) for k, v in props.items()}, _type_names(value, output_type))
    if hasattr(value, "__dict__"):
        props = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return PSObjectData({k: _plain(v, depth + 1) for k, v in props.items()}, _type_names(value, output_type))
    return str(value)


def _variable(value: Any) -> Any:
    """Variable values; a mapping of names to lists of strings is a set of HTTP headers."""
    if isinstance(value, Mapping) and value and all(
        isinstance(k, str) and isinstance(v, (list, tuple)) and all(isinstance(i, str) for i in v)
        for k, v in value.items()
    ):
        return HeaderDictionary({k: list(v) for k, v in value.items()})
    return _plain(value)


def _run(name: str, parameter_set: str, bound: dict[str, Any],
         should_process: Callable[[str, str], bool] | None,
         want_debug: bool = True) -> tuple[CommandRuntime, ErrorRecord | None]:
    cmd = commands.get(name)
    runtime = CommandRuntime(cmd.name, should_process_hook=should_process, want_debug=want_debug)
    try:
        cmd.run(parameter_set, bound, runtime)
    except PSError as exc:
        return runtime, exc.record
    return runtime, None


def invoke_host(name: str, parameter_set: str, bound: dict[str, Any], want_debug: bool = True,
                token: CancellationToken | None = None) -> dict[str, Any]:
    """Run command ``name`` for the PowerShell host; everything in the result is plain (see above).

    ShouldProcess was already asked in PowerShell, so the command runs without a hook.
    ``want_debug`` is False when the caller's debug stream is off, so the command can skip
    building debug text (request and response dumps) that PowerShell would discard. ``token`` is
    the call's :class:`~pwshcompat.cancellation.CancellationToken`, which the host cancels when
    the pipeline stops (Ctrl+C); the command then ends with a
    :class:`~pwshcompat.cancellation.CommandStoppedError` record, which the host replaces with
    PowerShell's own PipelineStoppedException.
    """
    with cancellation.scope(token):
        runtime, terminating = _run(name, parameter_set, bound, None, want_debug)
    output_type = _output_type(name) if runtime.output else None
    return {
        "output": [_plain(o, output_type=output_type) for o in runtime.output],
        "errors": [_record(r, _plain) for r in runtime.errors],
        "warnings": list(runtime.warnings),
        "verbose": list(runtime.verbose),
        "debug": list(runtime.debug),
        "information": list(runtime.information),
        "variables": {k: _variable(v) for k, v in runtime.variables.items()},
        "terminating": _record(terminating, _plain) if terminating else None,
    }


def invoke(name: str, parameter_set: str, bound: dict[str, Any],
           should_process: Callable[[str, str], bool] | None = None) -> dict[str, Any]:
    """Run command ``name`` and return its streams as Python values (objects left as they are)."""
    runtime, terminating = _run(name, parameter_set, bound, should_process)
    return {
        "output": runtime.output,
        "errors": [_record(r) for r in runtime.errors],
        "warnings": runtime.warnings,
        "verbose": runtime.verbose,
        "debug": runtime.debug,
        "information": runtime.information,
        "variables": runtime.variables,
        "terminating": _record(terminating) if terminating else None,
    }


def invoke_json(name: str, parameter_set: str, bound: dict[str, Any]) -> str:
    """:func:`invoke_host` as JSON text (for hosts without pythonnet, e.g. a worker process)."""

    def default(value: Any) -> Any:
        if isinstance(value, TimeSpan):
            return {"ticks": value.ticks}
        return str(value)

    return json.dumps(invoke_host(name, parameter_set, bound), default=default)
