"""The presence family from a shell: every cmdlet is in the CLI with the same binder; objects are
printed as their JSON members, lists of ids split at commas."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import sys
from pathlib import Path
from typing import Any

import pytest

from pwshcompat import commands, spec
from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
USER = "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"


@pytest.fixture(scope="module")
def emu() -> Any:
    with Emulator() as emulator:
        yield emulator


def _run(emu: Emulator, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(tmp_path), PWSHCOMPAT_ACCESS_TOKEN=emu.issue_token(),
               PWSHCOMPAT_GRAPH_ENDPOINT=emu.graph_url)
    env.pop("AZURE_CLIENT_ID", None)
    return subprocess.run([PYTHON, "-m", "pwshcompat", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_every_cmdlet_is_a_cli_command() -> None:
    listed = set(commands.names())
    assert {n for n in spec.names() if spec.load(n).graph} <= listed and len(listed) == 54 + 12


def test_a_read_prints_the_object_as_json(emu: Emulator, tmp_path: Path) -> None:
    emu.add_client_session(USER, "Busy", "Busy")
    done = _run(emu, tmp_path, "Get-MgUserPresence", "-UserId", USER)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert (printed["id"], printed["availability"], printed["activity"]) == (USER, "Busy", "Busy")
    assert "@odata.context" in printed  # AdditionalProperties come first, as the original writes them


def test_array_parameters_and_actions_returning_collections(emu: Emulator, tmp_path: Path) -> None:
    done = _run(emu, tmp_path, "Get-MgBetaCommunicationPresenceByUserId", "-Ids", f"{USER},u2")
    assert done.returncode == 0, done.stderr
    objects = json.loads(done.stdout)  # one JSON document: an array of the objects written
    assert [o["id"] for o in objects] == [USER, "u2"]
    assert emu.requests[-1].json() == {"ids": [USER, "u2"]}


@pytest.mark.parametrize("args, ids", [
    (["Get-MgCommunicationPresenceByUserId", "-Ids", "only-one"], ["only-one"]),     # an action's value array
    (["Get-MgBetaCommunicationPresence", "-Filter", "id in ('listed-1')"], ["listed-1"]),  # a listing of one
    (["Get-MgCommunicationPresence", "-Filter", "id eq 'nobody' and availability eq 'Busy'"], []),  # of none
])
def test_a_command_that_lists_prints_an_array_whatever_its_length(emu: Emulator, tmp_path: Path, args: list[str],
                                                                  ids: list[str]) -> None:
    done = _run(emu, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert [o["id"] for o in json.loads(done.stdout)] == ids


def test_json_lines_prints_one_compact_value_per_object(emu: Emulator, tmp_path: Path) -> None:
    done = _run(emu, tmp_path, "--json-lines", "Get-MgCommunicationPresenceByUserId", "-Ids", f"{USER},u2,u3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [USER, "u2", "u3"]
    single = _run(emu, tmp_path, "--json-lines", "Get-MgUserPresence", "-UserId", USER)
    assert len(single.stdout.splitlines()) == 1 and json.loads(single.stdout)["id"] == USER
    passed = _run(emu, tmp_path, "--json-lines", "Set-MgUserPresenceStatusMessage", "-UserId", USER, "-StatusMessage",
                  "@{Message=@{Content='x'; ContentType='text'}}", "-PassThru")
    assert (passed.returncode, passed.stdout) == (0, "true\n"), passed.stderr


def test_a_listing_that_fails_prints_no_array(emu: Emulator, tmp_path: Path) -> None:
    done = _run(emu, tmp_path, "Get-MgCommunicationPresence", "-Filter", "nonsense here")
    assert done.returncode == 1 and done.stdout == "" and "Get-MgCommunicationPresence:" in done.stderr


def test_the_output_format_is_in_the_help(emu: Emulator, tmp_path: Path) -> None:
    for args in (["--help"], ["Get-MgCommunicationPresence", "-?"]):
        done = _run(emu, tmp_path, *args)
        assert done.returncode == 0
        assert "one JSON array" in done.stdout and "--json-lines" in done.stdout, done.stdout


def test_a_family_action_with_a_nested_model_from_a_hashtable_literal(emu: Emulator, tmp_path: Path) -> None:
    done = _run(emu, tmp_path, "Set-MgUserPresenceStatusMessage", "-UserId", USER, "-StatusMessage",
                "@{Message=@{Content='Out today'; ContentType='text'}}", "-PassThru")
    assert (done.returncode, done.stdout.strip()) == (0, "true"), done.stderr
    assert emu.requests[-1].json() == {"statusMessage": {"message": {"content": "Out today", "contentType": "text"}}}


@pytest.mark.parametrize("common", [[], ["-ErrorVariable", "ev"], ["-ev:ev"], ["-ErrorVariable", "+ev"],
                                    ["-ErrorAction", "Continue"], ["-ErrorAction", "Stop"], ["-ea", "Stop"],
                                    ["-ErrorAction", "Continue", "-ErrorVariable", "ev"]])
def test_a_graph_error_is_printed_with_exit_status_1_whatever_error_variable_says(
        emu: Emulator, tmp_path: Path, common: list[str]) -> None:
    sent = len(emu.requests)
    done = _run(emu, tmp_path, "Get-MgUserPresence", "-UserId", USER, "-Property", "bogus", *common)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert "Could not find a property named 'bogus'" in done.stderr
    assert "FullyQualifiedErrorId: BadRequest,Microsoft.Graph.PowerShell.Cmdlets.GetMgUserPresence_Get" in done.stderr
    assert len(emu.requests) == sent + 1


@pytest.mark.parametrize("action", ["SilentlyContinue", "Ignore", "silentlycontinue"])
def test_error_action_silently_continue_hides_the_error_and_still_fails_as_pwsh_c_does(
        emu: Emulator, tmp_path: Path, action: str) -> None:
    done = _run(emu, tmp_path, "Get-MgUserPresence", "-UserId", USER, "-Property", "bogus", "-ErrorAction", action)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "")
    fine = _run(emu, tmp_path, "Get-MgUserPresence", "-UserId", USER, "-ErrorAction", action)
    assert fine.returncode == 0 and json.loads(fine.stdout)["id"] == USER, fine.stderr


@pytest.mark.parametrize("words", [["u1,", "u2"], ["u1", ",u2"], ["u1", ",", "u2"], ["u1,", "u2,", "u3"]])
def test_a_list_spread_over_words_by_its_commas_is_one_list_as_in_powershell(
        emu: Emulator, tmp_path: Path, words: list[str]) -> None:
    """``-Ids u1, u2`` typed in a shell arrives as two words; pwsh reads it as one list (the first word
    alone was sent as ["u1", ""] and the second refused as a positional argument)."""
    done = _run(emu, tmp_path, "Get-MgCommunicationPresenceByUserId", "-Ids", *words)
    assert done.returncode == 0, done.stderr
    ids = ["u1", "u2", "u3"][:len([w for w in words if w.strip(",")])]
    assert [o["id"] for o in json.loads(done.stdout)] == ids
    assert emu.requests[-1].json() == {"ids": ids}


def test_a_list_ending_with_a_comma_is_refused_before_sending(emu: Emulator, tmp_path: Path) -> None:
    sent = len(emu.requests)
    done = _run(emu, tmp_path, "Get-MgCommunicationPresenceByUserId", "-Ids", "u1,")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == "Get-MgCommunicationPresenceByUserId: Missing expression after ',' in the value of -Ids."
    assert len(emu.requests) == sent


def test_ctrl_c_during_a_command_stops_it_without_a_traceback(emu: Emulator, tmp_path: Path) -> None:
    """A shell user's Ctrl+C while Graph is slow to answer: status 130 and no Python traceback (it printed
    the KeyboardInterrupt traceback from inside http.client)."""
    import signal

    emu.inject("slow", path="*/users/ctrl-c/presence", delay=120, count=1)
    env = dict(os.environ, HOME=str(tmp_path), PWSHCOMPAT_ACCESS_TOKEN=emu.issue_token(),
               PWSHCOMPAT_GRAPH_ENDPOINT=emu.graph_url)
    proc = subprocess.Popen([PYTHON, "-m", "pwshcompat", "Get-MgUserPresence", "-UserId", "ctrl-c"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):  # bounded: until the request is at the emulator (recorded before the slow answer)
            if any(r.path.endswith("/users/ctrl-c/presence") for r in emu.requests) or proc.poll() is not None:
                break
            threading.Event().wait(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (proc.returncode, out) == (130, ""), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
