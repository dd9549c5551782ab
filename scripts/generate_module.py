#!/usr/bin/env python3
"""Generate the PowerShell modules, the .NET types and the Python signatures from the command specs.

Usage::

    python3 scripts/generate_module.py            # write every generated file
    python3 scripts/generate_module.py --check    # exit 1 and name the files that are stale
    python3 scripts/generate_module.py --install-to DIR   # manifests on PSModulePath pointing here

``scripts/generate`` runs the spec generator first, then this. What it writes, from
``pwshcompat/spec/commands/*.json``, ``pwshcompat/spec/models.json``, the help text
(``pwshcompat/spec/help.json`` per kind of operation, ``module/help/<Name>.json`` per command):

* the three modules named as the originals: ``Microsoft.Graph.Beta.CloudCommunications`` and
  ``Microsoft.Graph.CloudCommunications`` (manifests at the repository root, ``module/<Module>.psm1``,
  ``module/<Module>.format.ps1xml``) and ``Microsoft.Graph.Authentication`` (in
  ``module/Microsoft.Graph.Authentication/``): one advanced function per command whose
  ``[CmdletBinding()]``, ``[OutputType()]`` and ``param()`` block mirror the spec (with the
  original's ``[Category()]`` attributes), with comment-based help; ModuleVersion is the Graph
  PowerShell SDK version the modules mirror, pwshcompat's own version is in PrivateData;
* ``src/PwshCompat.Host/Generated.g.cs``: the .NET types the parameters and outputs name that
  PowerShell does not have: the Graph models with typed settable properties in each module's
  namespace, the identity type with every identity property of the module's help pages, the
  pipeline-step delegate, the ``[Category()]`` attribute, the enums and raw types of the
  authentication cmdlets, and the internal ``..._<Set>`` cmdlet types error records point at.
  ``scripts/setup`` compiles it into ``module/bin/PwshCompat.Host.dll``;
* ``pwshcompat/_generated/cmdlets.py``: one Python function per command, with keyword-only
  parameters named as the cmdlet's, Python types, the return type and a docstring.

Each function is its ``param()`` block (PowerShell's own binder resolves the parameter set and pipeline
input) plus one host call per record, ``[PwshCompat.Host.GeneratedFunction]::Run``, which asks
ShouldProcess with the original's text (``CommandTable`` in Generated.g.cs) and runs the command in
Python; a Graph cmdlet also calls ``::Begin`` and ``::End`` once per invocation (its ``-Debug``
begin and end records).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pwshcompat import spec as specs  # noqa: E402
from pwshcompat.spec import ALL_SETS, SWITCH_TYPE, CommandSpec, ParameterSpec  # noqa: E402

REGENERATE = "scripts/generate"
HELP_DIR = ROOT / "module" / "help"
KIND_HELP = ROOT / "pwshcompat" / "spec" / "help.json"
PYTHON_API = ROOT / "pwshcompat" / "_generated" / "cmdlets.py"
PYTHON_NAMES = ROOT / "pwshcompat" / "_generated" / "names.py"
BETA_MODULE = "Microsoft.Graph.Beta.CloudCommunications"
V1_MODULE = "Microsoft.Graph.CloudCommunications"
AUTH_MODULE = "Microsoft.Graph.Authentication"
ROOT_MODULE = BETA_MODULE  # the seed's module; kept for callers of this script
# The Microsoft Graph PowerShell SDK release whose surface the modules mirror (original-observed.md:
# 2.25.0); scripts pin it with #Requires -Modules @{ ModuleName = ...; ModuleVersion = '2.0.0' }.
SDK_VERSION = "2.25.0"
# Imported by PowerShell before the root module (NestedModules): starts Python early.
START_SCRIPT = "module/PwshCompat.Start.psm1"


@dataclass(frozen=True)
class ModuleInfo:
    """Fixed identity of a generated module; the GUIDs never change (scripts pin them)."""

    name: str
    guid: str
    description: str
    psm1: str  # path of the .psm1, relative to the repository root
    manifest: str  # path of the .psd1, relative to the repository root
    # Where the original's compiled cmdlets live, when its commands are cmdlets (not proxy
    # functions): errors name <namespace>.<VerbNoun>, e.g. ...Authentication.Cmdlets.ConnectMgGraph.
    cmdlet_namespace: str | None = None
    formats: str | None = None  # path of the .format.ps1xml, relative to the repository root
    requires_auth: bool = False


MODULES = {
    BETA_MODULE: ModuleInfo(
        BETA_MODULE, "4d7b8c39-2f1e-4e55-9a37-6c0f3d1b8a21",
        "The presence cmdlets of Microsoft Graph PowerShell (beta endpoint), with a Python core.",
        f"module/{BETA_MODULE}.psm1", f"{BETA_MODULE}.psd1", formats=f"module/{BETA_MODULE}.format.ps1xml",
        requires_auth=True),
    V1_MODULE: ModuleInfo(
        V1_MODULE, "9a3e6f14-5b2c-4d87-a1e0-7c4b2d9f8e36",
        "The presence cmdlets of Microsoft Graph PowerShell (v1.0 endpoint), with a Python core.",
        f"module/{V1_MODULE}.psm1", f"{V1_MODULE}.psd1", formats=f"module/{V1_MODULE}.format.ps1xml",
        requires_auth=True),
    AUTH_MODULE: ModuleInfo(
        AUTH_MODULE, "0b6c2f5e-7a43-4f0e-9d3c-51e8a2c6b7d4",
        "Connect-MgGraph and the other Microsoft Graph PowerShell authentication commands, with a Python core.",
        f"module/{AUTH_MODULE}/{AUTH_MODULE}.psm1", f"module/{AUTH_MODULE}/{AUTH_MODULE}.psd1",
        "Microsoft.Graph.PowerShell.Authentication.Cmdlets"),
}

# Delegate types named by hidden AutoRest parameters (-HttpPipelinePrepend/-HttpPipelineAppend).
# Each module's Runtime namespace gets the delegate and the interfaces its steps see (_RUNTIME_TYPES).
DELEGATES = {
    "SendAsyncStep": "System.Threading.Tasks.Task<System.Net.Http.HttpResponseMessage> SendAsyncStep("
                     "System.Net.Http.HttpRequestMessage request, IEventListener callback, ISendAsync next)",
}

# Model codecs -> .NET property types and the host's ModelKind.
_CS_TYPES = {"string": ("string?", "String"), "boolean": ("bool?", "Boolean"), "int32": ("int?", "Int32"),
             "duration": ("System.TimeSpan?", "Duration"), "dateTime": ("System.DateTime?", "DateTime"),
             "string[]": ("string[]?", "StringArray")}


def _getter_type(cs_type: str) -> str:
    """The type argument of a property's ``GetValue<T>``: a value type stays nullable (``bool?``,
    ``System.DateTime?``), so an absent member reads as ``$null`` as in the original's models, not as
    ``$false`` or ``01/01/0001``; a reference type is given without its ``?``."""
    return cs_type if cs_type.rstrip("?") in _CS_VALUE_TYPES else cs_type.rstrip("?")


_CS_VALUE_TYPES = {"bool", "int", "System.TimeSpan", "System.DateTime"}


def header(comment: str) -> str:
    return (f"{comment} Generated by scripts/generate_module.py from pwshcompat/spec/*.json and module/help/*.json.\n"
            f"{comment} Do not edit: run {REGENERATE} to regenerate.\n")


def ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def version() -> str:
    """pwshcompat's own version (pyproject.toml)."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def is_system_type(type_name: str) -> bool:
    return type_name.startswith("System.")


