"""pythonnet in-process: loaded once per process, shared by runspaces and parallel pipelines,
safe to re-import and remove, and one clear error when a piece is missing."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from conftest import REAL_HOME
from .conftest import CONNECT

ROOT = Path(__file__).resolve().parents[2]
RECORDED_VERSION = ".".join(json.loads((ROOT / "module/bin/python.json").read_text(encoding="utf-8"))["version"].split(".")[:2])


def test_parallel_runspaces_reimport_and_remove_share_one_python(emulator, pwsh_json):
    script = CONNECT + """
$r = [ordered]@{}
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$r.parallel = @(1..6 | ForEach-Object -ThrottleLimit 3 -Parallel {
    Import-Module $using:manifest
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "p$_" -Availability Busy -Activity Busy -PassThru
}) | Sort-Object -Unique
$ps = [powershell]::Create()
$null = $ps.AddScript({ param($m, $u) Import-Module $m; Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId $u -Availability Away -Activity Away -PassThru }).AddArgument($manifest).AddArgument('rs1')
$r.runspace = @($ps.Invoke())
$r.runspaceErrors = @($ps.Streams.Error | ForEach-Object { "$_" })
$ps.Dispose()
Import-Module $manifest -Force
$r.afterForce = & $cmd -PresenceId f1 -Availability Busy -Activity Busy -PassThru
Remove-Module Microsoft.Graph.Beta.CloudCommunications
$r.removed = $null -eq (Get-Command $cmd -ErrorAction Ignore)
Import-Module $manifest
$r.afterReimport = & $cmd -PresenceId f2 -Availability Busy -Activity Busy -PassThru
$r.pythonDlls = @([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Python.Runtime' }).Count
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r["parallel"] is True and r["runspace"] == [True] and r["runspaceErrors"] == []
    assert r["afterForce"] is True and r["removed"] is True and r["afterReimport"] is True
    assert r["pythonDlls"] == 1
    ids = sorted(req.path.split("/")[4] for req in emulator.requests if "presences" in req.path)
    assert ids == sorted(["p1", "p2", "p3", "p4", "p5", "p6", "rs1", "f1", "f2"])


def test_a_thread_keeps_its_python_thread_state_between_calls(emulator, pwsh_json):
    """The host keeps one Python thread state per OS thread (bench/FINDINGS.md section 10): what a
    thread stores in a threading.local survives from one call into Python to the next."""
    script = CONNECT + """
$r = [ordered]@{}
$r.first = & $cmd -PresenceId t1 -Availability Busy -Activity Busy -PassThru
$gil = [Python.Runtime.Py]::GIL()
[Python.Runtime.PythonEngine]::Exec("import builtins, threading`nbuiltins.pwshcompat_test_local = threading.local()`nbuiltins.pwshcompat_test_local.mark = 'kept'")
$gil.Dispose()
$r.second = & $cmd -PresenceId t2 -Availability Busy -Activity Busy -PassThru
$gil = [Python.Runtime.Py]::GIL()
$mark = [Python.Runtime.PythonEngine]::Eval("getattr(__import__('builtins').pwshcompat_test_local, 'mark', 'lost')")
$r.mark = $mark.ToString()
$mark.Dispose()
$gil.Dispose()
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token())
    assert r == {"first": True, "second": True, "mark": "kept"}


def test_command_modules_are_preloaded_in_the_background(pwsh_json):
    """A first Get-MgEnvironment imports only its own module; the host imports the others (the
    presence cmdlet's, with the HTTP client) in the background once Python is up."""
    script = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$null = Get-MgEnvironment
$probe = "'pwshcompat.operation' in __import__('sys').modules"
$deadline = [datetime]::UtcNow.AddSeconds(60)
do {
    $gil = [Python.Runtime.Py]::GIL()
    $loaded = [Python.Runtime.PythonEngine]::Eval($probe)
    $done = $loaded.IsTrue()
    $loaded.Dispose()
    $gil.Dispose()
    if (-not $done) { Start-Sleep -Milliseconds 50 }
} until ($done -or [datetime]::UtcNow -gt $deadline)
@{ preloaded = $done } | ConvertTo-Json -Compress
"""
    assert pwsh_json(script) == {"preloaded": True}


def _readytorun_major(path: str) -> int | None:
    """The ReadyToRun format's major version in the PE file ``path`` (None: plain IL). The runtime
    runs precompiled code only from images of its own major version (bench/FINDINGS.md section 14)."""
    data = Path(path).read_bytes()
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    sections, optional_size = struct.unpack_from("<H12xH", data, pe + 6)
    optional = pe + 24
    directories = optional + (96 if struct.unpack_from("<H", data, optional)[0] == 0x10B else 112)
    table = optional + optional_size

    def offset(rva: int) -> int:
        for n in range(sections):
            size, start, _, raw = struct.unpack_from("<IIII", data, table + 40 * n + 8)
            if start <= rva < start + size:
                return rva - start + raw
        raise ValueError(f"RVA {rva:#x} is in no section of {path}")

    cli_rva = struct.unpack_from("<I", data, directories + 14 * 8)[0]
    native_rva, native_size = struct.unpack_from("<II", data, offset(cli_rva) + 64)  # ManagedNativeHeader
    if not native_size:
        return None
    signature, major = struct.unpack_from("<IH", data, offset(native_rva))
    return major if signature == 0x00525452 else None  # "RTR"


def test_the_host_loaded_is_precompiled_for_the_running_dotnet(pwsh_json):
    """scripts/setup precompiles PwshCompat.Host.dll and Python.Runtime.dll (ReadyToRun) for the .NET
    that runs this machine's pwsh, and the module loads that build: a build precompiled for another
    .NET major version (the net8.0 one, on pwsh 7.6's .NET 10) would be JIT-compiled method by method."""
    script = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$null = Get-MgEnvironment
@{ host = [PwshCompat.Host.CommandBridge].Assembly.Location; runtime = [Python.Runtime.PythonEngine].Assembly.Location
   corelib = [object].Assembly.Location; dotnet = [Environment]::Version.Major } | ConvertTo-Json -Compress
"""
    if _readytorun_major(str(ROOT / "module/bin/PwshCompat.Host.dll")) is None:
        pytest.skip("module/bin/ holds a plain IL build (PWSHCOMPAT_READYTORUN=0, or no crossgen for this platform)")
    r = pwsh_json(script)
    expected = _readytorun_major(r["corelib"])
    assert expected is not None, f"{r['corelib']} is not ReadyToRun: this .NET has no precompiled framework"
    assert {name: _readytorun_major(r[name]) for name in ("host", "runtime")} == {"host": expected, "runtime": expected}, r
    if r["dotnet"] != 8:
        assert Path(r["host"]).parent.name == f"net{r['dotnet']}.0", r


def _import_error(tmp_path: Path, env: dict[str, str], remove: str | None) -> str:
    """Import a copy of the module whose bin/ lacks ``remove``; return the error text."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "module", copy / "module", ignore=shutil.ignore_patterns("*.sha256"))
    shutil.copy(ROOT / "Microsoft.Graph.Beta.CloudCommunications.psd1", copy)
    if remove:  # from bin/ and from the build for this machine's .NET (bin/net<major>.0/) alike
        for found in (copy / "module" / "bin").rglob(remove):
            found.unlink()
    script = ("try { Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1 -ErrorAction Stop; 'imported' }"
              " catch { $_.Exception.Message }")
    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    result = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-Command", script], cwd=copy,
                            capture_output=True, text=True, timeout=120, env={**os.environ, **env})
    return result.stdout.strip()


def test_missing_python_runtime_is_one_clear_error(tmp_path):
    message = _import_error(tmp_path, {}, "Python.Runtime.dll")
    assert "Python.Runtime.dll" in message and "scripts/setup" in message and "PWSHCOMPAT_PYTHON_RUNTIME" in message


def test_missing_libpython_is_one_clear_error(tmp_path):
    message = _import_error(tmp_path, {"PYTHONNET_PYDLL": str(tmp_path / "libpython-missing.so")}, None)
    assert message.startswith("pwshcompat cannot start: no shared libpython"), message
    assert "PYTHONNET_PYDLL" in message


def test_a_libpython_that_cannot_start_fails_the_first_call_clearly(tmp_path):
    fake = tmp_path / "libpython3.99.so"
    fake.write_bytes(b"not a shared library")
    script = ("Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1 -ErrorAction Stop;"
              " try { Get-MgEnvironment -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }")
    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    result = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-Command", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONNET_PYDLL": str(fake)})
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "PwshCompatPythonStartFailed,Get-MgEnvironment", result.stdout + result.stderr
    assert lines[1].startswith("pwshcompat could not start Python")


# The interpreter's thread states, counted from its own list (PyInterpreterState_ThreadHead and
# PyThreadState_Next, under the GIL), and the Python CancellationTokens alive.
COUNT_THREAD_STATES = r'''
function PythonCounts {
    $gil = [Python.Runtime.Py]::GIL()
    try {
        [Python.Runtime.PythonEngine]::Exec(@"
import ctypes, gc
api = ctypes.pythonapi
api.PyInterpreterState_Get.restype = ctypes.c_void_p
api.PyInterpreterState_ThreadHead.restype = ctypes.c_void_p
api.PyInterpreterState_ThreadHead.argtypes = [ctypes.c_void_p]
api.PyThreadState_Next.restype = ctypes.c_void_p
api.PyThreadState_Next.argtypes = [ctypes.c_void_p]
state, states = api.PyInterpreterState_ThreadHead(api.PyInterpreterState_Get()), 0
while state:
    states += 1
    state = api.PyThreadState_Next(state)
import pwshcompat.cancellation as c
__import__('builtins').pwshcompat_test_counts = (states, sum(type(o) is c.CancellationToken for o in gc.get_objects()))
"@)
        $counts = [Python.Runtime.PythonEngine]::Eval("__import__('builtins').pwshcompat_test_counts")
        [ordered]@{ states = [int]"$($counts[0])"; tokens = [int]"$($counts[1])" }
        $counts.Dispose()
    } finally { $gil.Dispose() }
}
'''


def _other_libpython(version: str) -> Path | None:
    """A CPython ``version`` (pyenv's, as this machine image has them) other than the recorded one."""
    found = sorted(REAL_HOME.glob(f".pyenv/versions/{version}.*/lib/libpython{version}.so"))
    return found[-1] if found else None


@pytest.mark.parametrize("python", ["recorded", "3.12", "3.13"])
def test_thread_states_of_ended_threads_are_freed(emulator, pwsh_json, python, monkeypatch):
    """ForEach-Object -Parallel runs each item on a new OS thread. The host keeps a Python thread
    state per thread (FINDINGS section 10) and frees those of ended threads (section 13b): after
    2,000 items only a small bounded number is left, and a live thread keeps its own. From 3.12
    on, CPython's rules for deleting another thread's state differ (PythonThreads.cs): the other
    CPythons on the machine, where there are some, run the same loop."""
    if python != "recorded":
        libpython = _other_libpython(python)
        if libpython is None:
            pytest.skip(f"no libpython{python}.so on this machine")
        monkeypatch.setenv("PYTHONNET_PYDLL", str(libpython))
        monkeypatch.setenv("PYTHONHOME", str(libpython.parent.parent))
    items = 2000
    script = CONNECT + COUNT_THREAD_STATES + """
$r = [ordered]@{}
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$null = Get-MgContext
$gil = [Python.Runtime.Py]::GIL()
[Python.Runtime.PythonEngine]::Exec("import builtins, threading`nbuiltins.pwshcompat_test_local = threading.local()`nbuiltins.pwshcompat_test_local.mark = 'kept'")
$gil.Dispose()
$r.before = PythonCounts
$contexts = 1..$args[2] | ForEach-Object -ThrottleLimit 8 -Parallel {
    Import-Module $using:manifest
    (Get-MgContext).Environment
}
$r.contexts = @($contexts | Group-Object | ForEach-Object { "$($_.Name)=$($_.Count)" })
$r.after = PythonCounts
$null = Get-MgContext
$gil = [Python.Runtime.Py]::GIL()
$mark = [Python.Runtime.PythonEngine]::Eval("getattr(__import__('builtins').pwshcompat_test_local, 'mark', 'lost')")
$r.mark = $mark.ToString()
$mark.Dispose()
$r.version = [Python.Runtime.PythonEngine]::Eval("'%d.%d' % __import__('sys').version_info[:2]").ToString()
$gil.Dispose()
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token(), str(items))
    # Every item ran the cmdlet in Python, on the one context the parallel runspaces share.
    assert r["contexts"] == [f"PwshTests={items}"]
    # Kept: at most twice the threads alive at the last sweep (32 at least), not one per item.
    assert r["after"]["states"] - r["before"]["states"] <= 64, r
    # The ended threads' StopWatcher tokens went with their states.
    assert r["after"]["tokens"] <= 64, r
    assert r["mark"] == "kept"
    expected = RECORDED_VERSION if python == "recorded" else python
    assert r["version"] == expected


def test_a_first_call_inside_an_open_gil_leaves_the_gil_to_its_owner(pwsh_json):
    """A thread whose first command runs while a script holds Py.GIL() already has a state: the
    host keeps none of its own there. Taking one more and giving the GIL back under the script's
    hold ended pwsh with "Fatal Python error: PyGILState_Release: thread state ... must be current"."""
    script = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$null = Get-MgEnvironment
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$counts = 1..2 | ForEach-Object -ThrottleLimit 2 -Parallel {
    Import-Module $using:manifest
    $gil = [Python.Runtime.Py]::GIL()
    $inside = @(Get-MgEnvironment).Count
    $gil.Dispose()
    [ordered]@{ inside = $inside; after = @(Get-MgEnvironment).Count }
}
@{ counts = @($counts); expected = @(Get-MgEnvironment).Count } | ConvertTo-Json -Compress -Depth 3
"""
    r = pwsh_json(script)
    assert r["expected"] >= 1
    assert r["counts"] == [{"inside": r["expected"], "after": r["expected"]}] * 2
