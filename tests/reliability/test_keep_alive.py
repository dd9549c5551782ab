"""The Graph client's keep-alive path (pwshcompat.graph.keepalive) against real servers on 127.0.0.1.

Graph requests on the endpoint's origin go out over ``http.client`` connections the client keeps,
while anything unusual still goes through ``requests``. These tests hold the two paths to the same
behaviour: the same bytes on the wire, the same response object, the same errors, and connections
that are reused, and replaced when the server has closed them.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import uuid
from typing import Any, Iterator

import pytest
import requests

import pwshcompat
from pwshcompat.auth import context as auth_context
from pwshcompat.emulator import Emulator
from pwshcompat.graph import client as graph_client
from pwshcompat.graph import keepalive
from pwshcompat.graph.requests_transport import RequestsTransport

from conftest import connect

from .bad_input import PATH
from .harness import Loopback, reply


def _connect(url: str, name: str, token: str = "opaque-test-token") -> graph_client.GraphClient:
    connect(url, name, token)
    return graph_client.GraphClient(auth_context.current())


def _pool(client: graph_client.GraphClient) -> keepalive.KeepAliveTransport | None:
    """The default transport's keep-alive half (None when requests carries everything)."""
    return getattr(client.transport, "keep_alive", None)


def _kept(client: graph_client.GraphClient) -> keepalive.KeepAliveTransport:
    pool = _pool(client)
    assert pool is not None, "the client has no keep-alive transport"
    return pool


def _via_requests(client: graph_client.GraphClient) -> graph_client.GraphClient:
    """The same client with the requests transport given to it (what a proxy, or an endpoint the
    keep-alive transport cannot serve, makes of the default)."""
    client.close()
    client.transport = RequestsTransport(client.context.environment.graph_endpoint, verify=client.verify)
    return client


def _on_both_paths(client: graph_client.GraphClient) -> Iterator[graph_client.GraphClient]:
    """The client on the keep-alive path, then (only once the first turn is over) on requests'."""
    assert _pool(client) is not None
    yield client
    yield _via_requests(client)


ORIGIN = "https://graph.microsoft.com"


@pytest.mark.parametrize("url, target", [
    (ORIGIN + "/beta/communications/presences/u1/microsoft.graph.setUserPreferredPresence",
     "/beta/communications/presences/u1/microsoft.graph.setUserPreferredPresence"),
    (ORIGIN + "/v1.0/users/a%2Fb%20c/presence?$select=availability", "/v1.0/users/a%2Fb%20c/presence?$select=availability"),
    (ORIGIN + "/beta/users/it's(1)~!*;=:@,", "/beta/users/it's(1)~!*;=:@,"),
    (ORIGIN + "/beta/users/a b", None),             # unescaped space: requests re-escapes it
    (ORIGIN + "/beta/users/caf\u00e9", None),       # non-ASCII
    (ORIGIN + "/beta/users/a%2fb", None),           # lower-case escape: urllib3 rewrites it
    (ORIGIN + "/beta/users/100%", None),            # a bare percent sign
    (ORIGIN + "/beta/users/x#frag", None),          # a fragment
    (ORIGIN + "/beta/users/../me", None),           # dot segments are resolved by urllib3
    (ORIGIN + "/beta/users/./me", None),
    (ORIGIN + "/beta/users/..", None),
    (ORIGIN + "/beta/users/..x/me", "/beta/users/..x/me"),  # only whole segments are dot segments
    (ORIGIN + ":443/beta/me", None),                # another spelling of the origin
    ("https://graph.microsoft.us/beta/me", None),   # another origin
    ("https://graph.microsoft.com.evil.example/beta/me", None),
    (ORIGIN, None),                                 # no path at all
])
def test_only_plainly_valid_targets_on_the_endpoint_origin_skip_requests(url: str, target: str | None) -> None:
    pool = keepalive.for_endpoint(ORIGIN, verify=True, proxies={})
    assert pool is not None
    assert pool.target_of(url) == target


@pytest.mark.parametrize("proxies", [{"https": "http://proxy.local:3128"}, {"all": "http://proxy.local:3128"},
                                     {"https://graph.microsoft.com": "http://proxy.local:3128"}])
def test_a_proxy_for_the_endpoint_leaves_everything_to_requests(proxies: dict[str, str]) -> None:
    assert keepalive.for_endpoint(ORIGIN, verify=True, proxies=proxies) is None


