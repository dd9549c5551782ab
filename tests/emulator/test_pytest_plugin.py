"""The pytest plugin works in someone else's test suite (run as a separate pytest process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER_TEST = '''
import requests

def test_preferred_presence(graph_emulator, graph_token):
    url = graph_emulator.graph_url + "/v1.0/users/u1/presence/setUserPreferredPresence"
    response = requests.post(url, json={"availability": "Busy", "activity": "Busy"},
                             headers={"Authorization": "Bearer " + graph_token}, timeout=10)
    assert response.status_code == 200
    assert graph_emulator.preferred_presence("u1").availability == "Busy"
'''


def test_plugin_fixtures_serve_a_foreign_test_suite(tmp_path):
    (tmp_path / "test_user_script.py").write_text(USER_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pwshcompat.emulator.pytest_plugin", "-p", "no:cacheprovider",
         str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
