"""Generate ``spec/commands/<Verb-Noun>.json`` from the help pages plus ``overlay.json``.

Usage::

    python3 -m pwshcompat.spec.generate                 # every page under ../shared/seeds with an overlay entry
    python3 -m pwshcompat.spec.generate --check         # exit 1 when a committed file is stale; write nothing
    python3 -m pwshcompat.spec.generate PAGE.md ...     # explicit pages

What comes from where:

* the help page (platyPS 2.0.0 or 2024-05-01, :mod:`.pages`): the module, the parameter sets and
  the default set, each parameter's type, aliases, positions, pipeline flags and per-set mandatory
  flag, the declaration order (the sets' SYNTAX orders merged), ``SupportsShouldProcess``
  (``-WhatIf`` in SYNTAX), the output type, and the properties of the identity and the body
  models (NOTES);
* ``overlay.json`` (hand-written), once for all commands under ``_shared``: the hidden
  pipeline/proxy parameters, ``PositionalBinding``, ``ConfirmImpact``, each module's API version
  and .NET namespace, the query options, header and paging parameters, and the parameter
  descriptions in our own words; per command only what no page says: the REST method and path
  of each operation (``"operation": "POST /users/{user-id}/presence/microsoft.graph.setPresence"``,
  or ``"operations"`` keyed by the base set name ``List``/``Get``/...), and when needed
  ``"response": "values"`` (an action returning a collection);
* ``models.json``: the body and response models; the generator checks them against the NOTES.

When a page holds both the seed's own 2.0.0 page and the module's 2024-05-01 page of the same
command, the seed's page is the source of truth for it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from . import ALL_SETS, COMMANDS_DIR, FORMAT_VERSION, model
from .pages import COMMON, Page, PageError, parse

OVERLAY = Path(__file__).with_name("overlay.json")
# The help pages: ../shared/seeds beside the clone, or where PWSHCOMPAT_SEEDS says (a git worktree
# elsewhere). A clone without them (CI) uses the committed specs; tests that read pages skip.
SEEDS_DIR = Path(os.environ.get("PWSHCOMPAT_SEEDS") or Path(__file__).resolve().parents[3] / "shared" / "seeds")
GENERATOR = "python3 -m pwshcompat.spec.generate"

# NOTES types -> model codecs (see spec.ModelProperty).
_NOTE_TYPES = {"String": "string", "Boolean?": "boolean", "Boolean": "boolean", "Int32": "int32", "Int32?": "int32",
               "TimeSpan?": "duration", "TimeSpan": "duration", "DateTime?": "dateTime", "DateTime": "dateTime",
               "String[]": "string[]"}


def note_type(text: str) -> str:
    """A NOTES type (``String``, ``TimeSpan?``, ``IMicrosoftGraphItemBody``) as a model property type."""
    if text in _NOTE_TYPES:
        return _NOTE_TYPES[text]
    if text.startswith("I") and text[1:2].isupper():
        return text[1:]
    raise PageError(f"NOTES type {text!r} has no codec")


def page_files(seeds: Path = SEEDS_DIR) -> dict[str, Path]:
    """{command: help page} for every page under ``seeds``; the seed's own page wins over its module's."""
    files: dict[str, Path] = {}
    for module_dir in sorted(p for p in seeds.glob("Microsoft.Graph*") if p.is_dir()):
        for page in sorted(module_dir.glob("*-Mg*.md")):
            files[page.stem] = page
    for page in sorted(seeds.glob("*-Mg*.md")):
        files[page.stem] = page
    return files


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


def _insert_hidden(order: list[str], hidden: list[str], runtime_order: list[str]) -> list[str]:
    """A 2.0.0 page leaves the hidden parameters out; the original declares the runtime parameters
    (Break, Headers, HttpPipelineAppend, ..., PassThru, Proxy, ...) in ``runtime_order``: put each
    hidden one before the first runtime parameter on the page that follows it there."""
    out = list(order)
    rank = {n: i for i, n in enumerate(runtime_order)}
    for name in hidden:
        if name in out:
            continue
        later = [i for i, n in enumerate(out) if n in rank and rank[n] > rank.get(name, len(rank))]
        runtime_positions = [i for i, n in enumerate(out) if n in rank]
        if later:
            out.insert(later[0], name)
        elif runtime_positions:
            out.insert(runtime_positions[-1] + 1, name)
        else:
            out.append(name)
    return out


def _base_set(set_name: str) -> str:
    return set_name.replace("ViaIdentity", "").replace("Expanded", "")


def _pascal(path_name: str) -> str:
    """``presence-id`` -> ``PresenceId`` (AutoRest's parameter name for a path segment)."""
    return "".join(part[:1].upper() + part[1:] for part in path_name.split("-"))


def _model_properties(node: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], note_type(p["type"])) for p in node.get("properties", [])]


