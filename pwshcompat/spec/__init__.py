"""Command metadata as data: one JSON file per command in ``spec/commands/<Verb-Noun>.json`` (format 2).

The files describe the parameter surface of a cmdlet the way PowerShell's ``CommandMetadata``
does (names, .NET types, parameter sets, mandatory and pipeline flags per set, aliases,
positions, ``DontShow``, the original's ``[Category]``), plus the command's ``[CmdletBinding()]``
facts and, for Graph API cmdlets, the ``graph`` section: the REST operation of each parameter set,
the path parameters and the identity property each comes from, the request body (whole-body
parameter, expanded members, additional properties), the query options, the header parameters
and the kind of response. ``spec/schema.json`` is the JSON Schema of these files.

Graph cmdlet specs are generated from the help pages by ``python3 -m pwshcompat.spec.generate``;
the rest are hand-written and say so in ``source``. The request and response models the specs name
are defined once, in ``spec/models.json`` (:func:`model`).

The binder, the operation runner, the Python API and the PowerShell module generator all read
these files, so the surface of a cmdlet is written down once. Unknown keys are ignored (and kept
in :attr:`CommandSpec.extra`), so owners may add optional keys.

    >>> spec = load("Set-MgBetaCommunicationPresenceUserPreferredPresence")
    >>> spec.default_parameter_set, spec.parameter("rhv").name
    ('SetExpanded', 'ResponseHeadersVariable')
    >>> spec.graph.operation_for("SetViaIdentity").path
    '/communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence'
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
    "GraphSpec",
    "Model",
    "ModelProperty",
    "Operation",
    "ParameterSpec",
    "PathParameter",
    "SetMembership",
    "SWITCH_TYPE",
    "from_dict",
    "load",
    "model",
    "model_names",
    "names",
]

ALL_SETS = "__AllParameterSets"
SWITCH_TYPE = "System.Management.Automation.SwitchParameter"
FORMAT_VERSION = 2
COMMANDS_DIR = Path(__file__).with_name("commands")
MODELS_FILE = Path(__file__).with_name("models.json")
SCHEMA_FILE = Path(__file__).with_name("schema.json")


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
    category: str | None = None
    """The original's ``[Category()]`` (Path, Body, Query, Header, Runtime), or None."""
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


CODECS = frozenset({"string", "boolean", "int32", "duration", "dateTime", "string[]"})


@dataclass(frozen=True)
class ModelProperty:
    """One property of a Graph model: its PowerShell name, its JSON name and its type.

    ``type`` is a codec name (``string``, ``boolean``, ``int32``, ``duration`` (ISO 8601 on the
    wire, ``TimeSpan`` in PowerShell), ``dateTime``, ``string[]``) or the name of another model.
    """

    name: str
    wire: str
    type: str
    read_only: bool = False

    @property
    def is_model(self) -> bool:
        return self.type not in CODECS


@dataclass(frozen=True)
class Operation:
    """The REST call one parameter set makes.

    ``path`` is the OpenAPI path template (``/users/{user-id}/presence``), shown as is in the
    WhatIf text; ``body`` says where the request body comes from: ``"none"``, ``"whole"`` (the
    ``-BodyParameter`` value) or ``"expanded"`` (one parameter per body member, plus
    ``-AdditionalProperties``); ``via_identity`` sets take path values from ``-InputObject``.

    ``response`` is one of ``passThru`` (no content; ``$true`` under ``-PassThru``), ``model``
    (one object of the spec's ``response_model``), ``collection`` (a ``value`` array with
    ``@odata.nextLink`` paging and the original's ``-All``/``-PageSize``/``-CountVariable``),
    ``values`` (an action's ``value`` array) and ``count`` (a ``text/plain`` integer).
    """

    method: str
    path: str
    via_identity: bool = False
    body: str = "none"
    response: str = "passThru"


@dataclass(frozen=True)
class PathParameter:
    """``{name}`` in a path template, filled from ``-<parameter>`` or ``InputObject.<identity_property>``."""

    name: str
    parameter: str
    identity_property: str


@dataclass(frozen=True)
class GraphSpec:
    """What the operation runner needs to call Graph for a cmdlet (the ``graph`` key of a spec)."""

    api_version: str
    namespace: str
    """The module's .NET namespace (``Microsoft.Graph.Beta.PowerShell``): models are in ``.Models``."""
    internal_command: str
    internal_type: str
    operations: dict[str, Operation]
    path_parameters: tuple[PathParameter, ...] = ()
    identity_parameter: str | None = None
    identity_properties: tuple[ModelProperty, ...] = ()
    """The identity type's properties (the help page's INPUTOBJECT notes); none reads another."""
    body_parameter: str | None = None
    body_model: str | None = None
    body_members: dict[str, str] = field(default_factory=dict)
    """Expanded body parameter -> the body model's property it sets."""
    additional_properties_parameter: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    """Parameter -> query option (``$select``, ``$filter``, ...)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Parameter -> request header (``IfMatch`` -> ``If-Match``)."""
    response_model: str | None = None

    def operation_for(self, parameter_set: str) -> Operation:
        """The operation of ``parameter_set`` (KeyError for a set the cmdlet does not have)."""
        return self.operations[parameter_set]

    def internal_command_for(self, parameter_set: str) -> str:
        return self.internal_command.replace("{set}", parameter_set)

    def internal_type_for(self, parameter_set: str) -> str:
        return self.internal_type.replace("{set}", parameter_set)

    def what_if_target(self, parameter_set: str) -> str:
        """The original's ShouldProcess target: ``Call remote '<METHOD> <path template>' operation``."""
        op = self.operation_for(parameter_set)
        return f"Call remote '{op.method} {op.path}' operation"


