"""The module starts exactly the Python setup recorded by scripts/setup, whatever PATH says (issue 14.8).

Left to itself, an embedded CPython derives its home from the first ``python3`` on PATH. With a
venv first there it became the venv's interpreter; with another CPython first there, it took that
one's standard library beside the recorded libpython (``_ssl ... undefined symbol``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RECORDED = json.loads((ROOT / "module" / "bin" / "python.json").read_text(encoding="utf-8"))

SCRIPT = r"""
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$envs = @(Get-MgEnvironment).Count
$probe = "__import__('json').dumps(dict(prefix=__import__('sys').prefix, base_prefix=__import__('sys').base_prefix, " +
         "executable=__import__('sys').executable, path=__import__('sys').path, ssl=__import__('ssl').__file__))"
$gil = [Python.Runtime.Py]::GIL()
try { $seen = [Python.Runtime.PythonEngine]::Eval($probe).ToString() } finally { $gil.Dispose() }
"$envs"
$seen
"""


def _pwsh() -> str:
    return shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")


def _other_cpython() -> Path | None:
    """The bin folder of a CPython other than the recorded one on this machine, if there is one."""
    recorded_home = RECORDED["pythonHome"].split(os.pathsep)[0]
    for candidate in filter(None, {shutil.which("python3"), sys.executable}):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.executable); print(sys.base_prefix)"],
                               capture_output=True, text=True)
        if probe.returncode == 0:
            executable, base_prefix = probe.stdout.split("\n")[:2]
            if os.path.realpath(base_prefix) != os.path.realpath(recorded_home):
                return Path(executable).parent
    return None


def _venv(tmp_path: Path) -> Path:
    """A venv of the recorded interpreter without its site-packages: another prefix and sys.path."""
    target = tmp_path / "venv"
    subprocess.run([RECORDED["python"], "-m", "venv", "--without-pip", str(target)], check=True)
    return target / "bin"


@pytest.mark.parametrize("python_variables", [False, True], ids=["PATH", "PATH+PYTHONHOME+PYTHONPATH"])
@pytest.mark.parametrize("other", ["venv", "another CPython"])
def test_another_python_first_on_path_changes_nothing(other, python_variables, tmp_path):
    bin_dir = _venv(tmp_path) if other == "venv" else _other_cpython()
    if bin_dir is None:
        pytest.skip("no CPython other than the recorded one on this machine")
    foreign_prefix = str(bin_dir.parent)
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONHOME", "PYTHONPATH")}
    env.update(PATH=str(bin_dir) + os.pathsep + os.path.dirname(_pwsh()) + os.pathsep + os.environ["PATH"], NO_COLOR="1")
    if python_variables:  # what a shell set up for the other Python may also have; the module ignores them
        env.update(PYTHONHOME=foreign_prefix, PYTHONPATH=str(tmp_path / "elsewhere"))
    script = tmp_path / "probe.ps1"
    script.write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([_pwsh(), "-NoProfile", "-NonInteractive", "-File", str(script)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert int(lines[-2]) >= 4, "a command ran"
    seen = json.loads(lines[-1])
    home = RECORDED["pythonHome"].split(os.pathsep)[0]
    assert (seen["prefix"], seen["base_prefix"], seen["executable"]) == (home, home, RECORDED["python"])
    assert seen["ssl"].startswith(tuple(RECORDED["stdlib"]))
    stdlib = [p for p in seen["path"] if p in RECORDED["stdlib"]]
    assert stdlib == RECORDED["stdlib"]
    assert all(p in seen["path"] for p in RECORDED["sitePackages"])
    assert not [p for p in seen["path"] if p.startswith((foreign_prefix, str(tmp_path)))]
