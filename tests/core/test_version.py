"""``pwshcompat.__version__`` is the package's version, the one pyproject.toml builds and the
User-Agent sends."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pwshcompat
from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_pyprojects_and_is_sent_in_the_user_agent() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pwshcompat.__version__ == project["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", pwshcompat.__version__)
    assert "__version__" in dir(pwshcompat)
    with Emulator() as emu:
        pwshcompat.Add_MgEnvironment(Name="VersionCheck", GraphEndpoint=emu.graph_url, AzureADEndpoint="https://login.local")
        pwshcompat.Connect_MgGraph(Environment="VersionCheck", AccessToken=emu.issue_token(), NoWelcome=True)
        try:
            pwshcompat.Get_MgUserPresence(UserId="u1")
        finally:
            pwshcompat.Disconnect_MgGraph()
            pwshcompat.Remove_MgEnvironment(Name="VersionCheck")
        assert emu.requests[-1].headers["user-agent"].endswith(f" pwshcompat/{pwshcompat.__version__}")
