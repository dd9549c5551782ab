"""Shared fixtures: a live emulator on 127.0.0.1 and a way to run real pwsh."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

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
    """The whole run, its pwsh and CLI children included, gets a throw-away HOME.

    ``Add-MgEnvironment`` persists to ``~/.mg/mg.context.json`` (as the original does, and the
    original Microsoft module reads the same file), so without this every test that adds an
    environment for its emulator, and scripts/demo, left it in the user's real settings file.
    ``.dotnet`` (pwsh is a .NET global tool there) and ``.nuget`` (NuGet's package folder) link to
    the real ones, so what finds them under HOME still does. Tests that need a HOME of their own
    (tests/auth, tests/pwsh, tests/reliability) still set one on top of this.
    """
    saved = os.environ.get("HOME")
    home = tmp_path_factory.mktemp("home")
    for name in (".dotnet", ".nuget"):
        if (REAL_HOME / name).is_dir():
            (home / name).symlink_to(REAL_HOME / name, target_is_directory=True)
    os.environ["HOME"] = str(home)
    try:
        yield home
    finally:
        if saved is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = saved


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


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
