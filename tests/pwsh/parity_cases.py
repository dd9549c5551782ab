"""Seeded invocations of the presence cmdlet for the binder parity test, and how to run one
through each binder.

A case is plain JSON so PowerShell can read it::

    {"args": [["Avail", {"t": "str", "v": "Busy"}, false], ["PassThru", {"t": "noarg"}, false]],
     "splat": false, "pipeline": null | [value, ...]}

``args`` keeps command-line order as ``[name, value, colon]``; a ``noarg`` value is a bare
``-Name``, ``colon`` writes ``-Name:value`` (how a switch takes a value). With ``splat`` the
arguments go in an ``[ordered]`` hashtable passed as ``@splat`` (so a bare ``-Name`` becomes
``$true``). Values: ``str``, ``int``, ``null``, ``ts`` (TimeSpan ticks), ``ht`` (hashtable),
``pso`` ([pscustomobject]), ``bool`` (``-Name:$value``).
"""

from __future__ import annotations

import json
import random
import types
from typing import Any

from pwshcompat import binder
from pwshcompat.conversion import TimeSpan
from pwshcompat.errors import ParameterBindingError
from pwshcompat.spec import CommandSpec
from pwshcompat.spec import load as specs_load

Value = dict[str, Any]

_IDS = ["u1", "user/1 é", "00000000-0000-0000-0000-000000000001"]
_STATES = ["Available", "Busy", "DoNotDisturb", "Away", "Offline", "OffWork", "busy"]


def _s(v: str) -> Value:
    return {"t": "str", "v": v}


def _body(rng: random.Random) -> Value:
    keys = rng.sample(["availability", "Activity", "expirationDuration", "extra"], rng.randint(0, 3))
    values = {"availability": _s(rng.choice(_STATES)), "Activity": _s(rng.choice(_STATES)),
              "expirationDuration": _s("PT1H"), "extra": {"t": "int", "v": 7}}
    return {"t": rng.choice(["ht", "pso"]), "v": {k: values[k] for k in keys}}


def _identity(rng: random.Random) -> Value:
    props = {"PresenceId": _s(rng.choice(_IDS))} if rng.random() < 0.8 else {"UserId": _s("u9")}
    return {"t": rng.choice(["ht", "pso"]), "v": props}


def value_for(p_name: str, p_type: str, rng: random.Random) -> Value:
    """A value for parameter ``p_name``: mostly valid, sometimes of a type it refuses."""
    if rng.random() < 0.08:  # something unusual for any parameter
        return rng.choice([{"t": "null"}, {"t": "int", "v": 5}, _s(""), {"t": "ht", "v": {"a": _s("b")}},
                           {"t": "pso", "v": {"PresenceId": _s("p")}}])
    if p_type.endswith("SwitchParameter"):
        return rng.choice([{"t": "noarg"}, {"t": "noarg"}, {"t": "bool", "v": True}, {"t": "bool", "v": False}])
    if p_type == "System.TimeSpan":
        return rng.choice([_s("01:00:00"), _s("1"), _s("PT1H"), {"t": "int", "v": 36000000000},
                           {"t": "ts", "v": 18000000000}, _s("nonsense")])
    if p_type in ("System.Collections.Hashtable", "System.Collections.IDictionary"):
        return rng.choice([{"t": "ht", "v": {"x-a": _s("1")}}, {"t": "ht", "v": {}}, _s("text"),
                           {"t": "pso", "v": {"x": _s("1")}}])
    if p_type == "System.Management.Automation.ActionPreference":
        return _s(rng.choice(["SilentlyContinue", "Continue", "Ignore", "Stop", "stop", "Bogus"]))
    if p_type == "System.Int32":
        return rng.choice([{"t": "int", "v": 2}, _s("3"), _s("x")])
    if p_type == "System.Uri":
        return _s("http://proxy.local:8080")
    if p_type.endswith("ICloudCommunicationsIdentity"):
        return rng.choice([_identity(rng), _identity(rng), _s('{"PresenceId": "j1"}'), _s("plain")])
    if p_type.startswith("Microsoft.Graph"):
        return rng.choice([_body(rng), _body(rng), _s('{"availability": "Busy", "activity": "Busy"}'), _s("plain"),
                           {"t": "int", "v": 3}])
    if p_name in ("Availability", "Activity"):
        return rng.choice([_s(s) for s in _STATES] + [{"t": "int", "v": 1}])
    if p_name == "PresenceId":
        return rng.choice([_s(i) for i in _IDS] + [_s("")])
    return _s(rng.choice(["v1", "hdrs", "x y"]))


