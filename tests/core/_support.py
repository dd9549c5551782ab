"""Helpers for the core tests: one emulator per module, connected through the public Python API."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

import pwshcompat
from pwshcompat.emulator import Emulator

from conftest import connected

CMD = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
PATH = "/beta/communications/presences/{}/microsoft.graph.setUserPreferredPresence"
INTERNAL = "Microsoft.Graph.Beta.PowerShell.Cmdlets.SetMgBetaCommunicationPresenceUserPreferredPresence_"


@pytest.fixture(scope="module")
def graph() -> Iterator[Emulator]:
    """A connected emulator shared by a test module; each test starts from a clean slate."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(graph: Emulator) -> Iterator[Emulator]:
    with connected(graph, "CoreTests"):
        yield graph


def call(**kwargs: Any) -> Any:
    return pwshcompat.invoke(CMD, **kwargs)