def _check_model(name: str, node: dict[str, Any], where: str) -> None:
    """models.json must define ``name`` with exactly the NOTES' properties and types (recursively)."""
    try:
        defined = model(name)
    except KeyError:
        raise PageError(f"{where}: model {name} is not in pwshcompat/spec/models.json") from None
    expected = sorted(_model_properties(node))
    actual = sorted((p.name, p.type) for p in defined.properties)
    if expected != actual:
        raise PageError(f"{where}: models.json has {name} with {actual}, the page's NOTES say {expected}")
    if node.get("additionalProperties") != defined.additional_properties:
        raise PageError(f"{where}: models.json and the NOTES disagree on additional properties of {name}")
    for p in node.get("properties", []):
        if p.get("properties") is not None:
            _check_model(note_type(p["type"]), p, where)


def _response(output: str, method: str, base: str, overlay: dict[str, Any]) -> str:
    if output == "System.Boolean":
        return "passThru"
    if output == "System.Int32":
        return "count"
    if method == "GET":
        return "collection" if base == "List" else "model"
    return str(overlay.get("response", "model"))


def _operation_for(base: str, overlay: dict[str, Any], name: str) -> tuple[str, str]:
    text = overlay.get("operations", {}).get(base) or overlay.get("operation")
    if not text:
        raise PageError(f"{name}: overlay.json gives no operation for the sets named {base!r}")
    method, _, path = text.partition(" ")
    if method not in ("GET", "POST", "PATCH", "PUT", "DELETE") or not path.startswith("/"):
        raise PageError(f"{name}: overlay operation {text!r} is not '<METHOD> /path'")
    return method, path


def build(page_text: str, overlay: dict[str, Any], source: str, shared: dict[str, Any] | None = None) -> dict[str, Any]:
    """The spec dict for one help page; ``overlay`` is that command's entry of overlay.json and
    ``shared`` its ``_shared`` entry (the facts written once for every command)."""
    shared = shared or {}
    modules = shared.get("modules", {})
    module_name_match = re.search(r"^Module Name: (.+)$", page_text, re.M)
    module_info = modules.get(module_name_match.group(1).strip() if module_name_match else "", {})
    namespace = module_info.get("namespace", "")
    page: Page = parse(page_text, f"{namespace}.Models" if namespace else overlay.get("modelNamespace", ""))
    name = page.name
    hidden_specs = {h["name"]: h for h in shared.get("hiddenParameters", [])}
    descriptions = {**shared.get("descriptions", {}), **overlay.get("descriptions", {})}

    order = _merge_orders([[p for p in page.syntax[s] if p.lower() not in COMMON] for s in page.sets])
    if page.schema == "2.0.0":
        order = _insert_hidden(order, list(hidden_specs), shared.get("runtimeOrder", []))

    graph = _graph(page, overlay, shared, module_info) if module_info else None
    categories = _categories(graph, shared)
    parameters = []
    for pname in order:
        facts = page.parameters.get(pname)
        hidden = hidden_specs.get(pname)
        if facts is None and hidden is None:
            raise PageError(f"-{pname} is in SYNTAX but has no entry under PARAMETERS")
        if facts is not None:
            ptype, aliases = facts.type, facts.aliases
            memberships = facts.sets
            positions = {m["position"] for m in memberships.values()}
            all_sets = facts.all_sets and len({(m["mandatory"], m["valueFromPipeline"],
                                                m["valueFromPipelineByPropertyName"]) for m in memberships.values()}) == 1
        else:
            assert hidden is not None
            ptype, aliases = hidden["type"].replace("{namespace}", namespace), list(hidden.get("aliases", []))
            memberships = {s: {"mandatory": False, "valueFromPipeline": False, "valueFromPipelineByPropertyName": False,
                               "position": None} for s in page.sets}
            positions, all_sets = {None}, True
        if len(positions) > 1:
            raise PageError(f"-{pname} has different positions in different sets; specs hold one")
        entry = lambda m: {"mandatory": m["mandatory"], "valueFromPipeline": m["valueFromPipeline"],  # noqa: E731
                           "valueFromPipelineByPropertyName": m["valueFromPipelineByPropertyName"]}
        set_map = ({ALL_SETS: entry(next(iter(memberships.values())))} if all_sets
                   else {s: entry(memberships[s]) for s in page.sets if s in memberships})
        description = descriptions.get(pname)
        if not description:
            raise PageError(f"{name}: -{pname} has no description in overlay.json (descriptions are our own words)")
        parameters.append({
            "name": pname,
            "type": ptype,
            "aliases": aliases,
            "dontShow": hidden is not None,
            "position": next(iter(positions)),
            "description": description,
            "category": categories.get(pname, "Runtime") if graph else None,
            "validateNotNull": bool(hidden and hidden.get("validateNotNull")),
            "validateNotNullOrEmpty": False,
            "validateRange": None,
            "validateSet": None,
            "sets": set_map,
        })
    spec: dict[str, Any] = {
        "formatVersion": FORMAT_VERSION,
        "name": name,
        "module": page.module,
        "source": source,
        "defaultParameterSet": page.default_set or ALL_SETS,
        "positionalBinding": overlay.get("positionalBinding", shared.get("positionalBinding", True)),
        "supportsShouldProcess": any("WhatIf" in page.syntax[s] for s in page.sets),
        "confirmImpact": overlay.get("confirmImpact", shared.get("confirmImpact", "Medium")),
        "outputType": page.outputs,
        "parameterSets": page.sets,
    }
    if graph:
        spec["graph"] = graph
    spec["parameters"] = parameters
    if page.complex:
        spec["complexParameters"] = page.complex
    return spec


