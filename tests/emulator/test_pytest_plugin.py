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


SESSION_TESTS = '''
import pwshcompat

def _emulator_environment(session):
    return [e for e in session.Get_MgEnvironment() if e.Name == "Emulator"][0]

def test_a_session_on_this_tests_emulator(graph_session, graph_emulator):
    assert graph_session is pwshcompat
    assert _emulator_environment(graph_session).GraphEndpoint == graph_emulator.graph_url
    assert graph_session.Get_MgContext().AuthType == "AppOnly"
    pwshcompat.Set_MgUserPresence(UserId="u1", SessionId=graph_session.Get_MgContext().ClientId,
                                  Availability="Busy", Activity="InACall")
    assert graph_session.Get_MgUserPresence(UserId="u1").Availability == "Busy"
    assert [r.path for r in graph_emulator.requests][-2:] == ["/v1.0/users/u1/presence/microsoft.graph.setPresence",
                                                             "/v1.0/users/u1/presence"]
    pytest_state["first"] = graph_emulator.graph_url

def test_the_next_test_gets_a_fresh_emulator_and_session(graph_session, graph_emulator):
    assert graph_emulator.graph_url != pytest_state["first"]
    assert _emulator_environment(graph_session).GraphEndpoint == graph_emulator.graph_url
    assert graph_session.Get_MgUserPresence(UserId="u1").Availability == "Offline"
    assert len(graph_emulator.requests) == 1

def test_without_the_fixture_nothing_is_connected():
    assert pwshcompat.Get_MgContext() is None

pytest_state = {}
'''


def test_graph_session_connects_python_to_the_tests_emulator_without_writing_settings(tmp_path: Path) -> None:
    suite, home = tmp_path / "suite", tmp_path / "home"
    suite.mkdir()
    home.mkdir()
    (suite / "test_user_code.py").write_text(SESSION_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "pwshcompat.emulator.pytest_plugin", "-p", "no:cacheprovider",
         str(suite)], cwd=suite, capture_output=True, text=True, timeout=180,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(home)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert not (home / ".mg").exists(), sorted(p.name for p in (home / ".mg").iterdir())
