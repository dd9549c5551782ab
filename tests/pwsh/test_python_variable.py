"""A PWSHCOMPAT_PYTHON that names no usable interpreter is the module's error, named as such
(src/PwshCompat.Host/PythonLocator.cs), never passed over for another Python in silence."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import pwsh_path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = "Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1; (Get-MgEnvironment).Count"


def _import(cwd: Path, python: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONNET_PYDLL",)}
    env.update(PWSHCOMPAT_PYTHON=python, NO_COLOR="1")
    return subprocess.run([pwsh_path(), "-NoProfile", "-NonInteractive", "-Command", IMPORT], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


def _message(done: subprocess.CompletedProcess[str]) -> str:
    return " ".join(done.stderr.split())


def _without_recorded_python(tmp_path: Path) -> Path:
    """The modules as a package installs them: no python.paths or python.json (discovery), and no
    pwshcompat in the folder above them."""
    copy = tmp_path / "modules"
    copy.mkdir()
    for manifest in ROOT.glob("*.psd1"):
        shutil.copy(manifest, copy)
    shutil.copytree(ROOT / "module", copy / "module",
                    ignore=lambda folder, names: [n for n in names if n in ("python.paths", "python.json")])
    return copy


@pytest.mark.parametrize("python, why", [
    ("/nonexistent", "there is no such file"),
    ("python3.99-not-installed", "no program of that name is on PATH"),
    ("/tmp", "it is a folder, not a program"),
])
def test_a_python_variable_that_names_nothing_is_the_error_even_with_a_recorded_python(python: str, why: str) -> None:
    done = _import(ROOT, python)
    assert done.returncode != 0
    message = _message(done)
    assert f"pwshcompat cannot start: PWSHCOMPAT_PYTHON is '{python}', which names no usable Python interpreter: {why}." \
        in message, message
    assert "Set PWSHCOMPAT_PYTHON to a python executable" in message


def test_a_python_that_lacks_a_package_is_named_with_what_it_lacks(tmp_path: Path) -> None:
    modules = _without_recorded_python(tmp_path)
    # A bare venv of the recorded interpreter: a real Python, without requests, msal or pwshcompat.
    recorded = (ROOT / "module/bin/python.paths").read_text(encoding="utf-8").splitlines()
    interpreter = next(line[len("python="):] for line in recorded if line.startswith("python="))
    subprocess.run([interpreter, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True)
    python = str(tmp_path / "venv/bin/python")
    done = _import(modules, python)
    assert done.returncode != 0
    message = _message(done)
    assert f"PWSHCOMPAT_PYTHON is '{python}', which names no usable Python interpreter: asked for its setup, it " \
           "failed with \"ModuleNotFoundError: No module named 'requests'\"" in message, message
