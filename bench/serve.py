"""The emulator in its own process for the benchmarks: ``python3 bench/serve.py``.

Prints one JSON line ``{"url": ..., "token": ...}`` (a token this emulator accepts), then answers
``count`` on stdin with the number of requests received so far, and exits at end of input.
Running the server in a separate process keeps its threads off the measured client's GIL.
"""

from __future__ import annotations

import json
import sys

from pwshcompat.emulator import Emulator


def main() -> None:
    with Emulator() as emu:
        print(json.dumps({"url": emu.graph_url, "token": emu.issue_token()}), flush=True)
        for line in sys.stdin:
            if line.strip() == "count":
                print(len(emu.requests), flush=True)


if __name__ == "__main__":
    main()
