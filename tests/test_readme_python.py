"""The README's Python commands work as written after scripts/setup (issue 15.7), even when the
``python3`` first on PATH is another interpreter without the dependencies (a pyenv one, say): the
blocks are taken from README.md and run in bash with such a ``python3`` first on PATH, against the
emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(after: str, language: str) -> str:
    """The first ``language`` code block after the text ``after``."""
    start = README.index(after)
    m = re.compile(rf"^```{language}\n(.*?)^```", re.S | re.M).search(README, start)
    assert m, f"no {language} block after {after!r}"
    return m.group(1)


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH whose first python3 has none of the dependencies (a bare venv without site packages)."""
    tmp = tmp_path_factory.mktemp("bare")
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "bare")], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    path = os.pathsep.join([str(tmp / "bare" / "bin"), "/usr/bin", "/bin"])
    probe = subprocess.run(["python3", "-c", "import jwt"], env={"PATH": path}, capture_output=True, text=True, cwd=tmp)
    assert probe.returncode != 0 and "No module named 'jwt'" in probe.stderr  # the trap is real
    return path


def bash(script: str, path: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=180)


def test_the_shell_block_sets_a_presence(hostile_path: str, tmp_path: Path) -> None:
    script = block("## From a shell without PowerShell", "bash")
    assert ". .venv/bin/activate" in script and "python3 -m pwshcompat" in script
    with Emulator() as emu:
        concrete = (script.replace("PWSHCOMPAT_ACCESS_TOKEN=...", f"PWSHCOMPAT_ACCESS_TOKEN={emu.issue_token()}")
                    .replace("https://127.0.0.1:PORT", emu.login_url)
                    .replace("http://127.0.0.1:PORT", emu.graph_url).replace("$USER_ID", "readme-user"))
        done = bash(concrete, hostile_path, ROOT, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "true"
        (request,) = emu.requests
        assert "/presences/readme-user/" in request.path


def test_the_python_block_runs_and_the_package_imports_from_any_folder(hostile_path: str, tmp_path: Path) -> None:
    code = block("**The same from Python**", "python")
    program = tmp_path / "readme.py"
    program.write_text('user_id = "readme-user"\n' + code + "print(pwshcompat.Get_MgContext().Environment)\n",
                       encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = bash(f". {ROOT}/.venv/bin/activate && cd {elsewhere} && python3 {program}"
                " && python3 -m pwshcompat.emulator --help >/dev/null && pwshcompat Get-MgContext",
                hostile_path, ROOT, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Emulator"
