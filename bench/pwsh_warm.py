"""pwsh, warm, per call: the cmdlet vs raw HttpClient and Invoke-RestMethod in the same pwsh;
plus identity hashtables piped into the cmdlet vs a foreach of HttpClient POSTs.

    python3 bench/pwsh_warm.py [--calls 1000] [--pipeline-items 1000]

The timing loop is bench/pwsh_warm.ps1 (Stopwatch around each call); this driver starts the
emulator, hands the script the exact request pwshcompat sends, checks that the emulator saw every
request, and prints medians and ratios.
"""

from __future__ import annotations

import argparse
import json

from _harness import BENCH, ROOT, EmulatorProcess, Stats, capture_request, emit, print_stats, pwsh, timed_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--pipeline-items", type=int, default=1000)
    parser.add_argument("--pipeline-repeats", type=int, default=3)
    args = parser.parse_args()

    _, path, _, body = capture_request()
    with EmulatorProcess() as emu:
        before = emu.count()
        run = timed_run([pwsh(), "-NoProfile", "-NonInteractive", "-File", str(BENCH / "pwsh_warm.ps1"), "-Root", str(ROOT),
                         "-GraphUrl", emu.url, "-Token", emu.token, "-Path", path, "-Body", body.decode(),
                         "-Calls", str(args.calls), "-Rounds", str(args.rounds), "-Warmup", str(args.warmup),
                         "-PipelineItems", str(args.pipeline_items), "-PipelineRepeats", str(args.pipeline_repeats)])
        served = emu.count() - before
    result = json.loads(run.stdout.strip().splitlines()[-1])
    samples, pipe = result["samples"], result["pipeline"]
    expected = (3 * (args.warmup + result["perRound"] * args.rounds)
                + args.pipeline_items * (args.pipeline_repeats + len(pipe["cmdlet"])))
    if served != expected:
        raise SystemExit(f"pwsh_warm: the emulator saw {served} requests, expected {expected}")

    stats = {name: Stats.of(s) for name, s in samples.items()}
    ours, raw, irm = stats["cmdlet"], stats["httpclient"], stats["irm"]
    print_stats(f"pwsh warm per call ({ours.n} calls per side, ms):", stats)
    print(f"  cmdlet/HttpClient p50 {ours.p50 / raw.p50:.2f}x, p99 {ours.p99 / raw.p99:.2f}x;"
          f" cmdlet/Invoke-RestMethod p50 {ours.p50 / irm.p50:.2f}x; overhead {ours.p50 - raw.p50:.3f} ms/call")
    pipeline: dict[str, object] = {"items": args.pipeline_items, "error": pipe["error"]}
    loop = Stats.of(pipe["foreach"])
    pipeline["foreach_ms"] = loop.p50
    print(f"pipeline of {args.pipeline_items} identity hashtables (median of {loop.n} runs):")
    print(f"  foreach HttpClient {loop.p50:8.1f} ms ({loop.p50 / args.pipeline_items:.3f} ms/item)")
    if pipe["cmdlet"]:
        piped = Stats.of(pipe["cmdlet"])
        pipeline["cmdlet_ms"] = piped.p50
        print(f"  piped into cmdlet  {piped.p50:8.1f} ms ({piped.p50 / args.pipeline_items:.3f} ms/item),"
              f" {piped.p50 / loop.p50:.2f}x")
    else:
        print(f"  piped into cmdlet  failed: {pipe['error']}")
    emit({"bench": "pwsh_warm", "stats": {k: v.as_dict() for k, v in stats.items()}, "pipeline": pipeline})


if __name__ == "__main__":
    main()
