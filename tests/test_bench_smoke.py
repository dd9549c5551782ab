"""The benchmark machinery still works (bench/smoke: a second, not a measurement; no times asserted)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_smoke_serves_every_side_of_the_python_warm_benchmark() -> None:
    done = subprocess.run([str(ROOT / "bench" / "smoke")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("bench smoke: ok"), done.stdout
