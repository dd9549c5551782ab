"""Install the PowerShell modules this package carries, by name, for the Python that runs this.

``pwshcompat install-module [DIR]`` (also ``python3 -m pwshcompat install-module``) writes one
self-contained folder per module, ``DIR/<Module>/<version>/`` (DIR defaults to the user's pwsh
module folder, which pwsh has on ``PSModulePath``), so ``Import-Module <Module>``,
``#Requires -Modules`` and command autoloading find them. Each folder holds the module's manifest
beside a copy of the modules' files (``module/``: the generated ``.psm1`` files, the Python host
loader, help, and ``bin/`` with ``PwshCompat.Host.dll`` and ``Python.Runtime.dll``), and records the
interpreter that ran the command (``module/bin/python.json`` and ``python.paths``: its libpython and
site-packages), so the modules load that Python, with this package, whatever ``PATH`` says later.
``Python.Runtime.dll`` comes from the pythonnet package where pip installed a compatible one (3.x,
at least the version the host was built against), else from this package.

Running it again upgrades in place (the folder is replaced whole, older versions of *these*
modules in DIR are removed); ``uninstall-module [DIR]`` removes them; ``module-path [DIR]`` prints
the installed modules' folders. A module of the same name that is not ours (Microsoft's, say) is
never touched: modules are told apart by their manifest's GUID.

The files come from ``pwshcompat/powershell/`` in the installed wheel (``scripts/package.py``
puts them there); run from a checkout, they are staged from it (its ``module/`` and the host
``scripts/setup`` built).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import site
import sys
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Any, Iterator

__all__ = [
    "install_modules",
    "installed_modules",
    "lay_out_module",
    "packaged_modules",
    "payload",
    "python_info",
    "record_python",
    "uninstall_modules",
    "user_module_folder",
]

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED = PACKAGE_DIR / "powershell"
# The pythonnet the host is compiled against: Python.Runtime.dll must be this version or a later 3.x.
HOST_PYTHONNET = (3, 2, 1)


class InstallError(Exception):
    """Installing, upgrading or removing the modules failed; the message says why and what to do."""


@contextlib.contextmanager
def payload() -> Iterator[Path]:
    """The folder with ``module/`` and ``manifests/``: the wheel's, or one staged from the checkout."""
    if (PACKAGED / "manifests").is_dir():
        yield PACKAGED
        return
    checkout = PACKAGE_DIR.parent
    script = checkout / "scripts" / "package.py"
    host = checkout / "module" / "bin"
    if not script.is_file():
        raise InstallError(f"this pwshcompat ({PACKAGE_DIR}) carries no PowerShell modules: install the wheel "
                           "(scripts/package wheel builds it), or run this from a pwshcompat checkout")
    if not all((host / f).is_file() for f in ("PwshCompat.Host.dll", "Python.Runtime.dll")):
        raise InstallError(f"{host} has no PwshCompat.Host.dll / Python.Runtime.dll yet: run scripts/setup first")
    spec = importlib.util.spec_from_file_location("pwshcompat_package", script)
    assert spec is not None and spec.loader is not None
    package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    with tempfile.TemporaryDirectory(prefix="pwshcompat-payload-") as tmp:
        yield package.stage_payload(Path(tmp) / "payload", host_dir=host)


def _manifest_field(text: str, key: str) -> str:
    m = re.search(rf"^\s*{key}\s*=\s*'([^']*)'", text, re.M)
    return m.group(1) if m else ""


def packaged_modules(source: Path) -> dict[str, tuple[str, str]]:
    """Module name -> (version, GUID), from the payload's manifests."""
    out = {}
    for manifest in sorted((source / "manifests").glob("*.psd1")):
        text = manifest.read_text(encoding="utf-8")
        out[manifest.stem] = (_manifest_field(text, "ModuleVersion"), _manifest_field(text, "GUID"))
    return out


def lay_out_module(source: Path, name: str, dest: Path) -> Path:
    """Write the self-contained folder of module ``name`` into ``dest`` (created; must not exist):
    ``<name>.psd1`` and a copy of ``module/``."""
    dest.mkdir(parents=True)
    shutil.copy2(source / "manifests" / f"{name}.psd1", dest / f"{name}.psd1")
    shutil.copytree(source / "module", dest / "module")
    return dest