def name_for(p_name: str, aliases: tuple[str, ...], rng: random.Random) -> str:
    """How a caller might spell the parameter: exact, case-changed, alias or a prefix."""
    roll = rng.random()
    if roll < 0.35:
        return p_name
    if roll < 0.5:
        return rng.choice([p_name.lower(), p_name.upper()])
    if roll < 0.6 and aliases:
        return rng.choice(aliases)
    return p_name[: rng.randint(1, len(p_name))]


# Parameters the cases use (hidden pipeline-step parameters take delegates, left out).
_SKIP = {"HttpPipelineAppend", "HttpPipelinePrepend", "ProxyCredential"}
_COMMON = [("Verbose", "System.Management.Automation.SwitchParameter", ("vb",)),
           ("Debug", "System.Management.Automation.SwitchParameter", ("db",)),
           ("ErrorAction", "System.Management.Automation.ActionPreference", ("ea",)),
           ("WarningAction", "System.Management.Automation.ActionPreference", ("wa",)),
           ("ProgressAction", "System.Management.Automation.ActionPreference", ("proga",)),
           ("OutVariable", "System.String", ("ov",)),
           ("OutBuffer", "System.Int32", ("ob",)),
           ("WhatIf", "System.Management.Automation.SwitchParameter", ("wi",)),
           ("Confirm", "System.Management.Automation.SwitchParameter", ("cf",))]


