"""Fixtures for the reliability tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator


@pytest.fixture(scope="package", autouse=True)
def private_home() -> Iterator[str]:
    """A throw-away HOME for this package: environments and caches saved to ``~/.mg`` (in-process and
    in the pwsh and CLI children) stay out of the real home directory and out of other tests."""
    saved = {name: os.environ.get(name) for name in ("HOME", "PATH")}
    # pwsh is a .NET global tool under the real HOME; keep finding it once HOME moves.
    tools = Path.home() / ".dotnet" / "tools"
    with tempfile.TemporaryDirectory(prefix="pwshcompat-reliability-home-") as home:
        os.environ["HOME"] = home
        if tools.is_dir():
            os.environ["PATH"] = os.pathsep.join([str(tools), saved["PATH"] or ""])
        try:
            yield home
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[Emulator]:
    """One emulator for a whole test module (batched pwsh runs share it)."""
    with Emulator() as emu:
        yield emu
