"""Helpers shared by the reliability and security tests: connecting each surface to an emulator.

PowerShell runs are batched: one pwsh process runs a whole table, and a *marker* call (a valid
request to ``presences/mark-<n>``) before each row lets the test attribute every request the
emulator logged to the row that caused it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
MARK_PREFIX = "/beta/communications/presences/mark-"

PS_CONNECT = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name Reliability -GraphEndpoint $args[0] -AzureADEndpoint https://login.local | Out-Null
Connect-MgGraph -Environment Reliability -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
"""


def connect_python(emulator: Emulator, name: str = "Reliability", token: str | None = None) -> str:
    """Point the in-process Python API at ``emulator``; returns the bearer token it uses."""
    import pwshcompat

    token = token or emulator.issue_token()
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint=emulator.graph_url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment=name, AccessToken=token, NoWelcome=True)
    return token


def cli_env(emulator: Emulator, token: str, home: Path) -> dict[str, str]:
    """Environment for ``python -m pwshcompat``: a private HOME and the connection in variables."""
    env = dict(os.environ, HOME=str(home), NO_COLOR="1")
    env.update(
        PWSHCOMPAT_GRAPH_ENDPOINT=emulator.graph_url,
        PWSHCOMPAT_ACCESS_TOKEN=token,
        PWSHCOMPAT_ENVIRONMENT_GRAPH_ENDPOINT=emulator.graph_url,
    )
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "pwshcompat", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def last_json_line(stdout: str, prefix: str) -> Any:
    """The JSON that a pwsh script printed on its last line starting with ``prefix``."""
    lines = [line for line in stdout.splitlines() if line.startswith(prefix)]
    if not lines:
        raise AssertionError(f"no line starting with {prefix!r} in output:\n{stdout[-4000:]}")
    return json.loads(lines[-1][len(prefix):])


def requests_by_marker(emulator: Emulator) -> dict[int, list[Any]]:
    """Requests the emulator logged after the marker ``mark-<n>`` and before the next marker."""
    rows: dict[int, list[Any]] = {}
    current: int | None = None
    for req in list(emulator.requests):
        if req.path.startswith(MARK_PREFIX):
            current = int(req.path[len(MARK_PREFIX):].split("/", 1)[0])
            rows[current] = []
        elif current is not None:
            rows[current].append(req)
    return rows
