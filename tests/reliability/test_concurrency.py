"""Concurrency: 16 Python threads sharing one connection, and 500 calls through
``ForEach-Object -Parallel -ThrottleLimit 8``. No deadlock, no lost and no duplicated update.

Every call carries a unique ``X-Call`` header, so the emulator's request log shows how often each
call arrived (exactly once) and what it carried; every user is written by one thread at a time,
so the last value a thread set is the value the user must end with.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

from conftest import run_pwsh
from pwshcompat.emulator import Emulator

from .bad_input import CMD
from .harness import PS_CONNECT, connect_python, last_json_line

PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"),
         ("BeRightBack", "BeRightBack"), ("Away", "Away"), ("Offline", "OffWork")]
THREADS, USERS_PER_THREAD, CALLS_PER_USER = 16, 8, 4
HANG_GUARD_SECONDS = 120  # turns a deadlock into a failure; nothing is asserted about time


def _calls_by_id(emulator: Emulator) -> Counter[str]:
    return Counter(r.headers.get("x-call", "") for r in emulator.requests)


def _state(emulator: Emulator, users: list[str]) -> dict[str, tuple[str, str] | None]:
    """The preferred presence the emulator holds for each user."""
    state: dict[str, tuple[str, str] | None] = {}
    for user in users:
        preferred = emulator.preferred_presence(user)
        state[user] = None if preferred is None else (preferred.availability, preferred.activity)
    return state


def test_sixteen_python_threads_share_one_connection(emulator: Emulator) -> None:
    from pwshcompat import bridge

    connect_python(emulator, name="Threads")
    rng = random.Random(8)
    plan = {t: [(f"thr-{t}-{u}", rng.choice(PAIRS)) for u in range(USERS_PER_THREAD) for _ in range(CALLS_PER_USER)]
            for t in range(THREADS)}
    outcomes: dict[str, dict[str, Any]] = {}
    start = threading.Barrier(THREADS)

    def work(t: int) -> None:
        start.wait()
        for n, (user, (availability, activity)) in enumerate(plan[t]):
            call = f"py-{t}-{n}"
            outcomes[call] = bridge.invoke(CMD, "SetExpanded", {
                "PresenceId": user, "Availability": availability, "Activity": activity,
                "Headers": {"X-Call": call}, "PassThru": True})

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not any(t.is_alive() for t in threads), "deadlock: a thread never finished"

    total = THREADS * USERS_PER_THREAD * CALLS_PER_USER
    assert len(outcomes) == total
    failed = {k: v for k, v in outcomes.items() if v["errors"] or v["terminating"] or v["output"] != [True]}
    assert not failed, f"{len(failed)} calls failed, e.g. {next(iter(failed.items()))}"
    arrived = _calls_by_id(emulator)
    assert {c: n for c, n in arrived.items() if c.startswith("py-") and n != 1} == {}, "duplicated update"
    assert sum(1 for c in arrived if c.startswith("py-")) == total, "lost update"
    expected = {user: pair for t in range(THREADS) for user, pair in plan[t]}  # later entries win: the last write
    assert _state(emulator, list(expected)) == expected


PS_PARALLEL = PS_CONNECT + r"""
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$pairs = @(@('Available','Available'), @('Busy','Busy'), @('DoNotDisturb','DoNotDisturb'), @('Away','Away'))
$results = 0..499 | ForEach-Object -ThrottleLimit 8 -Parallel {
    Import-Module $using:manifest
    $pair = ($using:pairs)[$_ % 4]
    $errs = $null
    $out = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "par-$_" -Availability $pair[0] `
        -Activity $pair[1] -Headers @{ 'X-Call' = "ps-$_" } -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue
    [pscustomobject]@{ n = $_; out = @($out); errors = @($errs | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }) }
}
'PARALLEL ' + (ConvertTo-Json -InputObject @($results) -Depth 4 -Compress)
"""


def test_five_hundred_calls_through_foreach_object_parallel(emulator: Emulator) -> None:
    result = run_pwsh(PS_PARALLEL, emulator.graph_url, emulator.issue_token(), timeout=HANG_GUARD_SECONDS * 2)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = last_json_line(result.stdout, "PARALLEL ")
    assert sorted(r["n"] for r in rows) == list(range(500))
    failed = [r for r in rows if r["errors"] or r["out"] != [True]]
    assert not failed, f"{len(failed)} parallel calls failed, e.g. {failed[:3]}"
    arrived = _calls_by_id(emulator)
    assert {c: n for c, n in arrived.items() if c.startswith("ps-") and n != 1} == {}, "duplicated update"
    assert sum(1 for c in arrived if c.startswith("ps-")) == 500, "lost update"
    pairs = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"), ("Away", "Away")]
    expected = {f"par-{n}": pairs[n % 4] for n in range(500)}
    assert _state(emulator, list(expected)) == expected
