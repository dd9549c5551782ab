"""python -m pwshcompat.emulator [--host 127.0.0.1] [--port 0]"""

from __future__ import annotations

import argparse
import threading

from .server import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m pwshcompat.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with Emulator(args.host, args.port) as emu:
        print(f"Graph: {emu.graph_url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
