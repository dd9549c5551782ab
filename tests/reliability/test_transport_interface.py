"""One transport interface (pwshcompat.graph.transport): one response type, each transport mapping
its own exceptions at one boundary, and a client that takes any transport it is given.

"Every foreign exception is mapped" is checked two ways: by listing every exception class the
libraries behind each transport define and asserting that the transport's boundary catches it and
maps it to a .NET-shaped :class:`TransportError`; and by provoking real failures from servers on
127.0.0.1 (refused, timed out, untrusted certificate, a malformed or cut-off reply, a body that
is not the gzip it claims) through both transports.
"""

from __future__ import annotations

import builtins
import http.client
import inspect
import select
import socket
import ssl
import threading
import types
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import pwshcompat
from pwshcompat.auth import context as auth_context
from pwshcompat.emulator import Emulator
from pwshcompat.graph import client as graph_client
from pwshcompat.graph import keepalive, requests_transport
from pwshcompat.graph.transport import DefaultTransport, Request, Response, Transport, TransportError

from .bad_input import PATH
from .harness import Loopback, reply, self_signed_tls

# The .NET exception types the original reports for a request that got no response.
DOTNET_TYPES = {"System.Net.Http.HttpRequestException", "System.Threading.Tasks.TaskCanceledException",
                "System.FormatException", "System.UriFormatException"}
HANG_GUARD_SECONDS = 60


def _exception_classes(*modules: Any) -> list[type[BaseException]]:
    """The public exception classes the modules define (private ones never leave them)."""
    found = {c for module in modules for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, BaseException) and not issubclass(c, Warning) and not c.__name__.startswith("_")
             and (c.__module__ == module.__name__ or module is builtins)}
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _instance(cls: type[BaseException]) -> BaseException | None:
    for args in (("boom",), (), (1, "boom"), (None, "boom"), ("boom", "boom"), (b"", 1), (0, 0),
                 (None, "https://graph.example", "boom"), ("boom", "doc", 0),
                 (types.SimpleNamespace(tell=lambda: 0, length_remaining=0), b"x")):  # a response half read
        try:
            exc = cls(*args)
            str(exc)  # some only format with the argument types their library passes
            return exc
        except Exception:
            continue
    return None


REQUEST = Request("GET", "https://graph.example/v1.0/me", {}, None, 300)
STDLIB_CLASSES = _exception_classes(socket, ssl, http.client, zlib, select)
OS_ERRORS: list[type[BaseException]] = [c for c in _exception_classes(builtins) if issubclass(c, OSError)]


def _check_mapped(cls: type[BaseException], foreign: tuple[type[BaseException], ...],
                  map_error: Callable[[BaseException, Request], TransportError | None]) -> None:
    """A transport's boundary catches ``cls`` (``foreign``) and maps it to a TransportError with .NET's type."""
    assert issubclass(cls, foreign), f"{cls} would escape the transport's boundary"
    exc = _instance(cls)
    if exc is None:
        pytest.skip(f"{cls} cannot be made outside its library")
    mapped = map_error(exc, REQUEST)
    assert isinstance(mapped, TransportError) and mapped.message, cls
    assert mapped.exception_type in DOTNET_TYPES, (cls, mapped.exception_type)


