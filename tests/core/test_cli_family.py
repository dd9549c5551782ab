"""The presence family from a shell: every cmdlet is in the CLI with the same binder; objects are
printed as their JSON members, lists of ids split at commas."""

from __future__ import annotations

import json
import os
import subprocess
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
    assert {n for n in spec.names() if spec.load(n).graph} <= listed and len(listed) == 64


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
    objects = [json.loads(chunk) for chunk in done.stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert [o["id"] for o in objects] == [USER, "u2"]
    assert emu.requests[-1].json() == {"ids": [USER, "u2"]}


def test_a_family_action_with_a_nested_model_from_a_hashtable_literal(emu: Emulator, tmp_path: Path) -> None:
    done = _run(emu, tmp_path, "Set-MgUserPresenceStatusMessage", "-UserId", USER, "-StatusMessage",
                "@{Message=@{Content='Out today'; ContentType='text'}}", "-PassThru")
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr
    assert emu.requests[-1].json() == {"statusMessage": {"message": {"content": "Out today", "contentType": "text"}}}