@pytest.mark.parametrize("endpoint", ["ftp://graph.local", "https://user:pw@graph.local", "https://graph.local:99999",
                                      "https://gr\u00e4ph.local"])
def test_endpoints_the_pool_cannot_serve_get_no_pool(endpoint: str) -> None:
    assert keepalive.for_endpoint(endpoint, verify=True, proxies={}) is None


def test_a_graph_call_on_the_keep_alive_path_never_imports_requests(emulator: Emulator) -> None:
    """requests costs a PowerShell session about 10 MiB and 50 ms of cold start (bench/FINDINGS.md)."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys, pwshcompat\n"
        "pwshcompat.Add_MgEnvironment(Name='NoRequests', GraphEndpoint=sys.argv[1], AzureADEndpoint='https://login.local')\n"
        "pwshcompat.Connect_MgGraph(Environment='NoRequests', AccessToken=sys.argv[2], NoWelcome=True)\n"
        "ok = pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(\n"
        "    PresenceId='no-requests', Availability='Busy', Activity='Busy', PassThru=True)\n"
        "print(ok, 'requests' in sys.modules, 'urllib3' in sys.modules)\n"
    )
    root = str(Path(pwshcompat.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", script, emulator.graph_url, emulator.issue_token()],
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "False"]
    assert emulator.requests[-1].path == PATH.format("no-requests")


def test_both_paths_put_the_same_request_on_the_wire(emulator: Emulator) -> None:
    client = _connect(emulator.graph_url, "KeepAliveWire", emulator.issue_token())
    body = json.dumps({"availability": "Busy", "activity": "Busy"}).encode()
    extra = {"client-request-id": "fixed-id", "X-Custom": "v"}
    path = PATH.format("wire")
    assert _kept(client).target_of(emulator.graph_url + path) == path

    fast = client.request("POST", path, data=body, headers=extra)
    slow = _via_requests(client).request("POST", path, data=body, headers=extra)

    first, second = emulator.requests[-2:]
    assert (first.method, first.path, first.body) == (second.method, second.path, second.body)
    ids = [uuid.UUID(r.headers.pop("client-request-id")) for r in (first, second)]
    assert ids[0] != ids[1], "each request carries its own client-request-id (and the caller's is replaced)"
    assert first.headers == second.headers
    assert fast.status_code == slow.status_code == 200
    assert [k.lower() for k in fast.headers] == [k.lower() for k in slow.headers]
    assert fast.request.headers["Authorization"] == slow.request.headers["Authorization"]


def test_a_bodiless_post_carries_content_length_zero_on_both_paths(emulator: Emulator) -> None:
    client = _connect(emulator.graph_url, "KeepAliveEmpty", emulator.issue_token())
    client.request("POST", "/beta/me/presence/microsoft.graph.clearUserPreferredPresence")
    _via_requests(client).request("POST", "/beta/me/presence/microsoft.graph.clearUserPreferredPresence")
    first, second = emulator.requests[-2:]
    assert first.headers.get("content-length") == second.headers.get("content-length") == "0"


def test_headers_that_differ_only_in_case_go_out_once_on_both_paths() -> None:
    seen: list[dict[str, list[str]]] = []

    def answer(handler: Any, record: Any) -> None:
        seen.append({name: handler.headers.get_all(name) for name in ("Content-Type", "User-Agent")})
        reply(handler, 204)

    with Loopback(answer) as server:
        client = _connect(server.url(), "KeepAliveCase")
        extra = {"content-type": "application/json; charset=utf-8", "user-agent": "my-script/1.0"}
        for each in _on_both_paths(client):
            each.request("POST", "/beta/me/presence/microsoft.graph.setUserPreferredPresence", data=b"{}", headers=extra)
    assert seen == [{"Content-Type": ["application/json; charset=utf-8"], "User-Agent": ["my-script/1.0"]}] * 2


def test_sequential_calls_share_one_connection(emulator: Emulator) -> None:
    client = _connect(emulator.graph_url, "KeepAliveReuse", emulator.issue_token())
    assert _pool(client) is not None
    for i in range(25):
        assert client.request("POST", PATH.format(f"reuse-{i}"), data=b'{"availability":"Busy","activity":"Busy"}'
                              ).status_code == 200
    assert _kept(client).connections_opened == 1


def _close_after_reply(closed: threading.Event | None = None) -> Any:
    """An answer that hangs up after replying without saying so, as a server's idle timeout does."""
    def answer(handler: Any, record: Any) -> None:
        body = b"{}"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
        if closed is not None:
            closed.set()
    return answer