def _categories(graph: dict[str, Any] | None, shared: dict[str, Any]) -> dict[str, str]:
    """The original's ``[Category()]`` of each parameter: Path, Body, Query, Header; the rest is Runtime."""
    if not graph:
        return {}
    out: dict[str, str] = {}
    for p in graph.get("pathParameters", []):
        out[p["parameter"]] = "Path"
    if graph.get("identity"):
        out[graph["identity"]["parameter"]] = "Path"
    body = graph.get("body") or {}
    for key in ("parameter", "additionalProperties"):
        if body.get(key):
            out[body[key]] = "Body"
    for member in body.get("members", {}):
        out[member] = "Body"
    for parameter in graph.get("query", {}):
        out[parameter] = "Query"
    for parameter in graph.get("headers", {}):
        out[parameter] = "Header"
    return out


def _graph(page: Page, overlay: dict[str, Any], shared: dict[str, Any], module_info: dict[str, Any]) -> dict[str, Any]:
    """The ``graph`` section: what the operation runner needs, derived from the page and the overlay."""
    name = page.name
    namespace = module_info["namespace"]
    identity_parameter = shared.get("identityParameter", "InputObject")
    body_parameter = shared.get("bodyParameter", "BodyParameter")
    extra_parameter = shared.get("additionalPropertiesParameter", "AdditionalProperties")
    output = page.outputs[0] if page.outputs else ""
    in_sets = {s: set(page.syntax[s]) for s in page.sets}

    body_model = None
    body_members: dict[str, str] = {}
    if body_parameter in page.parameters:
        body_model = note_type(page.parameters[body_parameter].type.rsplit(".", 1)[-1])
        _check_model(body_model, page.complex.get(body_parameter.upper(), {}), name)
        defined = model(body_model)
        expanded = {p for s in page.sets if s.endswith("Expanded") for p in in_sets[s]}
        for p in defined.properties:
            if p.name in expanded:
                body_members[p.name] = p.name
    for note in page.complex.values():
        if note.get("type", "").startswith("IMicrosoftGraph"):
            _check_model(note_type(note["type"]), note, name)

    operations: dict[str, Any] = {}
    templates: set[str] = set()
    for s in page.sets:
        base = _base_set(s)
        method, path = _operation_for(base, overlay, name)
        templates.update(re.findall(r"\{([^}]+)\}", path))
        if body_parameter in in_sets[s]:
            body = "whole"
        elif s.endswith("Expanded") or any(m in in_sets[s] for m in body_members):
            body = "expanded"
        else:
            body = "none"
        operations[s] = {"method": method, "path": path, "viaIdentity": identity_parameter in in_sets[s], "body": body,
                         "response": _response(output, method, base, overlay)}

    graph: dict[str, Any] = {
        "apiVersion": module_info["apiVersion"],
        "namespace": namespace,
        "internalCommand": f"{name}_{{set}}",
        "internalType": f"{namespace}.Cmdlets.{name.replace('-', '')}_{{set}}",
        "operations": operations,
    }
    identity_note = page.complex.get(identity_parameter.upper())
    path_parameters = []
    for template in sorted(templates, key=lambda t: next(i for i, s in enumerate(operations.values())
                                                        if "{" + t + "}" in s["path"])):
        parameter = _pascal(template)
        if parameter not in page.parameters:
            raise PageError(f"{name}: the path has {{{template}}} but the page has no -{parameter}")
        if identity_note is not None and parameter not in {p["name"] for p in identity_note["properties"]}:
            raise PageError(f"{name}: the identity has no property {parameter} for {{{template}}}")
        path_parameters.append({"name": template, "parameter": parameter, "identityProperty": parameter})
    if path_parameters:
        graph["pathParameters"] = path_parameters
    if identity_parameter in page.parameters:
        if identity_note is None:
            raise PageError(f"{name}: -{identity_parameter} has no INPUTOBJECT properties in NOTES")
        graph["identity"] = {"parameter": identity_parameter,
                             "properties": [{"name": p, "type": t} for p, t in _model_properties(identity_note)]}
    if body_model:
        body_section: dict[str, Any] = {"parameter": body_parameter, "model": body_model, "members": body_members}
        if extra_parameter in page.parameters:
            body_section["additionalProperties"] = extra_parameter
        graph["body"] = body_section
    query = {p: option for p, option in shared.get("query", {}).items() if p in page.parameters}
    if query:
        graph["query"] = query
    headers = {p: header for p, header in shared.get("headers", {}).items() if p in page.parameters}
    if headers:
        graph["headers"] = headers
    if output.startswith(namespace + ".Models."):
        graph["responseModel"] = note_type(output.rsplit(".", 1)[-1])
        model(graph["responseModel"])  # KeyError when models.json lacks it
    return graph