def user_module_folder() -> Path:
    """pwsh's per-user module folder, the first entry of its default ``PSModulePath``."""
    if os.name == "nt":
        return Path.home() / "Documents" / "PowerShell" / "Modules"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "powershell" / "Modules"


def python_info(*, standard_library: bool = False) -> dict[str, Any]:
    """How the PowerShell modules start this interpreter in-process (``python.json``; the host's
    discovery, ``src/PwshCompat.Host/PythonLocator.cs``, asks an interpreter the same):

    * ``python``: ``sys.executable``; ``version``: ``"3.11.2"``;
    * ``pythonDll``: its shared libpython, ``""`` when it has none (an in-process host needs one);
    * ``pythonHome``: ``sys.base_prefix``, or ``"prefix:exec_prefix"`` when the two differ;
    * ``sitePackages``: the folders put first on ``sys.path``: the one this package is imported
      from, then the interpreter's site-packages (the user's too, when Python enables it);
    * with ``standard_library=True``, ``stdlib``: the standard library's ``sys.path`` entries, as
      ``python -I -S`` has them (a child process; for people and tests, the host does not read it).
    """
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    candidates = [os.path.join(libdir, sysconfig.get_config_var("LDLIBRARY") or ""),
                  os.path.join(libdir, "libpython%d.%d.so.1.0" % sys.version_info[:2])]
    if os.name == "nt":
        candidates.append(os.path.join(sys.base_prefix, "python%d%d.dll" % sys.version_info[:2]))
    dll = next((c for c in candidates if c.endswith((".so", ".so.1.0", ".dylib", ".dll")) and os.path.isfile(c)), "")
    paths = [str(PACKAGE_DIR.parent)]
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    for p in site.getsitepackages() + ([user_site] if user_site else []):
        if os.path.isdir(p) and p not in paths:
            paths.append(p)
    home = sys.base_prefix
    if sys.base_exec_prefix != sys.base_prefix:
        home += os.pathsep + sys.base_exec_prefix
    info: dict[str, Any] = {"python": sys.executable, "pythonDll": dll, "pythonHome": home,
                            "version": "%d.%d.%d" % sys.version_info[:3]}
    if standard_library:
        isolated = subprocess.run([sys.executable, "-I", "-S", "-c", "import json, sys; print(json.dumps(sys.path))"],
                                  capture_output=True, text=True, check=True)
        info["stdlib"] = [p for p in json.loads(isolated.stdout) if p]
    info["sitePackages"] = paths
    return info


