"""Pacing shared by every sender in the process: one 429 slows everybody, not only its own thread.

Graph throttles presence per application per tenant (graph-presence.md section 5: 10,000 requests
in 30 seconds; 1,500 for reads), and counts refused requests against the limit too. When sixteen
runspaces share that budget and each retries on its own, every other runspace keeps sending into
a full window and collects its own 429. So the Graph client asks a :class:`Pacer`, shared by all
clients of the same endpoint, tenant and application (:func:`shared`), before every request:

1. **Pause.** A 429 with ``Retry-After`` pauses every sender until then (at most 180 s, the
   original's longest wait), unless it refused a growth of the pace (4.). The request that got it
   keeps the original's retry rules (Kiota's RetryHandler: ``Retry-After``, ``Retry-Attempt``,
   ``MaxRetry``), so a lone caller (who never paces) behaves as the original does.
2. **Pace.** When the 429s show a full window rather than a one-off refusal (at least two refused,
   no more requests admitted than refused after the first refusal, and at least ten admitted
   before: two one-off refusals in flight together early in a burst would otherwise read as a
   window of a few requests, and pace the process to a crawl), the pacer takes the
   service's limit to be what it admitted since the burst began (less 1 %), and the window to be
   ``Retry-After`` plus the time since the burst's first request, to whole seconds (Graph's
   windows are whole seconds). Several senders barely faster than the limit together (runspaces
   of ``ForEach-Object -Parallel``, each mostly busy with PowerShell) show a full window
   differently: one request refused at a time, since the pause stops the others, again and again.
   When such a lone refusal recurs while several threads send, and meets another sender than the
   one before, the pacer looks for the whole-second windows that held as many requests at both
   refusals, counting different requests each time, and never more at any other time (the
   service's window was full each time, and it admits nothing past full) and takes the one with
   the lowest rate. From then on it lets at most that many requests go in any window
   of that length: the rate the service allowed, with the slots freed by a pause used at once.
   A request holds its slot while in flight and for the window's length after its answer (the
   service counted it at some moment in between), so delays on the way cannot push a request
   into a window the service still sees as full.
3. **Correct.** A 429 while pacing means the guess was wrong. When the limit had held a whole
   window (see 4), a window of the service's length would have gone on admitting it: the window
   is one second longer, at the pace that held, less 1 %. Otherwise, with few requests in the
   window the window is longer than thought (one second more), else the limit is lower (10 %
   less). After five such corrections, each within 30 windows of the one before (a process that
   runs for hours beside other clients may meet five over its life), the pacer stops pacing and
   only pauses. A 429 for a request
   sent within a window after a refused growth is that growth's doing, not the model's.
4. **Grow.** The first refusals may not show the service's full window: another client's
   requests may have been in it (two admins' scripts on one application), or Graph refused one
   request to shed load. So a limit that held senders back for a whole window, in which the
   service admitted at least that many requests and refused none, grows: halfway to the ceiling
   (the fewest requests the service's window held when it refused, less 1 %), and when within 4 %
   of it, by a probe past it (2 % at first, at least one request past the ceiling; each probe that
   holds makes the next one's step four times larger). A probe that holds past the ceiling shows
   the ceiling was someone else's: it goes, and the limit doubles from there, each doubling
   holding as soon as the requests sent since filled the window to it and were all admitted. A
   429 for a request sent after a growth sets the limit back to the one that held, without a
   pause (that limit holds every sender back already), and the ceiling to what the window held
   then; the next probe waits 4 windows, twice as long for each further refused growth in a row
   (halfway growth below the ceiling does not wait). So a right model is probed about log2 of its
   age in windows times, each probe costing at most one refusal per request in flight.

``PWSHCOMPAT_PACING=off`` switches all of this off: every request then retries on its own, as the
original does. Times are seconds on the pacer's :class:`Clock` (``time.monotonic`` unless a test
gives another). bench/pacing_sim.py runs this class against Graph's window in simulated time over
many client speeds; bench/throttled.py measures it (bench/FINDINGS.md sections 12, 13 and 15).
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Hashable, Protocol

from .. import cancellation

__all__ = ["Clock", "MonotonicClock", "Pacer", "enabled", "shared"]

log = logging.getLogger("pwshcompat.graph")

MAX_PAUSE_SECONDS = 180.0  # Kiota RetryHandlerOption.MaxDelay: the longest the original ever waits
LIMIT_MARGIN = 0.01        # pace this far below what the service admitted (one request in a hundred)
LIMIT_CUT = 0.9            # a 429 while pacing with a full window: the limit is lower
MAX_CORRECTIONS = 5        # then the model is dropped and the pacer only pauses
CORRECTIONS_KEPT_WINDOWS = 30  # a correction longer ago than this many windows no longer counts towards that
IDLE_GAP_SECONDS = 1.0     # a send after this long without one starts a new burst
FEWEST_FULL_WINDOW = 10    # requests: refusals after fewer admitted are no evidence of a window's size
LOG_HORIZON_SECONDS = 120.0
LOG_MAX_ENTRIES = 20_000   # Graph's largest per-app presence limit is 10,000 per 30 s
LONGEST_WINDOW_GUESS = 60  # seconds: the longest window a recurring lone refusal is matched against
SAME_COUNT_SHARE = 0.03    # two counts within this share of each other (plus one request) are the same
WAIT_SLICE_SECONDS = 0.5   # waits wake up this often (room for a cancellation check)
GROWTH_CLOSE = 0.04        # growth toward the ceiling goes halfway until within this share of it; then probes
PROBE_STEP = 0.02          # a probe past the ceiling grows the limit by this share, the first time
PROBE_STEP_GROWTH = 4      # each probe that held makes the next one's step this many times larger (at most doubling)
GROWTH_WAIT_WINDOWS = 4    # windows from a refused growth to the next growth, doubled for each refused in a row


class Clock(Protocol):
    """Time for the pacer: seconds that only move forward."""

    def now(self) -> float: ...

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        """With ``condition`` held: wait until notified, or ``deadline`` has passed on this clock,
        or a while; the caller re-checks."""

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` of this clock; raise
        :class:`~pwshcompat.cancellation.CommandStoppedError` when the command is stopped."""