def element_type(type_name: str) -> str:
    return type_name[:-2] if type_name.endswith("[]") else type_name


def namespace_of(module: str) -> str | None:
    """The .NET namespace of a family module's types (``Microsoft.Graph.Beta.PowerShell``)."""
    found = next((s.graph.namespace for s in all_specs() if s.module == module and s.graph), None)
    return found


_SPECS: list[CommandSpec] | None = None


def all_specs() -> list[CommandSpec]:
    global _SPECS
    if _SPECS is None:
        _SPECS = [specs.load(n) for n in specs.names()]
    return _SPECS


# --- .NET types -------------------------------------------------------------------------------

def _model_closure(names: Iterable[str]) -> list[str]:
    """The models ``names`` need, nested ones included, in a stable order."""
    seen: list[str] = []
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.append(name)
        pending += [p.type for p in specs.model(name).properties if p.is_model]
    return sorted(seen)


def _model_class(namespace: str, name: str) -> str:
    """A generated model: interface + class with typed settable properties + TypeConverter."""
    m = specs.model(name)
    props = []
    schema = []
    interface_props = []
    for p in m.properties:
        if p.is_model:
            cs_type, kind = f"I{p.type}?", "Model"
            schema.append(f'            new("{p.name}", "{p.wire}", global::PwshCompat.Host.ModelKind.Model, typeof({p.type})),')
        else:
            cs_type, kind = _CS_TYPES[p.type]
            schema.append(f'            new("{p.name}", "{p.wire}", global::PwshCompat.Host.ModelKind.{kind}),')
        interface_props.append(f"        {cs_type} {p.name} {{ get; set; }}")
        props.append(f"        public {cs_type} {p.name} {{ get => GetValue<{_getter_type(cs_type)}>(\"{p.name}\"); "
                     f"set => SetValue(\"{p.name}\", value); }}")
    if m.additional_properties:
        interface_props.append("        System.Collections.Generic.IDictionary<string, object?> AdditionalProperties { get; }")
        props.append("        public System.Collections.Generic.IDictionary<string, object?> AdditionalProperties => AdditionalPropertiesStore;")
    nl = "\n"
    return (
        f"    /// <summary>The {name} model: typed properties, a cast from a hashtable, ToJsonString().</summary>\n"
        f"    [System.ComponentModel.TypeConverter(typeof({name}TypeConverter))]\n"
        f"    public interface I{name} : global::PwshCompat.Host.IGraphModel\n    {{\n{nl.join(interface_props)}\n    }}\n\n"
        f"    [System.ComponentModel.TypeConverter(typeof({name}TypeConverter))]\n"
        f"    public sealed class {name} : global::PwshCompat.Host.GraphModel, I{name}\n    {{\n"
        f"        private static readonly global::PwshCompat.Host.ModelProperty[] Schema =\n        {{\n{nl.join(schema)}\n        }};\n\n"
        f"        public {name}()\n        {{\n        }}\n\n"
        f"        protected override global::PwshCompat.Host.ModelProperty[] Properties => Schema;\n\n"
        f"{nl.join(props)}\n    }}\n\n"
        f"    public sealed class {name}TypeConverter : global::PwshCompat.Host.GraphModelConverter<I{name}, {name}>\n    {{\n    }}")


def _identity_class(namespace: str, name: str, properties: list[tuple[str, str]]) -> str:
    schema = "\n".join(f'            new("{p}", "{p}", global::PwshCompat.Host.ModelKind.{_CS_TYPES[t][1]}),'
                       for p, t in properties)
    members = "\n".join(f"        public {_CS_TYPES[t][0]} {p} {{ get => GetValue<{_getter_type(_CS_TYPES[t][0])}>(\"{p}\"); "
                        f"set => SetValue(\"{p}\", value); }}" for p, t in properties)
    interface = "\n".join(f"        {_CS_TYPES[t][0]} {p} {{ get; set; }}" for p, t in properties)
    cls = name[1:]
    return (
        "    /// <summary>The identity of -InputObject: every identity property of the module's help pages.</summary>\n"
        f"    [System.ComponentModel.TypeConverter(typeof({cls}TypeConverter))]\n"
        f"    public interface {name} : global::PwshCompat.Host.IGraphModel\n    {{\n{interface}\n    }}\n\n"
        f"    [System.ComponentModel.TypeConverter(typeof({cls}TypeConverter))]\n"
        f"    public sealed class {cls} : global::PwshCompat.Host.GraphModel, {name}\n    {{\n"
        f"        private static readonly global::PwshCompat.Host.ModelProperty[] Schema =\n        {{\n{schema}\n        }};\n\n"
        f"        public {cls}()\n        {{\n        }}\n\n"
        "        protected override global::PwshCompat.Host.ModelProperty[] Properties => Schema;\n\n"
        "        protected override bool KeepsAdditionalProperties => false;\n\n"
        f"{members}\n    }}\n\n"
        f"    public sealed class {cls}TypeConverter : global::PwshCompat.Host.GraphIdentityConverter<{name}, {cls}>\n    {{\n    }}")


