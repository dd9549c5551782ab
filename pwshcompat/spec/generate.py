"""Generate ``spec/commands/<Verb-Noun>.json`` from a platyPS help page plus ``overlay.json``.

Usage::

    python3 -m pwshcompat.spec.generate                 # every page in ../shared/seeds with an overlay entry
    python3 -m pwshcompat.spec.generate --check         # exit 1 when a committed file is stale
    python3 -m pwshcompat.spec.generate PAGE.md ...     # explicit pages

What comes from where:

* the help page (platyPS schema 2.0): the module name, the parameter sets and the default set
  (``### Name (Default)`` under SYNTAX), which parameters are mandatory in which set (SYNTAX:
  a parameter outside brackets is mandatory there), the order of parameters (first appearance in
  SYNTAX), types, aliases, positions and pipeline flags (PARAMETERS), ``SupportsShouldProcess``
  (``-WhatIf`` in SYNTAX), the output type (OUTPUTS) and the properties of hashtable-shaped
  parameters (NOTES, as the extra key ``complexParameters``);
* ``overlay.json`` (hand-written): what the page lacks: the hidden ``DontShow`` parameters, the
  REST operation, ``PositionalBinding``, ``ConfirmImpact``, and parameter descriptions in our words.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from . import ALL_SETS, COMMANDS_DIR, SWITCH_TYPE

OVERLAY = Path(__file__).with_name("overlay.json")
SEEDS_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"

# PowerShell's common parameters and the ShouldProcess pair: the binder and the module generator
# add these themselves (about_CommonParameters), so the spec leaves them out.
COMMON = frozenset(
    p.lower()
    for p in ("Debug", "ErrorAction", "ErrorVariable", "InformationAction", "InformationVariable", "OutVariable",
              "OutBuffer", "PipelineVariable", "ProgressAction", "Verbose", "WarningAction", "WarningVariable",
              "WhatIf", "Confirm")
)

# platyPS writes short type names; these are the .NET types they stand for.
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
    "SwitchParameter": SWITCH_TYPE,
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
    """The help page does not have the shape this generator reads."""


def _sections(text: str, level: str) -> dict[str, str]:
    """Split markdown ``text`` at headings of ``level`` (``"## "``) into {title: body}."""
    out: dict[str, str] = {}
    title: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith(level) and not line.startswith(level + "#"):
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
    """Sets in page order, the default set, and {set: {parameter: mandatory}} in SYNTAX order."""
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


def _parse_parameters(section: str) -> dict[str, dict[str, str]]:
    """{name: {"description": ..., yaml keys...}} for each ``### -Name`` entry."""
    out: dict[str, dict[str, str]] = {}
    for heading, body in _sections(section, "### ").items():
        if not heading.startswith("-"):
            continue  # "### CommonParameters"
        before_yaml = body.split("```", 1)[0]
        fields = {"description": " ".join(before_yaml.split())}
        for line in _code_block(body).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        out[heading[1:]] = fields
    return out


def _full_type(short: str, inputs: list[str], model_namespace: str) -> str:
    if short in SYSTEM_TYPES:
        return SYSTEM_TYPES[short]
    for full in inputs:
        if full.endswith("." + short):
            return full
    if model_namespace:
        return f"{model_namespace}.{short}"
    raise PageError(f"unknown type {short!r}")


def _pipeline(text: str) -> tuple[bool, bool]:
    """``True (ByValue, ByPropertyName)`` -> (by value, by property name)."""
    if not text.lower().startswith("true"):
        return False, False
    return "ByValue" in text, "ByPropertyName" in text


def _parse_complex(notes: str, parameter_names: list[str]) -> dict[str, Any]:
    """NOTES' "COMPLEX PARAMETER PROPERTIES": {parameter: {"properties": [{name, type}], "additionalProperties": bool}}.

    ``[(Any) <Object>]`` marks a model that keeps unknown keys as additional properties.
    """
    by_upper = {n.upper(): n for n in parameter_names}
    out: dict[str, Any] = {}
    current: dict[str, Any] | None = None
    for line in notes.splitlines():
        head = re.match(r"^([A-Z][A-Z0-9]*) `<[^>]+>`:", line)
        if head:
            name = by_upper.get(head.group(1))
            current = out.setdefault(name, {"properties": [], "additionalProperties": False}) if name else None
            continue
        item = re.match(r"^\s+- `\[(\(Any\)|\w+) <([^>]+)>\]`", line)
        if item and current is not None:
            if item.group(1) == "(Any)":
                current["additionalProperties"] = True
            else:
                current["properties"].append({"name": item.group(1), "type": item.group(2)})
    return out


def _merge_orders(sequences: list[list[str]]) -> list[str]:
    """One declaration order that keeps every set's SYNTAX order (Get-Command -Syntax prints each set
    in declaration order). E.g. Set shows -PresenceId -BodyParameter and SetViaIdentity shows
    -InputObject -BodyParameter, so -InputObject must be declared before -BodyParameter."""
    pending = [list(seq) for seq in sequences]
    order: list[str] = []
    while any(pending):
        heads = [seq[0] for seq in pending if seq]
        # the first head that no set wants later than something still unplaced; else the first head
        pick = next((h for h in heads if not any(h in seq[1:] for seq in pending)), heads[0])
        order.append(pick)
        pending = [[p for p in seq if p != pick] for seq in pending]
    return order


