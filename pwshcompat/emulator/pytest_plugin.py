"""pytest fixtures for testing your own Graph presence scripts against the emulator.

Enable with ``pytest -p pwshcompat.emulator.pytest_plugin`` (or ``pytest_plugins = [...]`` in your
root conftest.py). Fixtures:

* ``graph_emulator`` — a fresh open-tenant ``Emulator`` per test, stopped afterwards;
* ``graph_token`` — an application token for it with the presence roles;
* ``graph_session`` — the ``pwshcompat`` module, connected to ``graph_emulator`` for the test
  (``Connect-MgGraph -Environment Emulator`` with that emulator as the environment's, Process
  scope) and disconnected afterwards. Nothing is written to ``~/.mg``: unlike
  ``Add-MgEnvironment``, which saves its environment to ``~/.mg/mg.context.json``.

    def test_my_script_sets_busy(graph_emulator, graph_token):
        run_my_script(graph_emulator.graph_url, graph_token)
        assert graph_emulator.preferred_presence(USER_ID).availability == "Busy"

    def test_my_code_sets_busy(graph_session, graph_emulator):
        my_code_that_calls_pwshcompat(USER_ID)      # e.g. pwshcompat.Set_MgUserPresence(...)
        presence = graph_session.Get_MgUserPresence(UserId=USER_ID)
        assert presence.Availability == "Busy"
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from . import embedded
from .server import Emulator


@pytest.fixture
def graph_emulator() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture
def graph_token(graph_emulator: Emulator) -> str:
    return graph_emulator.issue_token()


@pytest.fixture
def graph_session(graph_emulator: Emulator) -> Iterator[Any]:
    import pwshcompat  # here: the plugin itself loads with pytest, before the code under test

    with embedded.serving(graph_emulator):
        pwshcompat.Connect_MgGraph(Environment="Emulator", NoWelcome=True)
        try:
            yield pwshcompat
        finally:
            pwshcompat.Disconnect_MgGraph()
