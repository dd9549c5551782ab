"""pytest fixtures for testing your own Graph presence scripts against the emulator.

Enable with ``pytest -p pwshcompat.emulator.pytest_plugin`` (or ``pytest_plugins = [...]`` in your
root conftest.py). Fixtures:

* ``graph_emulator`` — a fresh open-tenant ``Emulator`` per test, stopped afterwards;
* ``graph_token`` — an application token for it with the presence roles.

    def test_my_script_sets_busy(graph_emulator, graph_token):
        run_my_script(graph_emulator.graph_url, graph_token)
        assert graph_emulator.preferred_presence(USER_ID).availability == "Busy"
"""

from __future__ import annotations

from typing import Iterator

import pytest

from .server import Emulator


@pytest.fixture
def graph_emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def graph_token(graph_emulator: Emulator) -> str:
    return graph_emulator.issue_token()
