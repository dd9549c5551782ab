"""Concurrency: 16 Python threads sharing one connection, and 500 calls through
``ForEach-Object -Parallel -ThrottleLimit 8``. No deadlock, no lost and no duplicated update.
A quarter of the Python calls and a fifth of the pwsh calls are invalid on purpose (refused by
the service, or before sending), so error paths run concurrently with successful ones.

Every call carries a unique ``X-Call`` header, so the emulator's request log shows how often each
call arrived and what became of it. Every user is written by one thread at a time, so the value
a user must end with is the one of the last call for it that reported success.

"Lost" means a call that reported success but was not applied, or a call applied although it
reported failure; "duplicated" means a call that arrived twice. A call may fail visibly (one
error, nothing applied): the emulator's listen backlog (socketserver's default of 5) overflows
when 16 clients connect at once, and the kernel then resets a connection now and then. Such
failures are counted and printed, never silently accepted as success.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

from conftest import run_pwsh
from pwshcompat.emulator import Emulator

from .bad_input import CMD
from .harness import PS_CONNECT, connect_python, last_json_line

PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"),
         ("BeRightBack", "BeRightBack"), ("Away", "Away"), ("Offline", "OffWork")]
THREADS, USERS_PER_THREAD, CALLS_PER_USER = 16, 8, 4
PS_CALLS = 500
HANG_GUARD_SECONDS = 120  # turns a deadlock into a failure; nothing is asserted about time


def _verify(emulator: Emulator, plan: list[tuple[str, str, tuple[str, str]]], ok: dict[str, bool],
            errors: dict[str, int], must_fail: set[str]) -> dict[str, int]:
    """``plan``: (call, user, pair) in each user's call order; ``ok``/``errors`` per call;
    ``must_fail``: the calls made invalid on purpose (an error path must not block the others)."""
    assert set(ok) == {call for call, _, _ in plan}, "some calls never returned"
    for call in ok:
        assert (ok[call], errors[call]) in ((True, 0), (False, 1)), f"{call}: success={ok[call]} errors={errors[call]}"
    assert not [call for call in must_fail if ok[call]], "an invalid call reported success"
    arrived = Counter(r.headers.get("x-call", "") for r in emulator.requests)
    applied = {r.headers.get("x-call", "") for r in emulator.requests if r.status is not None and 200 <= r.status < 300}
    duplicated = {call: n for call, n in arrived.items() if call in ok and n > 1}
    assert not duplicated, f"duplicated updates: {duplicated}"
    lost = [call for call in ok if ok[call] != (call in applied)]
    assert not lost, f"calls whose reported outcome differs from what the emulator applied: {lost[:10]}"

    expected: dict[str, tuple[str, str] | None] = {}
    for call, user, pair in plan:
        expected.setdefault(user, None)
        if ok[call]:
            expected[user] = pair
    actual = {}
    for user in expected:
        preferred = emulator.preferred_presence(user)
        actual[user] = None if preferred is None else (preferred.availability, preferred.activity)
    assert actual == expected
    return {"calls": len(ok), "invalid_on_purpose": len(must_fail), "succeeded": sum(ok.values()),
            "other_failures": len(ok) - sum(ok.values()) - len(must_fail), "users": len(expected)}


def test_sixteen_python_threads_share_one_connection(emulator: Emulator) -> None:
    from pwshcompat import bridge

    connect_python(emulator, name="Threads")
    rng = random.Random(8)
    per_thread = {t: [(f"py-{t}-{n}", f"thr-{t}-{n % USERS_PER_THREAD}", rng.choice(PAIRS))
                      for n in range(USERS_PER_THREAD * CALLS_PER_USER)] for t in range(THREADS)}
    service_rejects = {call for t in range(THREADS) for call, _, _ in per_thread[t][5::8]}
    client_rejects = {call for t in range(THREADS) for call, _, _ in per_thread[t][6::8]}
    ok: dict[str, bool] = {}
    errors: dict[str, int] = {}
    start = threading.Barrier(THREADS)

    def work(t: int) -> None:
        start.wait()  # all threads hit the shared connection at once
        for call, user, (availability, activity) in per_thread[t]:
            if call in service_rejects:  # a pair the service refuses: 400 from the emulator
                availability, activity = "Busy", "Away"
            if call in client_rejects:  # a body with a key twice: refused before sending
                body = '{"availability": "Busy", "availability": "Away"}'
                result = bridge.invoke(CMD, "Set", {"PresenceId": user, "Headers": {"X-Call": call}, "PassThru": True,
                                                    "BodyParameter": body})
            else:
                result = bridge.invoke(CMD, "SetExpanded", {"PresenceId": user, "Availability": availability,
                                                            "Activity": activity, "Headers": {"X-Call": call},
                                                            "PassThru": True})
            errors[call] = len(result["errors"]) + (result["terminating"] is not None)
            ok[call] = result["output"] == [True]

    threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD_SECONDS)
    assert not any(t.is_alive() for t in threads), "deadlock: a thread never finished"
    figures = _verify(emulator, [row for t in range(THREADS) for row in per_thread[t]], ok, errors,
                      service_rejects | client_rejects)
    print("16 threads:", figures)


PS_PARALLEL = PS_CONNECT + r"""
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$pairs = @(@('Available','Available'), @('Busy','Busy'), @('DoNotDisturb','DoNotDisturb'), @('Away','Away'))
$results = 0..($args[2] - 1) | ForEach-Object -ThrottleLimit 8 -Parallel {
    Import-Module $using:manifest
    $pair = ($using:pairs)[$_ % 4]
    $errs = $out = $null
    $common = @{ PresenceId = "par-$_"; Headers = @{ 'X-Call' = "ps-$_" }; PassThru = $true
                 ErrorVariable = 'errs'; ErrorAction = 'SilentlyContinue' }
    try {
        if ($_ % 10 -eq 7) {        # a body with a key twice: refused before sending
            $out = Set-MgBetaCommunicationPresenceUserPreferredPresence @common `
                -BodyParameter '{"availability": "Busy", "availability": "Away"}'
        } elseif ($_ % 10 -eq 9) {  # a pair the service refuses: 400 from the emulator
            $out = Set-MgBetaCommunicationPresenceUserPreferredPresence @common -Availability Busy -Activity Away
        } else {
            $out = Set-MgBetaCommunicationPresenceUserPreferredPresence @common -Availability $pair[0] `
                -Activity $pair[1]
        }
    } catch { $errs = @($_) }
    [pscustomobject]@{ n = $_; out = @($out | ForEach-Object { $_ -is [bool] -and $_ }); errors = @($errs).Count }
}
'PARALLEL ' + (ConvertTo-Json -InputObject @($results) -Depth 4 -Compress)
"""


def test_five_hundred_calls_through_foreach_object_parallel(emulator: Emulator) -> None:
    result = run_pwsh(PS_PARALLEL, emulator.graph_url, emulator.issue_token(), str(PS_CALLS),
                      timeout=HANG_GUARD_SECONDS * 2)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = last_json_line(result.stdout, "PARALLEL ")
    assert sorted(r["n"] for r in rows) == list(range(PS_CALLS))
    pairs = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"), ("Away", "Away")]
    plan = [(f"ps-{n}", f"par-{n}", pairs[n % 4]) for n in range(PS_CALLS)]
    ok = {f"ps-{r['n']}": r["out"] == [True] for r in rows}
    errors = {f"ps-{r['n']}": r["errors"] for r in rows}
    must_fail = {f"ps-{n}" for n in range(PS_CALLS) if n % 10 in (7, 9)}
    figures = _verify(emulator, plan, ok, errors, must_fail)
    print("ForEach-Object -Parallel:", figures)
