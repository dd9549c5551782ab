"""Transport security: https except to loopback, certificates verified by default, no bearer token
for another host on a redirect, and a timeout on every request.

Each test talks to servers on 127.0.0.1 only: the emulator, or a small :class:`Loopback` server
whose answer the test writes (a redirect, a self-signed certificate, a reply that never comes).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from pwshcompat.emulator import Emulator

from .bad_input import CMD, PATH
from .harness import Loopback, reply, self_signed_tls

HANG_GUARD_SECONDS = 120  # only to turn a hang into a failure; no assertion is made on time


def _connect(url: str, name: str, token: str) -> None:
    import pwshcompat

    pwshcompat.Add_MgEnvironment(Name=name, GraphEndpoint=url, AzureADEndpoint="https://login.local")
    pwshcompat.Connect_MgGraph(Environment=name, AccessToken=token, NoWelcome=True)


def _set(presence_id: str = "t1", **extra: Any) -> Any:
    import pwshcompat

    return pwshcompat.invoke(CMD, PresenceId=presence_id, Availability="Busy", Activity="Busy", **extra)


def _outcome(**extra: Any) -> BaseException | None:
    import pwshcompat

    try:
        _set(**extra)
    except pwshcompat.PSError as exc:
        return exc
    return None


@pytest.mark.parametrize("endpoint", ["http://graph.example.invalid", "http://10.255.255.1",
                                      "http://[2001:db8::1]:8080"])
def test_plain_http_to_a_remote_host_is_refused_before_any_connection(endpoint: str, module_emulator: Emulator) -> None:
    import pwshcompat

    with pytest.raises(pwshcompat.PSError) as info:
        _connect(endpoint, "PlainHttpRemote", module_emulator.issue_token())
        _set()
    message = str(info.value) + (info.value.record.details_message or "")
    assert "https" in message.lower(), f"the refusal should say https is required: {message!r}"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plain_http_to_loopback_is_allowed(host: str, module_emulator: Emulator) -> None:
    _connect(module_emulator.graph_url.replace("127.0.0.1", host), f"Loopback-{host}", module_emulator.issue_token())
    assert _set("loop-ok", PassThru=True) is True
    assert module_emulator.requests[-1].path == PATH.format("loop-ok")


def test_tls_certificates_are_verified_by_default(tmp_path: Path, module_emulator: Emulator,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    context, cert_file = self_signed_tls(tmp_path)
    with Loopback(lambda h, r: reply(h, 204), tls=context) as server:
        _connect(server.url("https"), "SelfSigned", module_emulator.issue_token())
        error = _outcome()
        assert error is not None, "a self-signed certificate was accepted without being trusted"
        assert server.received == [], "the request went through an unverified TLS connection"

        # Control: the same server works once its certificate is trusted explicitly.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        _connect(server.url("https"), "SelfSignedTrusted", module_emulator.issue_token())
        assert _outcome() is None
        assert len(server.received) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target_host", ["localhost", "127.0.0.1"])
def test_authorization_is_never_sent_to_another_host_on_a_redirect(status: int, target_host: str,
                                                                   module_emulator: Emulator) -> None:
    token = module_emulator.issue_token()
    with Loopback(lambda h, r: reply(h, 204)) as target:
        location = target.url(host=target_host) + PATH.format("t1")
        with Loopback(lambda h, r: reply(h, status, {"Location": location})) as origin:
            _connect(origin.url(), f"Redirect{status}", token)
            _outcome()
            (first,) = origin.received
            assert first[2].get("authorization") == f"Bearer {token}", "the origin should get the token"
    assert len(target.received) == 1, "the redirect was not followed (RedirectHandler follows 301/302/303/307/308)"
    for method, path, headers in target.received:
        assert "authorization" not in headers, f"{method} {path} at another host carried the bearer token"
        assert token not in " ".join(headers.values())


def test_a_reply_that_never_comes_times_out(module_emulator: Emulator) -> None:
    import pwshcompat

    hold = threading.Event()
    with Loopback(lambda h, r: hold.wait(HANG_GUARD_SECONDS)) as server:
        _connect(server.url(), "Hang", module_emulator.issue_token())
        pwshcompat.invoke("Set-MgRequestContext", ClientTimeout=1, MaxRetry=0)
        try:
            outcome: list[BaseException | None] = []
            worker = threading.Thread(target=lambda: outcome.append(_outcome()), daemon=True)
            worker.start()
            worker.join(HANG_GUARD_SECONDS)
            assert not worker.is_alive(), "the request never timed out"
            assert outcome and outcome[0] is not None, "a request that got no reply reported success"
            assert len(server.received) == 1, "a timed-out request must surface once, not retry in a loop"
        finally:
            hold.set()
            pwshcompat.invoke("Set-MgRequestContext", ClientTimeout=300, MaxRetry=3)


def test_a_retry_that_never_gets_a_reply_times_out_too(module_emulator: Emulator) -> None:
    """The timeout is on every attempt, not only the first: a 503 first, then silence."""
    import pwshcompat

    hold = threading.Event()

    def answer(handler: Any, record: Any) -> None:
        if len(server.received) == 1:
            reply(handler, 503, {"Retry-After": "0"})
        else:
            hold.wait(HANG_GUARD_SECONDS)

    with Loopback(answer) as server:
        _connect(server.url(), "HangOnRetry", module_emulator.issue_token())
        pwshcompat.invoke("Set-MgRequestContext", ClientTimeout=1, MaxRetry=2, RetryDelay=0)
        try:
            outcome: list[BaseException | None] = []
            worker = threading.Thread(target=lambda: outcome.append(_outcome()), daemon=True)
            worker.start()
            worker.join(HANG_GUARD_SECONDS)
            assert not worker.is_alive(), "the retried request never timed out"
            assert outcome and outcome[0] is not None
            assert len(server.received) == 2
            assert server.received[1][2].get("retry-attempt") == "1"
        finally:
            hold.set()
            pwshcompat.invoke("Set-MgRequestContext", ClientTimeout=300, MaxRetry=3, RetryDelay=3)


def test_a_redirect_from_https_to_plain_http_is_not_followed(tmp_path: Path, module_emulator: Emulator,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A downgrade would put the token on the wire in clear text: the 3xx is the answer."""
    context, cert_file = self_signed_tls(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
    token = module_emulator.issue_token()
    with Loopback(lambda h, r: reply(h, 204)) as target:
        location = target.url() + PATH.format("t1")
        with Loopback(lambda h, r: reply(h, 307, {"Location": location}), tls=context) as origin:
            _connect(origin.url("https"), "Downgrade", token)
            error = _outcome()
            assert len(origin.received) == 1
    assert error is not None, "a redirect that was not followed must not report success"
    assert target.received == [], "the request followed a redirect from https to http"


def test_a_redirect_within_the_same_origin_keeps_the_token(module_emulator: Emulator) -> None:
    """Control for the test above: the token is dropped only when the origin changes."""
    token = module_emulator.issue_token()

    def answer(handler: Any, record: Any) -> None:
        if len(server.received) == 1:
            reply(handler, 307, {"Location": PATH.format("moved")})
        else:
            reply(handler, 204)

    with Loopback(answer) as server:
        _connect(server.url(), "SameOrigin", token)
        assert _outcome() is None
    assert [r[1] for r in server.received] == [PATH.format("t1"), PATH.format("moved")]
    assert all(r[2].get("authorization") == f"Bearer {token}" for r in server.received)


def test_sign_in_refuses_an_unverified_certificate_and_sends_no_secret(tmp_path: Path, module_emulator: Emulator,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """msal's requests go through the same verification: a client secret never reaches a server
    whose certificate nobody trusts."""
    import pwshcompat

    context, cert_file = self_signed_tls(tmp_path)
    with Loopback(lambda h, r: reply(h, 404), tls=context) as login:
        pwshcompat.Add_MgEnvironment(Name="UntrustedLogin", GraphEndpoint=module_emulator.graph_url,
                                     AzureADEndpoint=login.url("https"))
        with pytest.raises(pwshcompat.PSError):
            pwshcompat.Connect_MgGraph(Environment="UntrustedLogin", TenantId="contoso", NoWelcome=True,
                                       ClientSecretCredential={"UserName": "app", "Password": "never-sent-secret"})
        assert login.received == [], "a sign-in request went over an unverified TLS connection"

        # Control: trusted explicitly, the same sign-in does reach the server (which answers 404).
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        with pytest.raises(pwshcompat.PSError):
            pwshcompat.Connect_MgGraph(Environment="UntrustedLogin", TenantId="contoso", NoWelcome=True,
                                       ClientSecretCredential={"UserName": "app", "Password": "never-sent-secret"})
        assert login.received, "the control sign-in never reached the server"
