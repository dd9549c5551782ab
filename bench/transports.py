"""What the Python HTTP stack itself costs per call: the lever behind the pwsh warm per-call target.

    python3 bench/transports.py [--calls 2000]

The identical keep-alive POST through five clients, alternating in rounds: ``requests.Session``
as used by default (``trust_env`` on), ``requests.Session`` with ``trust_env`` off (environment
read once), ``urllib3``'s connection pool, ``http.client`` and a raw socket (the server floor).
Not part of ``bench/run``'s targets; it supports bench/FINDINGS.md.
"""

from __future__ import annotations

import argparse
import http.client
import time
from typing import Callable
from urllib.parse import urlsplit

import requests
import urllib3

from _harness import EmulatorProcess, Stats, capture_request, emit
from python_warm import raw_socket_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    method, path, headers, body = capture_request()
    with EmulatorProcess() as emu:
        auth = dict(headers, Authorization=f"Bearer {emu.token}")
        url = emu.url + path
        default, no_env = requests.Session(), requests.Session()
        no_env.trust_env = False
        parts = urlsplit(emu.url)
        pool = urllib3.HTTPConnectionPool(parts.hostname, parts.port, maxsize=1)
        conn = http.client.HTTPConnection(parts.hostname, parts.port)

        def via_http_client() -> None:
            conn.request(method, path, body=body, headers=auth)
            response = conn.getresponse()
            response.read()
            if response.status >= 300:
                raise RuntimeError(response.status)

        def via_urllib3() -> None:
            if pool.urlopen(method, path, body=body, headers=auth).status >= 300:
                raise RuntimeError("urllib3")

        sides: dict[str, Callable[[], None]] = {
            "requests (trust_env on)": lambda: default.post(url, data=body, headers=auth).raise_for_status(),
            "requests (trust_env off)": lambda: no_env.post(url, data=body, headers=auth).raise_for_status(),
            "urllib3 pool": via_urllib3,
            "http.client": via_http_client,
            "raw socket": raw_socket_client(emu.url, method, path, auth, body),
        }
        samples: dict[str, list[float]] = {name: [] for name in sides}
        for fn in sides.values():
            for _ in range(100):
                fn()
        per_round, clock = args.calls // args.rounds, time.perf_counter_ns
        for r in range(args.rounds):
            for name in sides if r % 2 == 0 else reversed(list(sides)):
                fn, out = sides[name], samples[name]
                for _ in range(per_round):
                    t0 = clock()
                    fn()
                    out.append((clock() - t0) / 1e6)

    stats = {name: Stats.of(s) for name, s in samples.items()}
    base = stats["requests (trust_env on)"].p50
    print(f"Python HTTP clients, identical keep-alive POST ({per_round * args.rounds} calls each, ms):")
    for name, s in stats.items():
        print(f"  {name:<25} p50 {s.p50:6.3f}  p99 {s.p99:6.3f}  ({s.p50 / base:.2f}x requests)")
    emit({"bench": "transports", "stats": {k: v.as_dict() for k, v in stats.items()}})


if __name__ == "__main__":
    main()
