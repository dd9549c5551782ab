"""Run every benchmark and print the summary table (issue 7's targets, met or missed).

    bench/run                       # all benchmarks, full size (3-5 minutes on 2 cores)
    bench/run --quick               # small counts, to check that the benchmarks themselves work
    bench/run --ref HEAD            # benchmark a commit (exported to a temporary directory)
    bench/run --update-readme       # also rewrite the figures block in bench/README.md
    bench/run python_warm pwsh_cold # only these

With --ref, the git-ignored module/bin (Python.Runtime.dll, PwshCompat.Host.dll, python.json) is
copied from this checkout, so a commit whose host sources differ runs with this checkout's host.
Benchmarks run one after another (never concurrently: 2 cores), each in its own process with its
own emulator process, and each prints its details; this driver collects their JSON result lines.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
README = BENCH / "README.md"
BEGIN, END = "<!-- figures:begin (bench/run --update-readme) -->", "<!-- figures:end -->"

BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    # name: (full-size arguments, --quick arguments)
    "python_warm": ([], ["--calls", "200", "--rounds", "2", "--warmup", "20"]),
    "python_cold": ([], ["--runs", "3"]),
    "pwsh_warm": ([], ["--calls", "100", "--rounds", "2", "--warmup", "10", "--pipeline-items", "50",
                       "--pipeline-repeats", "1"]),
    "pwsh_cold": ([], ["--runs", "2"]),
    "throttled": ([], ["--updates", "250", "--rate-limit", "100/1s"]),
}


def export(ref: str, into: Path) -> str:
    """Write the tree of ``ref`` into ``into`` (plus the git-ignored module/bin); return its commit."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, check=True, capture_output=True,
                            text=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    shutil.copytree(REPO / "module/bin", into / "module/bin", dirs_exist_ok=True)
    return commit


