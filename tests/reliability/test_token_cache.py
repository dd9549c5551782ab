"""The emulator's cache of verified tokens (pwshcompat/emulator/tokens.py) keeps Graph's rules.

Checking a bearer token's RS256 signature was about half of the emulator's time per request, so a
token whose signature was checked once is remembered. These tests send real requests over HTTP
and hold the cache to what the emulator answered without it: a token with another signature is
still refused, an expired one is refused as soon as the emulator's clock passes its expiry, and a
token for another audience is refused every time, cached or not.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

from pwshcompat.emulator import Emulator
from pwshcompat.emulator.tokens import signing_key

PATH = "/v1.0/users/cache-user/presence"


def _get(emulator: Emulator, token: str) -> tuple[int, Any]:
    parts = urllib.parse.urlsplit(emulator.graph_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", PATH, headers={"Authorization": f"Bearer {token}"})
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"null")
    finally:
        conn.close()


def _message(body: Any) -> str:
    return str(body["error"]["message"])


def test_a_token_is_verified_once_then_remembered(emulator: Emulator) -> None:
    token = emulator.issue_token()
    assert _get(emulator, token)[0] == 200
    assert token in signing_key()._verified
    assert _get(emulator, token)[0] == 200


def test_another_signature_is_refused_after_the_genuine_token_was_cached(emulator: Emulator) -> None:
    token = emulator.issue_token()
    assert _get(emulator, token)[0] == 200
    header, payload, signature = token.split(".")
    forged = ".".join((header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]))
    status, body = _get(emulator, forged)
    assert status == 401 and "signature is invalid" in _message(body)
    assert forged not in signing_key()._verified
    status, body = _get(emulator, forged)  # and again: a refusal is never remembered as a success
    assert status == 401


def test_a_cached_token_is_refused_once_it_expires(emulator: Emulator) -> None:
    emulator.clock.freeze()
    token = emulator.issue_token(expires_in=60)
    assert _get(emulator, token)[0] == 200
    emulator.clock.advance(seconds=61)
    status, body = _get(emulator, token)
    assert status == 401 and "expired" in _message(body)


def test_a_cached_token_for_another_audience_is_refused_every_time(emulator: Emulator) -> None:
    token = emulator.issue_token(aud="api://some-other-api")
    for _ in range(2):
        status, body = _get(emulator, token)
        assert status == 401 and "audience" in _message(body).lower()