def render(page_text: str, overlay: dict[str, Any], page_name: str, shared: dict[str, Any] | None = None) -> str:
    """The exact text of the generated JSON file for the help page ``page_name``."""
    source = (f"generated from the help page {page_name} and pwshcompat/spec/overlay.json by "
              f"`{GENERATOR}`; do not edit by hand")
    return json.dumps(build(page_text, overlay, source, shared), indent=2, ensure_ascii=False) + "\n"


def overlays() -> tuple[dict[str, Any], dict[str, Any]]:
    """(per-command entries, the ``_shared`` entry) of overlay.json."""
    raw = json.loads(OVERLAY.read_text(encoding="utf-8"))
    return {k: v for k, v in raw.items() if not k.startswith("_")}, raw.get("_shared", {})


def outputs_for(pages: list[Path]) -> dict[Path, str]:
    """{target JSON path: text} for the help pages that have an overlay entry."""
    entries, shared = overlays()
    out: dict[Path, str] = {}
    for page in pages:
        if page.stem in entries:
            try:
                out[COMMANDS_DIR / f"{page.stem}.json"] = render(page.read_text(encoding="utf-8"), entries[page.stem],
                                                                 page.name, shared)
            except PageError as exc:
                raise PageError(f"{page}: {exc}") from None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=GENERATOR, description=__doc__.split("\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help=f"help pages (default: every page under {SEEDS_DIR})")
    parser.add_argument("--check", action="store_true", help="fail when a committed spec differs; write nothing")
    args = parser.parse_args(argv)
    pages = args.pages or list(page_files().values())
    if not pages:
        print(f"generate: no help pages found in {SEEDS_DIR}", file=sys.stderr)
        return 2
    entries, _ = overlays()
    missing = sorted(set(entries) - {p.stem for p in pages}) if not args.pages else []
    if missing:
        print(f"generate: overlay.json names commands without a help page: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        outputs = outputs_for(pages)
    except PageError as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 1
    stale = []
    for target, text in outputs.items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        print(f"generate: stale, regenerate with `{GENERATOR}`: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


__all__ = ["SEEDS_DIR", "build", "main", "note_type", "outputs_for", "overlays", "page_files", "render"]

if __name__ == "__main__":
    sys.exit(main())
