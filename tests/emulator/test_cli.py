"""``python -m pwshcompat.emulator``: start errors, --rate-limit, --host 0.0.0.0 and an untrusted CA
(issue 15.10, 17.1, 19.6). Each test runs the emulator as its own process, as a user would."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
import requests
from cryptography import x509

from .conftest import USER

ROOT = Path(__file__).resolve().parents[2]
PROG = "python -m pwshcompat.emulator"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pwshcompat.emulator", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


class Standalone:
    """A running ``python -m pwshcompat.emulator``: its printed lines and stderr."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "pwshcompat.emulator", *args], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.lines = dict(self.process.stdout.readline().rstrip("\n").split(": ", 1) for _ in range(4))

    def stop(self) -> str:
        self.process.terminate()
        _, stderr = self.process.communicate(timeout=10)
        assert self.process.returncode == 0, stderr
        return stderr

    def token(self) -> str:
        form = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default",
                "client_id": "bench-app", "client_secret": "x"}
        response = requests.post(f"{self.lines['Login']}/{self.lines['Tenant']}/oauth2/v2.0/token", data=form,
                                 verify=self.lines["CA bundle"], timeout=10)
        return response.json()["access_token"]


@pytest.fixture
def standalone(request: pytest.FixtureRequest) -> Iterator[Standalone]:
    emulator = Standalone(*getattr(request, "param", ()))
    try:
        yield emulator
    finally:
        if emulator.process.poll() is None:
            emulator.stop()


# -- 15.10: start errors -----------------------------------------------------------------------
@pytest.mark.parametrize("args,words", [
    (["--port", "70000"], "--port 70000 is out of range"),
    (["--login-port", "-1"], "--login-port -1 is out of range"),
    (["--host", "192.0.2.254"], "this machine has no such address"),
    (["--rate-limit", "fast"], "--rate-limit: expected REQUESTS/WINDOW"),
    (["--rate-limit", "0/2s"], "--rate-limit: total must be"),
    (["--app", "no-secret"], "--app expects CLIENT_ID=SECRET"),
])
def test_a_start_that_cannot_happen_is_one_line_and_status_2(args, words):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{PROG}: error: ") and words in lines[0], result.stderr


def test_a_port_in_use_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--port", str(port))
    assert result.returncode == 2
    assert result.stderr == (f"{PROG}: error: cannot listen on 127.0.0.1:{port} (Graph): the address is already "
                             "in use; pick another --port/--login-port or 0\n")


def test_help_documents_the_remote_control_flag_and_rate_limit():
    result = run("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--allow-remote-control" in text and "--rate-limit N/WINDOW" in text
    assert "control API still refuses them unless --allow-remote-control is given" in text


# -- 17.1: --rate-limit ------------------------------------------------------------------------
@pytest.mark.parametrize("standalone", [("--rate-limit", "3/1h")], indirect=True)
def test_rate_limit_from_the_command_line(standalone):
    headers = {"Authorization": f"Bearer {standalone.token()}"}
    url = f"{standalone.lines['Graph']}/beta/communications/presences/{USER}/setUserPreferredPresence"
    body = {"availability": "Busy", "activity": "Busy"}
    statuses = [requests.post(url, json=body, headers=headers, timeout=10) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert 0 < int(statuses[-1].headers["Retry-After"]) <= 3600


# -- 19.6: --host 0.0.0.0 ----------------------------------------------------------------------
@pytest.mark.parametrize("standalone", [("--host", "0.0.0.0")], indirect=True)
def test_listening_on_every_interface_prints_usable_urls_and_warns(standalone):
    graph, login = standalone.lines["Graph"], standalone.lines["Login"]
    assert graph.startswith("http://127.0.0.1:") and login.startswith("https://127.0.0.1:")
    assert requests.get(f"{graph}/v1.0/users/{USER}/presence", timeout=10).status_code == 401   # it answers
    headers = {"Authorization": f"Bearer {standalone.token()}"}            # the printed CA works for the login URL
    assert requests.get(f"{graph}/v1.0/users/{USER}/presence", headers=headers, timeout=10).ok
    # The certificate also names this machine, so other machines can use the sign-in URL.
    host, port = login[len("https://"):].rsplit(":", 1)
    context = ssl.create_default_context(cafile=standalone.lines["CA bundle"])
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            cert = x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert socket.gethostname() in names.get_values_for_type(x509.DNSName)
    stderr = standalone.stop()
    assert "warning: listening on 0.0.0.0" in stderr and "--allow-remote-control" in stderr
    assert f"http://{socket.gethostname()}:{graph.rsplit(':', 1)[1]}" in stderr


# -- 15.10: a client that does not trust the CA --------------------------------------------------
def test_a_client_without_the_ca_is_told_which_file_to_trust(standalone, tmp_path):
    """Sign-in against a standalone emulator without REQUESTS_CA_BUNDLE: the error names the CA file."""
    script = textwrap.dedent("""
        import sys
        import pwshcompat
        from pwshcompat import bridge
        pwshcompat.invoke("Add-MgEnvironment", Name="Standalone", AzureADEndpoint=sys.argv[1],
                          GraphEndpoint=sys.argv[2])
        result = bridge.invoke("Connect-MgGraph", "AppSecretCredentialParameterSet", {
            "ClientSecretCredential": {"UserName": "app", "Password": "canary-Zq9"}, "TenantId": sys.argv[3],
            "Environment": "Standalone"})
        print(result["terminating"]["message"])
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", script, standalone.lines["Login"], standalone.lines["Graph"],
                             standalone.lines["Tenant"]], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    message = result.stdout.strip()
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert f"REQUESTS_CA_BUNDLE={standalone.lines['CA bundle']}" in message


def test_the_hint_is_only_for_pwshcompat_emulators(emu):
    from pwshcompat.emulator.tls import untrusted_emulator_hint

    failure = ssl.SSLCertVerificationError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    assert emu.ca_bundle in untrusted_emulator_hint(emu.login_url, failure)
    assert untrusted_emulator_hint(emu.login_url, ssl.SSLError("handshake failure")) is None
    assert untrusted_emulator_hint(emu.graph_url, failure) is None                 # http: no certificate
    assert untrusted_emulator_hint("https://127.0.0.1:9/", failure) is None        # nobody there