class MonotonicClock:
    """The real clock: ``time.monotonic``; its sleep ends when the host stops the command."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        condition.wait(min(max(deadline - time.monotonic(), 0.0), WAIT_SLICE_SECONDS))

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and cancellation.current().wait(seconds):
            raise cancellation.CommandStoppedError()


@dataclass
class _Refusals:
    """The 429s of one burst, while the pause they caused lasts (before a model is adopted)."""

    burst_start: float
    first_sent: float
    retry_after: float
    admitted: int            # requests of the burst the service admitted
    answered: float          # when the first refusal came back
    shared: bool             # more than one thread sent in the burst
    sender: Hashable         # who sent the first refused one
    refused: int = 1
    admitted_after: int = 0  # admitted although sent after the first refused one
    refused_after: int = 0


class Pacer:
    """Decides when each request of one application and tenant may be sent.

    Thread-safe; every method returns at once except :meth:`acquire`, which blocks.
    ``limit`` and ``window`` are the pacing model (None until the service's answers show one).
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or MonotonicClock()
        # Reentrant: a stop registered while waiting may notify from the waiting thread itself.
        self._cond = threading.Condition(threading.RLock())
        self.paused_until = -math.inf
        self.limit: int | None = None
        self.window: float | None = None
        self.corrections = 0
        self._last_correction = -math.inf
        self.pacing = True          # False once the model was dropped
        self.waiting = 0            # threads blocked in acquire (for tests and logs)
        self.pauses = 0             # 429s that started or lengthened a pause
        # When each finished request completed, oldest first. The service counted a request from
        # some moment between sending it and its answer; counting it from the answer is safe.
        self._log: deque[float] = deque(maxlen=LOG_MAX_ENTRIES)
        self._forgotten = -math.inf  # the latest time dropped from the log: counts before it are incomplete
        self.in_flight = 0          # sent and not yet finished: they hold a slot of the window
        self._burst_start: float | None = None
        self._burst_admitted = 0
        self._last_sent: float | None = None
        self._refusals: _Refusals | None = None
        # When the last refusal that was no full window came, and who sent it.
        self._lone_refusal: tuple[float, Hashable] | None = None
        self._burst_senders: set[Hashable] = set()  # threads that sent in this burst (two are enough)
        # Growth (4. in the module docstring): the limit that held a whole window, the lowest limit
        # the service refused at (the ceiling), the next probe's step, since when the model holds
        # unchanged, when the next growth may come and how many in a row were refused.
        self.proven: int | None = None
        self.ceiling: int | None = None
        self.probes = 0             # growths to or past the ceiling (for tests and logs)
        self._refused_growths = 0   # since the ceiling was last found wrong
        self._probe_step = PROBE_STEP
        self._steady_since = -math.inf
        self._admitted_steady = 0   # requests sent since then that the service admitted
        self._held_at: int | None = None  # after a doubling: admitted since, that fill the window to the limit
        self._proven_whole = False  # the limit that held did so for a whole window
        self._limit_held = False    # the limit held a whole window (the service admitted it all)
        self._next_growth = -math.inf
        self._grown = (-math.inf, -math.inf)  # from when until when the limit was above the one that held

    def acquire(self) -> float:
        """Block until a request may be sent, count it as sent, and return its send time.

        Raises :class:`~pwshcompat.cancellation.CommandStoppedError` when the host stops the
        command (Ctrl+C) before then; nothing is counted as sent.
        """
        clock = self.clock
        token = cancellation.current()
        with self._cond:
            self.waiting += 1
            try:
                while True:
                    token.raise_if_cancelled()
                    now = clock.now()
                    wait_until = self._try_send(now, threading.get_ident())
                    if wait_until is None:
                        return now
                    with token.register(self._wake):
                        if not token.cancelled:
                            clock.wait(self._cond, wait_until)
            finally:
                self.waiting -= 1

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def try_send(self, now: float, sender: Hashable = None) -> float | None:
        """Without blocking: count a request of ``sender`` (what :meth:`acquire` takes the calling
        thread for) as sent at ``now`` and return None, or return the time to ask again (for a
        caller with its own scheduler, such as bench/pacing_sim.py)."""
        with self._cond:
            return self._try_send(now, sender)

    def _try_send(self, now: float, sender: Hashable) -> float | None:
        if now < self.paused_until:
            return self.paused_until
        if self._refusals is not None:
            self._adopt_model(self._refusals)
            self._refusals = None
        if self.limit is not None and self.window is not None and self.pacing:
            while self._log and self._log[0] <= now - self.window:
                self._forgotten = self._log.popleft()
            over = len(self._log) + self.in_flight - self.limit
            if over >= 0 and self._grow(now):
                over = len(self._log) + self.in_flight - self.limit
            if over >= 0:
                # Free when the (over+1)-th oldest finished request leaves the window, or when
                # requests in flight finish (finished() notifies).
                return self._log[over] + self.window if over < len(self._log) else now + WAIT_SLICE_SECONDS
        else:
            while self._log and self._log[0] <= now - LOG_HORIZON_SECONDS:
                self._forgotten = self._log.popleft()
        if self._burst_start is None or (self._last_sent is not None and now - self._last_sent > IDLE_GAP_SECONDS):
            self._burst_start, self._burst_admitted = now, 0
            self._burst_senders.clear()
        if len(self._burst_senders) < 2:
            self._burst_senders.add(sender)
        self._last_sent = now
        self.in_flight += 1
        return None

    def finished(self, sent_at: float, status: int | None, retry_after: float | None = None,
                 sender: Hashable = None) -> None:
        """Report the outcome of a request :meth:`acquire` let go at ``sent_at``: its HTTP status
        (None when it got no response) and, for a 429, its ``Retry-After`` in seconds; ``sender``
        is who sent it (default: the calling thread, as :meth:`acquire` takes it)."""
        with self._cond:
            self.in_flight = max(0, self.in_flight - 1)
            if len(self._log) == LOG_MAX_ENTRIES:
                self._forgotten = self._log[0]
            self._log.append(self.clock.now())
            refusals = self._refusals
            if status == 429 and retry_after is not None and retry_after > 0:
                self._throttled(sent_at, min(retry_after, MAX_PAUSE_SECONDS),
                                threading.get_ident() if sender is None else sender)
            elif status is not None and status != 429:
                if sent_at >= self._steady_since:
                    self._admitted_steady += 1
                if self._burst_start is not None and sent_at >= self._burst_start:
                    self._burst_admitted += 1
                if refusals is not None and sent_at >= refusals.burst_start:
                    refusals.admitted += 1
                    if sent_at > refusals.first_sent:
                        refusals.admitted_after += 1
            if self.waiting and self.limit is not None:
                self._cond.notify_all()  # a slot held by a request in flight may be free now

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the pacer's clock (the per-request retry delays)."""
        self.clock.sleep(seconds)

    def _throttled(self, sent_at: float, retry_after: float, sender: Hashable) -> None:
        now = self.clock.now()
        if self.pacing and self._grown[0] <= sent_at < self._grown[1]:
            # Sent while the limit was above the one that held: the growth found the service's
            # limit. Back to the one that held; it holds every sender back already, no pause.
            if self._grown[1] == math.inf:
                self._fall_back(now, sent_at)
            self._steady_since, self._admitted_steady, self._held_at = now, 0, None
            return
        in_burst = self._burst_start is not None and sent_at >= self._burst_start
        refusals = self._refusals
        if in_burst and self.pacing:
            assert self._burst_start is not None
            if self.limit is None:
                self._refusals = _Refusals(self._burst_start, sent_at, retry_after, self._burst_admitted, now,
                                           len(self._burst_senders) > 1, sender)
            elif sent_at >= self._grown[1] + (self.window or 0.0):
                self._correct(sent_at)  # (earlier, the refused growth's own requests were still in the window)
        elif refusals is not None and sent_at >= refusals.burst_start:
            refusals.refused += 1  # another request of the burst, in flight when the first 429 came
            if sent_at > refusals.first_sent:
                refusals.refused_after += 1
        if self.limit is not None:  # no growth until a window without a 429
            self._steady_since, self._admitted_steady, self._held_at = max(self._steady_since, now), 0, None
        if now + retry_after > self.paused_until:
            self.paused_until = now + retry_after
            self.pauses += 1
            log.debug("429: every sender pauses for %.3g s", retry_after)
        self._burst_start = None  # the next request after the pause begins a new burst
        self._cond.notify_all()

    def _adopt_model(self, refusals: _Refusals) -> None:
        """After the pause: pace if the refusals looked like a full window, not a one-off."""
        if (refusals.refused < 2 or refusals.admitted_after > refusals.refused_after
                or refusals.admitted < FEWEST_FULL_WINDOW):
            self._recurring_refusal(refusals.answered if refusals.shared else None, refusals.sender)
            return
        self.limit = max(1, math.floor(refusals.admitted * (1 - LIMIT_MARGIN)))
        self.window = float(max(1, math.floor(refusals.retry_after + refusals.first_sent - refusals.burst_start)))
        self._steady(refusals.admitted)
        log.debug("Pacing at %d requests per %g s (the service admitted %d)", self.limit, self.window,
                  refusals.admitted)

    def _recurring_refusal(self, answered: float | None, sender: Hashable) -> None:
        """A refusal that was no full window by itself, answered at ``answered`` (None: a lone
        caller's, which keeps the original's rules alone) and sent by ``sender``: when another
        sender's came before it, pace if a whole-second window held as many requests at both and
        never more in between (the service's window full each time, by the one refused: senders
        together barely faster than the limit). Refusals that keep meeting one sender say more
        about what that sender asks for than about the application's window."""
        earlier, self._lone_refusal = self._lone_refusal, (None if answered is None else (answered, sender))
        if earlier is None or answered is None:
            return
        before, before_sender = earlier
        if before_sender == sender or answered - before > LOG_HORIZON_SECONDS:
            return
        log_times = list(self._log)  # answer times, oldest first; refused requests count too
        if not log_times:
            return
        best: tuple[float, int, int] | None = None
        shorter: list[int] = []
        for window in range(1, LONGEST_WINDOW_GUESS + 1):
            if before - window < self._forgotten:
                break  # the log no longer reaches back a whole window before the first refusal
            counts = [bisect.bisect_right(log_times, t) - bisect.bisect_right(log_times, t - window)
                      for t in (before, answered)]
            if counts == shorter:
                continue  # nothing more in the longer window at either refusal: no evidence for it
            shorter = counts
            low, high = min(counts), max(counts)
            if low < 2 or high - low > SAME_COUNT_SHARE * high + 1:
                continue
            both = bisect.bisect_right(log_times, before) - bisect.bisect_right(log_times, answered - window)
            if both > SAME_COUNT_SHARE * high:
                continue  # the two windows count mostly the same requests: alike counts say nothing then
            if not self._never_fuller(log_times, window, answered, high):
                continue  # held more at another time without a refusal: not the service's window
            if best is None or low / window < best[0]:
                best = (low / window, low, window)
        if best is None:
            return
        _, admitted, window = best
        self.limit = max(1, math.floor(admitted * (1 - LIMIT_MARGIN)))
        self.window = float(window)
        self._lone_refusal = None
        self._steady(admitted)
        log.debug("Pacing at %d requests per %g s (refused again with %d in that window)", self.limit, self.window,
                  admitted)

    def _never_fuller(self, log_times: list[float], window: int, until: float, count: int) -> bool:
        """True when no ``window``-second stretch the log covers whole, up to ``until``, held more
        than ``count`` requests. The service refuses only when its window is at its fullest (it
        admits nothing past its limit), so at a real full window the count at the refusals is the
        most that window ever held; senders at a steady pace that meet one-off refusals hold about
        as many at any time, and more at some."""
        first = bisect.bisect_left(log_times, self._forgotten + window)
        last = bisect.bisect_right(log_times, until)
        start = bisect.bisect_left(log_times, log_times[first] - window) if first < last else 0
        for end in range(first, last):
            edge = log_times[end] - window
            while log_times[start] <= edge:
                start += 1
            if end + 1 - start > count:
                return False
        return True

    def _steady(self, refused_at: int | None) -> None:
        """The model was set or corrected: it holds a whole window from now before it grows;
        ``refused_at`` is a limit the service refused at (None: no new ceiling)."""
        assert self.limit is not None
        self.proven = self.limit
        if refused_at is not None:
            self.ceiling = refused_at if self.ceiling is None else min(self.ceiling, refused_at)
        self._steady_since, self._admitted_steady, self._limit_held = self.clock.now(), 0, False
        self._held_at = None

    def _grow(self, now: float) -> bool:
        """A sender is held back by the model: when the limit held a whole window without a 429
        (and the wait after refused growths is over), grow it: halfway to the ceiling (less the
        margin) when that is not close, else a probe past it. True when the limit grew."""
        assert self.limit is not None and self.window is not None and self.proven is not None
        whole_window = now >= self._steady_since + self.window and self._admitted_steady >= self.limit
        if self._held_at is not None:
            # Just doubled: the limit held once the requests sent since filled the window to it and the
            # service admitted them all (it then held that many at once), whatever the time.
            if self._admitted_steady < self._held_at:
                return False
        elif not whole_window:
            return False
        if whole_window:
            self._limit_held = True  # (Correct: refused after this, the service's window is longer)
        held = self.limit > self.proven  # the last growth held a whole window
        step = PROBE_STEP_GROWTH * self._probe_step if held else PROBE_STEP
        if held and self.ceiling is not None and self.limit > self.ceiling:
            # The service admitted more than the ceiling: it was another client's doing, and the
            # model may be far below the service's limit: grow by doubling from here.
            self.ceiling, self._refused_growths, step = None, 0, 1.0
        cap = None if self.ceiling is None else math.floor(self.ceiling * (1 - LIMIT_MARGIN))
        if cap is not None and self.limit < cap * (1 - GROWTH_CLOSE):
            # Halfway to a limit the service refused at stays below it: no wait after refused probes.
            grown, self._probe_step = max(self.limit + 1, (self.limit + cap) // 2), PROBE_STEP
        elif now < self._next_growth:
            return False
        else:  # a probe past the ceiling (or with none left): a larger step after each that held
            self._probe_step = min(1.0, step)
            # Past the ceiling, or the probe could not show it wrong (held there, it shows nothing new).
            grown = max(self.limit + 1, math.floor(self.limit * (1 + self._probe_step)),
                        0 if self.ceiling is None else self.ceiling + 1)
            self.probes += 1
        self._proven_whole = whole_window  # the limit that held held a whole window (not only filled it once)
        self.proven, self.limit, self._steady_since, self._admitted_steady = self.limit, grown, now, 0
        if self._probe_step >= 1.0 and grown > self.proven:
            # Doubling (the ceiling proved to be another client's): the limit holds once the requests
            # sent since have filled the window to it and were all admitted; small steps need a whole
            # window, as the service may have let some of the requests this pacer counts go already.
            self._held_at = max(1, grown - self._in_window(now))
        self._limit_held = False
        self._grown = (now, math.inf)
        log.debug("Pacing grows to %d requests per %g s (%d held)", self.limit, self.window, self.proven)
        return True

    def _in_window(self, since: float) -> int:
        """Requests finished less than a model's window before ``since``, or later, plus those in flight."""
        assert self.window is not None
        return sum(1 for t in self._log if t > since - self.window) + self.in_flight

    def _fall_back(self, now: float, sent_at: float) -> None:
        """A 429 for a request sent (at ``sent_at``) after the last growth: back to the limit that
        held, and the next growth waits twice as long as after the growth refused before. The
        service refused at what its window held then, however far the growth went past that."""
        assert self.limit is not None and self.window is not None and self.proven is not None
        self._refused_growths += 1
        self._next_growth = now + self.window * GROWTH_WAIT_WINDOWS * 2 ** (self._refused_growths - 1)
        refused_at = max(self.proven + 1, min(self.limit, self._in_window(sent_at) - 1))  # less this one
        self.limit, self._probe_step = self.proven, PROBE_STEP
        self._grown = (self._grown[0], now)
        self._steady(refused_at)
        self._limit_held = self._proven_whole
        log.debug("Pacing grew too far (refused at %d): back to %d requests per %g s", refused_at, self.limit,
                  self.window)

    def _correct(self, sent_at: float) -> None:
        """A 429 although the pacer kept to its model: the model was too generous."""
        assert self.limit is not None and self.window is not None
        now = self.clock.now()
        if now - self._last_correction > CORRECTIONS_KEPT_WINDOWS * self.window:
            self.corrections = 0  # the model held for a long while since the last one
        self._last_correction = now
        in_window = self._in_window(sent_at) - 1  # when this one was refused, less this one
        refused_at: int | None = self.limit
        if self._limit_held:
            # This limit held a whole window: a window of the service's length would have gone on
            # admitting it. The service's window is longer; what was refused above says nothing now.
            # The pace held, less the margin, over the longer window.
            self.limit = max(1, math.floor(self.limit * (self.window + 1) / self.window * (1 - LIMIT_MARGIN)))
            self.window += 1.0
            self.ceiling = refused_at = None
            self._refused_growths, self._next_growth = 0, -math.inf
        elif in_window < self.limit / 2:
            self.window += 1.0  # the window reaches further back than thought
        else:
            self.limit = max(1, math.floor(self.limit * LIMIT_CUT))
        self._steady(refused_at)
        self.corrections += 1
        if self.corrections > MAX_CORRECTIONS:
            self.pacing = False
            log.debug("Pacing dropped after %d corrections; 429s still pause every sender", self.corrections - 1)
        else:
            log.debug("Pacing corrected to %d requests per %g s", self.limit, self.window)


_SWITCH = {"on": True, "1": True, "true": True, "yes": True, "": True,
           "off": False, "0": False, "false": False, "no": False}


def enabled() -> bool:
    """False when ``PWSHCOMPAT_PACING`` is ``off`` (or ``0``, ``false``, ``no``); True when it is
    unset, empty, ``on``, ``1``, ``true`` or ``yes`` (any case). Raises ``ValueError`` naming the
    variable and its value for anything else, so a typo never switches pacing silently."""
    value = os.environ.get("PWSHCOMPAT_PACING", "on")
    try:
        return _SWITCH[value.strip().lower()]
    except KeyError:
        raise ValueError(f"PWSHCOMPAT_PACING must be on or off (or 1/0, true/false, yes/no), not {value!r}; "
                         "off makes every request retry on its own, as the original module does") from None


_shared: dict[Hashable, Pacer] = {}
_shared_lock = threading.Lock()


def shared(key: Hashable) -> Pacer | None:
    """The process's pacer for ``key`` (the client uses endpoint origin, tenant and application),
    or None when pacing is switched off."""
    if not enabled():
        return None
    with _shared_lock:
        pacer = _shared.get(key)
        if pacer is None:
            pacer = _shared[key] = Pacer()
        return pacer
