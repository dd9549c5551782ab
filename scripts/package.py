#!/usr/bin/env python3
"""Build what users install without the checkout: the wheel and the PowerShell packages.

Usage::

    scripts/package wheel [OUT]     # dist/pwshcompat-<version>-py3-none-any.whl (OUT: dist/)
    scripts/package nupkg [OUT]     # dist/<Module>.<version>.nupkg, one per PowerShell module

Both carry the *payload* (``pwshcompat/powershell/`` inside the wheel, built by :func:`stage_payload`):

* ``module/``: the PowerShell modules' files as in the checkout (generated ``.psm1`` files, the Python
  host loader, ``help/``, any formats), with ``module/bin/`` holding ``PwshCompat.Host.dll`` built as
  plain IL for net8.0 (one file for every platform and every pwsh from 7.4) and
  ``Python.Runtime.dll`` from NuGet pythonnet (``scripts/deps/deps.csproj``);
* ``manifests/<Module>.psd1``: each module's manifest for a self-contained module folder, from
  ``generate_module.packaged_manifests()`` (one per module the generator lists in ``MODULES``).

``pwshcompat install-module`` (:mod:`pwshcompat.install`) turns the payload into module folders; the
``.nupkg`` files are the same folders, packed by PSResourceGet's ``Compress-PSResource``.
Needs the .NET SDK (and pwsh for ``nupkg``); the wheel is built with pip from Debian's
``python3-pip``/``python3-setuptools``/``python3-wheel``, without network or build isolation.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

HOST_SRC = ROOT / "src" / "PwshCompat.Host"
HOST_IL = ROOT / ".deps" / "host-il"  # PwshCompat.Host.dll + Python.Runtime.dll + a stamp of the sources
DEPS = ROOT / "scripts" / "deps" / "deps.csproj"
PAYLOAD = "powershell"  # the payload's folder inside the pwshcompat package
HOST_FILES = ("PwshCompat.Host.dll", "Python.Runtime.dll")
# No debug directory in the built host: it would name this build's folder, a path of the build machine.
HOST_BUILD_PROPERTIES = ("-p:DebugType=none",)


def say(text: str) -> None:
    print(f"package: {text}", file=sys.stderr)


def pythonnet_version() -> str:
    """The pythonnet version scripts/deps/deps.csproj pins (the one the host is built against)."""
    m = re.search(r'Include="pythonnet"\s+Version="([^"]+)"', DEPS.read_text(encoding="utf-8"))
    if not m:
        raise SystemExit(f"package: no pythonnet PackageReference in {DEPS}")
    return m.group(1)


def _dotnet(*args: str, log: Path) -> None:
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(["dotnet", *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        sys.stderr.write(log.read_text(encoding="utf-8"))
        raise SystemExit(f"package: dotnet {args[0]} failed (log: {log})")


def build_host_il() -> Path:
    """``.deps/host-il/`` with PwshCompat.Host.dll (IL, net8.0) and Python.Runtime.dll; rebuilt only
    when the host's sources or the pythonnet version change (a stamp of them sits beside)."""
    version = pythonnet_version()
    digest = hashlib.sha256(" ".join((version, *HOST_BUILD_PROPERTIES)).encode())
    for path in sorted(HOST_SRC.glob("*.cs")) + sorted(HOST_SRC.glob("*.csproj")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    stamp = HOST_IL / "sources.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest.hexdigest() and all((HOST_IL / f).exists() for f in HOST_FILES):
        return HOST_IL
    deps = ROOT / ".deps"
    deps.mkdir(exist_ok=True)
    runtime = deps / "nuget" / "pythonnet" / version / "lib" / "netstandard2.0" / "Python.Runtime.dll"
    if not runtime.exists():
        say(f"fetching Python.Runtime.dll (NuGet pythonnet {version})")
        _dotnet("restore", str(DEPS), "--packages", str(deps / "nuget"), log=deps / "package-restore.log")
    say("building PwshCompat.Host.dll (IL, net8.0)")
    artifacts = Path(tempfile.mkdtemp(prefix="host-il-", dir=deps))
    try:
        _dotnet("build", str(HOST_SRC / "PwshCompat.Host.csproj"), "-c", "Release", "-nologo", "-v", "quiet",
                "--artifacts-path", str(artifacts), f"-p:PythonRuntimeDll={runtime}", *HOST_BUILD_PROPERTIES,
                log=deps / "package-host.log")
        built = next(artifacts.glob("bin/**/PwshCompat.Host.dll"))
        staging = Path(tempfile.mkdtemp(prefix="host-il-new-", dir=deps))
        shutil.copy2(built, staging / "PwshCompat.Host.dll")
        shutil.copy2(runtime, staging / "Python.Runtime.dll")
        (staging / "sources.sha256").write_text(digest.hexdigest() + "\n")
        shutil.rmtree(HOST_IL, ignore_errors=True)
        staging.rename(HOST_IL)
    finally:
        shutil.rmtree(artifacts, ignore_errors=True)
    return HOST_IL


def stage_payload(dest: Path, host_dir: Path | None = None) -> Path:
    """Write the payload (see the module doc) into ``dest``; ``host_dir`` holds the two DLLs
    (default: :func:`build_host_il`)."""
    import generate_module

    outside = [m.psm1 for m in generate_module.MODULES.values() if not m.psm1.startswith("module/")]
    if outside:  # the payload is module/ and the manifests; a module's script elsewhere would be left out
        raise SystemExit(f"package: module scripts outside module/ are not packaged: {', '.join(outside)}")
    host_dir = host_dir or build_host_il()
    if dest.exists():
        shutil.rmtree(dest)
    module = dest / "module"
    # Everything the modules load at run time; bin/ is filled below, never copied from the checkout
    # (there it holds this machine's ReadyToRun build and python.json).
    shutil.copytree(ROOT / "module", module, ignore=shutil.ignore_patterns("bin", "__pycache__", "*.tmp.*"))
    (module / "bin").mkdir()
    for name in HOST_FILES:
        shutil.copy2(host_dir / name, module / "bin" / name)
    manifests = dest / "manifests"
    manifests.mkdir()
    for name, text in generate_module.packaged_manifests().items():
        (manifests / f"{name}.psd1").write_text(text, encoding="utf-8")
    return dest


def _source_files() -> list[str]:
    """The files a build needs: those git tracks or would track (untracked but not ignored)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True)
    return [f for f in listed.stdout.decode().split("\0") if f and (ROOT / f).is_file()]


def build_wheel(out: Path) -> Path:
    """Build the wheel into ``out`` from a clean copy of the sources (setuptools' build/ folder
    never carries files of an earlier build into it); returns the wheel's path."""
    host = build_host_il()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pwshcompat-wheel-") as tmp:
        src = Path(tmp) / "src"
        for rel in _source_files():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
        shutil.copytree(host, src / ".deps" / "host-il")  # built already: setup.py's build_py reuses it
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                               "--quiet", "--wheel-dir", str(out), str(src)], capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit("package: pip wheel failed")
    import generate_module

    return out / f"pwshcompat-{generate_module.version()}-py3-none-any.whl"


