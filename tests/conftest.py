"""Shared fixtures: a live emulator on 127.0.0.1 and a way to run real pwsh."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "Microsoft.Graph.Beta.CloudCommunications.psd1"

# The user's own HOME, found before the session moves HOME (see private_session_home).
REAL_HOME = Path.home()


def pwsh_path() -> str:
    found = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    if not Path(found).exists():
        pytest.fail("pwsh is not installed: run scripts/setup")
    return found


@pytest.fixture(scope="session", autouse=True)
def private_session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The whole run, its pwsh and CLI children included, gets a throw-away HOME, from before any
    fixture of any scope starts (a module's shared pwsh run included).

    ``Add-MgEnvironment`` persists to ``~/.mg/mg.context.json`` (as the original does, and the
    original Microsoft module reads the same file), so without this every test that adds an
    environment for its emulator left it in the user's real settings file, where a parallel run's
    environment of the same name sent this run's requests to its own emulator. ``.dotnet`` (pwsh
    is a .NET global tool there) and ``.nuget`` (NuGet's package folder) link to the real ones, so
    what finds them under HOME still does; pwsh's folder is put on PATH and NuGet's package folder
    named (NUGET_PACKAGES) for the tests' own HOMEs (:func:`private_home`), which have no links.
    """
    pwsh = shutil.which("pwsh") or str(REAL_HOME / ".dotnet/tools/pwsh")
    home = tmp_path_factory.mktemp("session-home")
    for name in (".dotnet", ".nuget"):
        if (REAL_HOME / name).is_dir():
            (home / name).symlink_to(REAL_HOME / name, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("PATH", os.path.dirname(pwsh) + os.pathsep + os.environ.get("PATH", ""))
        if not os.environ.get("NUGET_PACKAGES"):
            patch.setenv("NUGET_PACKAGES", str(REAL_HOME / ".nuget" / "packages"))
        yield home


@pytest.fixture(autouse=True)
def private_home(private_session_home: Path, tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test a HOME of its own too: a fresh ``~/.mg``, and nothing under it that leads to the
    user's files (a test's certificate store under ``~/.dotnet`` stays its own)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def connect(graph_url: str, environment: str, token: str) -> None:
    """Connect this process's Python API to the Graph at ``graph_url``, saved as ``environment``,
    with ``token`` (Connect-MgGraph -AccessToken: no sign-in)."""
    import pwshcompat

    pwshcompat.Add_MgEnvironment(Name=environment, GraphEndpoint=graph_url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment=environment, AccessToken=token, NoWelcome=True)


@contextlib.contextmanager
def connected(emu: Emulator, environment: str, **claims: Any) -> Iterator[Emulator]:
    """``emu`` from a clean slate, connected as ``environment`` with a token of ``claims``
    (``Emulator.issue_token``), retries not waiting; the request context and ``emu`` are reset after."""
    from pwshcompat.graph import request_context

    emu.reset()
    connect(emu.graph_url, environment, emu.issue_token(**claims))
    request_context.update(retry_delay=0.0)  # fault tests stay fast
    try:
        yield emu
    finally:
        request_context.reset()
        emu.reset()


def run_pwsh(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh ``pwsh -NoProfile -NonInteractive`` from the repository root.

    Arguments are passed as ``$args`` (never pasted into the script text).
    """
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test.ps1"
        path.write_text("$ErrorActionPreference = 'Stop'\n" + script, encoding="utf-8")
        return subprocess.run(
            [pwsh_path(), "-NoProfile", "-NonInteractive", "-File", str(path), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env,
        )


@pytest.fixture
def pwsh():
    return run_pwsh
