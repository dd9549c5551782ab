"""Cold-start phases of a pwsh script using the module: ``python3 bench/profile_cold.py [--runs 3]``.

Starts the emulator and runs bench/profile_cold.ps1 in fresh pwsh processes; each prints where its
time went (process start to script, ConvertTo-SecureString, Import-Module, Add-MgEnvironment,
Connect-MgGraph, first and second call).
"""

from __future__ import annotations

import argparse

from _harness import BENCH, ROOT, EmulatorProcess, pwsh, timed_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with EmulatorProcess() as emu:
        for n in range(args.runs):
            run = timed_run([pwsh(), "-NoProfile", "-NonInteractive", "-File", str(BENCH / "profile_cold.ps1"),
                             "-Root", str(ROOT), "-GraphUrl", emu.url, "-Token", emu.token])
            print(f"run {n + 1}: {run.wall_ms:.0f} ms from spawn to exit\n{run.stdout}", end="")


if __name__ == "__main__":
    main()
