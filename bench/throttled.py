"""Tenant-scale updates at Graph's ceiling (issue 17): shared pacing against the original's behaviour.

    python3 bench/throttled.py [--updates 4000] [--rate-limit 666/2s] [--rounds 1]

4,000 preferred-presence updates for 4,000 users, 16 at a time, against the emulator throttled
to 666 requests per 2-second window per application (Graph's 10,000 per 30 s, scaled so a run
takes seconds; refused requests count against the window, as Graph's do). The ceiling is
``updates / (limit / window)``: 12.0 s here. Two clients, each in a fresh process:

* **pwsh**: ``bench/throttled.ps1``, the module installed by name, ``ForEach-Object -Parallel
  -ThrottleLimit 16`` (the runspaces autoload the cmdlet);
* **Python**: ``Set_MgBetaCommunicationPresenceUserPreferredPresence`` from a 16-thread pool.

Each client runs with pacing on (the default) and off (``PWSHCOMPAT_PACING=off``: every request
retries on its own, as the original module does), alternating (off, on, then on, off), each run
against a fresh, empty window. The clients time the updates themselves (not their start, import
or sign-in). Afterwards the emulator reports every request's status and every user's preferred
presence: a run counts only if every user ended with the pair its update set.

Targets (issue 17): with pacing, at most 13.3 s (90 % of the ceiling), no error surfaced, every
final presence right, at most 1 % of requests answered 429.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import BENCH, PYTHON, ROOT, EmulatorProcess, emit, python_env, pwsh, timed_run

PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"),
         ("BeRightBack", "BeRightBack"), ("Away", "Away"), ("Offline", "OffWork")]
TARGET_SHARE_OF_CEILING = 0.9
TARGET_429_SHARE = 0.01


def python_client(url: str, token: str, count: int, prefix: str, threads: int) -> None:
    """The Python side, in its own process: prints ``{"seconds": ..., "errors": [...]}``."""
    from concurrent.futures import ThreadPoolExecutor

    import pwshcompat

    pwshcompat.Add_MgEnvironment(Name="BenchThrottled", GraphEndpoint=url,
                                 AzureADEndpoint="https://login.microsoftonline.com")
    pwshcompat.Connect_MgGraph(Environment="BenchThrottled", AccessToken=token, NoWelcome=True)

    def update(n: int) -> str | None:
        availability, activity = PAIRS[n % len(PAIRS)]
        try:
            pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
                PresenceId=f"{prefix}{n}", Availability=availability, Activity=activity)
        except pwshcompat.PSError as exc:
            return f"{n}: {exc.fully_qualified_error_id}: {exc.record.message}"
        return None

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        errors = [e for e in pool.map(update, range(count)) if e is not None]
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "errors": errors}), flush=True)


def install_modules(into: Path) -> None:
    """The modules installed by name into ``into`` (scripts/install-module's manifests)."""
    subprocess.run([PYTHON, str(ROOT / "scripts" / "generate_module.py"), "--install-to", str(into)], cwd=ROOT,
                   check=True, capture_output=True, env=python_env())


def run_side(client: str, pacing: str, emu: EmulatorProcess, args: argparse.Namespace, modules: Path,
             prefix: str) -> dict[str, Any]:
    env = python_env()
    env["PWSHCOMPAT_PACING"] = pacing
    if client == "pwsh":
        env["PSModulePath"] = os.pathsep.join([str(modules), env.get("PSModulePath", "")])
        argv = [pwsh(), "-NoProfile", "-NonInteractive", "-File", str(BENCH / "throttled.ps1"), "-GraphUrl", emu.url,
                "-Token", emu.token, "-Count", str(args.updates), "-Prefix", prefix,
                "-ThrottleLimit", str(args.threads)]
    else:
        argv = [PYTHON, str(BENCH / "throttled.py"), "--client", emu.url, emu.token, str(args.updates), prefix,
                str(args.threads)]
    emu.reset()
    if args.prefill:
        emu.prefill(args.prefill, prefix)
    run = timed_run(argv, env=env)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    seen = emu.summary(prefix, args.updates)
    if args.timeline:
        print(f"  {client:6} pacing {pacing:3}: {describe_timeline(emu.timeline(prefix))}", flush=True)
    statuses = {int(k): v for k, v in seen["statuses"].items() if k != "None"}
    wrong = sum(1 for n, state in enumerate(seen["states"]) if state != list(PAIRS[n % len(PAIRS)]))
    requests = sum(seen["statuses"].values())
    return {"client": client, "pacing": pacing, "seconds": result["seconds"], "errors": len(result["errors"]),
            "first_errors": result["errors"][:3], "requests": requests, "refused": statuses.get(429, 0),
            "wrong_states": wrong}


def describe_timeline(arrivals: list[tuple[float, int | None]], step: float = 0.5) -> str:
    """Requests per ``step`` seconds as the emulator saw them arrive, with the 429s among them in
    brackets: ``"301 330[1] 0 ..."``."""
    if not arrivals:
        return "(no requests)"
    bins = [[0, 0] for _ in range(int(arrivals[-1][0] // step) + 1)]
    for seconds, status in arrivals:
        counts = bins[int(seconds // step)]
        counts[0] += 1
        counts[1] += status == 429
    return f"per {step:g} s: " + " ".join(f"{n}[{r}]" if r else str(n) for n, r in bins)


def empty_loop(emu: EmulatorProcess, args: argparse.Namespace, modules: Path) -> float:
    """Seconds for the pwsh side's ForEach-Object -Parallel loop with an empty body (its floor)."""
    env = python_env()
    env["PSModulePath"] = os.pathsep.join([str(modules), env.get("PSModulePath", "")])
    run = timed_run([pwsh(), "-NoProfile", "-NonInteractive", "-File", str(BENCH / "throttled.ps1"), "-GraphUrl",
                     emu.url, "-Token", emu.token, "-Count", str(args.updates), "-Prefix", "floor-",
                     "-ThrottleLimit", str(args.threads), "-EmptyLoop"], env=env)
    return float(json.loads(run.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        url, token, count, prefix, threads = sys.argv[2:7]
        python_client(url, token, int(count), prefix, int(threads))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=4000)
    parser.add_argument("--rate-limit", default="666/2s", help="N/Ws: requests per window per application")
    parser.add_argument("--threads", type=int, default=16, help="ForEach-Object -ThrottleLimit / thread pool size")
    parser.add_argument("--rounds", type=int, default=1, help="each round runs off, on, on, off per client")
    parser.add_argument("--clients", default="pwsh,python")
    parser.add_argument("--pacing", default="off,on,on,off", help="the order of the runs in a round")
    parser.add_argument("--timeline", action="store_true",
                        help="print each run's requests per 0.5 s as the emulator saw them, 429s in brackets")
    parser.add_argument("--no-floor", action="store_true", help="skip the empty pwsh loop")
    parser.add_argument("--prefill", type=int, default=0,
                        help="another client of the same application sends this many requests just as each run "
                             "starts (counted against the window at the first answer): a window the first burst "
                             "finds nearly full (bench/FINDINGS.md section 15b); the goal's figures are without it")
    args = parser.parse_args()
    match = re.fullmatch(r"(\d+)/(\d+(?:\.\d+)?)s?", args.rate_limit)
    if not match:
        parser.error("--rate-limit takes N/Ws, like 666/2s")
    ceiling = args.updates / (int(match.group(1)) / float(match.group(2)))
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if not set(args.pacing.split(",")) <= {"on", "off"}:
        parser.error(f"--pacing takes on and off separated by commas, like off,on,on,off; got {args.pacing!r}")

    runs: list[dict[str, Any]] = []
    load = os.getloadavg()[0]
    print(f"load average at the start: {load:.2f} (the pwsh side needs most of a core: bench/FINDINGS.md section 12)")
    with tempfile.TemporaryDirectory(prefix="pwshcompat-throttled.") as tmp, \
            EmulatorProcess(rate_limit=args.rate_limit) as emu:
        modules = Path(tmp) / "Modules"
        install_modules(modules)
        floors: list[float] = []
        for r in range(args.rounds):
            if "pwsh" in clients and not args.no_floor:
                floors.append(empty_loop(emu, args, modules))
                print(f"  pwsh   empty loop: {floors[-1]:6.2f} s (ForEach-Object -Parallel alone)", flush=True)
            for client in clients:
                for pacing in args.pacing.split(","):
                    run = run_side(client, pacing, emu, args, modules, f"{client}-{pacing}-{len(runs)}-")
                    runs.append(run)
                    print(f"  {client:6} pacing {pacing:3}: {run['seconds']:6.2f} s, {run['refused']:4} of "
                          f"{run['requests']} requests answered 429, {run['errors']} errors, "
                          f"{run['wrong_states']} users wrong" + (f"  e.g. {run['first_errors'][0]}"
                                                                  if run["errors"] else ""), flush=True)

    sides: dict[str, dict[str, Any]] = {}
    print(f"{args.updates} updates at {args.rate_limit} (ceiling {ceiling:.1f} s), {args.threads} at a time; "
          f"medians of {2 * args.rounds} runs per side:")
    for client in clients:
        for pacing in ("on", "off"):
            mine = [r for r in runs if r["client"] == client and r["pacing"] == pacing]
            if not mine:
                continue
            side = {
                "seconds": statistics.median(r["seconds"] for r in mine),
                "seconds_max": max(r["seconds"] for r in mine),
                "refused_share": statistics.median(r["refused"] / r["requests"] for r in mine),
                "refused": statistics.median(r["refused"] for r in mine),
                "errors": max(r["errors"] for r in mine),
                "wrong_states": max(r["wrong_states"] for r in mine),
                "runs": len(mine),
            }
            sides[f"{client} {pacing}"] = side
            print(f"  {client:6} pacing {pacing:3}: {side['seconds']:6.2f} s ({side['seconds'] / ceiling:.0%} of "
                  f"the ceiling's time), 429s {side['refused_share']:.2%}, errors {side['errors']}, "
                  f"wrong states {side['wrong_states']}")
        if f"{client} on" not in sides or f"{client} off" not in sides:
            continue
        on, off = sides[f"{client} on"], sides[f"{client} off"]
        print(f"  {client}: pacing on/off time {on['seconds'] / off['seconds']:.2f}x, "
              f"429s {on['refused'] / max(off['refused'], 1):.2f}x")
    floor = {"pwsh": statistics.median(floors)} if floors else {}
    if floor:
        print(f"  pwsh: the same ForEach-Object -Parallel loop with an empty body took {floor['pwsh']:.2f} s")
    emit({"bench": "throttled", "updates": args.updates, "rate_limit": args.rate_limit, "ceiling_s": ceiling,
          "threads": args.threads, "sides": sides, "runs": runs, "floor_s": floor, "load_average": load,
          "targets": {"seconds": ceiling / TARGET_SHARE_OF_CEILING, "refused_share": TARGET_429_SHARE}})


if __name__ == "__main__":
    main()
