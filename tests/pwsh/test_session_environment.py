"""The PowerShell session's environment reaches the Python core at every call (issue 14.1).

.NET on Unix keeps its own copy of the environment: ``$env:X = ...`` in a session never reaches the
C environment that Python's ``os.environ`` was read from. The host passes the changes on before each
call, so what a script sets (or removes) in its session is what the core reads: sign-in variables,
proxies, CA bundles and any other.
"""

from __future__ import annotations

import http.server
import os
import threading
from typing import Iterator

import pytest

from .conftest import CONNECT

SECRET = "session-env-S3cr3t-5521"


class _RecordingProxy(http.server.ThreadingHTTPServer):
    """A forward proxy that answers every request itself (204) and records its request line."""

    def __init__(self) -> None:
        self.lines: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.lines.append(self.requestline)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = self
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def proxy() -> Iterator[_RecordingProxy]:
    server = _RecordingProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clean_environment(monkeypatch) -> None:
    """pwsh starts without any of the variables the script sets, so only the session sets them."""
    for name in list(os.environ):
        if name.upper().startswith(("AZURE_", "IDENTITY_", "MSI_")) or name.lower().endswith("_proxy") \
                or name.upper() in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "BROWSER"):
            monkeypatch.delenv(name)


def test_session_environment_changes_reach_the_core_at_each_call(emulator, proxy, pwsh_json, clean_environment):
    script = CONNECT + r"""
$Login, $Tenant, $Ca, $Secret, $Proxy = $args[2..6]
$r = [ordered]@{}
function PyEnv([string] $Name) {
    $gil = [Python.Runtime.Py]::GIL()
    try { $v = [Python.Runtime.PythonEngine]::Eval("__import__('os').environ.get('$Name', '<unset>')"); "$v" } finally { $gil.Dispose() }
}
$r.hostVersion = (Get-MgContext).PSHostVersion -eq $Host.Version.ToString()
$null = Set-MgEnvironment -Name PwshTests -AzureADEndpoint $Login

# Any variable, set then removed in the session, as the core sees it after the next call.
$env:PWSHCOMPAT_SESSION_PROBE = 'set in the session'
$null = Get-MgEnvironment -Name Global
$r.probeSet = PyEnv PWSHCOMPAT_SESSION_PROBE
Remove-Item env:PWSHCOMPAT_SESSION_PROBE
$null = Get-MgEnvironment -Name Global
$r.probeRemoved = PyEnv PWSHCOMPAT_SESSION_PROBE

# The documented usage: sign-in variables and the CA bundle set in the session.
$env:REQUESTS_CA_BUNDLE = $Ca
$env:AZURE_TENANT_ID = $Tenant
$env:AZURE_CLIENT_ID = 'session-env-app'
$env:AZURE_CLIENT_SECRET = $Secret
try { Connect-MgGraph -EnvironmentVariable -Environment PwshTests -NoWelcome; $r.envVars = (Get-MgContext).ClientId }
catch { $r.envVars = 'ERROR ' + $_.Exception.Message }
Remove-Item env:AZURE_CLIENT_SECRET
try { Connect-MgGraph -EnvironmentVariable -Environment PwshTests -NoWelcome; $r.secretRemoved = 'connected' }
catch { $r.secretRemoved = 'ERROR ' + $_.Exception.Message }

# Proxies: set in the session, bypassed with NO_PROXY, removed again.
Connect-MgGraph -Environment PwshTests -AccessToken (ConvertTo-SecureString $args[1] -AsPlainText -Force) -NoWelcome
$env:HTTP_PROXY = $Proxy
$r.viaProxy = & $cmd -PresenceId viaproxy -Availability Busy -Activity Busy -PassThru
$env:NO_PROXY = '127.0.0.1'
$r.bypassed = & $cmd -PresenceId bypassed -Availability Busy -Activity Busy -PassThru
Remove-Item env:NO_PROXY
Remove-Item env:HTTP_PROXY
$r.direct = & $cmd -PresenceId direct -Availability Busy -Activity Busy -PassThru
$r | ConvertTo-Json -Compress
"""
    r = pwsh_json(script, emulator.graph_url, emulator.issue_token(), emulator.login_url, emulator.tenant_id,
                  emulator.ca_bundle, SECRET, proxy.url)
    assert r["hostVersion"] is True
    assert r["probeSet"] == "set in the session"
    assert r["probeRemoved"] == "<unset>"
    assert r["envVars"] == "session-env-app"
    assert r["secretRemoved"].startswith("ERROR ") and "AZURE_CLIENT_SECRET" in r["secretRemoved"]
    assert r["viaProxy"] is r["bypassed"] is r["direct"] is True
    assert [line.split()[1].rsplit("/", 2)[-2] for line in proxy.lines] == ["viaproxy"]
    assert proxy.lines[0].startswith(f"POST {emulator.graph_url}/beta/communications/presences/viaproxy/")
    sent = [req.path.split("/")[4] for req in emulator.requests if "/presences/" in req.path]
    assert sent == ["bypassed", "direct"]
