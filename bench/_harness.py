"""Shared pieces of the benchmarks: statistics, the emulator process, timed subprocesses.

Every benchmark compares pwshcompat with a raw baseline *in the same run* against the same
emulator, so drift of the machine (2 shared cores) hits both sides alike. The emulator runs in
its own process (``bench/serve.py``) so that its threads never compete for the client's GIL.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

BENCH = Path(__file__).resolve().parent
# The checkout under test: this one, or another tree (bench/run --ref exports a commit there).
ROOT = Path(os.environ.get("PWSHCOMPAT_BENCH_ROOT") or BENCH.parent).resolve()
PYTHON = sys.executable
# The benchmark scripts run as ``python3 bench/<name>.py``: make the checkout importable.
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))


def pwsh() -> str:
    """The pwsh that scripts/setup installed (a .NET global tool), else the one on PATH."""
    tool = Path.home() / ".dotnet/tools/pwsh"
    return str(tool) if tool.exists() else "pwsh"


@dataclass(frozen=True)
class Stats:
    """Summary of one sample of durations, in milliseconds."""

    n: int
    p50: float
    p99: float
    mean: float
    min: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> "Stats":
        ordered = sorted(samples_ms)
        # Nearest-rank p99: with 2,000 samples this is the 20th slowest call.
        rank = max(0, min(len(ordered) - 1, int(round(0.99 * len(ordered))) - 1))
        return cls(len(ordered), statistics.median(ordered), ordered[rank], statistics.fmean(ordered), ordered[0])

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "p50": self.p50, "p99": self.p99, "mean": self.mean, "min": self.min}


def print_stats(title: str, stats: Mapping[str, Stats], *, fields: Sequence[str] = ("p50", "p99", "mean"),
                digits: int = 3, width: int = 11) -> None:
    """A benchmark's title line, then one line per side with the chosen figures."""
    print(title)
    for name, s in stats.items():
        print(f"  {name:<{width}} " + "  ".join(f"{field} {getattr(s, field):7.{digits}f}" for field in fields))


class EmulatorProcess:
    """``bench/serve.py`` in a child process: the emulator on 127.0.0.1 plus a token it accepts.

        with EmulatorProcess() as emu:
            emu.url, emu.token, emu.count()
    """

    def __init__(self, *, rate_limit: str | None = None) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._args = ["--rate-limit", rate_limit] if rate_limit else []
        self.url = ""
        self.token = ""

    def __enter__(self) -> "EmulatorProcess":
        self._proc = subprocess.Popen(
            [PYTHON, str(BENCH / "serve.py"), *self._args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=python_env(),
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("bench/serve.py exited before printing its address")
        ready = json.loads(line)
        self.url, self.token = ready["url"], ready["token"]
        return self

    def _ask(self, command: str) -> str:
        assert self._proc and self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._proc.stdout.readline().strip()

    def count(self) -> int:
        """How many requests the emulator has answered so far (any status)."""
        return int(self._ask("count"))

    def reset(self) -> None:
        """Forget requests, state and throttling counts (a fresh, empty rate-limit window)."""
        if self._ask("reset") != "ok":
            raise RuntimeError("bench/serve.py did not reset")

    def summary(self, prefix: str, users: int) -> dict[str, Any]:
        """Statuses of the requests for users ``prefix*`` and the preferred presence of ``prefix0..``."""
        return dict(json.loads(self._ask(f"summary {prefix} {users}")))

    def prefill(self, count: int, prefix: str) -> None:
        """When the first request for users ``prefix*`` has been answered, ``count`` requests of the
        same application are counted against the window at once (another client's, just then)."""
        if self._ask(f"prefill {count} {prefix}") != "ok":
            raise RuntimeError("bench/serve.py did not arm the prefill")

    def timeline(self, prefix: str) -> list[tuple[float, int | None]]:
        """When each request for users ``prefix*`` arrived (seconds after the first) and its status."""
        return [(float(t), s) for t, s in json.loads(self._ask(f"timeline {prefix}"))]

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=10)


def python_env() -> dict[str, str]:
    """The environment for child processes: the checkout under test on sys.path, bytecode cached."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PATH"] = str(Path.home() / ".dotnet/tools") + os.pathsep + env.get("PATH", "")
    env["NO_COLOR"] = "1"
    # An installed package has its bytecode cached; a checkout without it recompiles every module
    # at each start (about 20 ms for pwshcompat). Cache it outside the tree, as an install would.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "pwshcompat-bench-pycache")
    env.setdefault("POWERSHELL_TELEMETRY_OPTOUT", "1")
    env.setdefault("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
    return env


@dataclass(frozen=True)
class Run:
    """One finished child process: wall time, peak RSS and its output."""

    wall_ms: float
    max_rss_mib: float
    stdout: str


def timed_run(argv: Sequence[str], *, env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to completion from the repository root: wall time and peak RSS.

    The child is reaped with ``os.wait4`` so its own ``ru_maxrss`` is read (not the sum over all
    children). Raises when the child fails, so a broken side never reports a flattering time.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                env=env or python_env())
        _, status, usage = os.wait4(proc.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return Run(wall, usage.ru_maxrss / 1024, stdout)


PRESENCE_ID = "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"
CMDLET_ARGS: dict[str, Any] = {"PresenceId": PRESENCE_ID, "Availability": "Busy", "Activity": "Busy"}


def connect(pwshcompat: Any, url: str, token: str, name: str) -> None:
    """Add-MgEnvironment + Connect-MgGraph -AccessToken through the Python API."""
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint=url, AzureADEndpoint="https://login.microsoftonline.com")
    pwshcompat.Connect_MgGraph(Environment=name, AccessToken=token, NoWelcome=True)


def capture_request() -> tuple[str, str, dict[str, str], bytes]:
    """What pwshcompat sends for CMDLET_ARGS (method, path, content headers, body), so that each
    baseline replays exactly that request, whatever the current pwshcompat sends."""
    import pwshcompat
    from pwshcompat.emulator import Emulator

    with Emulator() as emu:
        connect(pwshcompat, emu.graph_url, emu.issue_token(), "BenchCapture")
        pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(**CMDLET_ARGS)
        (req,) = emu.requests
    keep = {k: v for k, v in req.headers.items() if k in ("content-type", "accept")}
    return req.method, req.path, keep, req.body


def emit(result: dict[str, Any]) -> None:
    """Print a benchmark's result as the last line of stdout, for bench/run to collect."""
    print(json.dumps(result), flush=True)
