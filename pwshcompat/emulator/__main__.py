"""python -m pwshcompat.emulator [--host 127.0.0.1] [--port 0] [--login-port 0] [--strict] [--app ID=SECRET]...
                                [--user ID]... [--rate-limit N/WINDOW] [--allow-remote-control] [--log]

Prints the Graph URL (http), the login URL (https), the CA file to trust and the tenant id, one
``Name: value`` line each, then serves until interrupted (Ctrl+C or SIGTERM). A start that cannot
happen (a port taken or out of range, an address this machine does not have) prints one
``python -m pwshcompat.emulator: error: ...`` line to stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import threading
from types import FrameType
from typing import NoReturn

from .server import Emulator
from .throttling import parse_rate

PROG = "python -m pwshcompat.emulator"
_EPILOG = """\
Security: the emulator's tenant is open (any client id and secret get a token) and its control API
(/_emulator/: reset, clock, faults, the request log) needs no token. Both are meant for this
machine: with --host 0.0.0.0 (every interface) other machines can sign in and call Graph, but the
control API still refuses them unless --allow-remote-control is given. Printed URLs always use an
address that works from this machine (127.0.0.1 for 0.0.0.0); other machines use this machine's
name, which the sign-in certificate then also names.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="A local Microsoft Graph presence emulator.",
                                     epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1; 0.0.0.0 listens on every interface, see below)")
    parser.add_argument("--port", type=int, default=0, help="Graph port, 0-65535 (default: 0, any free port)")
    parser.add_argument("--login-port", type=int, default=0, help="sign-in port, 0-65535 (default: 0, any free port)")
    parser.add_argument("--strict", action="store_true",
                        help="strict tenant: only registered apps and users (default: open tenant)")
    parser.add_argument("--app", action="append", default=[], metavar="ID=SECRET",
                        help="register an app (client id and secret) with the presence roles; repeatable")
    parser.add_argument("--user", action="append", default=[], metavar="ID",
                        help="add a user (a strict tenant knows no other); repeatable")
    parser.add_argument("--rate-limit", metavar="N/WINDOW",
                        help="throttle like Graph: at most N requests per WINDOW per application, e.g. 666/2s "
                             "or 10000/30s (window units ms, s, m, h); refused requests get 429 with Retry-After")
    parser.add_argument("--allow-remote-control", action="store_true",
                        help="let other machines (and non-loopback Host names) use the /_emulator/ control API")
    parser.add_argument("--log", action="store_true", help="print one line per Graph request to stderr")
    args = parser.parse_args(argv)
    apps = [app.partition("=") for app in args.app]
    if any(not client_id or not sep or not secret for client_id, sep, secret in apps):
        _fail("--app expects CLIENT_ID=SECRET")
    for option, port in (("--port", args.port), ("--login-port", args.login_port)):
        if not 0 <= port <= 65535:
            _fail(f"{option} {port} is out of range: a port is 0-65535 (0 picks a free one)")
    rate = None
    if args.rate_limit is not None:
        try:
            rate = parse_rate(args.rate_limit)
        except ValueError as exc:
            _fail(f"--rate-limit: {exc}")

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        emu = Emulator(args.host, args.port, login_port=args.login_port, strict=args.strict,
                       allow_remote_control=args.allow_remote_control)
    except OSError as exc:
        _fail(_bind_error(args, exc))
    with emu:
        for client_id, _, secret in apps:
            emu.register_app(client_id, secret=secret)
        for user in args.user:
            emu.add_user(user)
        if rate is not None:
            emu.set_rate_limits(reads=None, total=rate[0], window=rate[1])
        print(f"Graph: {emu.graph_url}", flush=True)
        print(f"Login: {emu.login_url}", flush=True)
        print(f"CA bundle: {emu.ca_bundle}", flush=True)
        print(f"Tenant: {emu.tenant_id}", flush=True)
        _warn_if_exposed(emu, args.allow_remote_control)
        seen = 0
        try:
            while not stop.wait(0.2):
                if args.log:
                    seen = _print_new_requests(emu, seen)
        except KeyboardInterrupt:
            pass
    return 0


def _fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def _bind_error(args: argparse.Namespace, exc: OSError) -> str:
    """One line for an address that cannot be bound (which port, and why in words)."""
    fixed = [f"{args.host}:{port} ({name})" for name, port in (("Graph", args.port), ("sign-in", args.login_port)) if port]
    where = " or ".join(fixed) or args.host
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {where}: the address is already in use; pick another --port/--login-port or 0"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {args.host}: this machine has no such address (try 127.0.0.1 or 0.0.0.0)"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {where}: permission denied (ports below 1024 need privileges)"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where}: {reason}"


def _warn_if_exposed(emu: Emulator, remote_control: bool) -> None:
    host = emu.bind_host
    if host in ("127.0.0.1", "::1", "localhost") or host.startswith("127."):
        return
    import socket

    name = socket.gethostname()
    graph_port, login_port = emu.graph_url.rsplit(":", 1)[1], emu.login_url.rsplit(":", 1)[1]
    print(f"{PROG}: warning: listening on {host}: other machines can sign in to the open tenant and call Graph "
          f"at http://{name}:{graph_port} and https://{name}:{login_port} (the certificate names this machine); "
          + ("--allow-remote-control: they can also use the /_emulator/ control API."
             if remote_control else "the /_emulator/ control API refuses them (--allow-remote-control allows it)."),
          file=sys.stderr, flush=True)


def _print_new_requests(emu: Emulator, seen: int) -> int:
    """Print requests numbered ``seen`` and later; returns the next number (the log drops old entries)."""
    log = emu.requests
    start = max(0, seen - log.dropped)
    for request in list(log[start:]):
        print(f"{request.method} {request.path} -> {request.status or request.fault}", file=sys.stderr, flush=True)
    return log.dropped + len(log)


if __name__ == "__main__":
    sys.exit(main())
