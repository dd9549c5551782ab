"""Invoke-MgGraphRequest and the request context hand PowerShell the original's .NET types
(issues 14.2 to 14.5): a case-insensitive Hashtable, a real HttpResponseMessage, an
HttpResponseException with its response, and the RequestContext object; and (brief K item 7)
the original's ErrorDetails, PSObject value types and error for names differing only in case.

A small Graph-shaped server on 127.0.0.1 serves a list in two pages (the emulator has no paged
resource) and a 404 with a Graph error body.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

from pwshcompat.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
$Graph, $Token = $args[0..1]
Import-Module ./Microsoft.Graph.Beta.CloudCommunications.psd1
$null = Add-MgEnvironment -Name PagedTests -GraphEndpoint $Graph -AzureADEndpoint https://login.microsoftonline.com
Connect-MgGraph -Environment PagedTests -AccessToken (ConvertTo-SecureString $Token -AsPlainText -Force) -NoWelcome
$r = [ordered]@{}

# 14.3: a case-insensitive Hashtable, nested too, and the usual paging loop.
$page = Invoke-MgGraphRequest -Uri /v1.0/users
$r.type = $page.GetType().FullName
$r.isHashtable = $page -is [hashtable]
$r.caseInsensitive = $page.ContainsKey('@ODATA.NEXTLINK') -and $page['VALUE'].Count -eq 2
$r.arrayType = $page.value.GetType().FullName
$first = $page.value[0]
$r.nested = ($first -is [hashtable]) -and ($first['DISPLAYNAME'] -eq 'Adele') -and ($first.manager -is [hashtable]) -and ($first.manager['ID'] -eq 'm1')
$r.integer = $first.count.GetType().FullName
$r.number = $first.ratio.GetType().FullName
$r.date = '{0}|{1}' -f $first.createdDateTime.GetType().FullName, $first.createdDateTime.Kind
$r.dateOnly = $first.birthday.GetType().FullName
$r.text = $first.note.GetType().FullName
$names = @($page.value | ForEach-Object displayName)
while ($page.ContainsKey('@odata.nextLink')) {
    $page = Invoke-MgGraphRequest -Uri $page['@odata.nextLink']
    $names += $page.value | ForEach-Object displayName
}
$r.paged = $names -join ','
$r.psObject = (Invoke-MgGraphRequest -Uri /v1.0/users -OutputType PSObject).GetType().FullName

# K.7: -OutputType PSObject values take the JSON reader's types too; names differing only in case.
$p = (Invoke-MgGraphRequest -Uri /v1.0/users -OutputType PSObject).value[0]
$r.psTypes = @($p.count, $p.ratio, $p.createdDateTime, $p.birthday, $p.manager, $p.tags) | ForEach-Object { $_.GetType().FullName }
$r.psDateKind = "$($p.createdDateTime.Kind)"
$r.psTagTypes = @($p.tags | ForEach-Object { $_.GetType().FullName })
try { $null = Invoke-MgGraphRequest -Uri /v1.0/cased; $r.cased = 'nothing thrown' }
catch { $r.cased = [ordered]@{ fqid = $_.FullyQualifiedErrorId; category = "$($_.CategoryInfo.Category)"
                               exception = $_.Exception.GetType().FullName; message = $_.Exception.Message } }
$r.casedPs = @((Invoke-MgGraphRequest -Uri /v1.0/cased -OutputType PSObject).psobject.Properties | ForEach-Object { "$($_.Name)=$($_.Value)" })

# 14.4: -OutputType HttpResponseMessage.
$m = Invoke-MgGraphRequest -Uri /v1.0/users -OutputType HttpResponseMessage
$r.message = $m.GetType().FullName
$r.messageStatus = '{0}|{1}|{2}|{3}' -f $m.StatusCode, [int]$m.StatusCode, $m.IsSuccessStatusCode, $m.ReasonPhrase
$r.messageBody = ($m.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json).value[0].displayName
$r.messageHeaders = '{0}|{1}' -f ($m.Headers.GetValues('x-page') -join ','), $m.Content.Headers.ContentType.MediaType
$r.messageRequest = '{0} {1}' -f $m.RequestMessage.Method, $m.RequestMessage.RequestUri.AbsolutePath

# 14.2: HTTP errors are HttpResponseExceptions with the response.
try { Invoke-MgGraphRequest -Uri /v1.0/missing; $r.caught = 'nothing thrown' }
catch [System.Net.Http.HttpRequestException] {
    $e = $_
    $r.caught = $e.Exception.GetType().FullName
    $r.statusTest = $e.Exception.Response.StatusCode -eq 404
    $r.errorBody = ($e.Exception.Response.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json).error.code
    $r.errorMessage = $e.Exception.Message
    $r.errorId = $e.FullyQualifiedErrorId
    $r.errorTarget = '{0}|{1}' -f $e.TargetObject.GetType().FullName, $e.TargetObject.RequestUri.AbsolutePath
    $r.errorDetails = $e.ErrorDetails.Message
}
catch { $r.caught = 'other: ' + $_.Exception.GetType().FullName }

# 14.5: the request context is an object with the original's type name and properties.
$ctx = Get-MgRequestContext
$r.contextType = $ctx.psobject.TypeNames[0]
$r.contextProperties = $ctx.psobject.Properties.Name -join ','
$r.contextSelect = (Get-MgRequestContext | Select-Object MaxRetry).MaxRetry
$r.contextTimeout = $ctx.ClientTimeout.TotalSeconds
$set = Set-MgRequestContext -MaxRetry 5 -RetryDelay 2
$r.setSelect = ($set | Select-Object MaxRetry, RetryDelay | ForEach-Object { '{0}|{1}' -f $_.MaxRetry, $_.RetryDelay })
$r.afterSet = (Get-MgRequestContext).MaxRetry
$null = Set-MgRequestContext -MaxRetry 3 -RetryDelay 3
$r | ConvertTo-Json -Compress
"""


