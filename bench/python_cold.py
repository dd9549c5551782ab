"""Python, one process: interpreter start + import + one call, vs the same with plain ``requests``.

    python3 bench/python_cold.py [--runs 15]

Both send the identical request (the baseline replays what pwshcompat sends). Each run is a fresh ``python3`` process, timed from spawn to exit by this driver; the sides
alternate. ``python3 -c pass`` is timed too, so the interpreter's own start-up can be read off.
"""

from __future__ import annotations

import argparse
import json

from _harness import PYTHON, EmulatorProcess, Stats, capture_request, emit, print_stats, timed_run

OURS = """
import sys
import pwshcompat
url, token = sys.argv[1:3]
pwshcompat.Add_MgEnvironment(Name="Bench", GraphEndpoint=url, AzureADEndpoint="https://login.microsoftonline.com")
pwshcompat.Connect_MgGraph(Environment="Bench", AccessToken=token, NoWelcome=True)
pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
    PresenceId="6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70", Availability="Busy", Activity="Busy")
"""

BASELINE = """
import sys
import requests
url, token, path, body = sys.argv[1:5]
requests.post(url + path, data=body.encode(),
              headers={"Content-Type": "application/json", "Authorization": "Bearer " + token}).raise_for_status()
"""

# Modules worth knowing about when they appear in the cold path (imported but not needed).
HEAVY = ("msal", "cryptography", "jwt", "hypothesis", "http.server", "pwshcompat.emulator")

PROBE = """
import sys, json
import pwshcompat
url, token = sys.argv[1:3]
pwshcompat.Add_MgEnvironment(Name="Bench", GraphEndpoint=url, AzureADEndpoint="https://login.microsoftonline.com")
pwshcompat.Connect_MgGraph(Environment="Bench", AccessToken=token, NoWelcome=True)
pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
    PresenceId="x", Availability="Busy", Activity="Busy")
print(json.dumps([m for m in %r if m in sys.modules]))
""" % (HEAVY,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="processes per side (default 15)")
    args = parser.parse_args()

    _, path, _, body = capture_request()
    with EmulatorProcess() as emu:
        sides = {
            "pwshcompat": [PYTHON, "-c", OURS, emu.url, emu.token],
            "requests": [PYTHON, "-c", BASELINE, emu.url, emu.token, path, body.decode()],
            "python -c pass": [PYTHON, "-c", "pass"],
        }
        for argv in sides.values():  # warm the page cache
            timed_run(argv)
        samples: dict[str, list[float]] = {name: [] for name in sides}
        for r in range(args.runs):
            for name in sides if r % 2 == 0 else reversed(list(sides)):
                samples[name].append(timed_run(sides[name]).wall_ms)
        heavy = json.loads(timed_run([PYTHON, "-c", PROBE, emu.url, emu.token]).stdout)

    stats = {name: Stats.of(s) for name, s in samples.items()}
    ours, base, bare = stats["pwshcompat"], stats["requests"], stats["python -c pass"]
    print_stats(f"Python one process: start + import + one call ({args.runs} runs per side, ms):", stats,
                fields=("p50", "min"), digits=1, width=15)
    print(f"  ratio p50 {ours.p50 / base.p50:.2f}x; over requests {ours.p50 - base.p50:.1f} ms;"
          f" past interpreter start: ours {ours.p50 - bare.p50:.1f} ms, requests {base.p50 - bare.p50:.1f} ms")
    print(f"  heavy modules loaded on this path: {', '.join(heavy) or 'none'}")
    emit({"bench": "python_cold", "stats": {k: v.as_dict() for k, v in stats.items()}, "heavy_modules": heavy})


if __name__ == "__main__":
    main()
