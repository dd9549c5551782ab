"""What a running command can do besides computing: PowerShell's command runtime, in Python.

A command implementation receives a :class:`CommandRuntime` and uses it the way a cmdlet uses
``$PSCmdlet``: it writes output objects and error records, asks ``should_process`` before it acts,
and sets variables in the caller's session. The host decides what happens to all of that: the
PowerShell binding replays it into the real streams; the Python API collects it and raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ErrorRecord


@dataclass
class CommandRuntime:
    """Collects the streams of one command invocation.

    ``should_process_hook`` answers ShouldProcess(target, action): the PowerShell host routes it to
    ``$PSCmdlet.ShouldProcess``; the Python API honours ``WhatIf``/``Confirm`` itself.
    """

    command_name: str
    should_process_hook: Callable[[str, str], bool] | None = None
    output: list[Any] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    debug: list[str] = field(default_factory=list)
    information: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    what_if: list[str] = field(default_factory=list)
    # Whether anyone will read debug output; commands skip building costly debug text when not.
    want_debug: bool = True

    def write_object(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, record: ErrorRecord) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_verbose(self, message: str) -> None:
        self.verbose.append(message)

    def write_debug(self, message: str) -> None:
        self.debug.append(message)

    def write_information(self, message: str) -> None:
        """Host text (Write-Host): shown to a person, never part of the output."""
        self.information.append(message)

    def set_variable(self, name: str, value: Any) -> None:
        """Set ``$global:<name>`` in the caller's session (the original uses global scope)."""
        self.variables[name] = value

    def should_process(self, target: str, action: str) -> bool:
        if self.should_process_hook is None:
            return True
        return self.should_process_hook(target, action)