def generate(spec: CommandSpec, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    own = [(p.name, p.type, p.aliases) for p in spec.parameters if p.name not in _SKIP]
    sets = list(spec.parameter_sets)
    cases = []
    for _ in range(count):
        # Mostly coherent invocations (parameters of one set), some random mixtures.
        if rng.random() < 0.7:
            target = rng.choice(sets)
            pool = [x for x in own if spec.parameter(x[0]).membership(target) is not None]
        else:
            pool = list(own)
        chosen = rng.sample(pool, min(len(pool), rng.randint(0, 5)))
        if rng.random() < 0.3:
            chosen.append(rng.choice(_COMMON))
        if rng.random() < 0.03 and chosen:
            chosen.append(chosen[0])  # the same parameter twice
        args = [[name_for(n, a, rng), value_for(n, t, rng)] for n, t, a in chosen]
        for arg, (_, t, _) in zip(args, chosen):
            # A switch takes a value only as -Name:value; other parameters get either form.
            arg.append(t.endswith("SwitchParameter") or rng.random() < 0.2)
        if rng.random() < 0.03:
            args.append([rng.choice(["Foo", "Presence", "Availabilityx"]), _s("x"), False])
        pipeline = None
        if rng.random() < 0.3:
            pipeline = [rng.choice([_identity(rng), _body(rng), _s("piped"), {"t": "int", "v": 4},
                                    {"t": "ht", "v": {"X-Custom": _s("1")}}])
                        for _ in range(rng.randint(1, 3))]
        splat = rng.random() < 0.2
        if splat:
            # A splatted bare switch is $true; a splat hashtable holds each name once (the last value wins).
            merged: dict[str, list[Any]] = {}
            for name, v, colon in args:
                key = name.lower()
                v = {"t": "bool", "v": True} if v["t"] == "noarg" else v
                merged[key] = [merged[key][0] if key in merged else name, v, colon]
            args = list(merged.values())
        cases.append({"args": args, "splat": splat, "pipeline": pipeline})
    return cases


# Types the general generator leaves out: PowerShell cannot make them from text, while the Python
# API takes text for them on purpose (a SecureString as str), or they need real objects.
_OPAQUE = {"System.Security.SecureString", "System.Management.Automation.PSCredential",
           "System.Security.Cryptography.X509Certificates.X509Certificate2",
           "Microsoft.Graph.PowerShell.Authentication.Models.GraphRequestSession"}


def general_value(spec: CommandSpec, p_name: str, rng: random.Random) -> Value:
    """A value for any parameter, from its .NET type (and enum values), sometimes a wrong one."""
    p = spec.parameter(p_name)
    t = p.type
    if rng.random() < 0.08:
        return rng.choice([{"t": "null"}, _s(""), {"t": "int", "v": 0}, {"t": "ht", "v": {"a": _s("b")}}])
    if t.endswith("SwitchParameter"):
        return rng.choice([{"t": "noarg"}, {"t": "bool", "v": True}, {"t": "bool", "v": False}])
    if t == "System.String[]":
        return rng.choice([_s("User.Read"), {"t": "arr", "v": [_s("User.Read"), _s("Presence.ReadWrite")]}])
    if t in ("System.Double", "System.Int32"):
        return rng.choice([{"t": "int", "v": 5}, {"t": "num", "v": 2.5}, _s("7"), _s("x"), {"t": "int", "v": 0}])
    if t == "System.Boolean":
        return rng.choice([{"t": "bool", "v": True}, {"t": "bool", "v": False}, {"t": "int", "v": 1}, _s("yes")])
    raw = _RAW_ENUMS.get((spec.name, p_name))
    if raw:
        return _s(rng.choice([*raw, raw[0].lower(), "Bogus"]))
    if t == "System.Uri":
        return _s(rng.choice(["https://graph.microsoft.com/v1.0/me", "/beta/me", "not a uri"]))
    if t == "System.Collections.IDictionary":
        return rng.choice([{"t": "ht", "v": {"X-A": _s("1")}}, _s("text")])
    if t == "System.Object":
        return rng.choice([{"t": "ht", "v": {"a": _s("b")}}, _s("{}"), {"t": "int", "v": 3}])
    return _s(rng.choice(["Global", "LocalEmu", "https://login.local", "v1", "tenant-1"]))


_RAW_ENUMS: dict[tuple[str, str], list[str]] = {}


def _load_enums(spec: CommandSpec) -> None:
    from pwshcompat.spec import COMMANDS_DIR

    raw = json.loads((COMMANDS_DIR / f"{spec.name}.json").read_text(encoding="utf-8"))
    for p in raw["parameters"]:
        if p.get("enumValues"):
            _RAW_ENUMS[(spec.name, p["name"])] = list(p["enumValues"])


def generate_general(spec: CommandSpec, count: int, seed: int) -> list[dict[str, Any]]:
    """Invocations of any command (positional arguments and pipeline by property name included)."""
    _load_enums(spec)
    rng = random.Random(seed)
    own = [p for p in spec.parameters if p.type not in _OPAQUE and p.name not in _SKIP]
    sets = list(spec.parameter_sets) or ["__AllParameterSets"]
    by_name = [p for p in spec.parameters if any(m.value_from_pipeline_by_property_name for m in p.sets.values())]
    cases = []
    for _ in range(count):
        target = rng.choice(sets)
        pool = [p for p in own if p.membership(target) is not None] if rng.random() < 0.7 else list(own)
        chosen = rng.sample(pool, min(len(pool), rng.randint(0, 4)))
        args: list[list[Any]] = []
        for p in chosen:
            value = general_value(spec, p.name, rng)
            if p.position is not None and value["t"] != "noarg" and rng.random() < 0.4:
                args.append([None, value, False])  # positional
            else:
                args.append([name_for(p.name, p.aliases, rng), value, p.is_switch or rng.random() < 0.2])
        if rng.random() < 0.2:
            common = rng.choice(_COMMON[:7])
            args.append([name_for(common[0], common[2], rng), value_for(common[0], common[1], rng),
                         common[1].endswith("SwitchParameter")])
        if rng.random() < 0.05:
            args.append([None, _s("extra"), False])
        pipeline = None
        if by_name and rng.random() < 0.3:
            pipeline = [{"t": "pso", "v": {p.name: general_value(spec, p.name, rng)
                                           for p in rng.sample(by_name, rng.randint(1, len(by_name)))}}
                        for _ in range(rng.randint(1, 2))]
        cases.append({"command": spec.name, "args": args, "splat": False, "pipeline": pipeline})
    return cases


def python_value(v: Value) -> Any:
    t = v["t"]
    if t == "null":
        return None
    if t == "ts":
        return TimeSpan(v["v"])
    if t == "ht":
        return {k: python_value(x) for k, x in v["v"].items()}
    if t == "pso":
        return types.SimpleNamespace(**{k: python_value(x) for k, x in v["v"].items()})
    if t == "noarg":
        return binder.NO_ARGUMENT
    if t == "arr":
        return [python_value(x) for x in v["v"]]
    return v["v"]


def normalise(value: Any) -> Any:
    """A comparable JSON form of a bound value (PowerShell's side is normalised to the same)."""
    if isinstance(value, TimeSpan):
        return {"ticks": value.ticks}
    if isinstance(value, types.SimpleNamespace):
        value = vars(value)
    if isinstance(value, dict):
        return {str(k).lower(): normalise(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]).lower())}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    return value


