"""The pacer's model grows back (issue 17; pwshcompat.graph.pacing, "Grow" in its docstring).

Time is simulated: a :class:`ManualClock` for the pacer and the emulator's frozen clock for its own
:class:`Throttle`, moved together by :func:`_pool`, which plays sixteen workers of a thread pool.
The throttle, not the test, decides which request is admitted. No assertion is about wall time.
"""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta, timezone

from pwshcompat.emulator.clock import Clock as EmulatorClock
from pwshcompat.emulator.throttling import RateLimits, Throttle
from pwshcompat.graph import pacing

from .test_pacing import ManualClock

LIMIT, WINDOW = 666, 2  # the emulator's window, as in bench/throttled.py


class _Service:
    """The emulator's throttle on its frozen clock, and the pacer's clock, moved together."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.start = self.clock.now()
        self._service_clock = EmulatorClock(frozen_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        self.throttle = Throttle(self._service_clock)
        self.throttle.configure(RateLimits(None, LIMIT, timedelta(seconds=WINDOW)))

    def move_to(self, t: float) -> None:
        step = t - self.clock.now()
        if step > 0:
            self.clock.advance(step)
            self._service_clock.advance(timedelta(seconds=step))

    def other_client(self, requests: int, seconds: float) -> None:
        """Another process of the same application sends ``requests`` evenly over ``seconds``."""
        for n in range(requests):
            assert self.throttle.admit("app", read=False) is None
            self.move_to(self.clock.now() + seconds / requests)


def _pool(pacer: pacing.Pacer, service: _Service, until: float, per_second: float = 800,
          workers: int = 16) -> list[tuple[float, int]]:
    """``workers`` senders, each with one request in flight at a time (a Python thread pool),
    ``per_second`` in all, until ``until`` seconds after the service started; a 429 is sent again
    after its Retry-After. Returns (seconds since the start, status) of every answer."""
    cycle = workers / per_second
    events: list[tuple[float, int, int, tuple[float, float | None] | None]] = []
    now = service.clock.now()
    for w in range(workers):
        heapq.heappush(events, (now + w * cycle / workers, w, w, None))
    answers, order = [], workers
    while events:
        t, _, w, answer = heapq.heappop(events)
        if t - service.start >= until:
            break
        service.move_to(t)
        order += 1
        if answer is None:
            wait_until = pacer.try_send(t, sender=w)
            if wait_until is not None:
                heapq.heappush(events, (max(wait_until, t + 1e-6), order, w, None))
                continue
            heapq.heappush(events, (t + cycle, order, w, (t, service.throttle.admit("app", read=False))))
        else:
            sent, retry_after = answer
            status = 429 if retry_after else 200
            pacer.finished(sent, status, retry_after, sender=w)
            answers.append((t - service.start, status))
            heapq.heappush(events, (t + (retry_after or 0), order, w, None))
    return answers


def _admitted(answers: list[tuple[float, int]], start: float, end: float) -> int:
    return sum(1 for t, status in answers if start <= t < end and status == 200)


def test_a_window_another_client_had_filled_no_longer_keeps_the_pace_low() -> None:
    """Another client's 600 requests are in the window when ours start: the first burst is
    admitted only the slots left and the pacer adopts far too low a model. Once the other
    client's requests have left the window, the model grows back to at least 90 % of the
    service's rate (on main it stayed at the first burst's count for good)."""
    service = _Service()
    service.other_client(600, 1.6)
    pacer = pacing.Pacer(service.clock)
    answers = _pool(pacer, service, until=40)
    assert pacer.limit is not None and pacer.window is not None
    rate = _admitted(answers, 20, 40) / 20
    print(f"model {pacer.limit} per {pacer.window:g} s; admitted {rate:.0f}/s in 20-40 s, "
          f"{sum(s == 429 for _, s in answers)} 429s of {len(answers)}")
    assert rate >= 0.9 * LIMIT / WINDOW
    assert pacer.limit / pacer.window >= 0.9 * LIMIT / WINDOW * (1 - pacing.LIMIT_MARGIN)


def test_a_right_model_is_probed_rarely_and_each_probe_costs_little() -> None:
    """A fresh window: the pacer learns 659 per 2 s from its first burst, which is right. It
    cannot tell that from a model too low, so it probes past it, 2 % at a time: the first probe
    after one window, the next four windows after a refused one, then eight, sixteen... In 60
    windows that is at most 5 probes, each refused at most once per worker in flight, none of
    them pausing the other senders, and the pace stays where the service put it."""
    service = _Service()
    pacer = pacing.Pacer(service.clock)
    answers = _pool(pacer, service, until=4)
    assert (pacer.limit, pacer.window, pacer.probes) == (659, 2.0, 0)
    first_burst = sum(s == 429 for _, s in answers)
    pauses = pacer.pauses
    answers = _pool(pacer, service, until=124)
    refused = sum(s == 429 for _, s in answers)
    print(f"{pacer.probes} probes, {refused} 429s of {len(answers)} after the first burst's {first_burst}")
    assert 1 <= pacer.probes <= 5
    assert refused <= 16 * pacer.probes
    assert pacer.pauses == pauses, "a refused probe paused every sender"
    assert (pacer.limit, pacer.window, pacer.corrections) == (659, 2.0, 0)
    assert _admitted(answers, 4, 124) >= 0.97 * 120 * LIMIT / WINDOW
    assert refused < 0.01 * len(answers)


def test_a_model_far_too_low_doubles_back_within_a_few_windows() -> None:
    """Another client's 600 requests arrive just before ours (the last 0.3 s): ours get 66 and a
    model of 65 per window. The first probe past that shows it was someone else's ceiling; from
    there the limit doubles, each doubling proven as soon as the service admitted a window filled
    to it, so in seconds 10-20 the pool gets at least 90 % of the service's rate (a whole window per
    step, growing by 2 %, 8 %, 32 % before doubling, gave it 59 %)."""
    service = _Service()
    service.other_client(600, 0.3)
    pacer = pacing.Pacer(service.clock)
    answers = _pool(pacer, service, until=20)
    rate = _admitted(answers, 10, 20) / 10
    refused = sum(s == 429 for _, s in answers)
    print(f"model {pacer.limit} per {pacer.window:g} s, {pacer.probes} probes; admitted {rate:.0f}/s in 10-20 s, "
          f"{refused} 429s of {len(answers)}")
    assert rate >= 0.9 * LIMIT / WINDOW
    assert refused <= 0.03 * len(answers)