_PIPELINE_TYPES = """    /// <summary>The rest of the HTTP pipeline, as a step's next argument ($next.SendAsync($request, $callback)).</summary>
    public interface ISendAsync
    {
        System.Threading.Tasks.Task<System.Net.Http.HttpResponseMessage> SendAsync(System.Net.Http.HttpRequestMessage request, IEventListener callback);
    }

    /// <summary>A step's callback argument: the call's cancellation and its events.</summary>
    public interface IEventListener
    {
        System.Threading.Tasks.Task Signal(string id, System.Threading.CancellationToken token, System.Func<EventData> createMessage);

        System.Threading.CancellationToken Token { get; }

        System.Action Cancel { get; }
    }

    /// <summary>An event signalled during a call.</summary>
    public partial class EventData
    {
        public string? Id;
        public string? Message;
        public string? Parameter;
        public double Value;
        public string? ExtendedData;
        public object? RequestMessage;
        public object? ResponseMessage;
        public System.Action? Cancel;
    }

    /// <summary>How the host runs this module's pipeline steps (PwshCompat.Host.HttpPipelineSteps).</summary>
    public static class PwshCompatSteps
    {
        public static global::PwshCompat.Host.PipelineStep Adapt(SendAsyncStep step)
            => (request, next) => step(request, new Listener(next), new Sender(next));

        /// <summary>The $callback a step receives.</summary>
        public sealed class Listener : IEventListener
        {
            private readonly global::PwshCompat.Host.PipelineNext next;

            public Listener(global::PwshCompat.Host.PipelineNext next) => this.next = next;

            public System.Threading.Tasks.Task Signal(string id, System.Threading.CancellationToken token, System.Func<EventData> createMessage)
                => System.Threading.Tasks.Task.CompletedTask;

            public System.Threading.CancellationToken Token => next.Token;

            public System.Action Cancel => next.Cancel;
        }

        /// <summary>The $next a step receives: the rest of the pipeline.</summary>
        public sealed class Sender : ISendAsync
        {
            private readonly global::PwshCompat.Host.PipelineNext next;

            public Sender(global::PwshCompat.Host.PipelineNext next) => this.next = next;

            public System.Threading.Tasks.Task<System.Net.Http.HttpResponseMessage> SendAsync(System.Net.Http.HttpRequestMessage request, IEventListener callback)
                => next.Send(request);
        }
    }"""

_REST_EXCEPTION = """    /// <summary>The original's exception for an error response without a Graph error body (its type name is RestException`1).</summary>
    public class RestException<T> : System.Exception
    {
        public RestException(string message) : base(message)
        {
        }
    }"""

_PARSER_EXCEPTION = """    /// <summary>The original's exception when an error response's body is not JSON.</summary>
    public class ParserException : System.Exception
    {
        public ParserException(string message) : base(message)
        {
        }
    }"""

_CATEGORY = """    /// <summary>The original's parameter categories (AutoRest runtime).</summary>
    public enum ParameterCategory
    {
        Uri,
        Path,
        Query,
        Header,
        Cookie,
        Body,
        Azure,
        Runtime,
    }

    /// <summary>[Category()] on the parameters of the generated functions, as the original declares it.</summary>
    [System.AttributeUsage(System.AttributeTargets.Property | System.AttributeTargets.Field | System.AttributeTargets.Parameter)]
    public sealed class CategoryAttribute : System.Attribute
    {
        public CategoryAttribute(params ParameterCategory[] categories) => Categories = categories;

        public ParameterCategory[] Categories { get; }
    }"""


def collect(all_specs_: list[CommandSpec]) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """{namespace: [C# declarations]} for every type the specs name, and the internal cmdlet types."""
    by_namespace: dict[str, list[str]] = {}
    cmdlets: list[tuple[str, str]] = []
    raw_types: dict[str, list[str] | None] = {}
    family: dict[str, dict[str, Any]] = {}
    for s in all_specs_:
        if s.graph:
            ns = s.graph.namespace
            info = family.setdefault(ns, {"models": set(), "identity": {}, "identityType": None})
            for set_name in s.parameter_sets:
                cmdlets.append((s.graph.internal_type_for(set_name), s.graph.internal_command_for(set_name)))
            if s.graph.body_model:
                info["models"].add(s.graph.body_model)
            if s.graph.response_model:
                info["models"].add(s.graph.response_model)
            for p in s.parameters:
                short = element_type(p.type).rsplit(".", 1)[-1]
                if p.type.startswith(ns + ".Models.I") and short[1:] in specs.model_names():
                    info["models"].add(short[1:])
            if s.graph.identity_parameter:
                info["identityType"] = s.parameter(s.graph.identity_parameter).type
                for p in s.graph.identity_properties:
                    info["identity"].setdefault(p.name, p.type)
            continue
        raw = {p["name"]: p for p in json.loads(spec_path(s.name).read_text(encoding="utf-8"))["parameters"]}
        for p in s.parameters:
            t = element_type(p.type)
            if not is_system_type(t):
                raw_types[t] = raw[p.name].get("enumValues") or raw_types.get(t)
        namespace = MODULES[s.module].cmdlet_namespace if s.module in MODULES else None
        implementing = s.extra.get("implementingType") or (f"{namespace}.{s.name.replace('-', '')}" if namespace else None)
        if implementing:
            cmdlets.append((implementing, s.name))
    for ns, info in sorted(family.items()):
        models_ns = by_namespace.setdefault(f"{ns}.Models", [])
        for name in _model_closure(info["models"]):
            models_ns.append(_model_class(ns, name))
        if info["identityType"]:
            identity_name = info["identityType"].rsplit(".", 1)[-1]
            models_ns.append(_identity_class(ns, identity_name, sorted(info["identity"].items())))
        by_namespace.setdefault(f"{ns}.Runtime", []).append(f"    public delegate {DELEGATES['SendAsyncStep']};")
        by_namespace[f"{ns}.Runtime"].append(_PIPELINE_TYPES)
        by_namespace[f"{ns}.Runtime"].append(_REST_EXCEPTION)
        by_namespace.setdefault(f"{ns}.Runtime.Json", []).append(_PARSER_EXCEPTION)
        by_namespace.setdefault(ns, []).append(_CATEGORY)
    for full, enum_values in sorted(raw_types.items()):
        namespace, _, name = full.rpartition(".")
        lines = by_namespace.setdefault(namespace, [])
        if enum_values:
            lines.append(f"    public enum {name}\n    {{\n" + "".join(f"        {v},\n" for v in enum_values) + "    }")
        elif name in DELEGATES:
            lines.append(f"    public delegate {DELEGATES[name]};")
        else:
            lines.append(
                f"    [System.ComponentModel.TypeConverter(typeof({name}TypeConverter))]\n"
                f"    public sealed class {name} : global::PwshCompat.Host.RawModel\n    {{\n"
                f"        public {name}(object rawValue) : base(rawValue)\n        {{\n        }}\n    }}\n\n"
                f"    public sealed class {name}TypeConverter : global::PwshCompat.Host.RawModelConverter<{name}>\n    {{\n"
                f"        protected override {name} Create(object rawValue) => new {name}(rawValue);\n    }}")
    return by_namespace, sorted(set(cmdlets))


