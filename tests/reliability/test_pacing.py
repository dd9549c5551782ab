"""Pacing shared by every sender (issue 17, items 2 and 5; pwshcompat.graph.pacing).

No assertion here is about time. Waiting is checked by state: a thread blocked in the pacer is
counted (``Pacer.waiting``) and the emulator's request log shows that nothing was sent meanwhile;
the emulator's clock is frozen and the pacer's clock is a :class:`ManualClock` the test moves, so
"until the Retry-After has passed" is a step the test takes, not a sleep. Where threads compete for
a rate limit, time is simulated (:class:`SimulatedClock`): it moves only when every thread waits on
it, so how many requests fit in a window does not depend on how fast the machine sends them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import pytest

import pwshcompat
from pwshcompat.auth import context as auth_context
from pwshcompat.emulator import Emulator
from pwshcompat.emulator.clock import Clock as EmulatorClock
from pwshcompat.emulator.throttling import RateLimits, Throttle
from pwshcompat.graph import client as graph_client
from pwshcompat.graph import pacing
from pwshcompat.graph.transport import DefaultTransport

from conftest import connect

from .bad_input import PATH
from .harness import PS_CONNECT, last_json_line

HANG_GUARD_SECONDS = 60  # turns a deadlock into a failure; nothing is asserted about time
PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"), ("Away", "Away")]


class ManualClock:
    """The pacer's clock, moved only by :meth:`advance`; waits re-check it every few milliseconds."""

    def __init__(self) -> None:
        self._now = 1000.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        condition.wait(0.005)

    def sleep(self, seconds: float) -> None:
        target = self.now() + seconds
        while self.now() < target:
            time.sleep(0.005)


class SimulatedClock(ManualClock):
    """A :class:`ManualClock` that knows which threads wait on it and until when.

    :func:`_simulate` moves it (and the emulator's frozen clock) to the earliest deadline once every
    worker waits on it. Then nothing else can happen at the current time: no request is in flight
    (its thread would not be waiting), a pause ends only with time, and an answer never frees a
    pacing slot at once (the request holds it for a window after its answer). So requests take no
    simulated time and the outcome does not depend on the machine's speed.
    """

    def __init__(self) -> None:
        super().__init__()
        self._blocked: dict[int, tuple[float, threading.Condition | None]] = {}

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        me = threading.get_ident()
        with self._lock:
            self._blocked[me] = (deadline, condition)
        try:
            condition.wait(0.05)  # the driver notifies when it moves the clock
        finally:
            with self._lock:
                self._blocked.pop(me, None)

    def sleep(self, seconds: float) -> None:
        me = threading.get_ident()
        target = self.now() + seconds
        with self._lock:
            self._blocked[me] = (target, None)
        try:
            while self.now() < target:
                time.sleep(0.002)
        finally:
            with self._lock:
                self._blocked.pop(me, None)

    def blocked(self) -> tuple[int, float, list[threading.Condition]]:
        """How many threads wait, the earliest time one of them waits for, and their conditions."""
        with self._lock:
            deadlines = [deadline for deadline, _ in self._blocked.values()]
            return (len(deadlines), min(deadlines, default=float("inf")),
                    [c for _, c in self._blocked.values() if c is not None])


def _simulate(clock: SimulatedClock, emulator: Emulator, workers: list[threading.Thread]) -> None:
    """Run ``workers`` to the end in simulated time: whenever every live worker waits on ``clock``,
    move it and the emulator's (frozen) clock to the earliest deadline and wake the waiters."""
    emulator.clock.freeze()
    for worker in workers:
        worker.start()
    guard = time.monotonic() + HANG_GUARD_SECONDS * 2
    while True:
        alive = sum(w.is_alive() for w in workers)
        if not alive:
            return
        if time.monotonic() > guard:
            raise AssertionError(f"{alive} threads never finished")
        waiting, earliest, conditions = clock.blocked()
        now = clock.now()
        if waiting == alive and now < earliest < float("inf"):
            emulator.clock.advance(seconds=earliest - now)
            clock.advance(earliest - now)
            for condition in conditions:
                with condition:
                    condition.notify_all()
        time.sleep(0.002)