def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error() -> None:
    closed = threading.Event()
    with Loopback(_close_after_reply(closed)) as server:
        client = _connect(server.url(), "KeepAliveStale")
        for i in range(5):
            closed.clear()
            assert client.request("GET", f"/beta/users/u{i}/presence").status_code == 200
            # The hang-up has happened before the next request (no race with a request in flight).
            assert closed.wait(30)
        assert _kept(client).connections_opened == 5
        assert len(server.received) == 5


def _gzip_with_repeated_headers(handler: Any, record: Any) -> None:
    body = gzip.compress(json.dumps({"id": "u1", "availability": "Busy"}).encode())
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("X-Repeated", "first")
    handler.send_header("x-repeated", "second")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_responses_come_back_as_requests_builds_them() -> None:
    with Loopback(_gzip_with_repeated_headers) as server:
        client = _connect(server.url(), "KeepAliveGzip")
        fast = client.request("GET", "/beta/users/u1/presence")
        plain = requests.get(server.url() + "/beta/users/u1/presence", timeout=30)
    assert fast.json() == plain.json() == {"id": "u1", "availability": "Busy"}
    assert fast.content == plain.content
    assert fast.encoding == plain.encoding == "utf-8"
    assert fast.headers["X-Repeated"] == plain.headers["X-Repeated"] == "first, second"
    assert list(fast.headers) == list(plain.headers)
    assert (fast.status_code, fast.reason, fast.url) == (plain.status_code, plain.reason, plain.url)


def _chunked(handler: Any, record: Any) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for part in (b'{"value": [', b'{"id": "a"}, ', b'{"id": "b"}', b"]}"):
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
    handler.wfile.write(b"0\r\n\r\n")


def test_a_chunked_reply_is_read_whole_and_the_connection_kept() -> None:
    with Loopback(_chunked) as server:
        client = _connect(server.url(), "KeepAliveChunked")
        replies = [client.request("GET", "/v1.0/users") for _ in range(3)]
        plain = requests.get(server.url() + "/v1.0/users", timeout=30)
    assert all(r.json() == plain.json() == {"value": [{"id": "a"}, {"id": "b"}]} for r in replies)
    assert _kept(client).connections_opened == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_is_the_same_error_on_both_paths() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    client = _connect(url, "KeepAliveRefused")
    records = []
    for each in _on_both_paths(client):
        with pytest.raises(graph_client.GraphRequestError) as info:
            each.request("GET", "/beta/me/presence")
        records.append(info.value.record)
    fast, slow = records
    assert fast.message == slow.message == f"Connection refused (127.0.0.1:{url.rsplit(':', 1)[1]})"
    assert (fast.exception_type, fast.category, fast.error_id) == (slow.exception_type, slow.category, slow.error_id)


def test_an_invalid_header_is_refused_before_anything_is_sent() -> None:
    with Loopback(_close_after_reply()) as server:
        client = _connect(server.url(), "KeepAliveBadHeader")
        records = []
        for each in _on_both_paths(client):
            with pytest.raises(graph_client.GraphRequestError) as info:
                each.request("GET", "/beta/me/presence", headers={"X-Bad": "line\r\nInjected: yes"})
            records.append(info.value.record)
        assert server.received == []
    assert records[0].message == records[1].message
    assert records[0].exception_type == "System.FormatException"


@pytest.mark.parametrize("env, pooled", [
    ({}, True),
    ({"HTTPS_PROXY": "http://proxy.local:3128"}, False),
    ({"https_proxy": "http://proxy.local:3128", "no_proxy": "graph.microsoft.com"}, True),
    ({"http_proxy": "http://proxy.local:3128"}, True),   # a proxy for the other scheme only
    ({"ALL_PROXY": "http://proxy.local:3128"}, False),
])
def test_a_proxy_in_the_environment_sends_graph_traffic_through_requests(
        env: dict[str, str], pooled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in __import__("os").environ if n.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = _connect(ORIGIN, "KeepAliveProxy")
    assert (_pool(client) is not None) == pooled