def record_python(bin_dir: Path, info: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``python.json`` and ``python.paths`` into the modules' ``bin_dir``: the interpreter
    they host, ``info`` (default :func:`python_info`). ``python.paths`` says the same as key=value
    lines (``dll=``, ``python=``, ``home=``, one ``site=`` per folder), which the host reads first:
    no JSON parser on the module's cold path. Returns ``info``.

    Raises :class:`InstallError` when the interpreter has no shared libpython (Debian:
    ``apt-get install libpython3.11``)."""
    info = python_info() if info is None else info
    _require_libpython(info)
    (bin_dir / "python.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    lines = [f"dll={info['pythonDll']}", f"python={info['python']}", f"home={info['pythonHome']}",
             *(f"site={folder}" for folder in info["sitePackages"])]
    (bin_dir / "python.paths").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return info


def _require_libpython(info: dict[str, Any]) -> None:
    if not info["pythonDll"]:
        major_minor = ".".join(str(info["version"]).split(".")[:2])
        raise InstallError(f"{info['python']} has no shared libpython, which PowerShell needs to host it "
                           f"(Debian: apt-get install libpython{major_minor})")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def pythonnet_runtime() -> Path | None:
    """Python.Runtime.dll of the pythonnet package pip installed for this Python, when it is one
    the host can load (3.x, not older than the host's); else ``None``."""
    try:
        from importlib import metadata

        version = _version(metadata.version("pythonnet"))
        found = importlib.util.find_spec("pythonnet")
    except Exception:  # not installed, or a broken installation: the packaged one serves
        return None
    if found is None or not found.submodule_search_locations or not (version[:1] == (3,) and version >= HOST_PYTHONNET):
        return None
    dll = Path(next(iter(found.submodule_search_locations))) / "runtime" / "Python.Runtime.dll"
    return dll if dll.is_file() else None


def _ours(folder: Path, name: str, guid: str) -> bool:
    manifest = folder / f"{name}.psd1"
    return manifest.is_file() and _manifest_field(manifest.read_text(encoding="utf-8", errors="replace"), "GUID") == guid


def install_modules(target: Path | None = None) -> list[Path]:
    """Install (or upgrade in place) every module into ``target`` (default :func:`user_module_folder`)
    for this interpreter; returns the module folders written."""
    target = (target or user_module_folder()).expanduser().resolve()
    info = python_info()
    _require_libpython(info)  # before anything is written
    runtime = pythonnet_runtime()
    written = []
    with payload() as source:
        for name, (version, guid) in packaged_modules(source).items():
            home = target / name
            staging = home / f".{version}.installing-{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            lay_out_module(source, name, staging)
            bin_dir = staging / "module" / "bin"
            record_python(bin_dir, info)
            if runtime is not None:
                shutil.copy2(runtime, bin_dir / "Python.Runtime.dll")
            final = home / version
            retired = []
            for other in sorted(home.iterdir()):
                if other != staging and other.is_dir() and not other.name.startswith(".") and _ours(other, name, guid):
                    moved = home / f".{other.name}.removing-{os.getpid()}"
                    other.rename(moved)  # out of the way first: the new folder takes its name at once
                    retired.append(moved)
            if final.exists():
                raise InstallError(f"{final} exists and is not this module ({name}, GUID {guid}): move it away first")
            staging.rename(final)
            for old in retired:
                shutil.rmtree(old, ignore_errors=True)
            written.append(final)
    return written


def _search_folders(target: Path | None) -> list[Path]:
    if target is not None:
        return [target.expanduser().resolve()]
    folders = [user_module_folder()]
    folders += [Path(p) for p in os.environ.get("PSModulePath", "").split(os.pathsep) if p]
    unique: list[Path] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


def installed_modules(target: Path | None = None) -> list[Path]:
    """The folders of these modules installed in ``target``, or else in the user's module folder
    and the ``PSModulePath`` entries."""
    found = []
    with payload() as source:
        ours = packaged_modules(source)
    for folder in _search_folders(target):
        for name, (_, guid) in ours.items():
            home = folder / name
            if home.is_dir():
                found += [v for v in sorted(home.iterdir()) if v.is_dir() and not v.name.startswith(".") and _ours(v, name, guid)]
    return found


def uninstall_modules(target: Path | None = None) -> list[Path]:
    """Remove these modules from ``target`` (default :func:`user_module_folder`); returns what was removed."""
    removed = []
    folder = (target or user_module_folder()).expanduser().resolve()
    for path in installed_modules(folder):
        shutil.rmtree(path)
        removed.append(path)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # the <Module> folder, when nothing else is in it
    return removed


def main(command: str, argv: list[str]) -> int:
    """``pwshcompat install-module | uninstall-module | module-path [DIR]``; see the module doc."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"pwshcompat {command}", description=__doc__.split("\n\n")[1])
    parser.add_argument("dir", nargs="?", type=Path,
                        help=f"the modules folder (default: {user_module_folder()})")
    args = parser.parse_args(argv)
    try:
        if command == "install-module":
            paths = install_modules(args.dir)
            for path in paths:
                print(f"installed {path.parent.name} {path.name} in {path}")
            print(f"Python: {sys.executable}")
            runtime = pythonnet_runtime()
            print(f"Python.Runtime.dll: {runtime if runtime else 'the one this package carries'}")
            folder = paths[0].parent.parent if paths else None
            on_path = [Path(p).resolve() for p in os.environ.get("PSModulePath", "").split(os.pathsep) if p]
            if folder is not None and folder != user_module_folder().resolve() and folder not in on_path:
                print(f"add {folder} to PSModulePath for pwsh to find them by name", file=sys.stderr)
        elif command == "uninstall-module":
            removed = uninstall_modules(args.dir)
            for path in removed:
                print(f"removed {path}")
            if not removed:
                print("no pwshcompat modules were installed there", file=sys.stderr)
        else:
            found = installed_modules(args.dir)
            for path in found:
                print(path)
            if not found:
                print("the pwshcompat modules are not installed: run pwshcompat install-module", file=sys.stderr)
                return 1
    except InstallError as exc:
        print(f"pwshcompat {command}: {exc}", file=sys.stderr)
        return 1
    return 0