def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait (in real time, bounded) until ``condition`` holds; a hang guard, not a timing assert."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


def _client(emulator: Emulator, name: str, pacer: pacing.Pacer | None) -> graph_client.GraphClient:
    connect(emulator.graph_url, name, emulator.issue_token())
    return graph_client.GraphClient(auth_context.current(), transport=DefaultTransport(emulator.graph_url), pacer=pacer)


def _set(client: graph_client.GraphClient, user: str, call: str, pair: tuple[str, str]) -> int:
    body = json.dumps({"availability": pair[0], "activity": pair[1]}).encode()
    return client.request("POST", PATH.format(user), data=body, headers={"X-Call": call}).status_code


def _by_call(emulator: Emulator) -> dict[str, list[Any]]:
    calls: dict[str, list[Any]] = {}
    for req in emulator.requests:
        calls.setdefault(req.headers.get("x-call", ""), []).append(req)
    return calls


@pytest.fixture
def retry_now() -> Any:
    """No exponential delay between retries of 503/504 (none are expected here); 429s still wait
    their Retry-After."""
    pwshcompat.invoke("Set-MgRequestContext", RetryDelay=0, MaxRetry=3)
    yield
    pwshcompat.invoke("Set-MgRequestContext", RetryDelay=3, MaxRetry=3)


def test_a_429_seen_by_one_thread_delays_the_next_request_of_every_other_thread(emulator: Emulator,
                                                                               retry_now: Any) -> None:
    limit, window, others = 10, 30, 7
    emulator.clock.freeze()
    emulator.set_rate_limits(reads=None, total=limit, window=window)
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    client = _client(emulator, "PacingPause", pacer)

    # Thread A fills the window, then its next request is refused: Retry-After 30 (frozen clock).
    for n in range(limit):
        assert _set(client, f"pause-a{n}", f"a{n}", PAIRS[n % 4]) == 200
    results: dict[str, int] = {}
    a = threading.Thread(target=lambda: results.setdefault("a-last", _set(client, "pause-a-last", "a-last", PAIRS[1])))
    a.start()
    _until(lambda: any(r.status == 429 for r in emulator.requests), "the 429")
    _until(lambda: pacer.paused_until > clock.now(), "the pause")

    # Every other thread now wants to send one request: none of them may.
    threads = [threading.Thread(target=lambda n=n: results.setdefault(f"o{n}", _set(client, f"pause-o{n}", f"o{n}",
                                                                                      PAIRS[n % 4])))
               for n in range(others)]
    for thread in threads:
        thread.start()
    _until(lambda: pacer.waiting == others, "every other thread blocked in the pacer")
    assert len(emulator.requests) == limit + 1, "a request went out during the pause"
    assert pacer.limit is None, "one refusal is not a full window: no pacing model"

    # The Retry-After passes on both clocks: everybody goes, the refused request once more.
    emulator.clock.advance(seconds=window)
    clock.advance(window)
    for thread in [a, *threads]:
        thread.join(HANG_GUARD_SECONDS)
    assert not any(t.is_alive() for t in [a, *threads])
    assert set(results.values()) == {200}, results

    calls = _by_call(emulator)
    assert [r.status for r in calls["a-last"]] == [429, 200]
    assert calls["a-last"][1].headers.get("retry-attempt") == "1"
    assert all(len(calls[c]) == 1 and calls[c][0].status == 200 for c in calls if c != "a-last"), "sent twice"
    expected = {f"pause-a{n}": PAIRS[n % 4] for n in range(limit)}
    expected.update({"pause-a-last": PAIRS[1], **{f"pause-o{n}": PAIRS[n % 4] for n in range(others)}})
    for user, pair in expected.items():
        preferred = emulator.preferred_presence(user)
        assert preferred is not None and (preferred.availability, preferred.activity) == pair, user


