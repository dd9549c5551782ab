"""``python3 -m pwshcompat``: PowerShell-style arguments, output, errors on stderr, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pwshcompat import spec
from pwshcompat.binder import NO_ARGUMENT
from pwshcompat.cli import NOT_CONNECTED_HELP, UsageError, parse_arguments, parse_value

from ._support import CMD, PATH, graph  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
S = spec.load(CMD)


@pytest.mark.parametrize("text,value", [
    ("$true", True), ("$FALSE", False), ("$null", None), ("42", 42), ("-1", -1), ("1.5", 1.5), ("Busy", "Busy"),
    ("'quoted'", "quoted"), ('{"a": [1]}', {"a": [1]}), ("[1, 2]", [1, 2]),
    ("@{a=1; b='x;y'; c=@{d=$true}; 'e f'=@(1,2); g=PT1H}", {"a": 1, "b": "x;y", "c": {"d": True}, "e f": [1, 2], "g": "PT1H"}),
    ("[ordered]@{z=1; a=2}", {"z": 1, "a": 2}), ("@{}", {}), ("@{1='one'}", {1: "one"}), ("@{a='it''s'}", {"a": "it's"}),
])
def test_values(text: str, value: Any) -> None:
    assert parse_value(text) == value


# Hashtable literals whose double-quoted strings use PowerShell's backtick escapes, as a script copied
# into a shell would have them; the expected values are what real pwsh makes of the same text.
ESCAPED_LITERALS = [
    '@{Content="Line one`nLine two"; ContentType="text"}',
    '@{a="tab`there"; b="say `"hi`""; c="back``tick"; d="cost `$5"; e="`u{1F3D6} beach"; f=\'no `n here\'}',
    '@{a="`0`a`b`e`f`r`v"; b="``"; c="x`y"}',
]


def test_double_quoted_strings_in_a_hashtable_literal_take_powershells_escapes(pwsh: Any) -> None:
    script = ("foreach ($text in $args) { Invoke-Expression $text | ConvertTo-Json -Compress -Depth 5 }")
    done = pwsh(script, *ESCAPED_LITERALS)
    assert done.returncode == 0, done.stderr
    expected = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [json.loads(json.dumps(parse_value(text))) for text in ESCAPED_LITERALS] == expected
    assert parse_value(ESCAPED_LITERALS[0])["Content"] == "Line one\nLine two"


@pytest.mark.parametrize("text", ["@{a=1", "@{a}", "@{a='x}", '@{a="x`u{110000}"}', '@{a="`u{}"}'])
def test_bad_hashtable_literals(text: str) -> None:
    with pytest.raises(UsageError, match="hashtable literal"):
        parse_value(text)


def test_argument_shapes() -> None:
    assert parse_arguments(S, ["-PresenceId", "u1", "-PassThru", "-PassThru:$false", "-Act", "-1", "-RHV:h", "pos",
                               "-ExpirationDuration", "3600", "-Availability"]) == [
        ("PresenceId", "u1"), ("PassThru", NO_ARGUMENT), ("PassThru:", False), ("Act", -1), ("RHV:", "h"), (None, "pos"),
        ("ExpirationDuration", 3600), ("Availability", NO_ARGUMENT)]


def test_a_colon_then_a_space_takes_the_next_word_as_pwsh_does() -> None:
    # pwsh: `f -UserId: u1` binds u1 and `-PassThru: $false` binds the switch (it gave '' and a positional u1).
    assert parse_arguments(S, ["-PresenceId:", "u1", "-PassThru:", "$false", "-Act:", "-1"]) == [
        ("PresenceId:", "u1"), ("PassThru:", False), ("Act:", -1)]


def test_array_parameters_split_commas() -> None:
    connect = spec.load("Connect-MgGraph")
    scopes = next(p.name for p in connect.parameters if p.type.endswith("[]"))
    assert parse_arguments(connect, [f"-{scopes}", "a,b"]) == [(scopes, ["a", "b"])]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "pwshcompat", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def cli_env(graph: Any, tmp_path: Path) -> dict[str, str]:
    graph.reset()
    env = dict(os.environ, HOME=str(tmp_path), PWSHCOMPAT_ACCESS_TOKEN=graph.issue_token(),
               PWSHCOMPAT_GRAPH_ENDPOINT=graph.graph_url)
    env.pop("AZURE_CLIENT_ID", None)
    return env


def test_cli_sets_presence_and_prints_true(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run([CMD, "-PresenceId", "cli/1", "-Availability", "Busy", "-Activity", "Busy", "-ExpirationDuration",
                   "01:00:00", "-AdditionalProperties", "@{note='x'}", "-PassThru"], cli_env)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, "true", "")
    (request,) = graph.requests
    assert request.path == PATH.format("cli%2F1")
    assert request.json() == {"note": "x", "availability": "Busy", "activity": "Busy", "expirationDuration": "PT1H"}


def test_cli_body_as_json(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run([CMD, "-PresenceId", "u1", "-BodyParameter", '{"availability": "Away", "activity": "Away"}'], cli_env)
    assert (result.returncode, result.stdout) == (0, "")
    assert graph.requests[0].json() == {"availability": "Away", "activity": "Away"}


@pytest.mark.parametrize("args,fragment", [
    (["-PresenceId", "u1", "-Bogus", "1"], "NamedParameterNotFound"),
    (["-Availability", "Busy"], "MissingMandatoryParameter"),
    (["-PresenceId", "u1", "-ExpirationDuration", "PT1H"], "ParameterArgumentTransformationError"),
    (["-PresenceId", "u1", "-Availability", "Bogus", "-Activity", "Busy"], "InvalidArgument,Microsoft.Graph.Beta"),
])
def test_cli_errors_go_to_stderr_with_non_zero_exit(graph: Any, cli_env: dict[str, str], args: list[str],
                                                    fragment: str) -> None:
    result = _run([CMD, *args], cli_env)
    assert result.returncode == 1 and result.stdout == ""
    assert fragment in result.stderr and result.stderr.startswith(CMD + ": ")
    assert cli_env["PWSHCOMPAT_ACCESS_TOKEN"] not in result.stderr


def test_cli_what_if(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run([CMD, "-PresenceId", "u1", "-Availability", "Busy", "-Activity", "Busy", "-WhatIf"], cli_env)
    assert result.returncode == 0 and result.stdout.startswith('What if: Performing the operation "' + CMD + "_SetExpanded")
    assert graph.requests == []


def test_cli_usage_and_unknown_command(cli_env: dict[str, str]) -> None:
    assert _run([], cli_env).returncode == 2
    unknown = _run(["Get-Nothing"], cli_env)
    assert unknown.returncode == 2 and "Get-Nothing" in unknown.stderr
    listing = _run(["--help"], cli_env)
    assert listing.returncode == 0 and CMD in listing.stdout


def test_cli_without_a_connection_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PWSHCOMPAT_", "AZURE_"))}
    env["HOME"] = str(tmp_path)
    result = _run([CMD, "-PresenceId", "u1", "-Availability", "Busy", "-Activity", "Busy"], env)
    assert result.returncode == 1
    assert "Authentication needed. Please call Connect-MgGraph." in result.stderr
    # What that means from a shell: a Connect-MgGraph command of its own would not help the next command.
    assert f"Recommendation: {NOT_CONNECTED_HELP}" in result.stderr.splitlines()


@pytest.mark.parametrize("variables, named, words", [
    ({"PWSHCOMPAT_GRAPH_ENDPOINT": "not-a-url"}, "PWSHCOMPAT_GRAPH_ENDPOINT", "is 'not-a-url', which is not an absolute"),
    ({"PWSHCOMPAT_GRAPH_ENDPOINT": "http://127.0.0.1:99999"}, "PWSHCOMPAT_GRAPH_ENDPOINT", "not an absolute http"),
    ({"PWSHCOMPAT_AZUREAD_ENDPOINT": "login.local"}, "PWSHCOMPAT_AZUREAD_ENDPOINT", "is 'login.local', which is not"),
    ({"PWSHCOMPAT_ACCESS_TOKEN": ""}, "PWSHCOMPAT_ACCESS_TOKEN", "is set but empty"),
    ({"PWSHCOMPAT_ACCESS_TOKEN": "  "}, "PWSHCOMPAT_ACCESS_TOKEN", "is set but empty"),
    # The version is each command's own: .../v1.0/v1.0/... was sent and refused as a wrong token audience.
    ({"PWSHCOMPAT_GRAPH_ENDPOINT": "http://127.0.0.1:9/v1.0"}, "PWSHCOMPAT_GRAPH_ENDPOINT",
     "ends with the API version v1.0; each command adds its own"),
    ({"PWSHCOMPAT_GRAPH_ENDPOINT": "https://graph.example/Beta/"}, "PWSHCOMPAT_GRAPH_ENDPOINT", "API version Beta"),
])
@pytest.mark.parametrize("command", [[CMD, "-PresenceId", "u1", "-Availability", "Busy", "-Activity", "Busy"],
                                     ["Get-MgContext"]])
def test_cli_connection_variables_that_cannot_work_are_named(graph: Any, cli_env: dict[str, str],
                                                             variables: dict[str, str], named: str, words: str,
                                                             command: list[str]) -> None:
    result = _run(command, {**cli_env, **variables})
    assert (result.returncode, result.stdout) == (1, "")
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{command[0]}: {named} ") and words in first, result.stderr
    assert "parameter 'GraphEndpoint'" not in result.stderr and "Authentication needed" not in result.stderr
    assert f"Recommendation: Set {named} to" in result.stderr
    assert "FullyQualifiedErrorId: InvalidEnvironmentVariable" in result.stderr
    assert graph.requests == []


# --- help, Get-MgContext, -Verbose (issue 15.3, 15.4) ----------------------------------------------

@pytest.mark.parametrize("token", ["-?", "-h", "--help", "-H"])
def test_cli_help_after_a_command_prints_syntax_and_parameters(cli_env: dict[str, str], token: str) -> None:
    result = _run([CMD, token], cli_env)
    assert (result.returncode, result.stderr) == (0, "")
    out = result.stdout
    assert "SYNTAX" in out and f"{CMD} -PresenceId <string>" in out
    for p in S.parameters:  # every parameter with its description
        assert f"    -{p.name}" in out
        assert " ".join(p.description.split()[:4]) in " ".join(out.split())
    assert "Required in: SetExpanded, Set." in out


def test_cli_help_wins_over_other_arguments_and_sends_nothing(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run([CMD, "-PresenceId", "u1", "-Availability", "Busy", "-?"], cli_env)
    assert result.returncode == 0 and "SYNTAX" in result.stdout
    assert graph.requests == []
    named = _run(["help", "connect-mggraph"], cli_env)
    assert named.returncode == 0 and "Connect-MgGraph [[-Scopes] <string[]>]" in named.stdout


def test_cli_syntax_is_what_get_command_syntax_prints() -> None:
    """Every command's syntax lines, compared with real pwsh's Get-Command -Syntax on the module."""
    from pwshcompat.cli import command_syntax

    from tests.conftest import MANIFEST, run_pwsh

    names = spec.names()
    script = ("Import-Module $args[0]; Import-Module ./Microsoft.Graph.CloudCommunications.psd1;"
              " foreach ($n in $args[1..($args.Count - 1)]) {"
              " (Get-Command $n).ParameterSets | ForEach-Object { \"$n`t\" + $_.ToString() } }")
    done = run_pwsh(script, str(MANIFEST), *names)
    assert done.returncode == 0, done.stderr
    expected: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        name, _, text = line.partition("\t")
        expected.setdefault(name, []).append(f"{name} {text}".rstrip())
    assert sorted(expected) == sorted(names)
    for name in names:
        assert command_syntax(spec.load(name)) == expected[name], name


def test_cli_get_mgcontext_shows_the_context_the_environment_gives(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run(["Get-MgContext"], cli_env)
    assert result.returncode == 0, result.stderr
    context = json.loads(result.stdout)
    assert context["AuthType"] == "UserProvidedAccessToken"
    assert context["Environment"] == "PwshCompatCli"
    assert cli_env["PWSHCOMPAT_ACCESS_TOKEN"] not in result.stdout


def test_cli_get_mgcontext_without_a_connection_prints_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PWSHCOMPAT_", "AZURE_"))}
    env["HOME"] = str(tmp_path)
    result = _run(["Get-MgContext"], env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_cli_verbose_prints_verbose_lines_to_stderr(graph: Any, cli_env: dict[str, str]) -> None:
    result = _run([CMD, "-PresenceId", "u1", "-Availability", "Busy", "-Activity", "Busy", "-Verbose"], cli_env)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f'VERBOSE: Performing the operation "{CMD}_SetExpanded" on target "Call remote '
        "'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation\"."]
    quiet = _run([CMD, "-PresenceId", "u1", "-Availability", "Busy", "-Activity", "Busy"], cli_env)
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert len(graph.requests) == 2


def test_cli_output_to_a_reader_that_stops_early_is_quiet(graph: Any, cli_env: dict[str, str]) -> None:
    """``python3 -m pwshcompat ... | head -1``: the reader closes the pipe; no traceback, the status a
    shell tool killed by SIGPIPE has (128 + 13)."""
    ids = ",".join(f"u{i}" for i in range(1, 601))
    proc = subprocess.Popen([PYTHON, "-m", "pwshcompat", "Get-MgCommunicationPresenceByUserId", "-Ids", ids], cwd=ROOT,
                            env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().strip() == "["  # the array of 600 presences
    proc.stdout.close()  # as `head -1` does after its line
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 141
    assert stderr == ""


def test_cli_output_that_cannot_be_written_is_one_error_line(graph: Any, cli_env: dict[str, str]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        result = subprocess.run([PYTHON, "-m", "pwshcompat", "Get-MgUserPresence", "-UserId", "u1"], cwd=ROOT,
                                env=cli_env, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("pwshcompat: cannot write the output: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_argument_bytes_that_are_not_utf8_read_as_pwsh_reads_them(graph: Any, cli_env: dict[str, str]) -> None:
    """An argument in another encoding (Latin-1 'café'): pwsh decodes it with U+FFFD for the bad byte,
    and so does the CLI (it was a UnicodeEncodeError traceback)."""
    result = subprocess.run([PYTHON.encode(), b"-m", b"pwshcompat", b"Get-MgUserPresence", b"-UserId", b"caf\xe9"], cwd=ROOT,
                            env=cli_env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    (request,) = graph.requests
    assert request.path == "/v1.0/users/caf%EF%BF%BD/presence"


def test_cli_version(tmp_path: Path) -> None:
    """``--version``, as a shell user tries first (it was "The term '--version' is not recognized", status 2)."""
    import pwshcompat

    done = _run(["--version"], dict(os.environ, HOME=str(tmp_path)))
    assert (done.returncode, done.stdout, done.stderr) == (0, f"pwshcompat {pwshcompat.__version__}\n", "")
    assert "--version" in _run(["--help"], dict(os.environ, HOME=str(tmp_path))).stdout