def build(page: str, overlay: dict[str, Any], source: str) -> dict[str, Any]:
    """The spec dict for one help page; ``overlay`` is that command's entry of overlay.json."""
    title = re.search(r"^# (\S+)\s*$", page, re.M)
    module = re.search(r"^Module Name: (.+)$", page, re.M)
    if not title or not module:
        raise PageError("missing '# <command>' title or 'Module Name:' front matter")
    name = title.group(1)
    top = _sections(page, "## ")
    for needed in ("SYNTAX", "PARAMETERS", "OUTPUTS"):
        if needed not in top:
            raise PageError(f"missing section '## {needed}'")
    sets, default, members = _parse_syntax(top["SYNTAX"], name)
    details = _parse_parameters(top["PARAMETERS"])
    inputs = [h.strip() for h in re.findall(r"^### (.+)$", top.get("INPUTS", ""), re.M)]
    outputs = [h.strip() for h in re.findall(r"^### (.+)$", top["OUTPUTS"], re.M)]
    descriptions = overlay.get("descriptions", {})

    order = _merge_orders([[p for p in members[s] if p.lower() not in COMMON] for s in sets])
    parameters = []
    for pname in order:
        info = details.get(pname)
        if info is None:
            raise PageError(f"-{pname} is in SYNTAX but has no entry under PARAMETERS")
        in_sets = [s for s in sets if pname in members[s]]
        listed = info.get("Parameter Sets", "")
        expected = sets if listed == "(All)" else [s.strip() for s in listed.split(",")]
        if sorted(expected) != sorted(in_sets):
            raise PageError(f"-{pname}: PARAMETERS lists sets {expected}, SYNTAX shows {in_sets}")
        by_value, by_name = _pipeline(info.get("Accept pipeline input", "False"))
        position = info.get("Position", "Named")
        entry = lambda mandatory: {  # noqa: E731 - one membership shape for every set
            "mandatory": mandatory, "valueFromPipeline": by_value, "valueFromPipelineByPropertyName": by_name}
        if listed == "(All)" and len({members[s][pname] for s in sets}) == 1:
            set_map = {ALL_SETS: entry(members[sets[0]][pname])}
        else:
            set_map = {s: entry(members[s][pname]) for s in in_sets}
        aliases = [a.strip() for a in info.get("Aliases", "").split(",") if a.strip()]
        page_description = info["description"] if info["description"] != "." else ""
        parameters.append({
            "name": pname,
            "type": _full_type(info.get("Type", ""), inputs, overlay.get("modelNamespace", "")),
            "aliases": aliases,
            "dontShow": False,
            "position": None if position == "Named" else int(position),
            "description": descriptions.get(pname, page_description),
            "validateNotNull": False,
            "validateNotNullOrEmpty": False,
            "validateRange": None,
            "validateSet": None,
            "sets": set_map,
        })
    for hidden in overlay.get("hiddenParameters", []):
        parameters.append({
            "name": hidden["name"],
            "type": hidden["type"],
            "aliases": hidden.get("aliases", []),
            "dontShow": True,
            "position": None,
            "description": descriptions.get(hidden["name"], ""),
            "validateNotNull": hidden.get("validateNotNull", False),
            "validateNotNullOrEmpty": hidden.get("validateNotNullOrEmpty", False),
            "validateRange": hidden.get("validateRange"),
            "validateSet": hidden.get("validateSet"),
            "sets": {ALL_SETS: {"mandatory": False, "valueFromPipeline": False, "valueFromPipelineByPropertyName": False}},
        })
    spec: dict[str, Any] = {
        "name": name,
        "module": module.group(1).strip(),
        "source": source,
        "defaultParameterSet": default or ALL_SETS,
        "positionalBinding": overlay.get("positionalBinding", True),
        "supportsShouldProcess": any("WhatIf" in members[s] for s in sets),
        "confirmImpact": overlay.get("confirmImpact", "Medium"),
        "outputType": outputs,
        "parameterSets": sets,
    }
    if "operation" in overlay:
        spec["operation"] = overlay["operation"]
    spec["parameters"] = parameters
    complex_parameters = _parse_complex(top.get("NOTES", ""), [p["name"] for p in parameters])
    if complex_parameters:
        spec["complexParameters"] = complex_parameters
    return spec


def render(page: str, overlay: dict[str, Any], page_name: str) -> str:
    """The exact text of the generated JSON file for the help page ``page_name``."""
    source = (f"generated from the help page {page_name} and pwshcompat/spec/overlay.json by "
              "`python3 -m pwshcompat.spec.generate`; do not edit by hand")
    return json.dumps(build(page, overlay, source), indent=2, ensure_ascii=False) + "\n"


def _overlays() -> dict[str, Any]:
    return {k: v for k, v in json.loads(OVERLAY.read_text(encoding="utf-8")).items() if not k.startswith("_")}


def outputs_for(pages: list[Path]) -> dict[Path, str]:
    """{target JSON path: text} for the help pages that have an overlay entry."""
    overlays = _overlays()
    out: dict[Path, str] = {}
    for page in pages:
        if page.stem in overlays:
            out[COMMANDS_DIR / f"{page.stem}.json"] = render(page.read_text(encoding="utf-8"), overlays[page.stem], page.name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m pwshcompat.spec.generate", description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help=f"help pages (default: {SEEDS_DIR}/*.md)")
    parser.add_argument("--check", action="store_true", help="fail when a committed spec differs; write nothing")
    args = parser.parse_args(argv)
    pages = args.pages or sorted(SEEDS_DIR.glob("*.md"))
    if not pages:
        print(f"generate: no help pages found in {SEEDS_DIR}", file=sys.stderr)
        return 2
    stale = []
    for target, text in outputs_for(pages).items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        print("generate: stale, regenerate with `python3 -m pwshcompat.spec.generate`: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
