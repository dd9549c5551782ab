"""The test run never writes to the user's own ~/.mg: tests/conftest.py gives the whole session a
throw-away HOME from its first fixture on (Add-MgEnvironment persists there, and Microsoft's module
reads the same file), and each test one of its own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pwshcompat

from conftest import REAL_HOME


def _mentions(path: Path, name: str) -> bool:
    return path.is_file() and name in path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def module_home() -> str:
    """What a fixture shared by a module sees (it starts before any test's own fixtures)."""
    return os.environ["HOME"]


def test_fixtures_of_every_scope_and_each_test_have_a_private_home(module_home: str, private_session_home: Path,
                                                                    private_home: Path) -> None:
    assert Path(module_home) == private_session_home != REAL_HOME
    assert Path(os.environ["HOME"]) == private_home != private_session_home
    from pwshcompat.auth import paths

    assert paths.graph_directory() == private_home / ".mg"  # where the environments and the token cache go


def test_an_environment_added_by_a_test_lands_in_the_private_home_only() -> None:
    assert Path.home() != REAL_HOME
    name = "PrivateHomeProbe"
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint="http://127.0.0.1:9", AzureADEndpoint="https://login.local")
    try:
        assert _mentions(Path.home() / ".mg" / "mg.context.json", name)
        assert not _mentions(REAL_HOME / ".mg" / "mg.context.json", name)
    finally:
        pwshcompat.Remove_MgEnvironment(Name=name)


def test_child_processes_get_the_private_home_and_still_find_pwsh_and_nuget(pwsh) -> None:
    result = pwsh("$HOME; (Get-Command pwsh).Source")
    assert result.returncode == 0, result.stderr
    home, found = result.stdout.split()
    assert home == os.environ["HOME"] != str(REAL_HOME)
    assert Path(found).resolve().is_file()
    assert os.environ["NUGET_PACKAGES"]
