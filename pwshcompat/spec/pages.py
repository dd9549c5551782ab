"""Read a platyPS help page (schema 2.0.0 or 2024-05-01) into the facts a spec is made from.

Both formats give a command's parameter sets (``### Name (Default)`` under SYNTAX, one code block
each), its parameters, its INPUTS and OUTPUTS, and in NOTES the properties of its complex
parameters. They differ in how each parameter is described:

* 2.0.0 (the seed's page): ``Type: String``, ``Parameter Sets: A, B``, ``Required: True``,
  ``Position: Named``, ``Accept pipeline input: True (ByValue)``; the hidden pipeline and proxy
  parameters are not on the page at all, and whether a parameter is mandatory *per set* is read
  from SYNTAX (a parameter outside brackets is mandatory there);
* 2024-05-01: a YAML block with the full .NET type, ``Aliases`` as a list and one ``ParameterSets``
  entry per set (``Name``, ``Position``, ``IsRequired``, ``ValueFromPipeline``,
  ``ValueFromPipelineByPropertyName``); SYNTAX lists the hidden parameters too (their ``DontShow``
  is false on the page, a documentation-generator artefact; the overlay says which are hidden).

Only facts are taken (names, types, sets, flags, positions, aliases); the page's prose is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["Page", "PageError", "ParameterFacts", "parse", "COMMON"]

# PowerShell's common parameters and the ShouldProcess pair: the binder and the module generator
# add these themselves (about_CommonParameters), so specs leave them out.
COMMON = frozenset(
    p.lower()
    for p in ("Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable", "OutVariable",
              "OutBuffer", "PipelineVariable", "ProgressAction", "Verbose", "WarningAction", "WarningVariable",
              "WhatIf", "Confirm")
)

# platyPS 2.0.0 writes short type names; these are the .NET types they stand for.
SYSTEM_TYPES = {
    "String": "System.String",
    "String[]": "System.String[]",
    "Int32": "System.Int32",
    "Int64": "System.Int64",
    "Double": "System.Double",
    "Boolean": "System.Boolean",
    "DateTime": "System.DateTime",
    "TimeSpan": "System.TimeSpan",
    "Uri": "System.Uri",
    "Object": "System.Object",
    "Hashtable": "System.Collections.Hashtable",
    "IDictionary": "System.Collections.IDictionary",
    "SwitchParameter": "System.Management.Automation.SwitchParameter",
    "ActionPreference": "System.Management.Automation.ActionPreference",
    "PSCredential": "System.Management.Automation.PSCredential",
    "SecureString": "System.Security.SecureString",
}

# One SYNTAX token: [[-Name] <T>] | [-Name] <T> | [-Name <T>] | [-Name] | -Name <T> | -Name | [<CommonParameters>]
_TOKEN = re.compile(
    r"\[\[-(?P<op>\w+)\] <[^>]+>\]"
    r"|\[-(?P<mp>\w+)\] <[^>]+>"
    r"|\[-(?P<on>\w+)(?: <[^>]+>)?\]"
    r"|(?<![\w\[])-(?P<mn>\w+)(?: <[^>]+>)?"
    r"|\[<CommonParameters>\]"
)


class PageError(ValueError):
    """The help page does not have the shape this reader knows."""


@dataclass
class ParameterFacts:
    """One parameter as the page describes it."""

    name: str
    type: str
    aliases: list[str]
    sets: dict[str, dict[str, Any]]
    """Set name -> {"mandatory", "valueFromPipeline", "valueFromPipelineByPropertyName", "position"}."""
    all_sets: bool = False
    """The page lists the parameter in "(All)" sets (``[Parameter()]`` without a set name)."""


@dataclass
class Page:
    """The facts of one help page."""

    name: str
    module: str
    schema: str  # "2.0.0" or "2024-05-01"
    sets: list[str]
    default_set: str | None
    syntax: dict[str, dict[str, bool]]
    """Set -> {parameter: mandatory} in SYNTAX order (common parameters included)."""
    parameters: dict[str, ParameterFacts]
    inputs: list[str]
    outputs: list[str]
    complex: dict[str, Any] = field(default_factory=dict)
    """NOTES' COMPLEX PARAMETER PROPERTIES: {PARAMETER: {"type", "properties": [...], "additionalProperties"}}."""
    links: list[str] = field(default_factory=list)