NOT_FOUND = {"error": {"code": "Request_ResourceNotFound", "message": "Not here."}}


class _PagedGraph(http.server.ThreadingHTTPServer):
    """/v1.0/users in two pages; anything else a Graph 404."""

    def __init__(self) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/v1.0/users":
                    body = {"@odata.context": f"{base}/v1.0/$metadata#users", "@odata.nextLink": f"{base}/v1.0/users?$skiptoken=2",
                            "value": [{"id": "1", "displayName": "Adele", "count": 7, "ratio": 0.5, "note": "plain text",
                                       "createdDateTime": "2024-01-02T03:04:05Z", "birthday": "1990-05-06",
                                       "manager": {"id": "m1"}, "tags": [1, "2024-01-02T03:04:05Z", {"k": 2}]},
                                      {"id": "2", "displayName": "Alex"}]}
                    self._send(200, "OK", body, {"x-page": "1"})
                elif self.path == "/v1.0/cased":
                    self._send(200, "OK", {"value": 1, "other": {"x": 1}, "Value": 2}, {})
                elif self.path == "/v1.0/users?$skiptoken=2":
                    self._send(200, "OK", {"value": [{"id": "3", "displayName": "Bianca"}]}, {"x-page": "2"})
                else:
                    self._send(404, "Not Found", NOT_FOUND, {"x-trace": "t1", "Set-Cookie": "a=1"}, extra_cookie="b=2")

            def _send(self, status: int, reason: str, body: dict, headers: dict[str, str], extra_cookie: str = "") -> None:
                data = json.dumps(body).encode()
                self.send_response(status, reason)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                if extra_cookie:
                    self.send_header("Set-Cookie", extra_cookie)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """One pwsh run for every test here (a token from the emulator, the pages from _PagedGraph)."""
    server = _PagedGraph()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = tmp_path_factory.mktemp("invoke-types") / "script.ps1"
    script.write_text("$ErrorActionPreference = 'Stop'\n" + SCRIPT, encoding="utf-8")
    pwsh = shutil.which("pwsh") or str(Path.home() / ".dotnet/tools/pwsh")
    try:
        with Emulator() as emu:
            done = subprocess.run([pwsh, "-NoProfile", "-NonInteractive", "-File", str(script),
                                   f"http://127.0.0.1:{server.server_address[1]}", emu.issue_token()],
                                  cwd=ROOT, capture_output=True, text=True, timeout=120,
                                  env=dict(os.environ, NO_COLOR="1", HOME=str(tmp_path_factory.mktemp("home"))))
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_default_output_is_a_case_insensitive_hashtable_as_the_originals_json_reader_makes_it(results):
    r = results
    assert (r["type"], r["isHashtable"], r["caseInsensitive"]) == ("System.Collections.Hashtable", True, True)
    assert r["arrayType"] == "System.Object[]"
    assert r["nested"] is True
    assert (r["integer"], r["number"], r["text"]) == ("System.Int64", "System.Double", "System.String")
    assert r["date"] == "System.DateTime|Utc"
    assert r["dateOnly"] == "System.String"
    assert r["paged"] == "Adele,Alex,Bianca"
    assert r["psObject"] == "System.Management.Automation.PSCustomObject"


