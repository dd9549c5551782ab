"""Saved settings under concurrency: every read-change-write of ~/.mg holds a lock, nothing is lost.

Threads of one process, several real pwsh processes, and two token caches (two sessions) at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import pwshcompat
from pwshcompat.auth import paths, token_cache
from pwshcompat.auth.providers import UserProvider
from pwshcompat.auth.environments import Environment, resolve
from auth_fixtures import home  # noqa: F401 - autouse: private HOME, no connection left behind
from conftest import ROOT, pwsh_path

THREADS, PER_THREAD = 16, 20
PROCESSES, PER_PROCESS = 2, 150
_PWSH = pwsh_path()  # found before the autouse fixture points HOME elsewhere


def _names(home: Path) -> set[str]:
    table = json.loads((home / ".mg" / "mg.context.json").read_text(encoding="utf-8"))["EnvironmentTable"]
    return set(table)


def test_threads_adding_environments_lose_none(home: Path):
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(t: int) -> None:
        start.wait()
        try:
            for i in range(PER_THREAD):
                pwshcompat.invoke("Add-MgEnvironment", Name=f"T{t}-{i}", AzureADEndpoint="https://login.example",
                                  GraphEndpoint=f"https://graph{t}.example")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _names(home) == {f"T{t}-{i}" for t in range(THREADS) for i in range(PER_THREAD)}
    # Changes and removals hold the same lock: half of them removed at once, the rest still there.
    removers = [threading.Thread(target=lambda t=t: [pwshcompat.invoke("Remove-MgEnvironment", Name=f"T{t}-{i}")
                                                     for i in range(0, PER_THREAD, 2)]) for t in range(THREADS)]
    for thread in removers:
        thread.start()
    for thread in removers:
        thread.join()
    assert _names(home) == {f"T{t}-{i}" for t in range(THREADS) for i in range(1, PER_THREAD, 2)}


SCRIPT = r"""
$Tag, $Count = $args[0], [int]$args[1]
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
# Both processes start adding together: each waits for the other's ready file.
New-Item -ItemType File -Path "$($args[2])/ready-$Tag" | Out-Null
while ((Get-ChildItem -Path $args[2] -Filter 'ready-*').Count -lt [int]$args[3]) { Start-Sleep -Milliseconds 20 }
for ($i = 0; $i -lt $Count; $i++) {
    $null = Add-MgEnvironment -Name "P$Tag-$i" -AzureADEndpoint https://login.example -GraphEndpoint https://graph.example
}
'done'
"""


def test_pwsh_processes_adding_environments_lose_none(home: Path, tmp_path: Path):
    script = tmp_path / "add.ps1"
    script.write_text("$ErrorActionPreference = 'Stop'\n" + SCRIPT, encoding="utf-8")
    sync = tmp_path / "sync"
    sync.mkdir()
    env = dict(os.environ, HOME=str(home), NO_COLOR="1")
    procs = [subprocess.Popen([_PWSH, "-NoProfile", "-NonInteractive", "-File", str(script), str(p),
                               str(PER_PROCESS), str(sync), str(PROCESSES)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in range(PROCESSES)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and out.strip().endswith("done"), out + err
    assert _names(home) == {f"P{p}-{i}" for p in range(PROCESSES) for i in range(PER_PROCESS)}


def test_a_lock_held_elsewhere_times_out_with_a_clear_error(home: Path):
    # A second process holds the settings lock; this one gives up after its timeout and says why.
    target = paths.context_settings()
    holder = subprocess.Popen(
        ["/usr/bin/python3", "-c", "import sys, time; from pathlib import Path; from pwshcompat.auth import paths\n"
         "with paths.locked(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()", str(target)],
        cwd=ROOT, env=dict(os.environ, HOME=str(home)), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(paths.SettingsLockTimeout, match="stayed locked by another process") as err:
            with paths.locked(target, timeout=0.3):
                pass
        assert err.value.error_id == "SettingsFileLocked" and "Nothing was changed" in str(err.value)
    finally:
        holder.communicate("", timeout=30)
    with paths.locked(target, timeout=5):  # released with the process
        pass


def test_two_sessions_signing_in_at_once_keep_both_accounts(emulator, monkeypatch, home: Path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", emulator.ca_bundle)
    users = iter([("11111111-1111-4111-8111-111111111111", "ana@pwshcompat.test"),
                  ("22222222-2222-4222-8222-222222222222", "ben@pwshcompat.test")])
    emulator.device_code_hook = lambda code: code.approve(*next(users))
    env = resolve(Environment("Local", emulator.login_url, emulator.graph_url))
    # Both caches are created (and read the empty file) before either signs in, like two sessions.
    providers = [UserProvider(env, emulator.tenant_id, "app", ["User.Read"], token_cache.for_scope("CurrentUser"), 30)
                 for _ in range(2)]
    for provider in providers:
        provider.sign_in_with_device_code(lambda message: None, 30)
    saved = json.loads(paths.token_cache().read_text(encoding="utf-8"))
    usernames = sorted(a["username"] for a in saved["Account"].values())
    assert usernames == ["ana@pwshcompat.test", "ben@pwshcompat.test"]
    assert len(saved["RefreshToken"]) == 2
    # The first session sees the second's account without being re-created.
    assert sorted(a["username"] for a in providers[0]._app.get_accounts()) == usernames
