"""``python3 -m pwshcompat <Cmdlet-Name> -Param value ...``: the cmdlets from a shell.

Arguments follow PowerShell's shapes: ``-Name value``, ``-Name:value``, a bare ``-Switch``;
values may be ``$true``/``$false``/``$null``, numbers (``-ExpirationDuration 3600`` is 3600 ticks,
as in PowerShell), hashtable literals ``@{a=1; b='x'}`` or JSON (``{"a": 1}``), and
comma lists for array parameters. Output goes to stdout as :data:`OUTPUT_HELP` says (one JSON
document: an object, or an array for a collection; ``--json-lines`` before the command name prints
one compact JSON value per line instead), errors to stderr as ``<Cmdlet>: <message>``; the exit status is 1 when any error was reported,
2 for a usage error, 141 when the reader of the output stopped early (``| head -1``, as SIGPIPE).
``-Verbose`` prints the command's ``VERBOSE:`` lines to stderr, as pwsh does.
``<Cmdlet> -?`` (or ``-h``, ``--help``, or ``help <Cmdlet>``) prints the command's syntax and
each parameter's description and exits 0.

The connection: the CLI process starts unconnected, so before a Graph command, ``Invoke-MgGraphRequest``
and ``Get-MgContext`` (which then shows the context the environment gives) it connects the way the
environment says (reusing the auth module's ``Connect-MgGraph``):

* ``PWSHCOMPAT_ACCESS_TOKEN`` (with ``PWSHCOMPAT_GRAPH_ENDPOINT`` for a custom endpoint, or
  ``PWSHCOMPAT_ENVIRONMENT`` naming a known environment): that bearer token;
* otherwise ``AZURE_CLIENT_ID`` + ``AZURE_TENANT_ID`` + a secret or certificate
  (``Connect-MgGraph -EnvironmentVariable``); with ``PWSHCOMPAT_GRAPH_ENDPOINT`` the sign-in goes
  to that endpoint's own cloud (``PWSHCOMPAT_AZUREAD_ENDPOINT`` names it for an emulator or a
  custom cloud), or the command is refused: ``pwshcompat.auth.environments.for_graph_endpoint``;
* otherwise the connection an earlier ``Connect-MgGraph -ContextScope CurrentUser`` persisted
  (``pwshcompat.auth.connect.restore()``: silent, no prompt).

``Connect-MgGraph -Environment Emulator`` (or ``PWSHCOMPAT_ENVIRONMENT=Emulator``) is refused with
what to do instead (:data:`EMULATOR_HELP`): the built-in environment's emulator would live in this
process only and end with the command.

A variable that cannot work (``PWSHCOMPAT_ACCESS_TOKEN`` set but empty, an endpoint variable that is
not an absolute http or https URL) is an error naming that variable, before anything is sent.
The endpoint variables are saved in ``~/.mg`` as the environment ``PwshCompatCli``; with
``PWSHCOMPAT_ENVIRONMENT`` naming an environment someone saved with other endpoints, the command is
refused (``EnvironmentEndpointsDiffer``) and that environment stays as it is.

``install-module [DIR]``, ``uninstall-module [DIR]`` and ``module-path [DIR]`` manage the PowerShell
modules this package carries (:mod:`pwshcompat.install`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

from . import api, binder, commands
from . import spec as spec_module
from .errors import ErrorRecord, PSError

__all__ = ["command_help", "command_syntax", "main", "parse_arguments", "parse_value"]

USAGE = ("usage: python3 -m pwshcompat [--json-lines] <Cmdlet-Name> [-Parameter value | -Parameter:value | -Switch] ...\n"
         "       python3 -m pwshcompat <Cmdlet-Name> -?        (the command's syntax and parameters)\n"
         "       python3 -m pwshcompat install-module [DIR]    (the PowerShell modules, for this Python;\n"
         "                                                       also uninstall-module [DIR], module-path [DIR])\n"
         "       python3 -m pwshcompat --version               (pwshcompat's own version)")
INSTALL_COMMANDS = ("install-module", "uninstall-module", "module-path")
CONNECTION_HELP = """\
connection (before Graph commands, Invoke-MgGraphRequest and Get-MgContext), the first that applies:
  PWSHCOMPAT_ACCESS_TOKEN      a bearer token (with PWSHCOMPAT_GRAPH_ENDPOINT for another Graph endpoint,
                               or PWSHCOMPAT_ENVIRONMENT naming a known environment)
  AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)
                               Connect-MgGraph -EnvironmentVariable
  a sign-in saved by Connect-MgGraph -ContextScope CurrentUser"""
OUTPUT_HELP = """\
output (stdout), one JSON document that json.load and jq read (text alone is printed as it is):
  one object                   that object (a boolean as true/false, e.g. -PassThru's true)
  a collection                 one JSON array: always for a command that lists (Get-MgCommunicationPresence
                               without -PresenceId, Get-MgCommunicationPresenceByUserId), even of 0 or 1
                               items, and whenever a command writes several objects
  --json-lines                 (before the command name) one compact JSON value per line, per object
                               written: a stream for `while read` or `jq -c`; true/false and quoted text"""
JSON_LINES = "--json-lines"
HELP_TOKENS = ("-?", "-h", "--help")
# Auth-module commands that use the connection (the others manage environments and settings).
_USES_CONNECTION = {"invoke-mggraphrequest", "get-mgcontext"}
_PARAMETER = re.compile(r"^-([A-Za-z_?][\w-]*)(:(.*))?$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+)$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?$")


class UsageError(ValueError):
    pass


class _HashtableParser:
    """A small parser for PowerShell hashtable literals: ``@{ key = value; ... }`` (nested allowed)."""

    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def error(self, what: str) -> UsageError:
        return UsageError(f"cannot parse the hashtable literal at position {self.i}: {what}: {self.text!r}")

    def skip(self, separators: str = "") -> None:
        while self.i < len(self.text) and (self.text[self.i].isspace() or self.text[self.i] in separators):
            self.i += 1

    def parse(self) -> Any:
        self.skip()
        value = self.value(";}")
        self.skip()
        if self.i != len(self.text):
            raise self.error("unexpected text after the value")
        return value

    def value(self, stop: str) -> Any:
        self.skip()
        text = self.text
        if text.startswith("[ordered]", self.i):
            self.i += len("[ordered]")
            self.skip()
        if text.startswith("@{", self.i):
            return self.table()
        if text.startswith("@(", self.i):
            self.i += 2
            items: list[Any] = []
            while True:
                self.skip(",")
                if self.i >= len(text):
                    raise self.error("missing ')'")
                if text[self.i] == ")":
                    self.i += 1
                    return items
                items.append(self.value(",)"))
        if self.i < len(text) and text[self.i] in "'\"":
            return self.quoted()
        start = self.i
        while self.i < len(text) and text[self.i] not in stop and text[self.i] not in "\r\n":
            self.i += 1
        return parse_value(text[start:self.i].strip(), literal_only=True)

    def quoted(self) -> str:
        """A '...' or "..." string; in "..." a backtick escapes as in PowerShell (`n, `t, `", ``, `u{263A}, ...)."""
        quote = self.text[self.i]
        self.i += 1
        out = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == "`" and quote == '"' and self.i + 1 < len(self.text):
                out.append(self.escape())
                continue
            if ch == quote:
                if self.text.startswith(quote * 2, self.i):  # '' inside '...' is one quote
                    out.append(quote)
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1
        raise self.error("unterminated string")

    def escape(self) -> str:
        """The character a backtick escape at ``self.i`` stands for in a double-quoted PowerShell string."""
        code = self.text[self.i + 1]
        self.i += 2
        if code == "u" and self.text.startswith("{", self.i):
            end = self.text.find("}", self.i)
            digits = self.text[self.i + 1:end] if end > 0 else ""
            if not (1 <= len(digits) <= 6 and all(c in "0123456789abcdefABCDEF" for c in digits)) \
                    or int(digits, 16) > 0x10FFFF:
                raise self.error("a `u{...} escape needs 1 to 6 hexadecimal digits up to 10FFFF")
            self.i = end + 1
            return chr(int(digits, 16))
        return _BACKTICK_ESCAPES.get(code, code)

    def table(self) -> dict[str, Any]:
        self.i += 2
        out: dict[str, Any] = {}
        while True:
            self.skip(";")
            if self.i >= len(self.text):
                raise self.error("missing '}'")
            if self.text[self.i] == "}":
                self.i += 1
                return out
            if self.text[self.i] in "'\"":
                key: Any = self.quoted()
            else:
                m = re.compile(r"[^=\s;}]+").match(self.text, self.i)
                if not m:
                    raise self.error("expected a key")
                key = m.group(0)
                self.i = m.end()
                number = _NUMBER.match(key)
                key = int(key) if number else key
            self.skip()
            if not self.text.startswith("=", self.i):
                raise self.error(f"expected '=' after the key {key!r}")
            self.i += 1
            out[key] = self.value(";}")


#: PowerShell's escape sequences in double-quoted strings (about_Special_Characters); any other
#: character after a backtick stands for itself (`" is a quote, `` a backtick, `$ a dollar).
_BACKTICK_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "e": "\x1b", "f": "\f", "n": "\n", "r": "\r", "t": "\t",
                     "v": "\v"}


def parse_value(text: str, literal_only: bool = False) -> Any:
    """A command-line argument as PowerShell would type it (string unless it looks like more)."""
    lowered = text.lower()
    if lowered in ("$true", "$false"):
        return lowered == "$true"
    if lowered == "$null":
        return None
    if _NUMBER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text)
    if not literal_only:
        stripped = text.strip()
        if stripped.startswith(("@{", "[ordered]@{", "@(")):
            return _HashtableParser(stripped).parse()
        if stripped.startswith(("{", "[")) and stripped.endswith(("}", "]")):
            try:
                return json.loads(stripped)
            except ValueError:
                return text
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parameter(spec: spec_module.CommandSpec | None, name: str) -> spec_module.ParameterSpec | None:
    """The parameter ``name`` binds to, or None: the binder reports unknown names, with PowerShell's error."""
    if spec is None:
        return None
    try:
        return binder.parameter_for(spec, name)
    except PSError:
        return None


def _is_array(spec: spec_module.CommandSpec | None, name: str) -> bool:
    p = _parameter(spec, name)
    return p is not None and p.type.endswith("[]")


def _is_switch(spec: spec_module.CommandSpec | None, name: str) -> bool:
    p = _parameter(spec, name)
    return p is not None and p.is_switch


def parse_arguments(spec: spec_module.CommandSpec | None, argv: Sequence[str]) -> list[tuple[str | None, Any]]:
    """``-Name value`` tokens -> the binder's ``[(name, value)]`` (``None`` name for positionals)."""
    out: list[tuple[str | None, Any]] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        m = _PARAMETER.match(token)
        if m is None or _NUMBER.match(token) or _DECIMAL.match(token):
            out.append((None, parse_value(token)))
            i += 1
            continue
        name = m.group(1)
        if m.group(2) is not None:
            raw = m.group(3)
            name += ":"  # the binder matches -Name:value names in turn, as PowerShell does
            i += 1
            if raw == "" and i < len(argv):  # `-Name: value`: pwsh takes the next word as the value
                raw = argv[i]
                i += 1
        elif _is_switch(spec, name):
            out.append((name, binder.NO_ARGUMENT))
            i += 1
            continue
        elif i + 1 < len(argv) and not (_PARAMETER.match(argv[i + 1]) and not _NUMBER.match(argv[i + 1])
                                        and not _DECIMAL.match(argv[i + 1])):
            raw = argv[i + 1]
            i += 2
        else:
            out.append((name, binder.NO_ARGUMENT))
            i += 1
            continue
        # As in PowerShell, a comma at the end of one word or the start of the next continues the list
        # (`-Ids u1, u2`, `-Ids u1 ,u2` reach the shell as two or three words); one at the very end is an error.
        while i < len(argv) and (raw.rstrip().endswith(",") or argv[i].lstrip().startswith(",")):
            raw += argv[i]
            i += 1
        if raw.rstrip().endswith(","):
            raise UsageError(f"Missing expression after ',' in the value of -{name.rstrip(':')}.")
        if _is_array(spec, name.rstrip(":")) and "," in raw and not raw.strip().startswith(("@", "{", "[")):
            out.append((name, [parse_value(part.strip()) for part in raw.split(",")]))
        else:
            out.append((name, parse_value(raw)))
    return out


# --- help ---------------------------------------------------------------------------------------

# How PowerShell's syntax line names the types the specs use (its type accelerators); any other type
# shows by its own name, as Get-Command -Syntax prints it.
_TYPE_NAMES = {
    "System.String": "string", "System.TimeSpan": "timespan", "System.Collections.Hashtable": "hashtable",
    "System.Uri": "uri", "System.Management.Automation.PSCredential": "pscredential",
    "System.Security.SecureString": "securestring", "System.Boolean": "bool", "System.Double": "double",
    "System.Int32": "int", "System.Int64": "long", "System.DateTime": "datetime", "System.Guid": "guid",
}


def _type_name(type_name: str) -> str:
    element = type_name[:-2] if type_name.endswith("[]") else type_name
    short = _TYPE_NAMES.get(element) or element.rpartition(".")[2]
    return short + ("[]" if type_name.endswith("[]") else "")


def _positions(spec: spec_module.CommandSpec) -> dict[str, int]:
    """Each positional parameter's position; under PositionalBinding with no Position anywhere,
    every parameter but a switch in declaration order (as PowerShell and the binder do)."""
    explicit = {p.name: p.position for p in spec.parameters if p.position is not None}
    if explicit or not spec.positional_binding:
        return explicit  # type: ignore[return-value]
    return {p.name: i for i, p in enumerate(x for x in spec.parameters if not x.is_switch)}


def _syntax_parts(spec: spec_module.CommandSpec) -> list[list[str]]:
    positions = _positions(spec)
    sets = []
    for set_name in spec.parameter_sets or (spec_module.ALL_SETS,):
        members = [(p, m) for p in spec.parameters if (m := p.membership(set_name)) is not None]
        positional = sorted((x for x in members if x[0].name in positions), key=lambda x: positions[x[0].name])
        named = [x for x in members if x[0].name not in positions]
        parts = [spec.name]
        for p, m in positional + [x for x in named if x[1].mandatory] + [x for x in named if not x[1].mandatory]:
            name = f"[-{p.name}]" if p.name in positions else f"-{p.name}"
            text = name if p.is_switch else f"{name} <{_type_name(p.type)}>"
            parts.append(text if m.mandatory else f"[{text}]")
        if spec.supports_should_process:
            parts += ["[-WhatIf]", "[-Confirm]"]
        parts.append("[<CommonParameters>]")
        sets.append(parts)
    return sets


def command_syntax(spec: spec_module.CommandSpec) -> list[str]:
    """One syntax line per parameter set, as ``Get-Command <name> -Syntax`` prints them: positional
    parameters by position, then the mandatory named ones, then the optional ones in declaration
    order, ``-WhatIf``/``-Confirm`` for ShouldProcess commands, and ``[<CommonParameters>]``."""
    return [" ".join(parts) for parts in _syntax_parts(spec)]


def _help_document(name: str) -> dict[str, Any]:
    """The command's help text (synopsis, description, parameter text) from the PowerShell module's
    help/<name>.json: in the installed package, or in the checkout beside it; ``{}`` when neither."""
    here = Path(__file__).resolve().parent
    for folder in (here / "powershell" / "module" / "help", here.parent / "module" / "help"):
        path = folder / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    return {}


def command_help(spec: spec_module.CommandSpec) -> str:
    """The CLI's help page for a command: synopsis, syntax, and each parameter's description."""
    doc = _help_document(spec.name)
    overrides = doc.get("parameters", {})
    positions = _positions(spec)
    def wrap(text: str, indent: str) -> str:
        return "\n\n".join(textwrap.fill(par, 100, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)
                           for par in text.split("\n\n") if par.strip())

    out = ["NAME", f"    {spec.name}", ""]
    if doc.get("synopsis"):
        out += ["SYNOPSIS", wrap(doc["synopsis"], "    "), ""]
    out.append("SYNTAX")
    for parts in _syntax_parts(spec):  # wrapped between parameters, never inside one
        line = textwrap.fill(" ".join(part.replace(" ", "\0") for part in parts), 100, initial_indent="    ",
                             subsequent_indent="        ", break_on_hyphens=False, break_long_words=False)
        out += [line.replace("\0", " "), ""]
    if doc.get("description"):
        out += ["DESCRIPTION", wrap(doc["description"], "    "), ""]
    out.append("PARAMETERS")
    for p in spec.parameters:
        out.append(f"    -{p.name}" + ("" if p.is_switch else f" <{_type_name(p.type)}>"))
        out.append(wrap(overrides.get(p.name) or p.description or f"The {p.name} parameter.", "        "))
        facts = []
        required = [s for s, m in p.sets.items() if m.mandatory]
        if required:
            facts.append("Required" + ("" if required == [spec_module.ALL_SETS] else f" in: {', '.join(required)}") + ".")
        if p.name in positions:
            facts.append(f"Position: {positions[p.name]}.")
        if p.aliases:
            facts.append(f"Aliases: {', '.join(p.aliases)}.")
        if p.validate_set:
            facts.append(f"Values: {', '.join(p.validate_set)}.")
        if facts:
            out.append(wrap(" ".join(facts), "        "))
        out.append("")
    if spec.supports_should_process:
        out += ["    -WhatIf", "        Shows what the command would do, without doing it.", "",
                "    -Confirm", "        Asks before the command acts.", ""]
    out += ["    <CommonParameters>",
            "        -Verbose, -Debug, -ErrorAction, -WarningAction, -ErrorVariable, ... as in PowerShell;",
            "        -Verbose prints VERBOSE: lines to stderr.", ""]
    out += ["OUTPUTS", *("    " + line for line in OUTPUT_HELP.splitlines()[1:]), ""]
    out += ["FROM A SHELL",
            f"    python3 -m pwshcompat {spec.name} -Parameter value ...",
            "    The connection comes from the environment (PWSHCOMPAT_ACCESS_TOKEN, AZURE_CLIENT_ID/AZURE_TENANT_ID/...,",
            "    or a saved Connect-MgGraph -ContextScope CurrentUser); see python3 -m pwshcompat --help."]
    return "\n".join(out) + "\n"


def _variable_error(name: str, message: str, action: str) -> PSError:
    from .errors import ErrorCategory, TerminatingError

    return TerminatingError(ErrorRecord(message, "InvalidEnvironmentVariable", ErrorCategory.InvalidArgument, name,
                                        recommended_action=action))


def _check_connection_variables() -> None:
    """The variables the connection comes from, checked before anything is sent: a set but empty
    ``PWSHCOMPAT_ACCESS_TOKEN``, or an endpoint variable that is not an absolute http(s) URL, is an
    error that names the variable (a ``TerminatingError``, id ``InvalidEnvironmentVariable``)."""
    from urllib.parse import urlsplit

    token = os.environ.get("PWSHCOMPAT_ACCESS_TOKEN")
    if token is not None and not token.strip():
        raise _variable_error("PWSHCOMPAT_ACCESS_TOKEN", "PWSHCOMPAT_ACCESS_TOKEN is set but empty, so there is no "
                              "bearer token to send.", "Set PWSHCOMPAT_ACCESS_TOKEN to an access token for Graph, or "
                              "unset it to sign in another way (python3 -m pwshcompat --help lists them).")
    for name, example in (("PWSHCOMPAT_GRAPH_ENDPOINT", "http://127.0.0.1:PORT for the local emulator"),
                          ("PWSHCOMPAT_AZUREAD_ENDPOINT", "https://127.0.0.1:PORT for the local emulator's sign-in")):
        value = os.environ.get(name)
        if not value:
            continue
        try:
            parts = urlsplit(value.strip())
            _ = parts.port  # ValueError for a port that is not a number in 0-65535
            ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        except ValueError:  # that port, or an unbalanced [
            ok = False
        if not ok:
            raise _variable_error(name, f"{name} is '{value}', which is not an absolute http or https URL.",
                                  f"Set {name} to a URL such as {example}, or unset it.")
        version = parts.path.rstrip("/").rpartition("/")[2]
        if name == "PWSHCOMPAT_GRAPH_ENDPOINT" and version.lower() in ("v1.0", "beta"):
            # Each command adds its own version: .../v1.0/v1.0/users/... would be refused (as a wrong token audience).
            base = value.strip().rstrip("/")[:-len(version)].rstrip("/")
            raise _variable_error(name, f"{name} is '{value}', which ends with the API version {version}; each command "
                                  "adds its own (v1.0 or beta).", f"Set {name} to {base}.")


EMULATOR_HELP = (
    "Start one that stays: python3 -m pwshcompat.emulator (it prints its Graph URL, Login URL, CA bundle and "
    "Tenant). Then, for the commands: PWSHCOMPAT_GRAPH_ENDPOINT=<Graph URL>, PWSHCOMPAT_AZUREAD_ENDPOINT=<Login "
    "URL>, REQUESTS_CA_BUNDLE=<CA bundle>, AZURE_TENANT_ID=<Tenant>, and any AZURE_CLIENT_ID and "
    "AZURE_CLIENT_SECRET (its tenant is open).")


def _emulator_in_this_process() -> PSError:
    """The error for the built-in ``Emulator`` environment from the command line: its emulator would
    live in this process only, so no later command could reach it."""
    from .errors import ErrorCategory, TerminatingError

    return TerminatingError(ErrorRecord(
        "The Emulator environment starts an emulator inside this process, and it ends when this command does: no "
        "later command could use it.", "EmulatorEndsWithTheCommand", ErrorCategory.InvalidOperation, "Emulator",
        recommended_action=EMULATOR_HELP))


def _names_the_emulator(spec: spec_module.CommandSpec | None, parsed: list[tuple[str | None, Any]]) -> bool:
    """Whether these Connect-MgGraph arguments ask for the built-in ``Emulator`` environment (by the
    parameter or one of its aliases, as the binder reads them)."""
    if spec is None:
        return False
    try:
        result = binder.bind(spec, parsed)
    except PSError:
        return False
    return any(str(r.bound.get("Environment") or "").strip().lower() == "emulator" for r in result.records)


def _connect_from_environment() -> None:
    """Connect this process the way the environment says; nothing when it says nothing."""
    from .graph import connection

    if connection.current() is not None:
        return
    _check_connection_variables()
    token = os.environ.get("PWSHCOMPAT_ACCESS_TOKEN")
    endpoint = os.environ.get("PWSHCOMPAT_GRAPH_ENDPOINT")
    environment = os.environ.get("PWSHCOMPAT_ENVIRONMENT")
    if environment and environment.strip().lower() == "emulator":
        raise _emulator_in_this_process()
    if token:
        if endpoint:
            from .auth import environments as auth_environments

            environment = environment or auth_environments.VARIABLES_ENVIRONMENT
            aad = os.environ.get("PWSHCOMPAT_AZUREAD_ENDPOINT")
            # Someone's saved environment is used as it is, never repointed (keep_saved refuses other endpoints).
            auth_environments.keep_saved(environment, endpoint, aad)
            saved = auth_environments.find(environment)
            if saved is None or saved.is_built_in or environment.lower() == auth_environments.VARIABLES_ENVIRONMENT.lower():
                api.invoke("Set-MgEnvironment" if saved is not None else "Add-MgEnvironment", Name=environment,
                           GraphEndpoint=endpoint, AzureADEndpoint=aad or "https://login.microsoftonline.com")
        api.invoke("Connect-MgGraph", AccessToken=token, NoWelcome=True, **({"Environment": environment} if environment else {}))
    elif os.environ.get("AZURE_CLIENT_ID") and os.environ.get("AZURE_TENANT_ID"):
        if endpoint:  # sign in where that Graph endpoint belongs, or refuse: never mix clouds (auth owns the rule)
            from .auth import environments as auth_environments

            paired = auth_environments.for_graph_endpoint(endpoint, os.environ.get("PWSHCOMPAT_AZUREAD_ENDPOINT"),
                                                          environment or auth_environments.VARIABLES_ENVIRONMENT)
            environment = paired
        api.invoke("Connect-MgGraph", EnvironmentVariable=True, NoWelcome=True,
                   **({"Environment": environment} if environment else {}))
    else:
        # A CurrentUser sign-in persisted by an earlier Connect-MgGraph: reuse it silently.
        from .auth import connect

        connect.restore()


def _json(value: Any, indent: int | None) -> str:
    return json.dumps(value, default=lambda o: str(o) if hasattr(o, "ticks") else o.to_wire() if hasattr(o, "to_wire")
                      else vars(o) if hasattr(o, "__dict__") else str(o), indent=indent, ensure_ascii=False,
                      separators=None if indent else (",", ":"))


def _render(value: Any) -> str:
    """One object alone: text as it is, anything else (a boolean too) as JSON."""
    if isinstance(value, str):
        return value
    return _json(value, 2)


def _lists(spec: spec_module.CommandSpec | None, parsed: list[tuple[str | None, Any]]) -> bool:
    """Whether the parameter set these arguments select returns a collection (``collection`` or
    ``values`` in its spec), so the output is an array whatever its length. False when they do not
    bind (the command itself then reports why)."""
    if spec is None or spec.graph is None:
        return False
    try:
        result = binder.bind(spec, parsed)
    except PSError:
        return False
    operations = spec.graph.operations
    return any(r.error is None and r.parameter_set in operations
               and operations[r.parameter_set].response in ("collection", "values") for r in result.records)


def _write_output(items: list[Any], as_array: bool, json_lines: bool) -> None:
    if json_lines:
        for item in items:
            print(_json(item, None))
    elif as_array or len(items) > 1:
        print(_json(items, 2))
    elif items:
        print(_render(items[0]))


#: What the original's "Authentication needed. Please call Connect-MgGraph." means from a shell, where
#: a Connect-MgGraph of its own ends with its command.
NOT_CONNECTED_HELP = (
    "Each command is its own process: connect it through the environment (PWSHCOMPAT_ACCESS_TOKEN, or "
    "AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET; python3 -m pwshcompat --help lists them), or sign "
    "in once with Connect-MgGraph -Scopes ... -ContextScope CurrentUser, which later commands reuse. A "
    "Connect-MgGraph -AccessToken or app-only sign-in lasts only for its own command.")


def _print_error(name: str, record: ErrorRecord) -> None:
    print(f"{name}: {record.details_message or record.message}", file=sys.stderr)
    if record.recommended_action:
        print(f"Recommendation: {record.recommended_action}", file=sys.stderr)
    elif record.exception_type == "System.Security.Authentication.AuthenticationException":
        print(f"Recommendation: {NOT_CONNECTED_HELP}", file=sys.stderr)
    print(f"  FullyQualifiedErrorId: {record.fully_qualified_error_id}", file=sys.stderr)


def _as_pwsh_reads(arg: str) -> str:
    """``arg`` with each byte that was not UTF-8 (a lone surrogate, as Python decodes argv) as U+FFFD."""
    try:
        return arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a byte
        return arg.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit status (see the module docstring)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl+C: stop as a shell tool does, with the status a shell gives SIGINT and no Python traceback.
        print(file=sys.stderr)
        return SIGINT_STATUS


def _main(argv: Sequence[str] | None) -> int:
    # Bytes of an argument that are not UTF-8 (Python keeps them as lone surrogates) read as U+FFFD,
    # as pwsh reads its own arguments; they could not be sent otherwise.
    args = [_as_pwsh_reads(a) for a in (sys.argv[1:] if argv is None else argv)]
    json_lines = bool(args) and args[0] == JSON_LINES
    if json_lines:
        args = args[1:]
    if args == ["--version"]:
        from . import __version__

        print(f"pwshcompat {__version__}")
        return 0
    if args and args[0] in INSTALL_COMMANDS:
        from . import install

        return install.main(args[0], args[1:])
    wants_help = len(args) >= 2 and args[0].lower() == "help"
    if wants_help:
        args = [args[1], "-?"]
    if not args or args[0].lower() in (*HELP_TOKENS, "help"):
        print(USAGE)
        print(CONNECTION_HELP)
        print(OUTPUT_HELP)
        print("commands: " + ", ".join(commands.names()))
        return 0 if args else 2
    try:
        cmd = commands.get(args[0])
    except PSError as exc:
        print(f"pwshcompat: {exc.record.message}", file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 2
    try:
        spec: spec_module.CommandSpec | None = spec_module.load(cmd.name)
    except KeyError:
        spec = None
    if any(a.lower() in HELP_TOKENS for a in args[1:]):
        if spec is None:
            print(f"{cmd.name}: no help: the command has no spec", file=sys.stderr)
            return 2
        sys.stdout.write(command_help(spec))
        return 0
    try:
        parsed = parse_arguments(spec, args[1:])
    except UsageError as exc:
        print(f"{cmd.name}: {exc}", file=sys.stderr)
        return 2

    import warnings

    from .errors import PSWarning

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_StreamFormatter())
    cmdlet_log = logging.getLogger("pwshcompat.cmdlet")
    cmdlet_log.addHandler(handler)
    cmdlet_log.setLevel(logging.DEBUG)
    warnings.showwarning = lambda message, category, *a, **k: print(  # type: ignore[assignment]
        f"WARNING: {message}" if issubclass(category, PSWarning) else f"{category.__name__}: {message}", file=sys.stderr)

    if cmd.name == "Connect-MgGraph" and _names_the_emulator(spec, parsed):
        for record in _emulator_in_this_process().errors:
            _print_error(cmd.name, record)
        return 1

    # Non-terminating errors come back in `outcome`, whatever -ErrorVariable says; as in `pwsh -c`, they
    # make the exit status 1 and are printed unless -ErrorAction is SilentlyContinue or Ignore.
    outcome: dict[str, Any] = {}
    try:
        if spec is None or spec.module != "Microsoft.Graph.Authentication" or cmd.name.lower() in _USES_CONNECTION:
            _connect_from_environment()
        output = api._invoke(cmd.name, list(parsed), None, outcome=outcome)
    except PSError as exc:
        for record in exc.errors:
            _print_error(cmd.name, record)
        return 1
    errors: list[ErrorRecord] = outcome.get("errors", [])
    status = 1 if errors else 0
    try:
        items = output if isinstance(output, list) else ([] if output is None else [output])
        # A listing that failed prints nothing rather than an empty array (its errors say why).
        _write_output(items, not json_lines and bool(items or not errors) and _lists(spec, parsed), json_lines)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head -1`): stop quietly with the status of a tool SIGPIPE ends;
        # stdout goes to /dev/null so the interpreter's own flush at exit finds nothing to complain about.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = SIGPIPE_STATUS
    except OSError as exc:
        print(f"pwshcompat: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    if outcome.get("error_action") not in ("SilentlyContinue", "Ignore"):
        for record in errors:
            _print_error(cmd.name, record)
    return status


#: Exit status when the reader of stdout goes away early: 128 + SIGPIPE, as a shell reports a tool it ended.
SIGPIPE_STATUS = 141
#: Exit status after Ctrl+C: 128 + SIGINT.
SIGINT_STATUS = 130


class _StreamFormatter(logging.Formatter):
    """``VERBOSE: ...`` / ``DEBUG: ...`` as PowerShell's host prints them."""

    def format(self, record: Any) -> str:
        prefix = "DEBUG" if record.levelno <= 10 else "VERBOSE"
        return f"{prefix}: {record.getMessage()}"
