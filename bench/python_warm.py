"""Python, warm, per call: the cmdlet function vs a bare ``requests.Session().post``.

    python3 bench/python_warm.py [--calls 2000] [--rounds 10]

Both sides send the *identical* request: the baseline replays the method, path, headers and body
that pwshcompat itself sent (captured once from an in-process emulator), so a change in what
pwshcompat sends changes both sides. Calls alternate in rounds (ABBA) to spread machine drift.
A third column, a raw socket writing pre-encoded request bytes, approximates what the emulator
itself costs per request: every client pays at least that.
"""

from __future__ import annotations

import argparse
import socket
import time
from typing import Callable
from urllib.parse import urlsplit

import requests

from _harness import CMDLET_ARGS, EmulatorProcess, Stats, capture_request, connect, emit, print_stats

def raw_socket_client(url: str, method: str, path: str, headers: dict[str, str], body: bytes) -> Callable[[], None]:
    """A keep-alive HTTP/1.1 client with the request pre-encoded: the floor any client pays."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    wire = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    reader = sock.makefile("rb")

    def call() -> None:
        sock.sendall(wire)
        status = reader.readline()
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        reader.read(length)
        if not status.startswith(b"HTTP/1.1 2"):
            raise RuntimeError(f"raw socket: {status!r}")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per side (default 2000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()

    method, path, headers, body = capture_request()
    import pwshcompat

    with EmulatorProcess() as emu:
        connect(pwshcompat, emu.url, emu.token, "Bench")
        cmdlet = pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence
        session = requests.Session()
        url = emu.url + path
        auth_headers = dict(headers, Authorization=f"Bearer {emu.token}")

        def baseline() -> None:
            session.post(url, data=body, headers=auth_headers).raise_for_status()

        def ours() -> None:
            cmdlet(**CMDLET_ARGS)

        sides: dict[str, Callable[[], None]] = {
            "pwshcompat": ours,
            "requests": baseline,
            "socket": raw_socket_client(emu.url, method, path, auth_headers, body),
        }
        samples: dict[str, list[float]] = {name: [] for name in sides}
        for fn in sides.values():
            for _ in range(args.warmup):
                fn()
        before = emu.count()
        per_round = args.calls // args.rounds
        order = list(sides)
        clock = time.perf_counter_ns
        for r in range(args.rounds):
            for name in order if r % 2 == 0 else reversed(order):
                fn, out = sides[name], samples[name]
                for _ in range(per_round):
                    t0 = clock()
                    fn()
                    out.append((clock() - t0) / 1e6)
        served = emu.count() - before

    expected = per_round * args.rounds * len(sides)
    if served != expected:
        raise SystemExit(f"python_warm: the emulator saw {served} timed requests, expected {expected}")
    stats = {name: Stats.of(s) for name, s in samples.items()}
    ours_s, base_s, floor_s = stats["pwshcompat"], stats["requests"], stats["socket"]
    print_stats(f"Python warm per call ({ours_s.n} calls per side, ms):", stats)
    print(f"  ratio p50 {ours_s.p50 / base_s.p50:.2f}x  p99 {ours_s.p99 / base_s.p99:.2f}x;"
          f" overhead {ours_s.p50 - base_s.p50:.3f} ms/call; server+loopback floor {floor_s.p50:.3f} ms")
    emit({"bench": "python_warm", "stats": {k: v.as_dict() for k, v in stats.items()},
          "request": {"method": method, "path": path, "body_bytes": len(body)}})


if __name__ == "__main__":
    main()
