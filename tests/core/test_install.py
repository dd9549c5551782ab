"""pwshcompat.install's choices that the end-to-end packaging tests (tests/test_package.py) cannot
reach on this machine: which Python.Runtime.dll, and where the user's module folder is."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = ROOT / "module" / "bin" / "Python.Runtime.dll"


def _runtime_for(site: Path) -> str:
    """pythonnet_runtime() in a fresh interpreter that sees ``site`` first."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
            "from pwshcompat.install import pythonnet_runtime; print(pythonnet_runtime())")
    done = subprocess.run([sys.executable, "-c", code, str(site), str(ROOT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(("version", "used"), [("3.2.1", True), ("3.3.0", True), ("3.0.3", False), ("4.0.0", False)])
def test_python_runtime_comes_from_a_compatible_pip_pythonnet(tmp_path: Path, version: str, used: bool) -> None:
    """pythonnet cannot be installed here (no PyPI, no Debian package), so its installed layout is
    laid out by hand: pythonnet/runtime/Python.Runtime.dll (the real file) and its dist-info."""
    package = tmp_path / "pythonnet"
    (package / "runtime").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy2(RUNTIME, package / "runtime" / "Python.Runtime.dll")
    info = tmp_path / f"pythonnet-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: pythonnet\nVersion: {version}\n")
    assert _runtime_for(tmp_path) == (str(package / "runtime" / "Python.Runtime.dll") if used else "None")


def test_without_pythonnet_the_packaged_runtime_serves(tmp_path: Path) -> None:
    assert _runtime_for(tmp_path) == "None"


def test_user_module_folder_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pwshcompat import install

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert install.user_module_folder() == tmp_path / "powershell" / "Modules"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    assert install.user_module_folder() == tmp_path / "h" / ".local" / "share" / "powershell" / "Modules"
