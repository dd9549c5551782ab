"""Command metadata as data: one JSON file per command in ``spec/commands/<Verb-Noun>.json``.

The files describe the parameter surface of a cmdlet the way PowerShell's ``CommandMetadata``
does (names, .NET types, parameter sets, mandatory and pipeline flags per set, aliases,
positions, ``DontShow``), plus the command's ``[CmdletBinding()]`` facts and, for Graph API
cmdlets, the REST operation it calls. Graph cmdlet specs are generated from the help page by
``python3 -m pwshcompat.spec.generate``; the rest are hand-written and say so in ``source``.

The binder and the PowerShell module generator both read these files, so the parameter surface is
written down once. Unknown keys are ignored, so owners may add optional keys.

    >>> spec = load("Set-MgBetaCommunicationPresenceUserPreferredPresence")
    >>> spec.default_parameter_set, spec.parameter("rhv").name
    ('SetExpanded', 'ResponseHeadersVariable')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ALL_SETS",
    "CommandSpec",
    "Operation",
    "ParameterSpec",
    "SetMembership",
    "SWITCH_TYPE",
    "from_dict",
    "load",
    "names",
]

ALL_SETS = "__AllParameterSets"
SWITCH_TYPE = "System.Management.Automation.SwitchParameter"
COMMANDS_DIR = Path(__file__).with_name("commands")


@dataclass(frozen=True)
class SetMembership:
    """How a parameter takes part in one parameter set (``[Parameter(ParameterSetName=...)]``)."""

    mandatory: bool = False
    value_from_pipeline: bool = False
    value_from_pipeline_by_property_name: bool = False


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a command; ``sets`` maps a set name (or ``__AllParameterSets``) to membership."""

    name: str
    type: str
    sets: dict[str, SetMembership]
    aliases: tuple[str, ...] = ()
    dont_show: bool = False
    position: int | None = None
    description: str = ""
    validate_not_null: bool = False
    validate_not_null_or_empty: bool = False
    validate_range: tuple[Any, Any] | None = None
    validate_set: tuple[str, ...] | None = None
    enum_values: tuple[str, ...] | None = None
    """For an enum-typed parameter, its names in value order (0, 1, ...); from ``enumValues``."""

    @property
    def is_switch(self) -> bool:
        return self.type == SWITCH_TYPE

    def membership(self, parameter_set: str) -> SetMembership | None:
        """The membership in ``parameter_set``, falling back to ``__AllParameterSets``."""
        return self.sets.get(parameter_set) or self.sets.get(ALL_SETS)

    def in_all_sets(self) -> bool:
        return ALL_SETS in self.sets


@dataclass(frozen=True)
class Operation:
    """The REST call a Graph cmdlet makes; ``{set}`` in the internal names is the parameter set."""

    method: str
    api_version: str
    path: str
    internal_command: str
    internal_type: str

    def internal_command_for(self, parameter_set: str) -> str:
        return self.internal_command.replace("{set}", parameter_set)

    def internal_type_for(self, parameter_set: str) -> str:
        return self.internal_type.replace("{set}", parameter_set)


@dataclass(frozen=True)
class CommandSpec:
    """A command's metadata. Parameters keep the help page's SYNTAX order."""

    name: str
    module: str
    source: str
    default_parameter_set: str
    parameter_sets: tuple[str, ...]
    parameters: tuple[ParameterSpec, ...]
    positional_binding: bool = True
    supports_should_process: bool = False
    confirm_impact: str = "Medium"
    output_type: tuple[str, ...] = ()
    operation: Operation | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def parameter(self, name: str) -> ParameterSpec:
        """The parameter named ``name`` or aliased so (case-insensitive, no prefixes)."""
        wanted = name.lower()
        for p in self.parameters:
            if p.name.lower() == wanted or wanted in (a.lower() for a in p.aliases):
                return p
        raise KeyError(name)


def _membership(raw: dict[str, Any]) -> SetMembership:
    return SetMembership(
        bool(raw.get("mandatory", False)),
        bool(raw.get("valueFromPipeline", False)),
        bool(raw.get("valueFromPipelineByPropertyName", False)),
    )


def _parameter(raw: dict[str, Any]) -> ParameterSpec:
    vrange = raw.get("validateRange")
    vset = raw.get("validateSet")
    return ParameterSpec(
        name=raw["name"],
        type=raw["type"],
        sets={k: _membership(v) for k, v in raw["sets"].items()},
        aliases=tuple(raw.get("aliases") or ()),
        dont_show=bool(raw.get("dontShow", False)),
        position=raw.get("position"),
        description=raw.get("description", ""),
        validate_not_null=bool(raw.get("validateNotNull", False)),
        validate_not_null_or_empty=bool(raw.get("validateNotNullOrEmpty", False)),
        validate_range=tuple(vrange) if vrange is not None else None,  # type: ignore[arg-type]
        validate_set=tuple(vset) if vset is not None else None,
        enum_values=tuple(raw["enumValues"]) if raw.get("enumValues") else None,
    )


_KNOWN_KEYS = {
    "name", "module", "source", "defaultParameterSet", "parameterSets", "parameters", "positionalBinding",
    "supportsShouldProcess", "confirmImpact", "outputType", "operation",
}


def from_dict(raw: dict[str, Any]) -> CommandSpec:
    """Build a :class:`CommandSpec` from the JSON shape agreed in the shared contracts."""
    op = raw.get("operation")
    operation = None
    if op:
        operation = Operation(op["method"], op["apiVersion"], op["path"], op["internalCommand"], op["internalType"])
    parameters = tuple(_parameter(p) for p in raw["parameters"])
    sets = tuple(raw.get("parameterSets") or ())
    default = raw.get("defaultParameterSet") or ALL_SETS
    return CommandSpec(
        name=raw["name"],
        module=raw.get("module", ""),
        source=raw.get("source", ""),
        default_parameter_set=default,
        parameter_sets=sets,
        parameters=parameters,
        positional_binding=bool(raw.get("positionalBinding", True)),
        supports_should_process=bool(raw.get("supportsShouldProcess", False)),
        confirm_impact=raw.get("confirmImpact", "Medium"),
        output_type=tuple(raw.get("outputType") or ()),
        operation=operation,
        extra={k: v for k, v in raw.items() if k not in _KNOWN_KEYS},
    )


@lru_cache(maxsize=None)
def _index() -> dict[str, Path]:
    return {p.stem.lower(): p for p in COMMANDS_DIR.glob("*.json")}


def names() -> list[str]:
    """The commands that have a spec file."""
    return sorted(p.stem for p in _index().values())


@lru_cache(maxsize=None)
def load(name: str) -> CommandSpec:
    """The spec of command ``name`` (case-insensitive); parsed once per process.

    Raises ``KeyError`` when the command has no spec file.
    """
    path = _index().get(name.lower())
    if path is None:
        raise KeyError(name)
    return from_dict(json.loads(path.read_text(encoding="utf-8")))