def csharp(all_specs_: list[CommandSpec]) -> str:
    by_namespace, cmdlets = collect(all_specs_)
    by_namespace.setdefault("PwshCompat.Host", []).append(command_table(all_specs_))
    for full, command in cmdlets:
        namespace, _, name = full.rpartition(".")
        verb, _, noun = command.partition("-")
        by_namespace.setdefault(namespace, []).append(
            "    /// <summary>The original's internal cmdlet: its error records name it (never run).</summary>\n"
            f"    [System.Management.Automation.Cmdlet({json.dumps(verb)}, {json.dumps(noun)})]\n"
            f"    public sealed class {name} : global::PwshCompat.Host.InternalCommand\n    {{\n    }}")
    out = [header("//"), "#nullable enable\n"]
    for namespace in sorted(by_namespace):
        out.append(f"namespace {namespace}\n{{\n" + "\n\n".join(by_namespace[namespace]) + "\n}\n")
    return "\n".join(out)


# --- help -------------------------------------------------------------------------------------

_KINDS: dict[str, Any] | None = None


def load_help(name: str) -> dict[str, Any]:
    """The help text of command ``name``: module/help/<name>.json, else its kind's template filled in."""
    global _KINDS
    path = HELP_DIR / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        s = specs.load(name)
    except KeyError:
        return {}
    kind = s.kind  # which help template a Graph cmdlet takes
    if kind is None or s.graph is None:
        return {}
    if _KINDS is None:
        _KINDS = json.loads(KIND_HELP.read_text(encoding="utf-8"))["kinds"]
    template = _KINDS[kind]
    op = s.graph.operation_for(s.default_parameter_set)
    id_parameter = s.graph.path_parameters[0].parameter if s.graph.path_parameters else None
    values = {"name": name, "idArg": f"-{id_parameter} $userId" if id_parameter else "", "method": op.method,
              "path": op.path, "version": s.graph.api_version}

    def fill(text: str) -> str:
        return re.sub(r"\{(name|idArg|method|path|version)\}", lambda m: values[m.group(1)], text).replace("  ", " ")

    view = "graph-rest-beta" if s.graph.api_version == "beta" else "graph-rest-1.0"
    links = ["Connect-MgGraph"]
    if template.get("doc"):
        links.append(f"https://learn.microsoft.com/graph/api/{template['doc']}?view={view}")
    return {
        "synopsis": fill(template["synopsis"]),
        "description": fill(template["description"]),
        "examples": [{"code": fill(e["code"]), "remarks": fill(e["remarks"])} for e in template.get("examples", [])],
        "parameters": template.get("parameters", {}),
        "outputs": list(s.output_type),
        "notes": ("Model parameters (-BodyParameter, -StatusMessage, ...) accept a hashtable, a model object or a JSON "
                  "object string; member names are case-insensitive. -InputObject accepts a hashtable or an identity "
                  "object. As with the original module, a [pscustomobject] is refused for both, and a piped hashtable "
                  "binds to -InputObject and to -Headers alike.\n\nThis module is pwshcompat: a compatible "
                  "re-implementation whose logic runs in Python inside the PowerShell process."),
        "links": links,
        "argumentCompleters": template.get("argumentCompleters", {}),
    }


def help_block(s: CommandSpec, text: dict[str, Any]) -> list[str]:
    def section(keyword: str, body: str, arg: str = "") -> list[str]:
        body = body.replace("#>", "# >").strip()
        return [f".{keyword}{' ' + arg if arg else ''}"] + [("    " + line).rstrip() for line in body.splitlines()]

    lines = ["<#"]
    lines += section("SYNOPSIS", text.get("synopsis") or f"{s.name} ({s.module}).")
    if text.get("description"):
        lines += section("DESCRIPTION", text["description"])
    overrides = text.get("parameters", {})
    for p in s.parameters:
        lines += section("PARAMETER", overrides.get(p.name) or p.description or f"The {p.name} parameter.", p.name)
    if s.supports_should_process:
        lines += section("PARAMETER", "Shows what the command would do without doing it.", "WhatIf")
        lines += section("PARAMETER", "Asks for confirmation before the command acts.", "Confirm")
    for example in text.get("examples", []):
        lines += section("EXAMPLE", "PS> " + example["code"].strip() + "\n\n" + example["remarks"])
    for item in text.get("inputs", []):
        lines += section("INPUTS", item)
    for item in text.get("outputs", s.output_type):
        lines += section("OUTPUTS", item)
    if text.get("notes"):
        lines += section("NOTES", text["notes"])
    for link in text.get("links", []):
        lines += section("LINK", link)
    lines.append("#>")
    return lines


# --- PowerShell functions ---------------------------------------------------------------------

def type_literal(type_name: str) -> str:
    return "[switch]" if type_name == SWITCH_TYPE else f"[{type_name}]"


def number(value: Any) -> str:
    return repr(value) if isinstance(value, int) else repr(float(value)).replace("e+", "E+")


