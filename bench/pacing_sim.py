"""Simulated time: the pacer (pwshcompat.graph.pacing.Pacer) against Graph's sliding window, over
many client speeds, in seconds of compute instead of minutes of machine time.

    python3 bench/pacing_sim.py [--updates 4000] [--rate-limit 666/2s] [--prefill 600]
                                [--in-flight 0.1 --rates 340-800]

The service is the emulator's throttle (pwshcompat/emulator/throttling.py): at most N requests in
any W-second window, refused requests counting too, ``Retry-After`` the whole seconds until a slot
frees (at least 1). Sixteen workers each take the next update, wait for the pacer, and send; a
request reaches the service a little later (up to ``--arrival-jitter``) and its answer comes back
after ``16 / client_rate`` seconds (give or take 30 %). A 429 is retried after its Retry-After,
as the original does (MaxRetry 3). ``--prefill N``: another client's N requests are in the window
when the run starts (spread over its first 80 %), so the first refusals show only the slots left.
Compared: the original (no pacer) and the real Pacer, driven through ``try_send``/``finished`` on a
simulated clock. Supports FINDINGS.md sections 12, 13 and 15; the measured figures are
bench/throttled.py's.
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import re
import statistics
import threading
from collections import deque
from typing import Any

import _harness  # noqa: F401  (puts the checkout on sys.path)
from pwshcompat.graph import pacing


class SimClock:
    """The pacer's clock in simulated time (never waits: the simulation schedules instead)."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        raise AssertionError("the simulation never blocks")

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the simulation never blocks")


class Service:
    def __init__(self, limit: int, window: float, prefill: int = 0) -> None:
        self.limit, self.window, self.seen = limit, window, deque[float]()
        for k in range(prefill):  # requests of someone else still in the window at the start
            self.seen.append(-window + (k + 1) * window * 0.8 / prefill)

    def admit(self, now: float) -> int | None:
        while self.seen and self.seen[0] <= now - self.window:
            self.seen.popleft()
        retry_after = None
        if len(self.seen) >= self.limit:
            retry_after = max(1, math.ceil(self.seen[len(self.seen) - self.limit] + self.window - now))
        self.seen.append(now)
        return retry_after


def simulate(use_pacer: bool, *, limit: int, window: float, updates: int, client_rate: float, seed: int,
             workers: int = 16, jitter: float = 0.3, arrival_jitter: float = 0.01, prefill: int = 0,
             max_retry: int = 3, in_flight: float = 1.0) -> tuple[float, int, int, int]:
    """One run: (seconds until the last answer, 429s, updates that ran out of retries, the pacer's
    probes past its ceiling: pwshcompat/graph/pacing.py, "Grow").

    ``in_flight`` is the share of a worker's cycle (``workers / client_rate``) its request is on the
    way; the rest the worker spends on its own work before it asks for the next slot. 1.0: the
    worker only waits for answers (a Python thread pool); pwsh's ``ForEach-Object -Parallel`` spends
    most of an item in PowerShell, so few requests are in flight when the window fills."""
    rng = random.Random(seed)
    service = Service(limit, window, prefill)
    clock = SimClock()
    pacer = pacing.Pacer(clock) if use_pacer else None
    events: list[tuple[float, int, str, int, Any]] = []
    order = 0

    def at(t: float, kind: str, worker: int, data: Any) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (t, order, kind, worker, data))

    next_update, refused, failed, last = 0, 0, 0, 0.0
    for w in range(workers):
        at(w * 0.0005, "want", w, None)
    while events:
        t, _, kind, w, data = heapq.heappop(events)
        clock.t = t
        if kind == "want":
            if data is None:
                if next_update >= updates:
                    continue
                data = (next_update, 0)
                next_update += 1
            wait_until = pacer.try_send(t, sender=w) if pacer is not None else None
            if wait_until is not None:
                at(max(wait_until, t + 1e-6), "want", w, data)
                continue
            retry_after = service.admit(t + rng.uniform(0.0002, arrival_jitter))
            cycle = workers / client_rate * (1 + rng.uniform(-jitter, jitter))
            at(t + cycle * in_flight, "answer", w, (data, t, retry_after, cycle * (1 - in_flight)))
        else:
            (update, attempt), sent_at, retry_after, think = data
            last = t
            if pacer is not None:
                pacer.finished(sent_at, 429 if retry_after else 200, retry_after, sender=w)
            if retry_after is None:
                at(t + think, "want", w, None)
            elif attempt >= max_retry:
                refused, failed = refused + 1, failed + 1
                at(t + think, "want", w, None)
            else:
                refused += 1
                at(t + retry_after, "want", w, (update, attempt + 1))
    return last, refused, failed, pacer.probes if pacer is not None else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--rate-limit", default="666/2s")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--arrival-jitter", type=float, default=0.01, help="seconds, the most a request takes to arrive")
    parser.add_argument("--prefill", type=int, default=0, help="requests of another client in the window at the start")
    parser.add_argument("--in-flight", type=float, default=1.0,
                        help="share of a worker's cycle its request is on the way (pwsh -Parallel: about 0.1)")
    parser.add_argument("--rates", default="400-1500", help="client speeds, requests/s: FROM-TO in steps of 100")
    args = parser.parse_args()
    match = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)s?", args.rate_limit)
    if not match:
        parser.error("--rate-limit takes N/Ws")
    limit, window = int(match.group(1)), float(match.group(2))
    low, high = (int(x) for x in args.rates.split("-"))
    rates = range(low, high + 100, 100)
    print(f"{args.updates} updates at {args.rate_limit}, 16 workers, client speeds {rates.start}-{rates.stop - 100} "
          f"requests/s, in flight {args.in_flight:.0%} of each cycle, {args.seeds} seeds each (target: {args.updates / (limit / window) / 0.9:.1f} s)")
    for name, use_pacer in (("original", False), ("pacer", True)):
        runs = [simulate(use_pacer, limit=limit, window=window, updates=args.updates, client_rate=rate, seed=seed,
                         arrival_jitter=args.arrival_jitter, prefill=args.prefill, in_flight=args.in_flight)
                for rate in rates for seed in range(args.seeds)]
        times = [r[0] for r in runs]
        print(f"  {name:8}: median {statistics.median(times):6.2f} s, slowest {max(times):6.2f} s; 429s median "
              f"{statistics.median(r[1] for r in runs):.0f}, most {max(r[1] for r in runs)}; "
              f"out of retries {sum(r[2] for r in runs)}"
              + (f"; probes median {statistics.median(r[3] for r in runs):.0f}" if use_pacer else ""))


if __name__ == "__main__":
    main()