@pytest.mark.parametrize("cls", STDLIB_CLASSES + OS_ERRORS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_of_the_standard_library_is_mapped_by_the_keep_alive_transport(cls: type[BaseException]) -> None:
    _check_mapped(cls, keepalive.FOREIGN_EXCEPTIONS, keepalive.map_error)


def _requests_classes() -> list[type[BaseException]]:
    import requests
    import urllib3

    return _exception_classes(requests.exceptions, urllib3.exceptions)


@pytest.mark.parametrize("cls", _requests_classes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_exception_of_requests_and_urllib3_is_mapped_by_the_requests_transport(cls: type[BaseException]) -> None:
    _check_mapped(cls, requests_transport.foreign_exceptions(), requests_transport.map_error)


def test_a_bug_is_not_passed_off_as_a_network_error() -> None:
    """The boundaries map the libraries' exceptions, not everything: a TypeError stays a TypeError."""
    assert keepalive.map_error(TypeError("bug"), REQUEST) is None
    assert requests_transport.map_error(TypeError("bug"), REQUEST) is None


# -- real failures through both transports ---------------------------------------------------------

def _transports(url: str, verify: bool | str = True) -> Iterator[tuple[str, Transport]]:
    pool = keepalive.for_endpoint(url, verify=verify, proxies={})
    assert pool is not None
    yield "keep-alive", pool
    yield "requests", requests_transport.RequestsTransport(url, verify=verify)


def _raw(answer: Callable[[Any], None]) -> Callable[[Any, Any], None]:
    """A Loopback answer that writes raw bytes and hangs up."""
    def handle(handler: Any, record: Any) -> None:
        answer(handler)
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True
    return handle


FAULTS: dict[str, Callable[[Any], None]] = {
    "malformed status line": lambda h: h.wfile.write(b"HTTP/1.1 abc\r\n\r\n"),
    "cut-off body": lambda h: h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"va"),
    "not gzip": lambda h: h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"),
    "no reply at all": lambda h: None,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_broken_reply_is_a_transport_error_on_both_transports(fault: str) -> None:
    with Loopback(_raw(FAULTS[fault])) as server:
        errors = []
        for name, each in _transports(server.url()):
            with pytest.raises(TransportError) as info:
                each.handle_request(Request("GET", server.url() + "/v1.0/me", {"Accept": "*/*"}, None, 30))
            errors.append((name, info.value))
            each.close()
    for name, error in errors:
        assert error.exception_type == "System.Net.Http.HttpRequestException", (name, error)
        assert error.__cause__ is not None, "the foreign exception is kept as the cause"


def test_a_refused_connection_and_a_timeout_on_both_transports() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = f"http://127.0.0.1:{port}"
    for name, each in _transports(closed):
        with pytest.raises(TransportError) as info:
            each.handle_request(Request("GET", closed + "/v1.0/me", {}, None, 30))
        assert info.value.message == f"Connection refused (127.0.0.1:{port})", name

    hold = threading.Event()
    with Loopback(lambda h, r: hold.wait(HANG_GUARD_SECONDS)) as server:
        try:
            for name, each in _transports(server.url()):
                with pytest.raises(TransportError) as info:
                    each.handle_request(Request("GET", server.url() + "/v1.0/me", {}, None, 0.5))
                assert info.value.exception_type == "System.Threading.Tasks.TaskCanceledException", name
        finally:
            hold.set()


def test_an_untrusted_certificate_on_both_transports(tmp_path: Path) -> None:
    context, _ = self_signed_tls(tmp_path)
    with Loopback(lambda h, r: reply(h, 204), tls=context) as server:
        for name, each in _transports(server.url("https")):
            with pytest.raises(TransportError) as info:
                each.handle_request(Request("GET", server.url("https") + "/v1.0/me", {}, None, 30))
            assert info.value.message == "The SSL connection could not be established, see inner exception.", name
        assert server.received == []


def test_both_transports_return_the_same_response_type(emulator: Emulator) -> None:
    token = emulator.issue_token()
    for name, each in _transports(emulator.graph_url):
        response = each.handle_request(Request("GET", emulator.graph_url + "/v1.0/users/u1/presence",
                                               {"Authorization": f"Bearer {token}"}, None, 30))
        assert type(response) is Response, name
        assert response.status_code == 200 and response.json()["id"] == "u1"
        assert response.request.headers["Authorization"] == f"Bearer {token}"
        each.close()


# -- a transport given to the client ---------------------------------------------------------------

class Recording:
    """A transport of our own: records each request, then hands it to the keep-alive transport
    (or fails it, as a .NET HttpClient transport would map its own exceptions)."""

    def __init__(self, inner: Transport, fail_with: TransportError | None = None) -> None:
        self.inner, self.fail_with = inner, fail_with
        self.sent: list[Request] = []

    def handle_request(self, request: Request) -> Response:
        self.sent.append(request)
        if self.fail_with is not None:
            raise self.fail_with
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _context(emulator: Emulator, name: str) -> Any:
    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint=emulator.graph_url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment=name, AccessToken=emulator.issue_token(), NoWelcome=True)
    return auth_context.current()


def test_the_client_sends_through_a_transport_it_is_given(emulator: Emulator) -> None:
    inner = DefaultTransport(emulator.graph_url)
    given = Recording(inner)
    assert isinstance(given, Transport)
    client = graph_client.GraphClient(_context(emulator, "GivenTransport"), transport=given, pacer=None)
    response = client.request("POST", PATH.format("given"), data=b'{"availability":"Busy","activity":"Busy"}')
    assert response.status_code == 200
    (sent,) = given.sent
    assert sent.url == emulator.graph_url + PATH.format("given")
    assert sent.headers["client-request-id"] == emulator.requests[-1].headers["client-request-id"]


def test_a_given_transport_s_error_becomes_the_originals_error_record(emulator: Emulator) -> None:
    failing = Recording(DefaultTransport(emulator.graph_url),
                        TransportError("The request was canceled.", "System.Threading.Tasks.TaskCanceledException"))
    client = graph_client.GraphClient(_context(emulator, "FailingTransport"), transport=failing, pacer=None)
    with pytest.raises(graph_client.GraphRequestError) as info:
        client.request("GET", "/v1.0/users/u1/presence")
    record = info.value.record
    assert (record.message, record.exception_type, record.error_id, record.category.value) == (
        "The request was canceled.", "System.Threading.Tasks.TaskCanceledException", "", "NotSpecified")
    assert emulator.requests == []