def module_folders(payload: Path, dest: Path) -> list[Path]:
    """``dest/<Module>/`` for each module: the self-contained folders the packages hold (the same
    layout :func:`pwshcompat.install.install_modules` installs, without a recorded Python)."""
    from pwshcompat import install

    return [install.lay_out_module(payload, name, dest / name) for name in install.packaged_modules(payload)]


def build_nupkgs(out: Path) -> list[Path]:
    """One ``.nupkg`` per module in ``out``, packed by PSResourceGet's Compress-PSResource (pwsh
    7.4+ ships it); a PSResourceGet repository on ``out`` then installs them by name."""
    from pwshcompat import install

    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet" / "tools" / "pwsh")
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="pwshcompat-nupkg-") as tmp:
        payload = stage_payload(Path(tmp) / "payload")
        folders = module_folders(payload, Path(tmp) / "modules")
        script = ("$ErrorActionPreference = 'Stop'; $out = $args[0]\n"
                  "foreach ($folder in $args[1..($args.Count - 1)]) { Compress-PSResource -Path $folder -DestinationPath $out }")
        # Validating a manifest resolves its RequiredModules: the folders beside are what they name.
        env = dict(os.environ, PSModulePath=os.pathsep.join([str(Path(tmp) / "modules"), os.environ.get("PSModulePath", "")]))
        (Path(tmp) / "compress.ps1").write_text(script, encoding="utf-8")
        done = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-File", str(Path(tmp) / "compress.ps1"),
                               str(out), *map(str, folders)], capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            raise SystemExit("package: Compress-PSResource failed")
        made = [out / f"{name}.{version}.nupkg" for name, (version, _) in install.packaged_modules(payload).items()]
    missing = [p for p in made if not p.is_file()]
    if missing:
        raise SystemExit(f"package: Compress-PSResource wrote no {', '.join(p.name for p in missing)}")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["wheel", "nupkg"])
    parser.add_argument("out", nargs="?", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    out = args.out.expanduser().resolve()
    if args.what == "wheel":
        print(build_wheel(out))
    else:
        for path in build_nupkgs(out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