def test_output_type_psobject_values_take_the_json_readers_types(results):
    # K.7: StringUtil.ConvertFromJson(returnHashtable: false) puts each JValue.Value in a note property:
    # Int64, Double, DateTime (UTC for Z), a date alone a String, objects PSCustomObjects, arrays object[].
    r = results
    assert r["psTypes"] == ["System.Int64", "System.Double", "System.DateTime", "System.String",
                            "System.Management.Automation.PSCustomObject", "System.Object[]"]
    assert r["psDateKind"] == "Utc"
    assert r["psTagTypes"] == ["System.Int64", "System.DateTime", "System.Management.Automation.PSCustomObject"]


def test_names_that_differ_only_in_case_are_the_originals_error_or_the_later_member(results):
    # K.7: the default Hashtable (case-insensitive) refuses them with StringUtil's error record; a PSObject's
    # member collection takes the later name and value (the helper's different-casing check compares exactly).
    assert results["cased"] == {
        "fqid": "InvokeGraphRequestDuplicateKeysInJsonString,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest",
        "category": "InvalidOperation", "exception": "System.InvalidOperationException",
        "message": "Cannot convert the JSON string because a dictionary that was converted from the string contains the "
                   "duplicated key 'Value'."}
    assert results["casedPs"] == ["Value=2", "other=@{x=1}"]


def test_output_type_http_response_message_is_the_real_type(results):
    r = results
    assert r["message"] == "System.Net.Http.HttpResponseMessage"
    assert r["messageStatus"] == "OK|200|True|OK"
    assert r["messageBody"] == "Adele"
    assert r["messageHeaders"] == "1|application/json"
    assert r["messageRequest"] == "GET /v1.0/users"


def test_http_errors_are_http_response_exceptions_carrying_the_response(results):
    r = results
    assert r["caught"] == "Microsoft.Graph.PowerShell.Authentication.Helpers.HttpResponseException"
    assert r["statusTest"] is True
    assert r["errorBody"] == "Request_ResourceNotFound"
    # K.7: ErrorDetails is the whole response as the original's HttpMessageFormatter writes it: the
    # status line, the response headers (Set-Cookie one line per value), the content headers, an
    # empty line, the body.
    head, _, body = r["errorDetails"].partition("\r\n\r\n")
    assert json.loads(body) == NOT_FOUND and body == json.dumps(NOT_FOUND)
    lines = head.split("\r\n")
    assert lines[0] == "HTTP/1.1 404 Not Found"
    assert [line.split(": ")[0] for line in lines[1:]] == [
        "Server", "Date", "x-trace", "Set-Cookie", "Set-Cookie", "Content-Type", "Content-Length"]
    assert lines[3:] == ["x-trace: t1", "Set-Cookie: a=1", "Set-Cookie: b=2", "Content-Type: application/json; charset=utf-8",
                         f"Content-Length: {len(body)}"]
    assert r["errorMessage"] == "Response status code does not indicate success: NotFound (Not Found)."
    assert r["errorId"] == "InvokeGraphHttpResponseException,Microsoft.Graph.PowerShell.Authentication.Cmdlets.InvokeMgGraphRequest"
    assert r["errorTarget"] == "System.Net.Http.HttpRequestMessage|/v1.0/missing"


def test_request_context_is_an_object_with_the_originals_type_and_properties(results):
    r = results
    assert r["contextType"] == "Microsoft.Graph.PowerShell.Authentication.Models.RequestContext"
    assert r["contextProperties"] == "ClientTimeout,RetryDelay,MaxRetry,RetriesTimeLimit"
    assert (r["contextSelect"], r["contextTimeout"]) == (3, 300)
    assert r["setSelect"] == "5|2"
    assert r["afterSet"] == 5