def _sections(text: str, level: str) -> dict[str, str]:
    """Split markdown ``text`` at headings of ``level`` (``"## "``) into {title: body}."""
    out: dict[str, str] = {}
    title: str | None = None
    lines: list[str] = []
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith(level) and not line.startswith(level + "#"):
            if title is not None:
                out[title] = "\n".join(lines)
            title, lines = line[len(level):].strip(), []
        elif title is not None:
            lines.append(line)
    if title is not None:
        out[title] = "\n".join(lines)
    return out


def _code_block(body: str) -> str:
    match = re.search(r"```[a-z]*\n(.*?)```", body, re.S)
    if not match:
        raise PageError("expected a fenced code block")
    return match.group(1)


def _parse_syntax(section: str, command: str) -> tuple[list[str], str | None, dict[str, dict[str, bool]]]:
    sets: list[str] = []
    default = None
    members: dict[str, dict[str, bool]] = {}
    for heading, body in _sections(section, "### ").items():
        name = heading.replace("(Default)", "").strip()
        if "(Default)" in heading:
            default = name
        code = " ".join(_code_block(body).split())
        if not code.startswith(command):
            raise PageError(f"SYNTAX block {name!r} does not start with {command!r}")
        params: dict[str, bool] = {}
        for m in _TOKEN.finditer(code[len(command):]):
            pname = m.group("op") or m.group("mp") or m.group("on") or m.group("mn")
            if pname:
                params[pname] = bool(m.group("mp") or m.group("mn"))
        sets.append(name)
        members[name] = params
    return sets, default, members


def _pipeline(text: str) -> tuple[bool, bool]:
    """``True (ByValue, ByPropertyName)`` -> (by value, by property name)."""
    if not text.lower().startswith("true"):
        return False, False
    return "ByValue" in text, "ByPropertyName" in text


def _full_type(short: str, inputs: list[str], model_namespace: str) -> str:
    if short in SYSTEM_TYPES:
        return SYSTEM_TYPES[short]
    if "." in short:
        return short
    for full in inputs:
        if full.endswith("." + short):
            return full
    if model_namespace:
        return f"{model_namespace}.{short}"
    raise PageError(f"unknown type {short!r}")


def _parameters_v2(section: str, sets: list[str], syntax: dict[str, dict[str, bool]], inputs: list[str],
                   model_namespace: str) -> dict[str, ParameterFacts]:
    out: dict[str, ParameterFacts] = {}
    for heading, body in _sections(section, "### ").items():
        if not heading.startswith("-"):
            continue  # "### CommonParameters"
        name = heading[1:]
        fields: dict[str, str] = {}
        for line in _code_block(body).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        listed = fields.get("Parameter Sets", "")
        in_sets = sets if listed == "(All)" else [s.strip() for s in listed.split(",") if s.strip()]
        by_value, by_name = _pipeline(fields.get("Accept pipeline input", "False"))
        position = fields.get("Position", "Named")
        membership = {}
        for s in in_sets:
            membership[s] = {"mandatory": bool(syntax.get(s, {}).get(name, False)), "valueFromPipeline": by_value,
                             "valueFromPipelineByPropertyName": by_name,
                             "position": None if position == "Named" else int(position)}
        out[name] = ParameterFacts(name, _full_type(fields.get("Type", ""), inputs, model_namespace),
                                   [a.strip() for a in fields.get("Aliases", "").split(",") if a.strip()], membership,
                                   listed == "(All)")
    return out


def _parameters_2024(section: str, sets: list[str]) -> dict[str, ParameterFacts]:
    out: dict[str, ParameterFacts] = {}
    for heading, body in _sections(section, "### ").items():
        if not heading.startswith("-"):
            continue
        name = heading[1:]
        try:
            data = yaml.safe_load(_code_block(body))
        except yaml.YAMLError as exc:
            raise PageError(f"-{name}: the parameter's YAML block does not parse: {exc}") from None
        if not isinstance(data, dict) or "Type" not in data or "ParameterSets" not in data:
            raise PageError(f"-{name}: the parameter's YAML block lacks Type or ParameterSets")
        membership = {}
        all_sets = False
        for entry in data["ParameterSets"] or ():
            all_sets = all_sets or entry["Name"] == "(All)"
            position = entry.get("Position", "Named")
            names = sets if entry["Name"] == "(All)" else [entry["Name"]]
            for s in names:
                membership[s] = {"mandatory": bool(entry.get("IsRequired", False)),
                                 "valueFromPipeline": bool(entry.get("ValueFromPipeline", False)),
                                 "valueFromPipelineByPropertyName": bool(entry.get("ValueFromPipelineByPropertyName", False)),
                                 "position": None if position in (None, "Named") else int(position)}
        out[name] = ParameterFacts(name, str(data["Type"]), [str(a) for a in data.get("Aliases") or []], membership,
                                   all_sets)
    return out


