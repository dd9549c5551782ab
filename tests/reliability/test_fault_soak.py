"""Fault soak: 2,000 calls over 200 users from Python and 500 from pwsh with about 18% of all
attempts faulted by the emulator (429 with Retry-After 0, 1 or 2 s, 503, 504, connection reset,
a reply slower than the client timeout).

A 429 with a Retry-After pauses every sender of the application (pwshcompat.graph.pacing), so the
429s that ask for 1 or 2 s are rarer than those that ask for 0 s: each costs the whole soak that
long. In the Python soak only one thread's users get 429s that ask for a wait (every thread gets
the 0 s ones, which do not pause): a single sequential caller has one request in flight, so its
refusals are one-off by construction and the pacer must not pace, however fast the machine runs
the threads. (Two refusals of different threads that happen to be in flight together, with
nothing sent after them, look like a full window to the pacer's rule; which requests overlap
depends on scheduling, so that rule is pinned with a manual clock in test_pacing.py instead.)

Afterwards, for every user, the emulator's preferred presence is the value of the last request it
processed for that user; every call succeeded or surfaced exactly one error; no call made more
than MaxRetry + 1 attempts; every retry after a 429 waited at least its Retry-After (measured on
the emulator's clock, between the 429 and the next attempt of the same call); and a Retry-After
beyond RetriesTimeLimit is not waited for.

Each call carries a unique ``X-Call`` header, so the emulator's request log (which records the
injected fault, the status and the arrival time of every attempt) can be grouped by call.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import pytest

from conftest import run_pwsh
from pwshcompat.emulator import Emulator

from .bad_input import CMD
from .harness import PS_CONNECT, connect_python, last_json_line

PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"),
         ("BeRightBack", "BeRightBack"), ("Away", "Away"), ("Offline", "OffWork")]
MAX_RETRY = 3
CLIENT_TIMEOUT = 1
SLOW_DELAY = 1.5            # longer than CLIENT_TIMEOUT: the client gives up first
RETRY_AFTER_SLACK = 0.05    # clock granularity between two arrivals; waits are checked as lower bounds
PY_USERS, PY_CALLS_PER_USER, PY_THREADS = 200, 10, 12
PS_CALLS = 500
EXHAUSTED_USER = 199         # user index whose every attempt gets 503
HANG_GUARD_SECONDS = 300    # turns a hang into a failure; nothing is asserted about speed


# Per Retry-After group: how often a 429 is injected. In pwsh every user is in one of the three
# groups (about 1.8% of attempts get a 429); in the Python soak only PAUSING_THREAD's users are in
# groups 1 and 2 (about a twelfth of the attempts, hence the higher rates), all others in group 0.
PROBABILITY_429 = {0: 0.04, 1: 0.01, 2: 0.005}
PY_PROBABILITY_429 = {0: 0.03, 1: 0.12, 2: 0.06}
PAUSING_THREAD = 0


def _faulted_emulator(seed: int, prefix: str, probability_429: dict[int, float], *, each_group_once: bool = False
                      ) -> Emulator:
    """An emulator whose rules fault about 18-20% of attempts (1 - 0.98 * 0.95 * 0.96 * 0.96 * 0.97),
    plus one user whose service is always down. With ``each_group_once``, the first attempt of each
    Retry-After group is refused for sure, so every group is exercised whatever order the threads'
    attempts take (the random draws follow that order). Only for one sequential caller's groups:
    in pwsh the first attempts of two groups are in flight together, and two refusals at once with
    little admitted before them look like a full window of a few requests to the pacer."""
    emu = Emulator(seed=seed)
    # One user's service is down for good: each of its calls must stop after exactly MaxRetry + 1 attempts.
    emu.inject("503", path=f"*/presences/{prefix}ra?-{EXHAUSTED_USER}/*", retry_after=0)
    for seconds, probability in probability_429.items():  # three groups of users, one Retry-After each
        if each_group_once:
            emu.inject("429", path=f"*/presences/{prefix}ra{seconds}-*", count=1, retry_after=seconds)
        emu.inject("429", path=f"*/presences/{prefix}ra{seconds}-*", probability=probability, retry_after=seconds)
    emu.inject("503", path=f"*/presences/{prefix}*", probability=0.05, retry_after=0)
    emu.inject("504", path=f"*/presences/{prefix}*", probability=0.04)
    emu.inject("reset", path=f"*/presences/{prefix}*", probability=0.04)
    emu.inject("slow", path=f"*/presences/{prefix}*", probability=0.03, delay=SLOW_DELAY)
    return emu


def _user(prefix: str, n: int) -> str:
    """User ``n``'s id (thread ``n % PY_THREADS`` calls it): PAUSING_THREAD's users rotate through
    the three Retry-After groups (n = t, t+T, ...), every other user is in group 0."""
    group = (n // PY_THREADS) % 3 if n % PY_THREADS == PAUSING_THREAD else 0
    return f"{prefix}ra{group}-{n}"


def _retry_after(path: str) -> int:
    return int(path.split("/presences/", 1)[1].split("ra", 1)[1][0])


def _check_soak(emu: Emulator, outcomes: dict[str, int], prefix: str) -> dict[str, Any]:
    """The invariants; returns the figures for the report."""
    attempts: dict[str, list[Any]] = defaultdict(list)
    for req in emu.requests:
        call = req.headers.get("x-call", "")
        if call.startswith(prefix):
            attempts[call].append(req)

    surfaced = Counter(outcomes.values())
    assert set(surfaced) <= {0, 1}, f"calls surfaced more than one error: {surfaced}"
    assert set(attempts) <= set(outcomes), "the emulator saw calls nobody made"
    # A connection the kernel refuses (listen backlog full) never reaches the log: it must fail visibly.
    never_arrived = set(outcomes) - set(attempts)
    assert all(outcomes[c] == 1 for c in never_arrived), "a call that never arrived reported success"
    too_many = {c: len(a) for c, a in attempts.items() if len(a) > MAX_RETRY + 1}
    assert not too_many, f"more than MaxRetry+1 attempts: {too_many}"

    short_waits, waits = [], []
    for call, tries in attempts.items():
        numbered = [t.headers.get("retry-attempt") for t in tries]
        assert numbered == [None] + [str(n) for n in range(1, len(tries))], f"{call}: Retry-Attempt {numbered}"
        for before, after in zip(tries, tries[1:]):
            if before.fault == "429":
                waited = (after.time - before.time).total_seconds()
                waits.append(waited - _retry_after(before.path))
                if waited < _retry_after(before.path) - RETRY_AFTER_SLACK:
                    short_waits.append((call, _retry_after(before.path), round(waited, 3)))
        last = tries[-1]
        processed_ok = last.status is not None and 200 <= last.status < 300 and last.fault in (None, "slow")
        if outcomes[call] == 0:
            assert processed_ok and last.fault is None, f"{call} reported success but its last attempt was {last}"
    assert not short_waits, f"retries sooner than Retry-After: {short_waits[:5]}"
    exhausted = [c for c, tries in attempts.items() if tries[0].path.split("/")[4].endswith(f"-{EXHAUSTED_USER}")]
    assert exhausted, "no call went to the user whose service is down"
    for call in exhausted:
        assert len(attempts[call]) == MAX_RETRY + 1 and outcomes[call] == 1, f"{call}: {attempts[call]}"

    # The state: for every user, the last request the emulator processed successfully.
    expected: dict[str, tuple[str, str] | None] = {}
    for req in emu.requests:
        if req.headers.get("x-call", "").startswith(prefix):
            user = req.path.split("/presences/", 1)[1].split("/", 1)[0]
            expected.setdefault(user, None)
            if req.status is not None and 200 <= req.status < 300:
                body = req.json()
                expected[user] = (body["availability"], body["activity"])
    actual = {}
    for user in expected:
        preferred = emu.preferred_presence(user)
        actual[user] = None if preferred is None else (preferred.availability, preferred.activity)
    assert actual == expected

    faults = Counter(r.fault for tries in attempts.values() for r in tries if r.fault)
    total_attempts = sum(len(a) for a in attempts.values())
    # The soak only proves something if the faults really happened: every kind, about one attempt in five.
    assert set(faults) == {"429", "503", "504", "reset", "slow"}, f"fault kinds that fired: {faults}"
    assert 0.15 <= sum(faults.values()) / total_attempts <= 0.3, f"fault rate off: {faults} of {total_attempts}"
    return {"calls": len(outcomes), "attempts": total_attempts, "faults": dict(faults),
            "fault_rate": round(sum(faults.values()) / total_attempts, 3),
            "retries": total_attempts - len(attempts), "errors": surfaced.get(1, 0),
            "never_arrived": len(never_arrived), "calls_out_of_retries": len(exhausted),
            "waits_after_429_checked": len(waits), "least_wait_beyond_retry_after_s": round(min(waits, default=0), 3)}


def _settings() -> dict[str, Any]:
    return {"MaxRetry": MAX_RETRY, "RetryDelay": 0, "RetriesTimeLimit": 0, "ClientTimeout": CLIENT_TIMEOUT}


def test_python_soak_two_thousand_calls_with_faults(record_property: Any) -> None:
    import pwshcompat
    from pwshcompat import bridge
    from pwshcompat.graph import client as graph_client

    prefix = "pysoak-"
    with _faulted_emulator(seed=20261128, prefix=prefix, probability_429=PY_PROBABILITY_429, each_group_once=True) as emu:
        connect_python(emu, name="SoakPy")
        pwshcompat.invoke("Set-MgRequestContext", **_settings())
        rng = random.Random(2000)
        plan = [[(_user(prefix, u), rng.choice(PAIRS)) for _ in range(PY_CALLS_PER_USER)
                 for u in range(t, PY_USERS, PY_THREADS)] for t in range(PY_THREADS)]
        outcomes: dict[str, int] = {}

        def work(t: int) -> None:
            for n, (user, (availability, activity)) in enumerate(plan[t]):
                call = f"{prefix}{t}-{n}"
                result = bridge.invoke(CMD, "SetExpanded", {"PresenceId": user, "Availability": availability,
                                                            "Activity": activity, "Headers": {"X-Call": call}})
                outcomes[call] = len(result["errors"]) + (result["terminating"] is not None)

        threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(PY_THREADS)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(HANG_GUARD_SECONDS)
            assert not any(t.is_alive() for t in threads), "a soak thread hung"
            assert len(outcomes) == PY_USERS * PY_CALLS_PER_USER
            figures = _check_soak(emu, outcomes, prefix)
            pacer = graph_client.for_current_context().pacer
            assert pacer is not None and pacer.pauses > 0, "no 429 paused the other senders"
            # Deterministic: the refusals that pause come from one sequential caller (see the docstring).
            assert pacer.limit is None, f"one-off 429s made the pacer pace at {pacer.limit} per {pacer.window} s"
            paused_by = {_retry_after(r.path) for r in emu.requests if r.fault == "429" and prefix in r.path}
            assert paused_by == {0, 1, 2}, f"Retry-After groups whose 429s fired: {paused_by}"
            figures["shared_pauses"] = pacer.pauses
        finally:
            pwshcompat.invoke("Set-MgRequestContext", MaxRetry=3, RetryDelay=3, RetriesTimeLimit=0, ClientTimeout=300)
    record_property("python_soak", figures)
    print("python soak:", figures)


PS_SOAK = PS_CONNECT + r"""
Set-MgRequestContext -MaxRetry $args[2] -RetryDelay 0 -RetriesTimeLimit 0 -ClientTimeout $args[3] | Out-Null
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$pairs = @(@('Available','Available'), @('Busy','Busy'), @('DoNotDisturb','DoNotDisturb'), @('Away','Away'))
$results = 0..($args[4] - 1) | ForEach-Object -ThrottleLimit 8 -Parallel {
    Import-Module $using:manifest
    $pair = ($using:pairs)[$_ % 4]
    $errs = $null
    $out = Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "pssoak-ra$($_ % 3)-$_" `
        -Availability $pair[0] -Activity $pair[1] -Headers @{ 'X-Call' = "pssoak-$_" } -PassThru `
        -ErrorVariable errs -ErrorAction SilentlyContinue
    [pscustomobject]@{ call = "pssoak-$_"; out = @($out).Count; errors = @($errs).Count }
}
'SOAK ' + (ConvertTo-Json -InputObject @($results) -Compress)
"""


def test_powershell_soak_five_hundred_calls_with_faults(record_property: Any) -> None:
    prefix = "pssoak-"
    with _faulted_emulator(seed=500, prefix=prefix, probability_429=PROBABILITY_429) as emu:
        result = run_pwsh(PS_SOAK, emu.graph_url, emu.issue_token(), str(MAX_RETRY), str(CLIENT_TIMEOUT),
                          str(PS_CALLS), timeout=HANG_GUARD_SECONDS)
        assert result.returncode == 0, result.stderr[-3000:]
        rows = last_json_line(result.stdout, "SOAK ")
        assert len(rows) == PS_CALLS
        for row in rows:  # success writes $true (PassThru) and no error; failure one error and no output
            assert (row["out"], row["errors"]) in ((1, 0), (0, 1)), row
        figures = _check_soak(emu, {r["call"]: r["errors"] for r in rows}, prefix)
    record_property("powershell_soak", figures)
    print("powershell soak:", figures)


@pytest.mark.parametrize("retry_after, limit, attempts", [(2, 1, 1), (1, 5, 2)])
def test_retry_after_beyond_retries_time_limit_is_not_waited_for(retry_after: int, limit: int, attempts: int) -> None:
    import pwshcompat
    from pwshcompat import bridge

    with Emulator(seed=1) as emu:
        emu.inject("429", path="*/presences/limit-*", count=1, retry_after=retry_after)
        connect_python(emu, name="RetriesTimeLimit")
        pwshcompat.invoke("Set-MgRequestContext", MaxRetry=3, RetryDelay=0, RetriesTimeLimit=limit)
        try:
            result = bridge.invoke(CMD, "SetExpanded", {"PresenceId": "limit-1", "Availability": "Busy",
                                                        "Activity": "Busy", "Headers": {"X-Call": "limit"}})
        finally:
            pwshcompat.invoke("Set-MgRequestContext", MaxRetry=3, RetryDelay=3, RetriesTimeLimit=0)
        tries = [r for r in emu.requests if r.headers.get("x-call") == "limit"]
        assert len(tries) == attempts
        if attempts == 1:  # the 429 comes back as the one error, without waiting
            assert len(result["errors"]) + (result["terminating"] is not None) == 1
            assert emu.preferred_presence("limit-1") is None
        else:
            assert not result["errors"] and result["terminating"] is None
            assert tries[1].time - tries[0].time >= timedelta(seconds=retry_after - RETRY_AFTER_SLACK)
            assert tries[1].headers.get("retry-attempt") == "1"
