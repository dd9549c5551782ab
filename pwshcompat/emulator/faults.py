"""Fault injection by rule: throttling, outages, gateway timeouts, dropped connections, slow replies.

    emu.inject("429", path="*/setUserPreferredPresence", count=2, retry_after=0)
    emu.inject("reset", probability=0.2)          # seeded: the same seed gives the same faults
    emu.inject("slow", delay=2.0, count=1)        # processed, then answered 2 s late

A rule matches a request when its method (if given) and its ``path`` glob (``fnmatch``, matched
against the decoded request path without the query, e.g. ``/beta/users/u1/presence``) match; an
action segment matches with or without its ``microsoft.graph.`` prefix on either side, so
``*/setUserPreferredPresence`` fires for ``…/microsoft.graph.setUserPreferredPresence``. It
then fires with ``probability`` (drawn from the emulator's seeded RNG) until it has fired
``count`` times. The first rule that fires wins. Status faults also apply to the sub-requests of
a ``$batch``, which then gets 200 with the fault in the sub-response (graph-presence.md §6).

Kinds: ``429`` (TooManyRequests with ``Retry-After``, §5), ``503`` (optionally with ``Retry-After``),
``504``, ``reset`` (TCP RST before any response; the request is not processed), ``slow`` (the
request is processed, the response is delayed by ``delay`` seconds of real time).

Options are checked when a rule is added (``ValueError`` naming the option; nothing is stored):
``path`` a string; ``method`` None or an HTTP method name; ``count`` None or an int >= 0;
``probability`` a number in [0, 1]; ``retry_after`` None or seconds in [0, 86400]; ``delay``
seconds in [0, 3600]. Numbers must be finite; booleans are not numbers here.
"""

from __future__ import annotations

import fnmatch
import math
import random
import re
import threading
from dataclasses import dataclass

KINDS = ("429", "503", "504", "reset", "slow")
STATUS_KINDS = ("429", "503", "504")
MAX_RETRY_AFTER = 86_400.0     # a day: Retry-After beyond that is a typo, not a test
MAX_DELAY = 3_600.0            # a slow answer holds a server thread for this long at most
_PREFIX = "microsoft.graph."
_METHOD = re.compile(r"[A-Za-z]{1,20}")


def unprefixed(path: str) -> str:
    """``path`` with the ``microsoft.graph.`` namespace dropped from every segment that has it."""
    if _PREFIX not in path:
        return path
    return "/".join(s[len(_PREFIX):] if s.startswith(_PREFIX) else s for s in path.split("/"))


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
                and (self.count is None or self.fired < self.count)
                and (fnmatch.fnmatchcase(path, self.path)
                     or fnmatch.fnmatchcase(unprefixed(path), unprefixed(self.path))))


class Faults:
    """The rule list and its seeded random source; thread-safe."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)

    def add(self, kind: str | int, path: str = "*", *, method: str | None = None, count: int | None = None,
            probability: float = 1.0, retry_after: float | None = None, delay: float = 1.0) -> FaultRule:
        """Add a rule (see the module docstring); ``ValueError`` for an option of the wrong type or range."""
        if isinstance(kind, bool) or not isinstance(kind, (str, int)) or str(kind).lower() not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        kind = str(kind).lower()
        if not isinstance(path, str) or not path:
            raise ValueError(f"path must be a non-empty glob string, got {path!r}")
        if method is not None and (not isinstance(method, str) or not _METHOD.fullmatch(method)):
            raise ValueError(f"method must be an HTTP method name such as 'POST', got {method!r}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
            raise ValueError(f"count must be a whole number >= 0, got {count!r}")
        probability = _seconds("probability", probability, 1.0)
        retry_after = None if retry_after is None else _seconds("retry_after", retry_after, MAX_RETRY_AFTER)
        delay = _seconds("delay", delay, MAX_DELAY)
        if kind == "429" and retry_after is None:
            retry_after = 1
        rule = FaultRule(kind, path, method.upper() if method else None, count, probability, retry_after, delay)
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


def _seconds(name: str, value: object, high: float) -> float:
    """A finite number in [0, high] (probabilities use high=1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not 0 <= value <= high:
        raise ValueError(f"{name} must be between 0 and {high:g}, got {value!r}")
    return float(value) if isinstance(value, float) else value
