"""The README's main job: scripts/demo runs examples/demo.ps1 against a separately started emulator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_scripts_demo_signs_in_sets_reads_back_and_shows_the_log():
    env = dict(os.environ, NO_COLOR="1")
    result = subprocess.run([str(ROOT / "scripts/demo")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Set-MgBetaCommunicationPresenceUserPreferredPresence -PassThru returned: True" in out
    assert "Presence with no session yet:                Offline/Offline" in out
    assert "Presence after the app opened a session:     DoNotDisturb/DoNotDisturb" in out
    assert "Refused as Graph would: InvalidArgument," in out
    assert "POST /" in out and "/oauth2/v2.0/token" in out
    assert "any-secret-works-in-the-open-tenant" not in out + result.stderr
    log = [line.split() for line in out.splitlines() if line.startswith("  ") and line.split()[0].isdigit()]
    assert [(status, method) for status, method, _ in log] == [
        ("200", "POST"), ("200", "GET"), ("200", "POST"), ("200", "GET"), ("400", "POST")]
