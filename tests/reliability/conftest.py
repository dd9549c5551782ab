"""Fixtures for the reliability tests."""

from __future__ import annotations

import os
import tempfile
from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator


@pytest.fixture(scope="package", autouse=True)
def private_home() -> Iterator[str]:
    """A throw-away HOME for this package: environments and caches saved to ``~/.mg`` (in-process and
    in the pwsh and CLI children) stay out of the real home directory and out of other tests."""
    saved = os.environ.get("HOME")
    with tempfile.TemporaryDirectory(prefix="pwshcompat-reliability-home-") as home:
        os.environ["HOME"] = home
        try:
            yield home
        finally:
            if saved is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = saved


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[Emulator]:
    """One emulator for a whole test module (batched pwsh runs share it)."""
    with Emulator() as emu:
        yield emu