def parameter_block(s: CommandSpec, p: ParameterSpec, completers: dict[str, Any]) -> list[str]:
    lines = []
    # PowerShell numbers parameter sets as it meets them, taking a parameter's [Parameter()]
    # attributes last-first; writing them in reverse spec order makes Get-Command list the sets
    # in the help page's order.
    rank = {name: i for i, name in enumerate(s.parameter_sets)}
    for set_name, m in sorted(p.sets.items(), key=lambda item: -rank.get(item[0], -1)):
        args = [] if set_name == ALL_SETS else [f"ParameterSetName = {ps_quote(set_name)}"]
        if p.position is not None:
            args.append(f"Position = {p.position}")
        args += [flag for flag, on in (("Mandatory", m.mandatory), ("ValueFromPipeline", m.value_from_pipeline),
                                       ("ValueFromPipelineByPropertyName", m.value_from_pipeline_by_property_name),
                                       ("DontShow", p.dont_show)) if on]
        lines.append(f"[Parameter({', '.join(args)})]")
    if p.aliases:
        lines.append(f"[Alias({', '.join(ps_quote(a) for a in p.aliases)})]")
    if p.category and s.graph:
        lines.append(f"[{s.graph.namespace}.Category({ps_quote(p.category)})]")
    if p.validate_not_null:
        lines.append("[ValidateNotNull()]")
    if p.validate_not_null_or_empty:
        lines.append("[ValidateNotNullOrEmpty()]")
    if p.validate_range is not None:
        low, high = p.validate_range
        if isinstance(low, float) or isinstance(high, float):  # ValidateRange wants both bounds of one type
            low, high = float(low), float(high)
        lines.append(f"[ValidateRange({number(low)}, {number(high)})]")
    if p.validate_set is not None:
        lines.append(f"[ValidateSet({', '.join(ps_quote(v) for v in p.validate_set)})]")
    if p.name in completers:
        lines.append(completer(completers[p.name]))
    lines.append(type_literal(p.type))
    lines.append(f"${{{p.name}}}")
    return lines


def spec_completers(s: CommandSpec) -> dict[str, Any]:
    """The ``argumentCompleter`` rules a spec file gives its parameters (e.g. Connect-MgGraph's
    ``-Environment``: ``{"command": "Get-MgEnvironment", "property": "Name"}``)."""
    raw = json.loads((specs.COMMANDS_DIR / f"{s.name}.json").read_text(encoding="utf-8"))
    return {p["name"]: p["argumentCompleter"] for p in raw.get("parameters", []) if p.get("argumentCompleter")}


def completer(rule: dict[str, Any]) -> str:
    """An [ArgumentCompleter()] offering ``values``; with ``pairedWith``, the value that pairs with
    the other parameter's bound value comes first (e.g. the activity valid for -Availability); with
    ``command`` and ``property``, the values are that property of what the command lists now."""
    if "command" in rule:
        values = f"@({rule['command']} -ErrorAction Ignore | ForEach-Object {{ $_.{rule['property']} }})"
    else:
        values = "@(" + ", ".join(ps_quote(v) for v in rule["values"]) + ")"
    paired = ""
    if "pairedWith" in rule:
        pairs = "@{" + "; ".join(f"{ps_quote(k)} = {ps_quote(v)}" for k, v in rule["pairs"].items()) + "}"
        paired = (f" $pair = {pairs}[[string]$bound[{ps_quote(rule['pairedWith'])}]];"
                  " if ($pair) { $values = @($pair) + @($values | Where-Object { $_ -ne $pair }) };")
    return ("[ArgumentCompleter({ param($commandName, $parameterName, $wordToComplete, $commandAst, $bound)"
            f" $values = {values};{paired}"
            " $values | Where-Object { $_ -like \"$($wordToComplete.Trim([char]39, [char]34))*\" } |"
            " ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) } })]")


def function(s: CommandSpec) -> str:
    text = load_help(s.name)
    binding = []
    if s.default_parameter_set != ALL_SETS:
        binding.append(f"DefaultParameterSetName = {ps_quote(s.default_parameter_set)}")
    binding.append(f"PositionalBinding = ${str(s.positional_binding).lower()}")
    if s.supports_should_process:
        binding += ["SupportsShouldProcess", f"ConfirmImpact = {ps_quote(s.confirm_impact)}"]
    outputs = ", ".join(f"[{t}]" if is_system_type(t) else ps_quote(t) for t in s.output_type)
    body = [f"function {s.name} {{"]
    body += ["    " + line if line else "" for line in help_block(s, text)]
    if command_aliases(s):  # [Alias()] rather than Set-Alias: no extra module load at import
        body.append(f"    [Alias({', '.join(ps_quote(a) for a in command_aliases(s))})]")
    body.append(f"    [CmdletBinding({', '.join(binding)})]")
    if outputs:
        body.append(f"    [OutputType({outputs})]")
    body.append("    param(")
    params = []
    for p in s.parameters:
        completers = {**spec_completers(s), **text.get("argumentCompleters", {})}
        params.append("\n".join("        " + line for line in parameter_block(s, p, completers)))
    body.append(",\n\n".join(params))
    body.append("    )")
    # Everything after binding (stale pipeline values, the test hook, ShouldProcess, the call into
    # Python, its output and errors) is one host call per record; a Graph cmdlet's -Debug begin and
    # end records are written once per invocation, as the original's BeginProcessing/EndProcessing do.
    if s.graph:
        body.append("    begin {")
        body.append("        [PwshCompat.Host.GeneratedFunction]::Begin($PSCmdlet, $PSBoundParameters)")
        body.append("    }")
    body.append("    process {")
    body.append("        [PwshCompat.Host.GeneratedFunction]::Run($PSCmdlet, $PSBoundParameters)")
    body.append("    }")
    if s.graph:
        body.append("    end {")
        body.append("        [PwshCompat.Host.GeneratedFunction]::End($PSCmdlet, $PSBoundParameters)")
        body.append("    }")
    body.append("}")
    return "\n".join(body)


