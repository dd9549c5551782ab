"""The test run never writes to the user's own ~/.mg: tests/conftest.py gives the whole session a
throw-away HOME (Add-MgEnvironment persists there, and Microsoft's module reads the same file)."""

from __future__ import annotations

import os
from pathlib import Path

import pwshcompat

from conftest import REAL_HOME


def _mentions(path: Path, name: str) -> bool:
    return path.is_file() and name in path.read_text(encoding="utf-8")


def test_an_environment_added_by_a_test_lands_in_the_private_home_only() -> None:
    assert Path.home() != REAL_HOME
    name = "PrivateHomeProbe"
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint="http://127.0.0.1:9", AzureADEndpoint="https://login.local")
    try:
        assert _mentions(Path.home() / ".mg" / "mg.context.json", name)
        assert not _mentions(REAL_HOME / ".mg" / "mg.context.json", name)
    finally:
        pwshcompat.Remove_MgEnvironment(Name=name)


def test_child_processes_get_the_private_home_and_still_find_pwsh(pwsh) -> None:
    result = pwsh("$HOME; Test-Path (Join-Path $HOME '.dotnet/tools')")
    assert result.returncode == 0, result.stderr
    home, tools = result.stdout.split()
    assert home == os.environ["HOME"] != str(REAL_HOME)
    assert tools == ("True" if (REAL_HOME / ".dotnet" / "tools").is_dir() else "False")
