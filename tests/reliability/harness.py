"""Helpers shared by the reliability and security tests: connecting each surface to an emulator.

PowerShell runs are batched: one pwsh process runs a whole table, and a *marker* call (a valid
request to ``presences/mark-<n>``) before each row lets the test attribute every request the
emulator logged to the row that caused it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pwshcompat.emulator import Emulator

from conftest import connect

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
MARK_PREFIX = "/beta/communications/presences/mark-"

PS_CONNECT = """
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
Add-MgEnvironment -Name Reliability -GraphEndpoint $args[0] -AzureADEndpoint https://login.local | Out-Null
Connect-MgGraph -Environment Reliability -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
"""


def connect_python(emulator: Emulator, name: str = "Reliability", token: str | None = None) -> str:
    """Point the in-process Python API at ``emulator``; returns the bearer token it uses."""
    token = token or emulator.issue_token()
    connect(emulator.graph_url, name, token)
    return token


def cli_env(emulator: Emulator, token: str, home: Path) -> dict[str, str]:
    """Environment for ``python -m pwshcompat``: a private HOME and the connection in the variables
    the CLI reads (``pwshcompat/cli.py``: a bearer token and a custom Graph endpoint)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PWSHCOMPAT_", "AZURE_"))}
    env.update(HOME=str(home), NO_COLOR="1", PWSHCOMPAT_GRAPH_ENDPOINT=emulator.graph_url,
               PWSHCOMPAT_ACCESS_TOKEN=token)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "pwshcompat", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def last_json_line(stdout: str, prefix: str) -> Any:
    """The JSON that a pwsh script printed on its last line starting with ``prefix``."""
    lines = [line for line in stdout.splitlines() if line.startswith(prefix)]
    if not lines:
        raise AssertionError(f"no line starting with {prefix!r} in output:\n{stdout[-4000:]}")
    return json.loads(lines[-1][len(prefix):])


def requests_by_marker(emulator: Emulator) -> dict[int, list[Any]]:
    """Requests the emulator logged after the marker ``mark-<n>`` and before the next marker."""
    rows: dict[int, list[Any]] = {}
    current: int | None = None
    for req in list(emulator.requests):
        if req.path.startswith(MARK_PREFIX):
            current = int(req.path[len(MARK_PREFIX):].split("/", 1)[0])
            rows[current] = []
        elif current is not None:
            rows[current].append(req)
    return rows


class Loopback:
    """A tiny HTTP(S) server on 127.0.0.1 whose answers a test writes; it records what arrives.

    ``answer(handler, record)`` writes the response; ``record`` is (method, path, headers).
    ``tls`` wraps the listening socket, for certificate tests. ``release`` ends any answer that
    waits on it (a server that never replies).
    """

    def __init__(self, answer: Any, tls: Any = None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[tuple[str, str, dict[str, str]]] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                record = (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
                outer.received.append(record)
                answer(self, record)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # failed TLS handshakes and clients that hang up are expected here

        self._httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, scheme: str = "http", host: str = "127.0.0.1") -> str:
        return f"{scheme}://{host}:{self.port}"

    def __enter__(self) -> "Loopback":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def reply(handler: Any, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def self_signed_tls(directory: Path) -> tuple[Any, Path]:
    """A server SSL context with a fresh self-signed certificate for 127.0.0.1, and its PEM file."""
    import ipaddress
    import ssl
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pwshcompat reliability test")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file