def command_table(all_specs_: list[CommandSpec]) -> str:
    """PwshCompat.Host.CommandTable: the original's ShouldProcess target of each command and set, and
    the internal command name that is its action (GeneratedFunction.Run asks ShouldProcess with them)."""
    def cs(text: str) -> str:
        return json.dumps(text)

    targets, internals = [], []
    for s in all_specs_:
        if not s.supports_should_process:
            continue
        per_set = ""
        if s.graph:
            per_set = ", ".join(f"[{cs(n)}] = {cs(s.graph.what_if_target(n))}" for n in s.parameter_sets)
            internals.append(f"            [{cs(s.name)}] = {cs(s.graph.internal_command)},")
        targets.append(f"            [{cs(s.name)}] = new System.Collections.Generic.Dictionary<string, string> {{ {per_set} }},")
    nl = "\n"
    return (
        "    /// <summary>The original's ShouldProcess target per command and set, and its internal command (the action).</summary>\n"
        "    public static class CommandTable\n    {\n"
        "        public static readonly System.Collections.Generic.IReadOnlyDictionary<string, System.Collections.Generic.IReadOnlyDictionary<string, string>> ShouldProcessTargets =\n"
        "            new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IReadOnlyDictionary<string, string>>(System.StringComparer.OrdinalIgnoreCase)\n        {\n"
        f"{nl.join(targets)}\n        }};\n\n"
        "        public static readonly System.Collections.Generic.IReadOnlyDictionary<string, string> InternalCommands =\n"
        "            new System.Collections.Generic.Dictionary<string, string>(System.StringComparer.OrdinalIgnoreCase)\n        {\n"
        f"{nl.join(internals)}\n        }};\n    }}")


def command_aliases(s: CommandSpec) -> list[str]:
    return list(s.extra.get("aliases") or [])


def psm1(module: ModuleInfo, module_specs: list[CommandSpec]) -> str:
    host = "../PwshCompat.Python.ps1" if module.name == AUTH_MODULE else "PwshCompat.Python.ps1"
    out = [header("#")]
    out.append(f"# {module.description}")
    out.append(". ([System.IO.Path]::Combine($PSScriptRoot, " + ps_quote(host) + "))")
    out.append("Initialize-PwshCompatPython")
    if module.requires_auth:
        auth = MODULES[AUTH_MODULE]
        rel = Path(auth.manifest).relative_to("module").as_posix()
        out.append("# The original requires Microsoft.Graph.Authentication (Connect-MgGraph and co.); load ours")
        out.append("# as its own top-level module unless this session already has it (Microsoft's own module")
        out.append("# would sign in somewhere our Python core cannot see, so ours is loaded over it).")
        out.append(f"if (-not (Get-Module -Name {ps_quote(AUTH_MODULE)} | Where-Object Guid -EQ {ps_quote(auth.guid)})) {{")
        out.append(f"    Import-Module -Name ([System.IO.Path]::Combine($PSScriptRoot, {ps_quote(rel)})) -Global")
        out.append("}")
    out.append("")
    for s in module_specs:
        out.append(function(s))
        out.append("")
    aliases = [(a, s.name) for s in module_specs for a in command_aliases(s)]
    functions = ", ".join(s.name for s in module_specs)
    alias_list = ", ".join(a for a, _ in aliases)
    out.append(f"Export-ModuleMember -Function {functions}" + (f" -Alias {alias_list}" if aliases else ""))
    return "\n".join(out) + "\n"


def format_ps1xml(module_specs: list[CommandSpec]) -> str:
    """The default table view of the model objects the module writes (Id, Activity, Availability for a
    presence, as the original's format file shows them)."""
    views = []
    for namespace, model_name in sorted({(s.graph.namespace, s.graph.response_model) for s in module_specs
                                         if s.graph and s.graph.response_model}):
        m = specs.model(model_name)
        shown = [p.name for p in m.properties if p.type in ("string", "boolean", "int32", "dateTime")][:6]
        heads = "\n".join("          <TableColumnHeader>\n            <Label>" + n + "</Label>\n          </TableColumnHeader>"
                          for n in shown)
        items = "\n".join("              <TableColumnItem>\n                <PropertyName>" + n +
                          "</PropertyName>\n              </TableColumnItem>" for n in shown)
        full = f"{namespace}.Models.{model_name}"
        views.append(f"""    <View>
      <Name>{full}</Name>
      <ViewSelectedBy>
        <TypeName>{full}</TypeName>
      </ViewSelectedBy>
      <TableControl>
        <TableHeaders>
{heads}
        </TableHeaders>
        <TableRowEntries>
          <TableRowEntry>
            <TableColumnItems>
{items}
            </TableColumnItems>
          </TableRowEntry>
        </TableRowEntries>
      </TableControl>
    </View>""")
    comment = header("").replace("\n", " ").replace("  ", " ").strip()
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f"<!-- {comment} -->\n<Configuration>\n  <ViewDefinitions>\n" + "\n".join(views) +
            "\n  </ViewDefinitions>\n</Configuration>\n")


def psd1(module: ModuleInfo, module_specs: list[CommandSpec], root_module: str | None = None,
         required: tuple[str, ...] = (), formats: str | None = None, start_script: str | None = None) -> str:
    """The manifest; scripts/install-module passes a full ``root_module`` path, ``required`` modules
    and the full ``formats`` path, :func:`packaged_manifests` paths relative to a self-contained
    module folder."""
    manifest_dir = Path(module.manifest).parent
    if root_module is None:
        root_module = Path(module.psm1).relative_to(manifest_dir).as_posix()
        # Relative to the manifest's folder, which may be below module/ itself.
        start_script = Path(os.path.relpath(START_SCRIPT, manifest_dir)).as_posix()
        if module.formats:
            formats = Path(os.path.relpath(module.formats, manifest_dir)).as_posix()
    elif start_script is None:
        start_script = str(ROOT / START_SCRIPT)
    aliases = [a for s in module_specs for a in command_aliases(s)]
    # Required modules by name and GUID, so Microsoft's module of the same name never stands in for ours.
    specs_of = [f"@{{ ModuleName = {ps_quote(r)}; GUID = {ps_quote(MODULES[r].guid)}; ModuleVersion = {ps_quote(SDK_VERSION)} }}"
                for r in required]
    requires = f"\n    RequiredModules      = @({', '.join(specs_of)})" if required else ""
    format_line = f"\n    FormatsToProcess     = @({ps_quote(formats)})" if formats else ""

    def array(items: Iterable[str]) -> str:
        items = list(items)
        return "@(" + ", ".join(ps_quote(i) for i in items) + ")" if items else "@()"

    return header("#") + f"""@{{
    RootModule           = {ps_quote(root_module)}
    NestedModules        = @({ps_quote(start_script)})
    ModuleVersion        = {ps_quote(SDK_VERSION)}
    GUID                 = {ps_quote(module.guid)}
    Author               = 'pwshcompat contributors'
    CompanyName          = 'pwshcompat'
    Copyright            = '(c) pwshcompat contributors. MIT License.'
    Description          = {ps_quote(module.description)}
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'{requires}{format_line}
    FunctionsToExport    = {array(s.name for s in module_specs)}
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = {array(aliases)}
    PrivateData          = @{{
        PSData = @{{
            Tags         = @('Microsoft', 'Graph', 'Presence', 'Teams', 'Python', 'PSEdition_Core', 'Linux', 'MacOS', 'Windows')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = {ps_quote(f'pwshcompat {version()}: mirrors Microsoft Graph PowerShell {SDK_VERSION}; generated from the command specs, see README.md.')}
        }}
        PwshCompat = @{{
            Version      = {ps_quote(version())}
            SdkVersion   = {ps_quote(SDK_VERSION)}
        }}
    }}
}}
"""


