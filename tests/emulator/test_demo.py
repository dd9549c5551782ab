"""The README's main job: scripts/demo runs examples/demo.ps1 (the presence family of both modules)
against a separately started emulator."""

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
    # The environment the demo added for its emulator does not outlive it in ~/.mg (a private HOME here).
    settings = Path(env["HOME"]) / ".mg" / "mg.context.json"
    assert not settings.exists() or "LocalEmulator" not in settings.read_text(encoding="utf-8")
    out = result.stdout
    assert "Set-MgBetaCommunicationPresenceUserPreferredPresence -PassThru returned: True" in out
    assert "Presence with no session yet:                Offline/Offline" in out
    assert "Presence after the app opened a session:     DoNotDisturb/DoNotDisturb" in out
    assert "Status message read back:                    Dry run: focusing until noon" in out
    assert "Refused as Graph would: InvalidArgument," in out
    assert [line.split() for line in out.splitlines() if line.startswith("6e7b0b1c-")] == [
        ["6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70", "Offline", "Offline"]]  # the table view, after the end of day
    assert "POST /" in out and "/oauth2/v2.0/token" in out
    assert "any-secret-works-in-the-open-tenant" not in out + result.stderr
    log = [line.split() for line in out.splitlines() if line.startswith("  ") and line.split()[0].isdigit()]
    assert [(status, method, path.rsplit("/", 1)[-1]) for status, method, path in log] == [
        ("200", "POST", "microsoft.graph.setUserPreferredPresence"), ("200", "GET", "presence"),
        ("200", "POST", "microsoft.graph.setPresence"), ("200", "GET", "presence"),
        ("200", "POST", "microsoft.graph.setStatusMessage"), ("200", "GET", "presence"),
        ("400", "POST", "microsoft.graph.setUserPreferredPresence"), ("200", "POST", "microsoft.graph.clearPresence"),
        ("200", "POST", "microsoft.graph.clearUserPreferredPresence"),
        ("200", "POST", "microsoft.graph.getPresencesByUserId")]
