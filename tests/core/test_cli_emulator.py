"""``Connect-MgGraph -Environment Emulator`` from the command line: refused with what to do instead,
and what it says to do works (a standalone ``python3 -m pwshcompat.emulator``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pwshcompat.cli import EMULATOR_HELP

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def _env(home: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PWSHCOMPAT_", "AZURE_", "REQUESTS_CA"))}
    env.update(HOME=str(home), **variables)
    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "pwshcompat", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args, variables", [
    (["Connect-MgGraph", "-Environment", "Emulator"], {}),
    (["Connect-MgGraph", "-EnvironmentName", "emulator", "-NoWelcome"], {}),
    (["Connect-MgGraph", "-NationalCloud:Emulator", "-Scopes", "Presence.Read"], {}),
    (["Get-MgUserPresence", "-UserId", "u1"], {"PWSHCOMPAT_ENVIRONMENT": "Emulator", "PWSHCOMPAT_ACCESS_TOKEN": "t"}),
])
def test_the_emulator_environment_from_the_cli_says_what_to_do_instead(tmp_path: Path, args: list[str],
                                                                         variables: dict[str, str]) -> None:
    done = _cli(_env(tmp_path, **variables), *args)
    assert (done.returncode, done.stdout) == (1, "")
    lines = done.stderr.splitlines()
    assert lines[0] == (f"{args[0]}: The Emulator environment starts an emulator inside this process, and it ends "
                        "when this command does: no later command could use it.")
    assert lines[1] == f"Recommendation: {EMULATOR_HELP}"
    assert "FullyQualifiedErrorId: EmulatorEndsWithTheCommand" in done.stderr
    assert not (tmp_path / ".mg").exists()


def test_what_the_error_recommends_works(tmp_path: Path) -> None:
    server = subprocess.Popen([PYTHON, "-m", "pwshcompat.emulator"], cwd=ROOT, env=_env(tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        printed = {}
        while len(printed) < 4:
            line = server.stdout.readline()
            assert line, server.stderr.read() if server.stderr else "the emulator ended"
            name, _, value = line.partition(": ")
            printed[name] = value.strip()
        env = _env(tmp_path, PWSHCOMPAT_GRAPH_ENDPOINT=printed["Graph"], PWSHCOMPAT_AZUREAD_ENDPOINT=printed["Login"],
                   REQUESTS_CA_BUNDLE=printed["CA bundle"], AZURE_TENANT_ID=printed["Tenant"],
                   AZURE_CLIENT_ID="any-app", AZURE_CLIENT_SECRET="any-secret")
        done = _cli(env, "Set-MgUserPresence", "-UserId", "u7", "-SessionId", "any-app", "-Availability", "Busy",
                    "-Activity", "InACall", "-PassThru")
        assert (done.returncode, done.stdout.strip()) == (0, "true"), done.stderr
        read = _cli(env, "Get-MgUserPresence", "-UserId", "u7")
        assert read.returncode == 0 and '"availability": "Busy"' in read.stdout, read.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