# --- Python signatures ------------------------------------------------------------------------

_PY_TYPES = {
    "System.String": "str", "System.String[]": "Sequence[str] | str", "System.Int32": "int", "System.Int64": "int",
    "System.Double": "float", "System.Boolean": "bool", SWITCH_TYPE: "bool",
    "System.TimeSpan": "TimeSpan | timedelta | str", "System.Uri": "str",
    "System.Collections.Hashtable": "Mapping[str, Any]", "System.Collections.IDictionary": "Mapping[str, Any]",
    "System.Object": "Any", "System.Security.SecureString": "str",
    "System.Management.Automation.PSCredential": "Mapping[str, str]",
    "System.Management.Automation.ActionPreference": "str",
}
_COMMON_PY = [
    ("ErrorAction", "str", "What to do on an error: 'Stop', 'Continue' (log it), 'SilentlyContinue' or 'Ignore'."),
    ("ErrorVariable", "list[ErrorRecord] | str", "A list to extend with the error records, or a variable name in pwshcompat.variables."),
    ("WarningAction", "str", "What to do on a warning, as ErrorAction."),
    ("WarningVariable", "list[str] | str", "A list to extend with the warnings, or a variable name."),
    ("OutVariable", "list[Any] | str", "A list to extend with the output, or a variable name."),
    ("Verbose", "bool", "Log verbose text on the pwshcompat.cmdlet logger."),
    ("Debug", "bool", "Log debug text (request and response dumps, without the token) on the pwshcompat.cmdlet logger."),
]


def py_type(s: CommandSpec, p: ParameterSpec) -> str:
    if p.type in _PY_TYPES:
        return _PY_TYPES[p.type]
    if p.enum_values:
        return "str"
    if s.graph and p.type.startswith(s.graph.namespace + ".Models."):
        return "ModelInput"
    return "Any"


def py_return(s: CommandSpec) -> tuple[str, str]:
    """(annotation, what it is) of a command's Python result."""
    if s.graph:
        kinds = {op.response for op in s.graph.operations.values()}
        if kinds == {"passThru"}:
            return "bool | None", "True with PassThru when the call succeeds, else None."
        if kinds == {"count"}:
            return "int", "The count Graph answered."
        if "collection" in kinds or "values" in kinds:
            return ("GraphObject | list[GraphObject] | None",
                    f"The {s.graph.response_model} objects: one object, a list of several, or None.")
        return "GraphObject | None", f"The {s.graph.response_model} object Graph answered, or None when it sent none."
    if s.output_type:
        return "Any", f"What the cmdlet writes ({', '.join(s.output_type)}): None, one object or a list."
    return "Any", "None, one object or a list."


