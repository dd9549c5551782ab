"""Every request gets an HTTP answer, and the emulator stays up and bounded (issue 19.3, 19.4).

Malformed framing is sent on raw sockets (``requests`` would refuse to send it); each test then
checks the emulator still serves a normal request.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
import requests

from pwshcompat.emulator import Emulator, wire
from pwshcompat.emulator.server import LOG_BODY_BYTES

from .conftest import USER, Graph, error_of

ACTION = f"/beta/communications/presences/{USER}/microsoft.graph.setUserPreferredPresence"


def raw(emu: Emulator, data: bytes, *, read_timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is on a fresh connection; the status, headers and body of the answer."""
    parts = urlsplit(emu.graph_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
            head, sep, rest = received.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode("iso-8859-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
                if len(rest) >= int(headers.get("content-length", "0")):
                    break
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"no status line in {received[:200]!r}"
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def still_serving(emu: Emulator) -> None:
    response = Graph(emu, emu.issue_token()).get(f"/v1.0/users/{USER}/presence")
    assert response.status_code == 200


def graph_error(body: bytes) -> dict:
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "innerError"}
    return error


@pytest.mark.parametrize("headers,status,code,words", [
    ({"Content-Length": "abc"}, 400, "BadRequest", "non-negative integer"),
    ({"Content-Length": "-5"}, 400, "BadRequest", "non-negative integer"),
    ({"Content-Length": "1e3"}, 400, "BadRequest", "non-negative integer"),
    ({"Content-Length": "100000000000"}, 413, "RequestEntityTooLarge", "larger than"),
    ({"Content-Length": "9" * 5000}, 413, "RequestEntityTooLarge", "larger than"),
    ({"Content-Length": "2, 3"}, 400, "BadRequest", "Conflicting Content-Length"),
    ({"Content-Length": "2", "Transfer-Encoding": "chunked"}, 400, "BadRequest", "both"),
    ({"Transfer-Encoding": "gzip, chunked"}, 501, "NotImplemented", "not supported"),
    ({}, 411, "LengthRequired", "Content-Length"),
])
def test_bad_framing_gets_an_answer_in_graphs_envelope(emu, headers, status, code, words):
    answer, answer_headers, body = raw(emu, request("POST", ACTION, {"Content-Type": "application/json", **headers}))
    assert answer == status
    assert answer_headers["connection"] == "close"
    error = graph_error(body)
    assert error["code"] == code and words in error["message"]
    assert emu.requests == []        # refused before serving: nothing recorded, nothing changed
    still_serving(emu)


def test_two_different_content_length_headers_are_refused(emu):
    data = (f"POST {ACTION} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}").encode()
    answer, _, body = raw(emu, data)
    assert answer == 400 and "Conflicting" in graph_error(body)["message"]


def test_repeated_equal_content_length_is_accepted(emu):
    body = b'{"availability":"Away","activity":"Away"}'
    data = (f"POST {ACTION} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {emu.issue_token()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
    assert raw(emu, data)[0] == 200
    assert emu.preferred_presence(USER).availability == "Away"


def test_a_chunked_body_is_read(emu):
    payload = b'{"availability":"Busy","activity":"Busy"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:10], payload[10:])) + b"0\r\n\r\n"
    data = request("POST", ACTION, {"Authorization": f"Bearer {emu.issue_token()}",
                                    "Content-Type": "application/json", "Transfer-Encoding": "chunked"}, chunked)
    assert raw(emu, data)[0] == 200
    assert emu.preferred_presence(USER).availability == "Busy"
    assert emu.requests[-1].json() == json.loads(payload)


@pytest.mark.parametrize("chunked", [b"zz\r\n{}\r\n0\r\n\r\n", b"-2\r\n{}\r\n0\r\n\r\n", b"5\r\n{}\r\n0\r\n\r\n"])
def test_a_malformed_chunked_body_is_400(emu, chunked):
    data = request("POST", ACTION, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, chunked)
    answer, _, body = raw(emu, data)
    assert answer == 400 and "chunked" in graph_error(body)["message"]
    still_serving(emu)


def test_a_chunked_body_over_the_cap_is_413(emu):
    emu._graph_httpd.max_body_bytes = 1000
    chunk = b"x" * 800
    data = request("POST", ACTION, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                   b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n")
    assert raw(emu, data)[0] == 413


def test_a_request_line_without_version_gets_a_status_line(emu):
    answer, headers, body = raw(emu, b"GET /\r\n\r\n")
    assert answer == 400 and "HTTP/0.9" in graph_error(body)["message"]
    still_serving(emu)


def test_get_slash_is_an_ordinary_graph_error(emu):
    answer, _, body = raw(emu, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer == 401 and graph_error(body)["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize("line,status", [(b"BREW /pot HTTP/1.1", 501), (b"GET /x HTTP/2.0", 505),
                                         (b"GARBAGE", 400)])
def test_http_servers_own_errors_use_the_envelope(emu, line, status):
    answer, headers, body = raw(emu, line + b"\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer == status
    assert headers["content-type"].startswith("application/json")
    graph_error(body)
    still_serving(emu)


def test_the_sign_in_port_answers_framing_errors_in_oauths_shape(emu):
    import ssl

    parts = urlsplit(emu.login_url)
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as plain:
        with context.wrap_socket(plain, server_hostname=parts.hostname) as sock:
            sock.sendall(b"POST /t/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: x\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"] == "invalid_request"


def test_deeply_nested_json_is_400_not_a_closed_connection(graph, emu):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = graph.call("POST", ACTION, data=deep, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "nested" in error_of(response)["message"]
    moderately = {"availability": "Busy", "activity": "Busy", "x": json.loads("[" * 70 + "]" * 70)}
    response = graph.post(ACTION, moderately)
    assert response.status_code == 400 and f"{wire.MAX_JSON_DEPTH} levels" in error_of(response)["message"]
    still_serving(emu)


def test_a_body_over_the_cap_is_413_and_the_client_reads_it(graph, emu):
    emu._graph_httpd.max_body_bytes = 64 * 1024
    response = graph.call("POST", ACTION, data=b" " * (1024 * 1024), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and error_of(response)["code"] == "RequestEntityTooLarge"
    assert emu.requests == []
    still_serving(emu)


@pytest.mark.parametrize("step,words", [
    ({"id": "1", "method": "GET", "url": "/users/a/presence", "headers": "Content-Type: application/json"},
     "'headers' must be an object"),
    ({"id": "1", "method": "GET", "url": "/users/a/presence", "headers": {"X": {"nested": 1}}},
     "'headers' must be an object"),
    ({"id": "1", "method": "GET", "url": "/users/a/presence", "dependsOn": [{"id": "2"}]}, "'dependsOn' must be a list"),
    ({"id": "1", "method": "GET", "url": "/users/a/presence", "dependsOn": "2"}, "'dependsOn' must be a list"),
    ({"id": "1", "method": "FETCH", "url": "/users/a/presence"}, "has the method 'FETCH'"),
    ({"id": 1, "method": "GET", "url": "/users/a/presence"}, "string 'id'"),
])
def test_batch_step_shape_errors_are_400(graph, emu, step, words):
    response = graph.post("/v1.0/$batch", {"requests": [step]})
    assert response.status_code == 400 and words in error_of(response)["message"]
    still_serving(emu)


def test_an_exception_while_serving_is_a_500_answer(emu, monkeypatch):
    # A deliberately broken store stands in for any bug: the client must still get an answer.
    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(emu.store, "view", broken)
    response = Graph(emu, emu.issue_token()).get(f"/v1.0/users/{USER}/presence")
    assert response.status_code == 500 and error_of(response)["code"] == "InternalServerError"


# -- the request log (19.4) ----------------------------------------------------------------------
def test_the_log_trims_bodies_and_keeps_none_for_401s(emu):
    client = Graph(emu, emu.issue_token())
    big = {"availability": "Busy", "activity": "Busy", "pad": "x" * (2 * LOG_BODY_BYTES)}
    client.post(f"/v1.0/users/{USER}/presence/setUserPreferredPresence", big)
    Graph(emu, None).post(f"/v1.0/users/{USER}/presence/setUserPreferredPresence", {"secret": "s" * 1000})
    trimmed, unauthenticated = emu.requests
    assert len(trimmed.body) == LOG_BODY_BYTES and trimmed.body_length > 2 * LOG_BODY_BYTES
    assert (unauthenticated.status, unauthenticated.body, unauthenticated.body_length) == (
        401, b"", len(json.dumps({"secret": "s" * 1000})))


def test_the_log_keeps_at_most_its_limit(emu):
    with Emulator(request_log_limit=50) as small:
        client = Graph(small, small.issue_token())
        for n in range(120):
            client.get(f"/v1.0/users/u{n}/presence")
        assert len(small.requests) <= 50
        assert small.requests[-1].path == "/v1.0/users/u119/presence"
        assert small.requests.dropped + len(small.requests) == 120


def test_a_client_that_expects_100_continue_gets_the_413_first(emu):
    data = request("POST", ACTION, {"Content-Type": "application/json", "Expect": "100-continue",
                                    "Content-Length": str(50 * 1024 * 1024)})
    answer, _, body = raw(emu, data)       # never sends the body: the answer must come without it
    assert answer == 413 and graph_error(body)["code"] == "RequestEntityTooLarge"


def test_a_client_that_expects_100_continue_within_the_cap_is_served(emu):
    payload = b'{"availability":"Away","activity":"Away"}'
    parts = urlsplit(emu.graph_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request("POST", ACTION, {"Authorization": f"Bearer {emu.issue_token()}",
                                              "Content-Type": "application/json", "Expect": "100-continue",
                                              "Content-Length": str(len(payload))}))
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")
        sock.sendall(payload)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_several_large_posts_leave_nothing_behind(emu):
    """The issue's 340 MB: 50 MB bodies are refused by length, so neither memory nor the log grows."""
    for _ in range(4):
        answer, _, body = raw(emu, request("POST", ACTION, {"Content-Type": "application/json",
                                                             "Content-Length": str(50 * 1024 * 1024)}))
        assert answer == 413
    assert emu.requests == []


@pytest.mark.parametrize("declared, sent", [
    ({"Content-Length": "40"}, b'{"availability":'),                                  # 16 of 40 bytes, then silence
    ({"Content-Length": "40"}, b""),                                                  # headers only
    ({"Transfer-Encoding": "chunked"}, b'10\r\n{"availability":\r\n'),               # no last chunk
])
def test_a_body_that_never_arrives_gets_408_after_the_read_timeout(declared, sent):
    with Emulator(read_timeout=0.5) as emu:
        token = emu.issue_token()
        # The client keeps the connection open and sends nothing more: the emulator answers anyway.
        answer, headers, body = raw(emu, request("POST", ACTION, {"Authorization": f"Bearer {token}",
                                                                  "Content-Type": "application/json", **declared},
                                                 sent), read_timeout=30)
        assert answer == 408
        assert headers["connection"] == "close"
        error = graph_error(body)
        assert error["code"] == "RequestTimeout" and "did not arrive" in error["message"]
        if "Content-Length" in declared:
            assert f"{len(sent)} of the 40 bytes" in error["message"]
        assert emu.requests == [] and emu.preferred_presence(USER) is None   # nothing was served
        still_serving(emu)


def test_a_kept_alive_connection_that_goes_quiet_is_closed_without_an_answer():
    with Emulator(read_timeout=0.5) as emu:
        token = emu.issue_token()
        parts = urlsplit(emu.graph_url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            sock.sendall(request("GET", f"/v1.0/users/{USER}/presence", {"Authorization": f"Bearer {token}"}))
            received = b""
            while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
                chunk = sock.recv(65536)
                assert chunk, received
                received += chunk
            assert received.startswith(b"HTTP/1.1 200")
            assert sock.recv(65536) == b""   # idle: closed, and no unasked-for 408 on the connection


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "1"])
def test_read_timeout_is_checked(value):
    with pytest.raises(ValueError, match="read_timeout"):
        Emulator(read_timeout=value)