def python_args(case: dict[str, Any]) -> list[tuple[str | None, Any]] | dict[str, Any]:
    """The case's arguments as pwshcompat.binder takes them: ``-Name:value`` as a name ending in
    ``:`` and a splat as a dict, since both change which error PowerShell reports first."""
    args = [(name if name is None or not colon or v["t"] == "noarg" else name + ":", python_value(v))
            for name, v, colon in case["args"]]
    if case["splat"]:
        return {name.rstrip(":"): value for name, value in args}  # type: ignore[union-attr]
    return args


def run_python(spec: CommandSpec, case: dict[str, Any]) -> dict[str, Any]:
    """The case through pwshcompat.binder, in the shape the PowerShell driver reports."""
    if case.get("command"):
        spec = specs_load(case["command"])
    pipeline = None if case["pipeline"] is None else [python_value(v) for v in case["pipeline"]]
    try:
        result = binder.bind(spec, python_args(case), pipeline)
    except ParameterBindingError as exc:
        return {"terminating": exc.error_id, "records": []}
    records = []
    # A pipeline object's binding error is non-terminating, so -ErrorAction applies to it as it
    # does in PowerShell (and in pwshcompat.api): Stop ends the command, Ignore/SilentlyContinue hide it.
    action = result.bound.get("ErrorAction")
    for r in result.records:
        if r.error is not None:
            if action == "Stop":
                return {"terminating": r.error.error_id, "records": []}
            if action not in ("Ignore", "SilentlyContinue"):
                records.append({"error": r.error.error_id})
        else:
            records.append({"set": r.parameter_set, "bound": {k: normalise(v) for k, v in r.bound.items()}})
    return {"terminating": None, "records": records}


def powershell_line(case: dict[str, Any]) -> str:
    """The case as a PowerShell command line (values shown as literals) for a reproducer."""

    def literal(v: Value) -> str:
        t = v["t"]
        if t == "str":
            return "'" + v["v"].replace("'", "''") + "'"
        if t in ("int",):
            return str(v["v"])
        if t == "bool":
            return "$true" if v["v"] else "$false"
        if t == "null":
            return "$null"
        if t == "ts":
            return f"[timespan]::FromTicks({v['v']})"
        if t == "num":
            return repr(v["v"])
        if t == "arr":
            return "@(" + ", ".join(literal(x) for x in v["v"]) + ")"
        inner = "; ".join(f"'{k}' = {literal(x)}" for k, x in v["v"].items())
        return ("[pscustomobject]@{" if t == "pso" else "@{") + inner + "}"

    cmd = case.get("command") or NAME
    if case["splat"]:
        splat = "$splat = [ordered]@{" + "; ".join(f"'{n}' = {literal(v)}" for n, v, _ in case["args"]) + "}; "
        line = splat + cmd + " @splat"
    else:
        parts = []
        for n, v, colon in case["args"]:
            if n is None:
                parts.append(literal(v))
            else:
                parts.append(f"-{n}" if v["t"] == "noarg" else (f"-{n}:{literal(v)}" if colon else f"-{n} {literal(v)}"))
        line = " ".join([cmd, *parts])
    if case["pipeline"] is not None:
        line = ", ".join(literal(v) for v in case["pipeline"]) + " | " + line
    return line


def python_call(case: dict[str, Any]) -> str:
    """The case as a pwshcompat.binder call, for a reproducer."""
    args = python_args(case)
    pipeline = None if case["pipeline"] is None else [python_value(v) for v in case["pipeline"]]
    return f"binder.bind(spec.load({(case.get('command') or NAME)!r}), {args!r}, {pipeline!r})"


NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"


def dumps(cases: list[dict[str, Any]]) -> str:
    return json.dumps(cases, ensure_ascii=False)
