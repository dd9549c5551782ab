"""Fault injection by rule: throttling, outages, gateway timeouts, dropped connections, slow replies.

    emu.inject("429", path="*/setUserPreferredPresence", count=2, retry_after=0)
    emu.inject("reset", probability=0.2)          # seeded: the same seed gives the same faults
    emu.inject("slow", delay=2.0, count=1)        # processed, then answered 2 s late

A rule matches a request when its method (if given) and its ``path`` glob (``fnmatch``, matched
against the decoded request path without the query, e.g. ``/beta/users/u1/presence``) match; it
then fires with ``probability`` (drawn from the emulator's seeded RNG) until it has fired
``count`` times. The first rule that fires wins. Status faults also apply to the sub-requests of
a ``$batch``, which then gets 200 with the fault in the sub-response (graph-presence.md §6).

Kinds: ``429`` (TooManyRequests with ``Retry-After``, §5), ``503`` (optionally with ``Retry-After``),
``504``, ``reset`` (TCP RST before any response; the request is not processed), ``slow`` (the
request is processed, the response is delayed by ``delay`` seconds of real time).
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass

KINDS = ("429", "503", "504", "reset", "slow")
STATUS_KINDS = ("429", "503", "504")


@dataclass
class FaultRule:
    kind: str
    path: str = "*"
    method: str | None = None
    count: int | None = None
    probability: float = 1.0
    retry_after: float | None = None
    delay: float = 1.0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and fnmatch.fnmatchcase(path, self.path)
                and (self.count is None or self.fired < self.count))


class Faults:
    """The rule list and its seeded random source; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)

    def add(self, kind: str | int, path: str = "*", *, method: str | None = None, count: int | None = None,
            probability: float = 1.0, retry_after: float | None = None, delay: float = 1.0) -> FaultRule:
        kind = str(kind).lower()
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be between 0 and 1, got {probability}")
        if count is not None and count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        if kind == "429" and retry_after is None:
            retry_after = 1
        rule = FaultRule(kind, path, method, count, probability, retry_after, delay)
        with self._lock:
            self._rules.append(rule)
        return rule

    def pick(self, method: str, path: str, *, kinds: tuple[str, ...] = KINDS) -> FaultRule | None:
        """The rule that fires for this request, if any (counts it as fired)."""
        with self._lock:
            for rule in self._rules:
                if rule.kind in kinds and rule.matches(method, path):
                    if rule.probability >= 1.0 or self._rng.random() < rule.probability:
                        rule.fired += 1
                        return rule
        return None

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def seed(self, seed: int) -> None:
        with self._lock:
            self._rng.seed(seed)