@dataclass(frozen=True)
class CommandSpec:
    """A command's metadata. Parameters keep the original's declaration order."""

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
    graph: GraphSpec | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str | None:
        """What the Graph cmdlet does, as its help and tests group the family: the action's name
        (``setUserPreferredPresence``, ...), else ``get``, ``list``, ``count``, ``create``, ``update``
        or ``delete``, from its default parameter set's operation; None for a command without a
        ``graph`` section."""
        if self.graph is None:
            return None
        op = self.graph.operation_for(self.default_parameter_set)
        last = op.path.rsplit("/", 1)[-1]
        if last.startswith("microsoft.graph."):
            return last[len("microsoft.graph."):]
        if last == "$count":
            return "count"
        if op.method == "GET":
            return "list" if len(self.graph.operations) > 2 else "get"
        return {"POST": "create", "PATCH": "update", "DELETE": "delete"}[op.method]

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
        category=raw.get("category"),
        validate_not_null=bool(raw.get("validateNotNull", False)),
        validate_not_null_or_empty=bool(raw.get("validateNotNullOrEmpty", False)),
        validate_range=tuple(vrange) if vrange is not None else None,  # type: ignore[arg-type]
        validate_set=tuple(vset) if vset is not None else None,
        enum_values=tuple(raw["enumValues"]) if raw.get("enumValues") else None,
    )


def _graph(raw: dict[str, Any]) -> GraphSpec:
    body = raw.get("body") or {}
    identity = raw.get("identity") or {}
    return GraphSpec(
        api_version=raw["apiVersion"],
        namespace=raw["namespace"],
        internal_command=raw["internalCommand"],
        internal_type=raw["internalType"],
        operations={name: Operation(op["method"], op["path"], bool(op.get("viaIdentity", False)), op.get("body", "none"),
                                    op.get("response", "passThru"))
                    for name, op in raw["operations"].items()},
        path_parameters=tuple(PathParameter(p["name"], p["parameter"], p["identityProperty"])
                              for p in raw.get("pathParameters") or ()),
        identity_parameter=identity.get("parameter"),
        identity_properties=tuple(ModelProperty(p["name"], p["name"], p["type"]) for p in identity.get("properties") or ()),
        body_parameter=body.get("parameter"),
        body_model=body.get("model"),
        body_members=dict(body.get("members") or {}),
        additional_properties_parameter=body.get("additionalProperties"),
        query=dict(raw.get("query") or {}),
        headers=dict(raw.get("headers") or {}),
        response_model=raw.get("responseModel"),
    )


_KNOWN_KEYS = {
    "formatVersion", "name", "module", "source", "defaultParameterSet", "parameterSets", "parameters",
    "positionalBinding", "supportsShouldProcess", "confirmImpact", "outputType", "graph",
}


def from_dict(raw: dict[str, Any]) -> CommandSpec:
    """Build a :class:`CommandSpec` from the JSON shape ``spec/schema.json`` describes."""
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
        graph=_graph(raw["graph"]) if raw.get("graph") else None,
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


# --- models -----------------------------------------------------------------------------------



@dataclass(frozen=True)
class Model:
    """A Graph model (AutoRest class name, e.g. ``MicrosoftGraphPresence``): properties in wire order."""

    name: str
    properties: tuple[ModelProperty, ...]
    additional_properties: bool = True
    identity: bool = False

    def property(self, name: str) -> ModelProperty:
        """The property named ``name`` (case-insensitive), by PowerShell or wire name."""
        wanted = name.lower()
        for p in self.properties:
            if p.name.lower() == wanted or p.wire.lower() == wanted:
                return p
        raise KeyError(name)


@lru_cache(maxsize=1)
def _models() -> dict[str, Model]:
    raw = json.loads(MODELS_FILE.read_text(encoding="utf-8"))
    out = {}
    for name, m in raw["models"].items():
        out[name] = Model(
            name=name,
            properties=tuple(ModelProperty(p["name"], p["wire"], p["type"], bool(p.get("readOnly", False)))
                             for p in m["properties"]),
            additional_properties=bool(m.get("additionalProperties", True)),
            identity=bool(m.get("identity", False)),
        )
    return out


def model(name: str) -> Model:
    """The model ``name`` (an AutoRest class name, with or without the interface's ``I``).

    Raises ``KeyError`` for a model ``spec/models.json`` does not define.
    """
    models = _models()
    if name in models:
        return models[name]
    if name.startswith("I") and name[1:] in models:
        return models[name[1:]]
    raise KeyError(name)


def model_names() -> list[str]:
    return sorted(_models())
