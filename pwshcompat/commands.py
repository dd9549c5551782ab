"""The registry of commands: ``Verb-Noun`` name -> implementation.

Each command module registers its implementations with :func:`command`. Lookups are
case-insensitive, like PowerShell's command discovery. Modules are imported on first lookup so
that importing :mod:`pwshcompat` stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from .errors import ErrorCategory, ErrorRecord, TerminatingError
from .runtime import CommandRuntime

Implementation = Callable[[str, dict[str, Any], CommandRuntime], None]

# Modules that define commands; imported lazily by _load().
_COMMAND_MODULES = ("pwshcompat.presence", "pwshcompat.graph.request_context", "pwshcompat.auth.cmdlets", "pwshcompat.auth.invoke_request")
_REGISTRY: dict[str, "Command"] = {}
_loaded = False


@dataclass(frozen=True)
class Command:
    """A command: its name, its default parameter set and what it does once bound.

    ``run(parameter_set, bound, runtime)`` receives already-bound parameters (PowerShell's binder
    or ours did that) and writes its results through ``runtime``.
    """

    name: str
    run: Implementation
    default_parameter_set: str = "__AllParameterSets"


def command(name: str, default_parameter_set: str = "__AllParameterSets") -> Callable[[Implementation], Implementation]:
    def register(run: Implementation) -> Implementation:
        _REGISTRY[name.lower()] = Command(name, run, default_parameter_set)
        return run

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _COMMAND_MODULES:
            importlib.import_module(module)
        _loaded = True


def get(name: str) -> Command:
    _load()
    try:
        return _REGISTRY[name.lower()]
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
    _load()
    return sorted(c.name for c in _REGISTRY.values())