def _parse_complex(notes: str) -> dict[str, Any]:
    """NOTES' COMPLEX PARAMETER PROPERTIES, nested: {PARAM: {"type", "properties", "additionalProperties"}}.

    A property line is ``[Name <Type>]: text`` indented two spaces per level (2.0.0 adds ``- `...` ``);
    ``[(Any) <Object>]`` marks a model that keeps unknown members. Description lines may wrap
    without indentation; they are ignored.
    """
    out: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = []
    for line in notes.splitlines():
        head = re.match(r"^([A-Z][A-Z0-9]*) `<([^>]+)>`:", line)
        if head:
            node: dict[str, Any] = {"type": head.group(2), "properties": [], "additionalProperties": False}
            out[head.group(1)] = node
            stack = [(0, node)]
            continue
        item = re.match(r"^(\s+)(?:- )?`?\[(\(Any\)|\w+) <([^>]+)>\]`?", line)
        if not item or not stack:
            continue
        indent = len(item.group(1))
        while len(stack) > 1 and stack[-1][0] >= indent:
            stack.pop()
        owner = stack[-1][1]
        pname, ptype = item.group(2), item.group(3)
        if pname == "(Any)":
            owner["additionalProperties"] = True
            continue
        prop: dict[str, Any] = {"name": pname, "type": ptype}
        owner["properties"].append(prop)
        if ptype.startswith("I") and not ptype.startswith(("Int", "IDictionary")) and "." not in ptype:
            prop.update({"properties": [], "additionalProperties": False})
            stack.append((indent, prop))
    return out


def parse(text: str, model_namespace: str = "") -> Page:
    """The facts of the help page ``text``; ``model_namespace`` completes 2.0.0 short model type names."""
    title = re.search(r"^# (\S+)\s*$", text, re.M)
    module = re.search(r"^Module Name: (.+)$", text, re.M)
    if not title or not module:
        raise PageError("missing '# <command>' title or 'Module Name:' front matter")
    name = title.group(1)
    schema = "2024-05-01" if re.search(r"^PlatyPS schema version: 2024-05-01", text, re.M) else "2.0.0"
    top = _sections(text, "## ")
    for needed in ("SYNTAX", "PARAMETERS", "OUTPUTS"):
        if needed not in top:
            raise PageError(f"missing section '## {needed}'")
    sets, default, syntax = _parse_syntax(top["SYNTAX"], name)
    inputs = [h.strip() for h in re.findall(r"^### (.+)$", top.get("INPUTS", ""), re.M)]
    outputs = [h.strip() for h in re.findall(r"^### (.+)$", top["OUTPUTS"], re.M)]
    if schema == "2.0.0":
        parameters = _parameters_v2(top["PARAMETERS"], sets, syntax, inputs, model_namespace)
    else:
        parameters = _parameters_2024(top["PARAMETERS"], sets)
    for s in sets:
        for pname, mandatory in syntax[s].items():
            if pname.lower() in COMMON:
                continue
            facts = parameters.get(pname)
            if facts is None:
                raise PageError(f"-{pname} is in SYNTAX but has no entry under PARAMETERS")
            if s not in facts.sets:
                raise PageError(f"-{pname}: SYNTAX shows it in set {s!r}, PARAMETERS does not")
            if facts.sets[s]["mandatory"] != mandatory:
                raise PageError(f"-{pname}: mandatory in set {s!r} is {facts.sets[s]['mandatory']} under PARAMETERS "
                                f"but {mandatory} in SYNTAX")
    for pname, facts in parameters.items():
        if pname.lower() in COMMON:
            continue
        for s in facts.sets:
            if s not in syntax or pname not in syntax[s]:
                raise PageError(f"-{pname}: PARAMETERS lists set {s!r}, SYNTAX does not show it there")
    links = re.findall(r"\((https?://[^)]+)\)", top.get("RELATED LINKS", ""))
    return Page(name, module.group(1).strip(), schema, sets, default, syntax, parameters, inputs, outputs,
                _parse_complex(top.get("NOTES", "")), links)
