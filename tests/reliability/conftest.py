"""Fixtures for the reliability tests."""

from __future__ import annotations

from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[Emulator]:
    """One emulator for a whole test module (batched pwsh runs share it)."""
    with Emulator() as emu:
        yield emu
