"""pwsh, cold: Import-Module + Connect-MgGraph -AccessToken + first call, vs ``pwsh -NoProfile -c exit``;
and the process's memory after that first call vs a bare pwsh.

    python3 bench/pwsh_cold.py [--runs 10]

Every run is a fresh pwsh, timed from spawn to exit; the sides alternate. A third side makes the
same first call with a bare HttpClient (no module), which shows what .NET's own HTTP stack costs
on a cold start. Memory is VmRSS read by the script itself at its end (bench/pwsh_cold.ps1), and
the peak RSS (``wait4``'s ``ru_maxrss``) of the whole process.
"""

from __future__ import annotations

import argparse
import statistics

from _harness import BENCH, ROOT, EmulatorProcess, Stats, capture_request, emit, pwsh, timed_run

RSS_PROBE = "[System.IO.File]::ReadAllLines(\"/proc/$PID/status\") -match '^VmRSS:' -replace '\\D', ''"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="processes per side (default 10)")
    args = parser.parse_args()

    _, path, _, body = capture_request()
    with EmulatorProcess() as emu:
        script = [pwsh(), "-NoProfile", "-NonInteractive", "-File", str(BENCH / "pwsh_cold.ps1"), "-Root", str(ROOT),
                  "-GraphUrl", emu.url, "-Token", emu.token, "-Path", path, "-Body", body.decode()]
        sides = {
            "pwsh -c exit": [pwsh(), "-NoProfile", "-c", "exit"],
            "HttpClient": [*script, "-Raw"],
            "cmdlet": script,
            "bare pwsh RSS": [pwsh(), "-NoProfile", "-c", RSS_PROBE],
        }
        for argv in sides.values():  # warm the page cache and .NET's disk caches
            timed_run(argv)
        runs: dict[str, list] = {name: [] for name in sides}
        for r in range(args.runs):
            for name in sides if r % 2 == 0 else reversed(list(sides)):
                runs[name].append(timed_run(sides[name]))

    wall = {name: Stats.of([run.wall_ms for run in rs]) for name, rs in runs.items() if name != "bare pwsh RSS"}
    rss = {name: statistics.median(int(run.stdout.split()[-1]) / 1024 for run in runs[name])
           for name in ("bare pwsh RSS", "HttpClient", "cmdlet")}
    peak = {name: statistics.median(run.max_rss_mib for run in rs) for name, rs in runs.items()}
    ours, bare, raw = wall["cmdlet"], wall["pwsh -c exit"], wall["HttpClient"]
    print(f"pwsh cold start ({args.runs} runs per side, ms):")
    for name, s in wall.items():
        print(f"  {name:<13} p50 {s.p50:7.1f}  min {s.min:7.1f}  peak RSS {peak[name]:6.1f} MiB")
    print(f"  cmdlet over pwsh -c exit: {(ours.p50 - bare.p50) / 1000:.3f} s; HttpClient over it: {(raw.p50 - bare.p50) / 1000:.3f} s")
    print(f"memory after the first call (VmRSS, MiB): bare pwsh {rss['bare pwsh RSS']:.1f},"
          f" HttpClient {rss['HttpClient']:.1f}, cmdlet {rss['cmdlet']:.1f}"
          f" (+{rss['cmdlet'] - rss['bare pwsh RSS']:.1f} over bare)")
    emit({"bench": "pwsh_cold", "wall": {k: v.as_dict() for k, v in wall.items()}, "rss_mib": rss, "peak_rss_mib": peak})


if __name__ == "__main__":
    main()
