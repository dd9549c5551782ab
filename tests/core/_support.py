"""Helpers for the core tests: one emulator per module, connected through the public Python API."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

import pwshcompat
from pwshcompat.emulator import Emulator
from pwshcompat.graph import request_context

CMD = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
PATH = "/beta/communications/presences/{}/microsoft.graph.setUserPreferredPresence"
INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_"


def connect(emu: Emulator, name: str = "CoreTests") -> str:
    token = emu.issue_token()
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint=emu.graph_url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment=name, AccessToken=token, NoWelcome=True)
    return token


@pytest.fixture(scope="module")
def graph() -> Iterator[Emulator]:
    """A connected emulator shared by a test module; each test starts from a clean slate."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(graph: Emulator) -> Iterator[Emulator]:
    graph.reset()
    connect(graph)
    # Retries without waiting, so fault tests stay fast; restored afterwards.
    request_context.update(retry_delay=0.0)
    try:
        yield graph
    finally:
        request_context.reset()
        graph.reset()


def call(**kwargs: Any) -> Any:
    return pwshcompat.invoke(CMD, **kwargs)
