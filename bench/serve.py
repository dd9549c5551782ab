"""The emulator in its own process for the benchmarks: ``python3 bench/serve.py [--rate-limit 666/2s]``.

Prints one JSON line ``{"url": ..., "token": ...}`` (a token this emulator accepts), then answers
commands on stdin, one line each, and exits at end of input:

* ``count``: the number of requests received so far;
* ``reset``: forget requests, presence state and throttling counts (the limits stay); answers ``ok``;
* ``summary PREFIX N``: JSON ``{"statuses": {status: count}, "states": [[availability, activity] or
  null, ...]}``: the statuses of the requests for users whose id starts with PREFIX, and the
  preferred presence of users PREFIX0 .. PREFIX(N-1);
* ``prefill N PREFIX``: another client of the same application sends N requests just as this one
  starts: when the first request for users PREFIX* has been answered, N requests are counted
  against the application's window at once (the throttle's own count, no HTTP); answers ``ok`` at
  once. bench/FINDINGS.md section 15b;
* ``timeline PREFIX``: JSON ``[[seconds, status], ...]``: when each request for users PREFIX* arrived
  (seconds after the first of them, on the emulator's clock) and its status, in arrival order.

``--rate-limit N/Ws`` throttles as Graph does (``set_rate_limits``: N requests per W-second window
per application, refused requests counting too). Running the server in a separate process keeps
its threads off the measured client's GIL.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter

from pwshcompat.emulator import Emulator
from pwshcompat.emulator.server import DEFAULT_CLIENT_ID


def summary(emu: Emulator, prefix: str, users: int) -> dict[str, object]:
    marker = f"/presences/{prefix}"
    statuses = Counter(str(r.status) for r in list(emu.requests) if marker in r.path)
    states = []
    for n in range(users):
        preferred = emu.preferred_presence(f"{prefix}{n}")
        states.append(None if preferred is None else [preferred.availability, preferred.activity])
    return {"statuses": dict(statuses), "states": states}


def timeline(emu: Emulator, prefix: str) -> list[tuple[float, int | None]]:
    marker = f"/presences/{prefix}"
    mine = [r for r in list(emu.requests) if marker in r.path and r.time is not None]
    if not mine:
        return []
    start = min(r.time for r in mine if r.time is not None)
    return sorted(((r.time - start).total_seconds(), r.status) for r in mine if r.time is not None)


def prefill_at_first(emu: Emulator, count: int, prefix: str, within: float = 600.0) -> None:
    """Wait (polling every 0.5 ms, at most ``within`` seconds) for the first answered request for
    users ``prefix*``, then count ``count`` requests of the same application (the token's
    ``appid``) against the window."""
    marker, seen, deadline = f"/presences/{prefix}", 0, time.monotonic() + within
    while time.monotonic() < deadline:
        log = emu.requests
        if any(marker in r.path for r in log[seen:]):
            for _ in range(count):
                emu.api.throttle.admit(DEFAULT_CLIENT_ID, read=False)
            return
        seen = len(log)
        time.sleep(0.0005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate-limit", help="N/Ws: N requests per W-second window per application")
    args = parser.parse_args()
    with Emulator() as emu:
        if args.rate_limit:
            match = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)s?", args.rate_limit.strip())
            if not match:
                parser.error(f"--rate-limit takes N/Ws, like 666/2s; got {args.rate_limit!r}")
            emu.set_rate_limits(reads=None, total=int(match.group(1)), window=float(match.group(2)))
        print(json.dumps({"url": emu.graph_url, "token": emu.issue_token()}), flush=True)
        for line in sys.stdin:
            command, *rest = line.split()
            if command == "count":
                print(len(emu.requests), flush=True)
            elif command == "reset":
                emu.reset()
                print("ok", flush=True)
            elif command == "summary":
                print(json.dumps(summary(emu, rest[0], int(rest[1]))), flush=True)
            elif command == "prefill":
                threading.Thread(target=prefill_at_first, args=(emu, int(rest[0]), rest[1]), daemon=True).start()
                print("ok", flush=True)
            elif command == "timeline":
                print(json.dumps(timeline(emu, rest[0])), flush=True)


if __name__ == "__main__":
    main()