def _wrap(text: str, indent: str, width: int = 110) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', "'''")  # safe inside a docstring
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(indent) + len(line) + 1 + len(w) > width:
            lines.append(indent + line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        lines.append(indent + line)
    return lines


def python_function(s: CommandSpec) -> str:
    fn = s.name.replace("-", "_", 1)
    text = load_help(s.name)
    overrides = text.get("parameters", {})
    visible = [p for p in s.parameters if not p.dont_show]
    annotation, returns = py_return(s)
    args = ["    *,"]
    args += [f"    {p.name}: {py_type(s, p)} = NOT_GIVEN," for p in visible]
    common = list(_COMMON_PY)
    if s.supports_should_process:
        common += [("WhatIf", "bool", "Print what would be done; send nothing."),
                   ("Confirm", "bool", "Ask before acting (pwshcompat.api.confirm_hook answers for a program).")]
    args += [f"    {name}: {t} = NOT_GIVEN," for name, t, _ in common]
    args.append("    **parameters: Any,")
    doc = [f'    """{_wrap((text.get("synopsis") or s.name).strip(), "", 10_000)[0]}', ""]
    doc += _wrap(f"The cmdlet {s.name} (module {s.module}), bound by PowerShell's rules: parameter names in any case, "
                 "unambiguous prefixes, aliases, or snake_case (``**parameters``). A parameter left out is not bound.",
                 "    ")
    if s.graph:
        ops = sorted({f"{op.method} /{s.graph.api_version}{op.path}" for op in s.graph.operations.values()})
        doc += [""] + _wrap("Calls " + ", ".join(ops) + " (Microsoft Graph; see the help page of the cmdlet).", "    ")
    doc += ["", "    Parameters", "    ----------"]
    for p in visible:
        mandatory = [k for k, m in p.sets.items() if m.mandatory]
        sets = "" if p.in_all_sets() else f" Parameter sets: {', '.join(p.sets)}."
        need = f" Mandatory in {', '.join(mandatory)}." if mandatory else ""
        alias = f" Aliases: {', '.join(p.aliases)}." if p.aliases else ""
        doc.append(f"    {p.name} : {py_type(s, p)}")
        doc += _wrap((overrides.get(p.name) or p.description) + sets + need + alias, "        ")
    for name, t, what in common:
        doc.append(f"    {name} : {t}")
        doc += _wrap(what, "        ")
    doc += ["", "    Returns", "    -------", f"    {annotation}"]
    doc += _wrap(returns, "        ")
    doc += ["", "    Raises", "    ------", "    ParameterBindingError"]
    doc += _wrap("The arguments do not bind (PowerShell's error ids: NamedParameterNotFound, AmbiguousParameterSet, "
                 "MissingMandatoryParameter, ParameterArgumentTransformationError, ...); nothing is sent.", "        ")
    doc += ["    CommandError"]
    doc += _wrap("A non-terminating error (a service error, a transport failure, a refused header): ``.errors`` "
                 "holds every record; not raised with ErrorAction 'SilentlyContinue', 'Ignore' or 'Continue'.", "        ")
    doc += ["    TerminatingError"]
    doc += _wrap("An error the original throws (an identity without its key property, a model value that does "
                 "not convert, ErrorAction 'Stop' on a warning).", "        ")
    doc.append('    """')
    return "\n".join([f"def {fn}(", *args, f") -> {annotation}:", *doc,
                      f"    return _call({s.name!r}, locals())", ""])


def python_names(all_specs_: list[CommandSpec]) -> str:
    """The names of the cmdlet functions, for ``pwshcompat.__all__`` (imported without the functions)."""
    names = [s.name.replace("-", "_", 1) for s in all_specs_]
    return "\n".join([header("#") + '"""The cmdlet functions of :mod:`pwshcompat._generated.cmdlets`, by name."""', "",
                      "CMDLETS = (", *[f"    {n!r}," for n in names], ")", ""])


def python_api(all_specs_: list[CommandSpec]) -> str:
    names = [s.name.replace("-", "_", 1) for s in all_specs_]
    out = [header("#"),
           '"""One function per cmdlet, with the cmdlet\'s parameters as keyword-only arguments.',
           "",
           "Generated from the command specs; import these through :mod:`pwshcompat` (``pwshcompat.Get_MgBetaUserPresence``).",
           "Each function binds its arguments with :mod:`pwshcompat.binder` and runs the cmdlet through",
           ":func:`pwshcompat.api.invoke`; see there for the common parameters.",
           '"""',
           "",
           "from __future__ import annotations",
           "",
           "from datetime import timedelta",
           "from typing import Any, Mapping, Sequence",
           "",
           "from ..api import NOT_GIVEN, ModelInput, call_with_locals as _call",
           "from ..conversion import TimeSpan",
           "from ..errors import ErrorRecord",
           "# At run time too, so typing.get_type_hints() and inspect.signature(eval_str=True) resolve the",
           "# return annotations (the first cmdlet call imports it anyway).",
           "from ..operation.models import GraphObject",
           "",
           "# A literal list, so type checkers and IDEs see the functions, signatures included, as",
           "# pwshcompat.Verb_Noun (its TYPE_CHECKING star import); .names has the same names for run time.",
           "__all__: list[str] = [",
           *[f"    {n!r}," for n in names],
           "]",
           "",
           "# Names the signatures use, kept for the type checker and help().",
           "_TYPES = (Any, Mapping, Sequence, TimeSpan, timedelta, ErrorRecord, ModelInput, GraphObject)",
           "", ""]
    for s in all_specs_:
        out.append(python_function(s))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- driver -----------------------------------------------------------------------------------

def spec_path(name: str) -> Path:
    return specs.COMMANDS_DIR / f"{name}.json"


def outputs() -> dict[Path, str]:
    every = all_specs()
    files: dict[Path, str] = {ROOT / "src/PwshCompat.Host/Generated.g.cs": csharp(every), PYTHON_API: python_api(every),
                              PYTHON_NAMES: python_names(every)}
    for module in MODULES.values():
        module_specs = [s for s in every if s.module == module.name]
        files[ROOT / module.psm1] = psm1(module, module_specs)
        files[ROOT / module.manifest] = psd1(module, module_specs)
        if module.formats:
            files[ROOT / module.formats] = format_ps1xml(module_specs)
    unknown = sorted({s.module for s in every} - set(MODULES))
    if unknown:
        raise SystemExit(f"generate_module: specs name modules this generator does not know: {', '.join(unknown)}")
    return files


def required_modules(module: ModuleInfo) -> tuple[str, ...]:
    """The modules ``module`` requires by name: the authentication module, as the original's do."""
    return () if module.name == AUTH_MODULE else (AUTH_MODULE,)


def packaged_manifests() -> dict[str, str]:
    """Module name -> the manifest of a self-contained module folder: ``<Name>.psd1`` beside a copy
    of ``module/`` (paths relative to it). What the wheel carries for ``pwshcompat install-module``
    and what the PowerShell packages hold; built by scripts/package.py."""
    return {module.name: psd1(module, [s for s in all_specs() if s.module == module.name], module.psm1,
                              required_modules(module), formats=module.formats, start_script=START_SCRIPT)
            for module in MODULES.values()}


def install(modules_dir: Path) -> list[Path]:
    """Write ``<modules_dir>/<Module>/<SDK version>/<Module>.psd1`` for each module, pointing at this
    checkout's .psm1 files, so ``Import-Module <Name>``, ``#Requires -Modules`` (with a
    ModuleVersion pin) and command autoloading find them on PSModulePath. The presence modules
    require the authentication module, as the originals do."""
    written = []
    for module in MODULES.values():
        module_specs = [s for s in all_specs() if s.module == module.name]
        required = required_modules(module)
        formats = str(ROOT / module.formats) if module.formats else None
        # The folder is the ModuleVersion, as PowerShell's module discovery requires.
        target = modules_dir / module.name / SDK_VERSION / f"{module.name}.psd1"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(psd1(module, module_specs, str(ROOT / module.psm1), required, formats), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a generated file is stale")
    parser.add_argument("--install-to", type=Path, metavar="DIR",
                        help="write installed-module manifests into the PSModulePath folder DIR instead")
    args = parser.parse_args(argv)
    if args.install_to:
        for path in install(args.install_to.expanduser().resolve()):
            print(f"installed {path}")
        return 0
    stale = []
    for path, text in outputs().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(path.relative_to(ROOT).as_posix())
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"generate_module: wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"generate_module: stale (run {REGENERATE}): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
