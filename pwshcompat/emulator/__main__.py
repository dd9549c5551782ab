"""python -m pwshcompat.emulator [--host 127.0.0.1] [--port 0] [--login-port 0] [--strict] [--app ID=SECRET]...
                                [--user ID]... [--log]

Prints the Graph URL (http), the login URL (https), the CA file to trust and the tenant id, one
``Name: value`` line each, then serves until interrupted (Ctrl+C or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .server import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pwshcompat.emulator",
                                     description="A local Microsoft Graph presence emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="Graph port (default: 0, any free port)")
    parser.add_argument("--login-port", type=int, default=0, help="sign-in port (default: 0, any free port)")
    parser.add_argument("--strict", action="store_true",
                        help="strict tenant: only registered apps and users (default: open tenant)")
    parser.add_argument("--app", action="append", default=[], metavar="ID=SECRET",
                        help="register an app (client id and secret) with the presence roles; repeatable")
    parser.add_argument("--user", action="append", default=[], metavar="ID",
                        help="add a user (a strict tenant knows no other); repeatable")
    parser.add_argument("--log", action="store_true", help="print one line per Graph request to stderr")
    args = parser.parse_args(argv)
    apps = [app.partition("=") for app in args.app]
    if any(not client_id or not sep or not secret for client_id, sep, secret in apps):
        parser.error("--app expects CLIENT_ID=SECRET")

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    with Emulator(args.host, args.port, login_port=args.login_port, strict=args.strict) as emu:
        for client_id, _, secret in apps:
            emu.register_app(client_id, secret=secret)
        for user in args.user:
            emu.add_user(user)
        print(f"Graph: {emu.graph_url}", flush=True)
        print(f"Login: {emu.login_url}", flush=True)
        print(f"CA bundle: {emu.ca_bundle}", flush=True)
        print(f"Tenant: {emu.tenant_id}", flush=True)
        shown = 0
        try:
            while not stop.wait(0.2):
                if args.log:
                    for request in emu.requests[shown:]:
                        print(f"{request.method} {request.path} -> {request.status or request.fault}",
                              file=sys.stderr, flush=True)
                    shown = len(emu.requests)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