def _burst(pacer: pacing.Pacer, clock: ManualClock, admitted: int, refused: int, retry_after: float,
           spread: float = 0.0, then_admitted: int = 0) -> None:
    """Report a burst to the pacer: ``admitted`` requests sent over ``spread`` seconds, then
    ``refused`` refused together, then ``then_admitted`` admitted although sent after them."""
    sent = []
    for n in range(admitted):
        sent.append(pacer.acquire())
        if admitted > 1:
            clock.advance(spread / (admitted - 1))
    late = []
    for _ in range(refused + then_admitted):
        late.append(pacer.acquire())
        clock.advance(0.001)
    for t in sent:
        pacer.finished(t, 200)
    for t in late[:refused]:
        pacer.finished(t, 429, retry_after)
    for t in late[refused:]:
        pacer.finished(t, 200)


def test_a_full_window_sets_the_pace_the_service_allowed() -> None:
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    # 666 admitted over 0.74 s, then the window is full: Retry-After 2 (ceil of 1.26 s).
    _burst(pacer, clock, admitted=666, refused=16, retry_after=2, spread=0.74)
    assert pacer.limit is None and pacer.paused_until == pytest.approx(clock.now() + 2)
    clock.advance(2)
    first = pacer.acquire()  # the first request after the pause adopts the model
    assert (pacer.limit, pacer.window) == (659, 2.0)  # 666 less 1 %, Retry-After + 0.74 s to whole seconds

    # In any 2 s, at most 659 requests: the 660th waits for the oldest to leave the window, counted
    # from its answer (the service counted it at some moment before that).
    sent = [first] + [pacer.acquire() for _ in range(659 - 1)]
    for t in sent:
        pacer.finished(t, 200)
    blocked = threading.Thread(target=pacer.acquire)
    blocked.start()
    _until(lambda: pacer.waiting == 1, "the request beyond the limit waits")
    clock.advance(1.99)
    time.sleep(0.05)
    assert blocked.is_alive() and pacer.waiting == 1
    clock.advance(0.02)
    blocked.join(HANG_GUARD_SECONDS)
    assert not blocked.is_alive()


def test_requests_in_flight_hold_their_slots_until_they_finish() -> None:
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _burst(pacer, clock, admitted=10, refused=2, retry_after=1, spread=0.1)
    clock.advance(1)
    sent = [pacer.acquire() for _ in range(9)]  # the limit (10 less 1 %, floored): all still in flight
    assert (pacer.limit, pacer.in_flight) == (9, 9)
    blocked = threading.Thread(target=pacer.acquire)
    blocked.start()
    _until(lambda: pacer.waiting == 1, "the tenth request waits")
    clock.advance(5)  # time alone frees nothing while the nine have not been answered
    time.sleep(0.05)
    assert blocked.is_alive()
    pacer.finished(sent[0], 200)  # answered now: it still counts for a window from now
    time.sleep(0.05)
    assert blocked.is_alive()
    clock.advance(1.01)
    blocked.join(HANG_GUARD_SECONDS)
    assert not blocked.is_alive()


@pytest.mark.parametrize("admitted, refused, then_admitted", [
    (50, 1, 0),    # a lone caller's one 429: it retries by the original's rules, nobody paces
    (50, 1, 10),   # a one-off refusal among successes
    (50, 3, 10),   # more admitted than refused after the first refusal: not a full window
    (3, 2, 0),     # two refused together after three admitted: no evidence of a window of three
])
def test_refusals_that_are_not_a_full_window_only_pause(admitted: int, refused: int, then_admitted: int) -> None:
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _burst(pacer, clock, admitted, refused, retry_after=1, spread=0.1, then_admitted=then_admitted)
    assert pacer.paused_until > clock.now()
    clock.advance(1)
    pacer.acquire()
    assert pacer.limit is None and pacer.window is None


