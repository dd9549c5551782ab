"""The tests' HOME (tests/conftest.py): private to the run from its first fixture on, and to each test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import REAL_HOME


@pytest.fixture(scope="module")
def module_home() -> str:
    """What a fixture shared by a module sees (it starts before any test's own fixtures)."""
    return os.environ["HOME"]


def test_fixtures_of_every_scope_and_each_test_have_a_private_home(module_home: str, session_home: Path,
                                                                    private_home: Path) -> None:
    assert Path(module_home) == session_home != REAL_HOME
    assert Path(os.environ["HOME"]) == private_home != session_home
    from pwshcompat.auth import paths

    assert paths.graph_directory() == private_home / ".mg"  # where the environments and the token cache go


def test_what_tests_need_of_the_real_home_stays_reachable() -> None:
    pwsh = shutil.which("pwsh")
    assert pwsh is not None and Path(pwsh).resolve().is_file()
    assert os.environ["NUGET_PACKAGES"]
