"""pwsh, cold: Import-Module + Connect-MgGraph -AccessToken + first call, vs ``pwsh -NoProfile -c exit``;
and the process's memory after that first call vs a bare pwsh.

    python3 bench/pwsh_cold.py [--runs 10]

Every run is a fresh pwsh, timed from spawn to exit; the sides alternate. A third side makes the
same first call with a bare HttpClient (no module), which shows what .NET's own HTTP stack costs
on a cold start. Memory is VmRSS read by the script itself at its end (bench/pwsh_cold.ps1), and
the peak RSS (``wait4``'s ``ru_maxrss``) of the whole process.

Every pwsh, with or without the module, lands in one of two modes about 10 MiB apart: some
processes commit an extra ~10 MiB of anonymous memory (seen in /proc/PID/smaps of a bare
``pwsh -c``; bench/FINDINGS.md section 11). A median then moves by up to 10 MiB with the mix of
modes on each side, so the module's cost is taken from the floors (the lowest RSS of each side),
and the medians are printed beside them.
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
    rss_runs = {name: [int(run.stdout.split()[-1]) / 1024 for run in runs[name]]
                for name in ("bare pwsh RSS", "HttpClient", "cmdlet")}
    rss = {name: statistics.median(values) for name, values in rss_runs.items()}
    floor = {name: min(values) for name, values in rss_runs.items()}
    peak = {name: statistics.median(run.max_rss_mib for run in rs) for name, rs in runs.items()}
    ours, bare, raw = wall["cmdlet"], wall["pwsh -c exit"], wall["HttpClient"]
    print(f"pwsh cold start ({args.runs} runs per side, ms):")
    for name, s in wall.items():
        print(f"  {name:<13} p50 {s.p50:7.1f}  min {s.min:7.1f}  peak RSS {peak[name]:6.1f} MiB")
    print(f"  cmdlet over pwsh -c exit: {(ours.p50 - bare.p50) / 1000:.3f} s; HttpClient over it: {(raw.p50 - bare.p50) / 1000:.3f} s")
    print("memory after the first call (VmRSS, MiB):")
    for label, values in (("floor", floor), ("median", rss)):
        print(f"  {label:<6} bare pwsh {values['bare pwsh RSS']:.1f}, HttpClient {values['HttpClient']:.1f},"
              f" cmdlet {values['cmdlet']:.1f} (+{values['cmdlet'] - values['bare pwsh RSS']:.1f} over bare)")
    print("  per run: " + "; ".join(f"{name} {' '.join(f'{v:.0f}' for v in values)}" for name, values in rss_runs.items()))
    emit({"bench": "pwsh_cold", "wall": {k: v.as_dict() for k, v in wall.items()}, "rss_mib": rss,
          "rss_floor_mib": floor, "peak_rss_mib": peak})


if __name__ == "__main__":
    main()