def describe_tree() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "pwshcompat", "module", "src", "*.psd1"], cwd=REPO,
                           capture_output=True, text=True).stdout.strip()
    return f"{head} + uncommitted changes" if dirty else head


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
    pwsh = subprocess.run([str(Path.home() / ".dotnet/tools/pwsh"), "--version"], capture_output=True,
                          text=True).stdout.strip()
    return (f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; {pwsh}")


def run_one(name: str, args: list[str], env: dict[str, str]) -> dict[str, Any]:
    print(f"== {name}", flush=True)
    proc = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), *args], env=env, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    print("\n".join(lines[:-1]), flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench: {name} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = ["| what | pwshcompat | baseline (same run) | ratio / difference | target | |",
            "|---|---|---|---|---|---|"]
    if r := results.get("python_warm"):
        o, b, f = r["stats"]["pwshcompat"], r["stats"]["requests"], r["stats"]["socket"]
        p50, p99 = o["p50"] / b["p50"], o["p99"] / b["p99"]
        rows.append(f"| Python warm, per call ({o['n']} calls) | p50 {o['p50']:.3f} ms, p99 {o['p99']:.3f} ms "
                    f"| `requests.Session().post`: p50 {b['p50']:.3f} ms, p99 {b['p99']:.3f} ms "
                    f"| p50 {p50:.2f}×, p99 {p99:.2f}× ({o['p50'] - b['p50']:+.3f} ms/call) "
                    f"| ≤ 1.25× | {verdict(p50 <= 1.25 and p99 <= 1.25)} |")
        rows.append(f"| ↳ server + loopback floor | | raw keep-alive socket: p50 {f['p50']:.3f} ms | | | |")
    if r := results.get("python_cold"):
        o, b, bare = r["stats"]["pwshcompat"], r["stats"]["requests"], r["stats"]["python -c pass"]
        ratio = o["p50"] / b["p50"]
        rows.append(f"| Python process: start + import + one call ({o['n']} runs) | {o['p50']:.0f} ms "
                    f"| plain `requests`: {b['p50']:.0f} ms (`python3 -c pass`: {bare['p50']:.0f} ms) "
                    f"| {ratio:.2f}× ({o['p50'] - b['p50']:+.0f} ms) | ≤ 1.5× | {verdict(ratio <= 1.5)} |")
    if r := results.get("pwsh_warm"):
        o, h, i = r["stats"]["cmdlet"], r["stats"]["httpclient"], r["stats"]["irm"]
        ratio = o["p50"] / h["p50"]
        rows.append(f"| pwsh warm, per call ({o['n']} calls) | p50 {o['p50']:.3f} ms, p99 {o['p99']:.3f} ms "
                    f"| HttpClient: p50 {h['p50']:.3f} ms; Invoke-RestMethod: p50 {i['p50']:.3f} ms "
                    f"| {ratio:.2f}× HttpClient ({o['p50'] - h['p50']:+.3f} ms), {o['p50'] / i['p50']:.2f}× IRM "
                    f"| ≤ 2× HttpClient, < IRM | {verdict(ratio <= 2 and o['p50'] < i['p50'])} |")
        p = r["pipeline"]
        if "cmdlet_ms" in p:
            ours = f"{p['cmdlet_ms']:.0f} ms ({p['cmdlet_ms'] / p['items']:.2f} ms/item)"
            diff = f"{p['cmdlet_ms'] / p['foreach_ms']:.2f}×"
        else:
            ours, diff = f"fails: `{p['error'].split(':')[0]}`", "—"
        rows.append(f"| pipeline: {p['items']} identity hashtables piped in | {ours} "
                    f"| `foreach` of HttpClient POSTs: {p['foreach_ms']:.0f} ms | {diff} | report | |")
    if r := results.get("pwsh_cold"):
        o, bare, raw = r["wall"]["cmdlet"], r["wall"]["pwsh -c exit"], r["wall"]["HttpClient"]
        over = (o["p50"] - bare["p50"]) / 1000
        rows.append(f"| pwsh cold: Import-Module + Connect-MgGraph + first call ({o['n']} runs) | {o['p50']:.0f} ms "
                    f"| `pwsh -NoProfile -c exit`: {bare['p50']:.0f} ms (first call with bare HttpClient: "
                    f"{raw['p50']:.0f} ms) | +{over:.2f} s | ≤ +0.6 s | {verdict(over <= 0.6)} |")
        rss, floor = r["rss_mib"], r.get("rss_floor_mib", r["rss_mib"])
        extra = floor["cmdlet"] - floor["bare pwsh RSS"]
        rows.append(f"| pwsh memory after import + first call (floor of {o['n']} runs; median) "
                    f"| {floor['cmdlet']:.0f} MiB RSS; {rss['cmdlet']:.0f} MiB "
                    f"| bare pwsh: {floor['bare pwsh RSS']:.0f} MiB; {rss['bare pwsh RSS']:.0f} MiB "
                    f"| +{extra:.0f} MiB; +{rss['cmdlet'] - rss['bare pwsh RSS']:.0f} MiB | ≤ +60 MiB | {verdict(extra <= 60)} |")
    if r := results.get("throttled"):
        rows.extend(throttled_rows(r))
    return "\n".join(rows)


def throttled_rows(r: dict[str, Any]) -> list[str]:
    """Issue 17's goal: the updates at the rate limit, pacing on, beside pacing off (the original's)."""
    rows = []
    target_s, target_share = r["targets"]["seconds"], r["targets"]["refused_share"]
    for client, label in (("pwsh", f"pwsh, `ForEach-Object -Parallel -ThrottleLimit {r['threads']}`"),
                          ("python", f"Python, {r['threads']}-thread pool")):
        on, off = r["sides"].get(f"{client} on"), r["sides"].get(f"{client} off")
        if not on or not off:
            continue
        ok = (on["seconds"] <= target_s and on["refused_share"] <= target_share and on["errors"] == 0
              and on["wrong_states"] == 0)
        floor = r.get("floor_s", {}).get(client)
        rows.append(f"| {r['updates']} updates at {r['rate_limit']} (ceiling {r['ceiling_s']:.1f} s), {label}"
                    f"{f'; its empty loop: {floor:.1f} s' if floor else ''} "
                    f"| {on['seconds']:.2f} s, {on['refused_share']:.2%} answered 429, {on['errors']} errors, "
                    f"{on['wrong_states']} users wrong "
                    f"| pacing off (the original's retries): {off['seconds']:.2f} s, {off['refused_share']:.2%} 429, "
                    f"{off['errors']} errors, {off['wrong_states']} wrong "
                    f"| {on['seconds'] / off['seconds']:.2f}× time, {on['refused'] / max(off['refused'], 1):.2f}× 429s "
                    f"| ≤ {target_s:.1f} s, ≤ {target_share:.0%} 429, 0 errors, all right | {verdict(ok)} |")
    return rows


def update_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + block + "\n" + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="name",
                        help=f"benchmarks to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="small counts: checks the benchmarks, not the speed")
    parser.add_argument("--ref", help="benchmark this git revision instead of the working tree")
    parser.add_argument("--update-readme", action="store_true", help="write the table into bench/README.md")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)

    with tempfile.TemporaryDirectory(prefix="pwshcompat-bench.") as tmp:
        env = dict(os.environ)
        if args.ref:
            tree = f"commit {export(args.ref, Path(tmp))}"
            env["PWSHCOMPAT_BENCH_ROOT"] = tmp
        else:
            tree = f"working tree at {describe_tree()}"
        results = {name: run_one(name, BENCHMARKS[name][1 if args.quick else 0], env) for name in names}

    command = "bench/run" + (" --quick" if args.quick else "") + (f" --ref {args.ref}" if args.ref else "")
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (f"Measured {when} on {tree} with `{command}`.\n"
             f"Machine: {machine()}.\n\n{table(results)}")
    print("\n" + block)
    if args.update_readme:
        update_readme(block)
        print(f"\nbench: wrote the figures into {README.relative_to(REPO)}")


if __name__ == "__main__":
    main()