def _one_at_a_time(pacer: pacing.Pacer, clock: ManualClock, throttle: Throttle, service_clock: EmulatorClock,
                   requests: int, per_second: float) -> list[int]:
    """Sixteen senders with one request in flight at a time among them (as runspaces mostly busy
    with PowerShell have), ``per_second`` in all, against the emulator's own throttle; both clocks
    move together. Returns the statuses, in order."""
    statuses = []
    for n in range(requests):
        while (wait_until := pacer.try_send(clock.now(), sender=n % 16)) is not None:
            step = wait_until - clock.now()
            clock.advance(step)
            service_clock.advance(timedelta(seconds=step))
        sent = clock.now()
        retry_after = throttle.admit("app", read=False)
        statuses.append(429 if retry_after else 200)
        pacer.finished(sent, statuses[-1], retry_after, sender=n % 16)
        clock.advance(1 / per_second)
        service_clock.advance(timedelta(seconds=1 / per_second))
    return statuses


def test_a_lone_refusal_that_recurs_sets_the_pace_of_the_window_full_at_both() -> None:
    clock, service_clock = ManualClock(), EmulatorClock(frozen_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    throttle = Throttle(service_clock)
    throttle.configure(RateLimits(None, 666, timedelta(seconds=2)))
    pacer = pacing.Pacer(clock)
    # 350 requests a second against 333 allowed, one at a time: the window fills and exactly one
    # request is refused, the pause stops the rest; the first such refusal only pauses.
    statuses = _one_at_a_time(pacer, clock, throttle, service_clock, 1200, 350)
    assert statuses.count(429) == 1 and pacer.limit is None
    # The second one: 667 requests in the 2 s before each refusal (the refused one counts too),
    # a count no other whole-second window repeats. From then on: at most 660 in any 2 s.
    statuses = _one_at_a_time(pacer, clock, throttle, service_clock, 1200, 350)
    assert statuses.count(429) == 1
    assert (pacer.limit, pacer.window) == (660, 2.0)
    # The model is right: the only refusals left are those of the probes past it (one request
    # each, at 673; back to 660), the second four windows after the first.
    probes = pacer.probes
    statuses = _one_at_a_time(pacer, clock, throttle, service_clock, 4000, 350)
    assert statuses.count(429) == pacer.probes - probes <= 2
    assert (pacer.limit, pacer.window) == (660, 2.0)


def test_a_lone_callers_recurring_refusals_only_pause() -> None:
    clock, service_clock = ManualClock(), EmulatorClock(frozen_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    throttle = Throttle(service_clock)
    throttle.configure(RateLimits(None, 666, timedelta(seconds=2)))
    pacer = pacing.Pacer(clock)
    for _ in range(3):  # one thread: each refusal pauses it, as the original's retry wait would
        pacer.finished(pacer.acquire(), 429, 1)
        clock.advance(1)
        service_clock.advance(timedelta(seconds=1))
    pacer.acquire()
    assert pacer.limit is None and pacer.pauses == 3


def test_lone_refusals_that_no_window_explains_only_pause() -> None:
    clock = ManualClock()
    pacer = pacing.Pacer(clock)

    def send(count: int, per_second: float, refuse_last: bool) -> None:
        for n in range(count):
            sent = pacer.try_send(clock.now(), sender=n % 16)
            assert sent is None, "no pace set: nothing waits"
            pacer.finished(clock.now(), 429 if refuse_last and n == count - 1 else 200, 1, sender=n % 16)
            clock.advance(1 / per_second)

    # 100 a second for 3 s, one refused; after the pause 300 a second for 1.5 s, one refused: no
    # whole-second window held as many requests at both refusals, so this is no full window.
    send(300, 100, refuse_last=True)
    clock.advance(1)
    send(450, 300, refuse_last=True)
    clock.advance(1)
    assert pacer.try_send(clock.now(), sender=0) is None
    assert pacer.limit is None and pacer.window is None and pacer.pauses == 2


def _steady(pacer: pacing.Pacer, clock: ManualClock, stretches: list[tuple[float, float]],
            refused_by: Any = None) -> None:
    """Sixteen senders in turn at ``(per_second, seconds)`` after one another, nothing waiting for a
    pace; with ``refused_by``, the last request is refused (Retry-After 1) and sent by that sender,
    and the pause it starts is waited out."""
    n = 0
    for per_second, seconds in stretches:
        for _ in range(round(per_second * seconds)):
            assert pacer.try_send(clock.now(), sender=n % 16) is None, "no pace set: nothing waits"
            pacer.finished(clock.now(), 200, sender=n % 16)
            clock.advance(1 / per_second)
            n += 1
    if refused_by is not None:
        assert pacer.try_send(clock.now(), sender=refused_by) is None
        pacer.finished(clock.now(), 429, 1, sender=refused_by)
        clock.advance(1)


def test_lone_refusals_that_keep_meeting_one_sender_only_pause() -> None:
    """One sender's requests refused now and then while fifteen others are admitted (a limit on
    what that sender asks for, or one-off refusals), however alike the counts before each."""
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    for _ in range(4):
        _steady(pacer, clock, [(350, 2.0)], refused_by=7)
    assert pacer.try_send(clock.now(), sender=0) is None
    assert pacer.limit is None and pacer.pauses == 4


def test_lone_refusals_where_the_window_held_more_before_only_pause() -> None:
    """Counts alike at two refusals of two senders, but every whole-second window held more at
    an earlier time without a refusal: the service admitted more than that, so no window of it
    was full at these counts."""
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _steady(pacer, clock, [(400, 3.0), (300, 3.0)], refused_by=3)
    _steady(pacer, clock, [(300, 3.0)], refused_by=9)
    assert pacer.try_send(clock.now(), sender=0) is None
    assert pacer.limit is None and pacer.pauses == 2


def test_lone_refusals_whose_windows_count_the_same_requests_only_pause() -> None:
    """Two senders refused one second apart after the first 200 requests, three sent in between:
    a 3-second window holds about 200 at both, alike, but mostly the same 200 requests, so the
    second count is no second piece of evidence of a full window."""
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _steady(pacer, clock, [(100, 2.0)], refused_by=1)
    _steady(pacer, clock, [(100, 0.03)], refused_by=2)
    assert pacer.try_send(clock.now(), sender=0) is None
    assert pacer.limit is None and pacer.pauses == 2


def test_a_429_while_pacing_corrects_the_model_and_five_corrections_end_pacing() -> None:
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _burst(pacer, clock, admitted=100, refused=4, retry_after=1, spread=0.5)
    clock.advance(1)
    pacer.finished(pacer.acquire(), 200)
    assert (pacer.limit, pacer.window) == (99, 1.0)

    # Refused with only a few requests in the window: the window is longer than thought.
    clock.advance(5)
    pacer.finished(pacer.acquire(), 429, 1)
    assert (pacer.limit, pacer.window) == (99, 2.0)

    # Refused with the window nearly full: the limit is lower.
    clock.advance(5)
    sent = [pacer.acquire() for _ in range(90)]
    pacer.finished(sent[-1], 429, 1)
    assert (pacer.limit, pacer.window) == (89, 2.0)
    for t in sent[:-1]:
        pacer.finished(t, 200)

    for _ in range(4):
        clock.advance(5)
        pacer.finished(pacer.acquire(), 429, 1)
    assert not pacer.pacing, "after five corrections the pacer only pauses"
    clock.advance(5)
    sent = [pacer.acquire() for _ in range(500)]  # no window any more
    assert len(sent) == 500


def test_corrections_far_apart_do_not_end_pacing() -> None:
    """Five corrections end pacing only when they come close together (each within 30 windows of
    the one before): a process that runs for hours beside other clients meets a few over its life."""
    clock = ManualClock()
    pacer = pacing.Pacer(clock)
    _burst(pacer, clock, admitted=100, refused=4, retry_after=1, spread=0.5)
    clock.advance(1)
    pacer.finished(pacer.acquire(), 200)
    assert pacer.limit is not None and pacer.window is not None
    for n in range(8):
        assert pacer.window is not None
        clock.advance(pacing.CORRECTIONS_KEPT_WINDOWS * pacer.window + 5)
        pacer.finished(pacer.acquire(), 429, 1)
        assert pacer.pacing and pacer.corrections == 1, n
    # The same five in quick succession still end it.
    for _ in range(pacing.MAX_CORRECTIONS):
        clock.advance(5)
        pacer.finished(pacer.acquire(), 429, 1)
    assert not pacer.pacing


def test_pacing_is_shared_by_application_and_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    one = pacing.shared(("https", "graph.example", "tenant-1", "app-1"))
    assert one is not None and one is pacing.shared(("https", "graph.example", "tenant-1", "app-1"))
    assert one is not pacing.shared(("https", "graph.example", "tenant-1", "app-2"))
    monkeypatch.setenv("PWSHCOMPAT_PACING", "off")
    assert pacing.shared(("https", "graph.example", "tenant-1", "app-1")) is None


def _update_threads(clients: list[graph_client.GraphClient], prefix: str,
                    per_thread: int) -> tuple[list[threading.Thread], dict[str, int]]:
    """One thread per client, each setting ``per_thread`` users' preferred presence in turn."""
    results: dict[str, int] = {}

    def work(t: int) -> None:
        for n in range(per_thread):
            call = f"{prefix}-{t}-{n}"
            try:
                results[call] = _set(clients[t], call, call, PAIRS[(t + n) % 4])
            except pwshcompat.PSError:
                results[call] = -1

    return [threading.Thread(target=work, args=(t,), daemon=True) for t in range(len(clients))], results


def test_threads_sharing_a_pacer_collect_fewer_429s_than_threads_retrying_alone(emulator: Emulator) -> None:
    """160 updates from 8 threads against 30 requests per second, in simulated time. Sharing the
    pacer, only the burst that found the limit is refused (the first 429 pauses every thread; the
    requests already in flight are all the refusals) and then the pace holds; retrying alone (each
    thread with a pacer of its own: it waits only for its own 429s, as with pacing off), every
    thread runs into every full window. Both end with every user's presence right."""
    limit, threads, per_thread = 30, 8, 20
    pwshcompat.invoke("Set-MgRequestContext", MaxRetry=10, RetryDelay=0)
    refused: dict[str, int] = {}
    try:
        for side in ("alone", "shared"):
            emulator.set_rate_limits(reads=None, total=limit, window=1)  # a fresh, empty window
            clock = SimulatedClock()
            shared = pacing.Pacer(clock)
            ctx_client = _client(emulator, f"Pacing-{side}", shared)
            clients = [ctx_client if side == "shared" else
                       graph_client.GraphClient(auth_context.current(), transport=DefaultTransport(emulator.graph_url),
                                                pacer=pacing.Pacer(clock))
                       for _ in range(threads)]
            before = len(emulator.requests)
            workers, results = _update_threads(clients, side, per_thread)
            _simulate(clock, emulator, workers)
            assert set(results.values()) == {200}, Counter(results.values())
            statuses = Counter(r.status for r in emulator.requests[before:])
            refused[side] = statuses[429]
            calls = _by_call(emulator)
            for call in results:
                assert [r.status for r in calls[call]][-1] == 200 and sum(r.status == 200 for r in calls[call]) == 1
                (t, n) = map(int, call.rsplit("-", 2)[1:])
                preferred = emulator.preferred_presence(call)
                assert preferred is not None and (preferred.availability, preferred.activity) == PAIRS[(t + n) % 4]
            if side == "shared":
                assert shared.limit is not None, "the full window did not set a pace"
                print(f"paced at {shared.limit} per {shared.window} s after {shared.corrections} corrections, "
                      f"{shared.pauses} pauses, {clock.now() - 1000:g} simulated s")
    finally:
        pwshcompat.invoke("Set-MgRequestContext", MaxRetry=3, RetryDelay=3)
    print("429s:", refused)
    assert refused["shared"] <= threads + 160 // limit, refused  # the first burst's, at most one a window after
    assert refused["alone"] >= threads * 3, refused  # every thread, in each of the first windows at least
    assert refused["shared"] < refused["alone"], refused


PS_RUNSPACES = PS_CONNECT + r"""
Set-MgRequestContext -MaxRetry 10 | Out-Null
$manifest = (Resolve-Path ./Microsoft.Graph.Beta.CloudCommunications.psd1).Path
$pairs = @(@('Available','Available'), @('Busy','Busy'), @('DoNotDisturb','DoNotDisturb'), @('Away','Away'))
$errors = 0..($args[2] - 1) | ForEach-Object -ThrottleLimit 8 -Parallel {
    Import-Module $using:manifest
    $pair = ($using:pairs)[$_ % 4]
    $failed = $null
    Set-MgBetaCommunicationPresenceUserPreferredPresence -PresenceId "$($using:args[3])$_" -Availability $pair[0] `
        -Activity $pair[1] -ErrorVariable failed -ErrorAction SilentlyContinue
    if ($failed) { "$_" }
}
'RUNSPACES ' + (ConvertTo-Json -InputObject @($errors) -Compress)
"""


def test_runspaces_share_the_pacer(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """ForEach-Object -Parallel: the runspaces of one pwsh share one pacer, so after the burst
    that found the limit they stop running into it; with pacing off each keeps trying alone."""
    from conftest import run_pwsh

    limit, calls = 20, 120
    refused = {}
    for side in ("off", "on"):
        monkeypatch.setenv("PWSHCOMPAT_PACING", side)
        emulator.set_rate_limits(reads=None, total=limit, window=1)
        before = len(emulator.requests)
        prefix = f"rs-{side}-"
        result = run_pwsh(PS_RUNSPACES, emulator.graph_url, emulator.issue_token(), str(calls), prefix,
                          timeout=HANG_GUARD_SECONDS * 4)
        assert result.returncode == 0, result.stderr[-3000:]
        assert last_json_line(result.stdout, "RUNSPACES ") == [], "an update surfaced an error"
        refused[side] = sum(r.status == 429 for r in emulator.requests[before:])
        for n in range(calls):
            preferred = emulator.preferred_presence(f"{prefix}{n}")
            assert preferred is not None and (preferred.availability, preferred.activity) == PAIRS[n % 4], n
    print("429s:", refused)
    # pwsh's pacer runs on the real clock, so this one needs the runspaces to outrun the limit: they
    # sent about 190 requests per second here (about 90 with three busy loops on two cores).
    assert refused["off"] > 0, f"the runspaces never sent more than {limit} requests in a second: nothing to compare"
    assert refused["on"] < refused["off"], refused


def test_a_stopped_command_stops_waiting_in_the_pacer() -> None:
    """Ctrl+C (the host cancels the call's token) ends a wait for the pause at once, with the
    original's PipelineStoppedException, and nothing is counted as sent."""
    from pwshcompat import cancellation

    pacer = pacing.Pacer()  # the real clock: the pause below is long, the stop ends it
    pacer.finished(pacer.acquire(), 429, 120)
    token = cancellation.CancellationToken()
    outcome: list[BaseException] = []

    def send() -> None:
        with cancellation.scope(token):
            try:
                pacer.acquire()
            except BaseException as exc:  # noqa: BLE001 - handed to the test
                outcome.append(exc)

    waiting = threading.Thread(target=send)
    waiting.start()
    _until(lambda: pacer.waiting == 1, "the request waits for the pause")
    token.cancel()
    waiting.join(HANG_GUARD_SECONDS)
    assert not waiting.is_alive(), "the stopped command kept waiting"
    assert len(outcome) == 1 and isinstance(outcome[0], cancellation.CommandStoppedError)
    assert pacer.in_flight == 0
