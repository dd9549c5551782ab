"""The registry of commands: ``Verb-Noun`` name -> implementation.

Two kinds of commands:

* **Graph cmdlets** (the presence family): data, not code. Every spec with a ``graph`` section
  (``pwshcompat/spec/commands/*.json``, generated from the help pages) is run by the one generic
  runner, :mod:`pwshcompat.operation`; adding a spec adds the command.
* **Code commands** (authentication, ``Invoke-MgGraphRequest``, the request context): each module
  in :data:`_COMMAND_MODULES` registers its implementations with :func:`command`.

Lookups are case-insensitive, like PowerShell's command discovery. A command's module is imported
when the command is first looked up, so a first ``Add-MgEnvironment`` does not wait for
``requests`` to import; :func:`preload` imports the rest ahead of need (the PowerShell host calls
it in the background once Python has started).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ErrorCategory, ErrorRecord, TerminatingError
from .runtime import CommandRuntime

Implementation = Callable[[str, dict[str, Any], CommandRuntime], None]

# The modules that define commands, and what each defines (a test pins this to the registrations).
_COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "pwshcompat.cmdlets.connection": ("Connect-MgGraph", "Disconnect-MgGraph", "Get-MgContext", "Get-MgEnvironment",
                                      "Add-MgEnvironment", "Set-MgEnvironment", "Remove-MgEnvironment"),
    "pwshcompat.cmdlets.request_context": ("Get-MgRequestContext", "Set-MgRequestContext"),
    "pwshcompat.cmdlets.graph_option": ("Get-MgGraphOption", "Set-MgGraphOption"),
    "pwshcompat.cmdlets.invoke_request": ("Invoke-MgGraphRequest",),
}
# The generic runner of the Graph cmdlets (their names are the specs with a graph section).
RUNNER_MODULE = "pwshcompat.operation"
_MODULE_OF = {name.lower(): module for module, names in _COMMAND_MODULES.items() for name in names}
_REGISTRY: dict[str, "Command"] = {}
_loaded = False


@dataclass(frozen=True)
class Command:
    """A command: its name, its default parameter set and what it does once bound.

    ``run(parameter_set, bound, runtime)`` receives already-bound parameters (PowerShell's binder
    or ours did that) for one record and writes its results through ``runtime``. ``begin(parameter_set,
    runtime)`` and ``end(runtime)``, when a command has them, run once per invocation around its
    records (BeginProcessing, EndProcessing; ``end`` not after a terminating error).
    """

    name: str
    run: Implementation
    default_parameter_set: str = "__AllParameterSets"
    begin: Callable[[str, CommandRuntime], None] | None = None
    end: Callable[[CommandRuntime], None] | None = None


def command(name: str, default_parameter_set: str = "__AllParameterSets") -> Callable[[Implementation], Implementation]:
    def register(run: Implementation) -> Implementation:
        _REGISTRY[name.lower()] = Command(name, run, default_parameter_set)
        return run

    return register


def preload() -> None:
    """Import every command module now (they are otherwise imported on first lookup)."""
    global _loaded
    if not _loaded:
        for module in _COMMAND_MODULES:
            importlib.import_module(module)
        importlib.import_module(RUNNER_MODULE)
        importlib.import_module("pwshcompat.graph.client")
        _loaded = True


def _graph_command(name: str) -> Command | None:
    """The Graph cmdlet ``name`` run by the generic runner, when its spec has a graph section."""
    from . import spec

    try:
        found = spec.load(name)
    except KeyError:
        return None
    if found.graph is None:
        return None
    runner = importlib.import_module(RUNNER_MODULE)
    begin, end = runner.processing_for(found.name)
    cmd = Command(found.name, runner.runner_for(found.name), found.default_parameter_set, begin, end)
    _REGISTRY[name.lower()] = cmd
    return cmd


def get(name: str) -> Command:
    key = name.lower()
    found = _REGISTRY.get(key)
    if found is not None:
        return found
    module = _MODULE_OF.get(key)
    if module is not None:
        importlib.import_module(module)
    else:
        graph_command = _graph_command(name)
        if graph_command is not None:
            return graph_command
        preload()  # not in the table: let every command module register before saying it does not exist
    try:
        return _REGISTRY[key]
    except KeyError:
        raise TerminatingError(
            ErrorRecord(
                f"The term '{name}' is not recognized as a name of a cmdlet, function, script file, or executable program.",
                "CommandNotFoundException",
                ErrorCategory.ObjectNotFound,
                target=name,
            )
        ) from None


def names() -> list[str]:
    """Every command: the code commands and one per Graph spec."""
    from . import spec

    preload()
    graph = [n for n in spec.names() if spec.load(n).graph is not None]
    return sorted({c.name for c in _REGISTRY.values()} | set(graph), key=str.lower)


def module_of(name: str) -> str:
    """The Python module that implements command ``name`` (the generic runner for Graph cmdlets)."""
    return _MODULE_OF.get(name.lower(), RUNNER_MODULE)
