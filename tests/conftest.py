"""Shared fixtures: a live emulator on 127.0.0.1 and a way to run real pwsh."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "Microsoft.Graph.Beta.CloudCommunications.psd1"


def pwsh_path() -> str:
    found = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    if not Path(found).exists():
        pytest.fail("pwsh is not installed: run scripts/setup")
    return found


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


def run_pwsh(script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh ``pwsh -NoProfile -NonInteractive`` from the repository root.

    Arguments are passed as ``$args`` (never pasted into the script text).
    """
    env = dict(os.environ, NO_COLOR="1")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test.ps1"
        path.write_text("$ErrorActionPreference = 'Stop'\n" + script, encoding="utf-8")
        return subprocess.run(
            [pwsh_path(), "-NoProfile", "-NonInteractive", "-File", str(path), *args],
            cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env,
        )


@pytest.fixture
def pwsh():
    return run_pwsh
