"""Installing without the checkout (issue 16): the wheel and the PowerShell packages, each used from
outside the checkout the way a user would, against the emulator.

* the wheel (``scripts/package wheel``) goes into a fresh ``python3 -m venv --system-site-packages``
  with ``pip install --no-index --no-deps``; its ``pwshcompat install-module DIR`` installs the
  modules; a pwsh started elsewhere imports them by name, connects and sets a presence;
* the ``.nupkg`` files (``scripts/package nupkg``) go through ``Register-PSResourceRepository`` and
  ``Install-PSResource``; the first import without the Python side says what to install; with
  ``PWSHCOMPAT_PYTHON`` naming the venv's python the same script works.

Nothing installed may name the checkout, and the processes get no path into it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator
from tests.conftest import pwsh_path
from tests.pwsh.test_lts import assert_loads_in_powershell_74

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import generate_module  # noqa: E402

NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
MODULES = sorted(generate_module.MODULES)
VERSION = generate_module.version()  # pwshcompat's own: the wheel
MODULE_VERSION = generate_module.SDK_VERSION  # the modules': the Graph PowerShell SDK release they mirror
# What autoloading the seed cmdlet (or installing its module) brings: its module and the one it requires.
SEED_MODULES = sorted([generate_module.BETA_MODULE, generate_module.AUTH_MODULE])

USE_GRAPH = f"""
$r = [ordered]@{{}}
Add-MgEnvironment -Name Packaged -GraphEndpoint $args[0] -AzureADEndpoint https://login.microsoftonline.com | Out-Null
Connect-MgGraph -Environment Packaged -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$r.call = {NAME} -PresenceId packaged1 -Availability Busy -Activity Busy -PassThru
$r.context = (Get-MgContext).Environment
$r.bases = @(Get-Module Microsoft.Graph.* | ForEach-Object ModuleBase | Sort-Object)  # loaded by command autoloading
$gil = [Python.Runtime.Py]::GIL()  # the interpreter the module started (its recorded setup, not python3 on PATH)
try {{ $r.python = [Python.Runtime.PythonEngine]::Eval("__import__('sys').executable").ToString() }} finally {{ $gil.Dispose() }}
$r | ConvertTo-Json -Compress
"""


def _no_checkout(value: str) -> bool:
    return str(ROOT) not in value


def outside_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user's process: no variable leads into the checkout, its own HOME."""
    env = {k: v for k, v in os.environ.items()
           if _no_checkout(v) and not k.startswith(("PYTHON", "PWSHCOMPAT_", "XDG_", "VIRTUAL_ENV", "PSModulePath"))}
    tools = str(Path(pwsh_path()).parent)
    env["PATH"] = os.pathsep.join([tools, "/usr/bin", "/bin"])
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def pwsh_script(tmp: Path, text: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = tmp / "user-script.ps1"
    script.write_text("$ErrorActionPreference = 'Stop'\n" + text, encoding="utf-8")
    return run([pwsh_path(), "-NoProfile", "-NonInteractive", "-File", str(script), *args], cwd=tmp, env=env, timeout=180)


def files_naming_the_checkout(*folders: Path) -> list[Path]:
    needle = str(ROOT).encode()
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_symlink() and needle in os.readlink(path).encode():
                found.append(path)
            elif path.is_file() and needle in path.read_bytes():
                found.append(path)
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The wheel, a venv with it installed, and the .nupkg files, built once for this module."""
    tmp = tmp_path_factory.mktemp("package")
    done = run([sys.executable, str(ROOT / "scripts/package.py"), "wheel", str(tmp / "dist")], cwd=ROOT,
               env=dict(os.environ), timeout=600)
    assert done.returncode == 0, done.stderr
    wheel = Path(done.stdout.strip().splitlines()[-1])
    assert wheel.is_file() and wheel.name == f"pwshcompat-{VERSION}-py3-none-any.whl"
    nupkgs = run([sys.executable, str(ROOT / "scripts/package.py"), "nupkg", str(tmp / "feed")], cwd=ROOT,
                 env=dict(os.environ), timeout=600)
    assert nupkgs.returncode == 0, nupkgs.stderr
    home = tmp / "home"
    home.mkdir()
    env = outside_env(home)
    venv = tmp / "venv"
    made = run(["/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable, "-m", "venv",
                "--system-site-packages", str(venv)], cwd=tmp, env=env)
    assert made.returncode == 0, made.stderr
    pip = run([str(venv / "bin/python"), "-m", "pip", "install", "--no-index", "--no-deps", "--quiet", str(wheel)],
              cwd=tmp, env=env)
    assert pip.returncode == 0, pip.stderr
    yield {"tmp": tmp, "wheel": wheel, "feed": tmp / "feed", "venv": venv, "home": home}


def test_the_wheel_carries_every_module_and_an_il_host_for_pwsh_74(built: dict[str, Path], tmp_path: Path) -> None:
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        for module in MODULES:  # every module the generator lists, manifest and script
            assert f"pwshcompat/powershell/manifests/{module}.psd1" in names
            assert "pwshcompat/powershell/" + generate_module.MODULES[module].psm1 in names
        for path in ("module/PwshCompat.Python.ps1", "module/PwshCompat.Start.psm1", "module/bin/Python.Runtime.dll",
                     "module/help/" + NAME + ".json", "pwshcompat/spec/commands/" + NAME + ".json"):
            assert any(n.endswith(path) for n in names), path
        assert not any("python.json" in n or "python.paths" in n for n in names)  # recorded at install time
        assert not [n for n in names if str(ROOT).encode() in wheel.read(n)]
        host = tmp_path / "PwshCompat.Host.dll"
        host.write_bytes(wheel.read("pwshcompat/powershell/module/bin/PwshCompat.Host.dll"))
    assert_loads_in_powershell_74(host)  # plain IL for net8.0: every pwsh from 7.4 on, every platform


def test_install_module_from_the_wheel_then_a_script_elsewhere_sets_a_presence(built: dict[str, Path], tmp_path: Path,
                                                                                 emulator: Emulator) -> None:
    modules = tmp_path / "Modules"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = outside_env(built["home"])
    venv_python = str(built["venv"] / "bin/python")
    installed = run([str(built["venv"] / "bin/pwshcompat"), "install-module", str(modules)], cwd=elsewhere, env=env)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.count("installed ") == len(MODULES) and f"Python: {venv_python}" in installed.stdout
    for module in MODULES:
        folder = modules / module / MODULE_VERSION
        assert (folder / f"{module}.psd1").is_file()
        recorded = json.loads((folder / "module/bin/python.json").read_text())
        assert recorded["python"] == venv_python
        assert recorded["sitePackages"][0].startswith(str(built["venv"]))  # this pwshcompat first
        # The host reads python.paths first: the same interpreter setup, not only its libpython.
        assert (folder / "module/bin/python.paths").read_text().splitlines()[:3] == [
            f"dll={recorded['pythonDll']}", f"python={venv_python}", f"home={recorded['pythonHome']}"]
    site = next(built["venv"].glob("lib/python3*/site-packages"))
    assert files_naming_the_checkout(modules, site) == []

    listed = run([venv_python, "-m", "pwshcompat", "module-path", str(modules)], cwd=elsewhere, env=env)
    assert listed.returncode == 0 and listed.stdout.split() == [str(modules / m / MODULE_VERSION) for m in MODULES]

    env["PSModulePath"] = str(modules)
    result = pwsh_script(elsewhere, USE_GRAPH, emulator.graph_url, emulator.issue_token(), env=env)
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout.strip().splitlines()[-1])
    assert r == {"call": True, "context": "Packaged", "bases": [str(modules / m / MODULE_VERSION) for m in SEED_MODULES],
                 "python": venv_python}
    (request,) = emulator.requests
    assert request.path.endswith("/presences/packaged1/microsoft.graph.setUserPreferredPresence")


def test_install_module_again_upgrades_in_place_and_uninstall_removes_only_ours(built: dict[str, Path],
                                                                                tmp_path: Path) -> None:
    modules = tmp_path / "Modules"
    env = outside_env(built["home"])
    cli = str(built["venv"] / "bin/pwshcompat")
    assert run([cli, "install-module", str(modules)], cwd=tmp_path, env=env).returncode == 0
    auth = generate_module.AUTH_MODULE
    current = modules / auth / MODULE_VERSION
    # An older install of ours, a stray file in the current one, and someone else's module of the same name.
    shutil.copytree(current, modules / auth / "0.0.1")
    (current / "module/stray.txt").write_text("left from before")
    foreign = modules / auth / "9.9.9"
    foreign.mkdir()
    (foreign / f"{auth}.psd1").write_text("@{ ModuleVersion = '9.9.9'; GUID = '11111111-2222-3333-4444-555555555555' }")

    again = run([cli, "install-module", str(modules)], cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (modules / auth).iterdir()) == sorted([MODULE_VERSION, "9.9.9"])
    assert not (current / "module/stray.txt").exists() and (current / "module/bin/python.json").is_file()

    removed = run([cli, "uninstall-module", str(modules)], cwd=tmp_path, env=env)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.split() == ["removed", str(modules / auth / MODULE_VERSION),
                                      *[w for m in MODULES if m != auth for w in ("removed", str(modules / m / MODULE_VERSION))]]
    assert [p.name for p in (modules / auth).iterdir()] == ["9.9.9"]
    assert not any((modules / m).exists() for m in MODULES if m != auth)
    after = run([cli, "module-path", str(modules)], cwd=tmp_path, env=env)
    assert after.returncode == 1 and "install-module" in after.stderr


def test_powershell_packages_install_by_name_and_say_what_python_side_is_missing(built: dict[str, Path],
                                                                                 tmp_path: Path,
                                                                                 emulator: Emulator) -> None:
    home = tmp_path / "home"  # PSResourceGet's repository list and CurrentUser modules live here
    home.mkdir()
    feed = built["feed"]
    assert sorted(p.name for p in feed.glob("*.nupkg")) == sorted(f"{m}.{MODULE_VERSION}.nupkg" for m in MODULES)
    env = outside_env(home)
    setup = pwsh_script(tmp_path, """
Register-PSResourceRepository -Name local -Uri $args[0] -Trusted
Install-PSResource Microsoft.Graph.Beta.CloudCommunications -Repository local -TrustRepository -Quiet
Get-InstalledPSResource | ForEach-Object { "$($_.Name) $($_.Version)" } | Sort-Object
""", str(feed), env=env)
    assert setup.returncode == 0, setup.stderr
    assert setup.stdout.split("\n")[:len(SEED_MODULES)] == [f"{m} {MODULE_VERSION}" for m in SEED_MODULES]  # dependency came too
    user_modules = home / ".local/share/powershell/Modules"
    assert files_naming_the_checkout(user_modules) == []

    # No Python with pwshcompat on PATH (Debian's python3 has requests and msal, not pwshcompat).
    missing = pwsh_script(tmp_path, "Import-Module Microsoft.Graph.Beta.CloudCommunications", env=env)
    assert missing.returncode != 0
    message = " ".join(missing.stderr.split())
    assert "pip install pwshcompat" in message and "PWSHCOMPAT_PYTHON" in message

    with_python = outside_env(home, PWSHCOMPAT_PYTHON=str(built["venv"] / "bin/python"))
    result = pwsh_script(tmp_path, USE_GRAPH, emulator.graph_url, emulator.issue_token(), env=with_python)
    assert result.returncode == 0, result.stderr
    r = json.loads(result.stdout.strip().splitlines()[-1])
    assert r == {"call": True, "context": "Packaged", "bases": [str(user_modules / m / MODULE_VERSION) for m in SEED_MODULES],
                 "python": str(built["venv"] / "bin/python")}
    assert len(emulator.requests) == 1
