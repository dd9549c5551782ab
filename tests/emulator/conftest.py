"""Fixtures for the emulator's own tests: a frozen-clock emulator and a small Graph client over real HTTP."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests

from pwshcompat.emulator import Clock, Emulator

USER = "fa8bf3dc-eca7-46b7-bad1-db199b62afc3"      # the docs' example user id
OTHER = "1c2d3e4f-0000-4000-8000-00000000abcd"


class Graph:
    """requests against one emulator with one bearer token (None: no Authorization header)."""

    def __init__(self, emu: Emulator, token: str | None) -> None:
        self.emu, self.token = emu, token
        self.session = requests.Session()

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> requests.Response:
        all_headers = dict(headers or {})
        if self.token is not None:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.emu.graph_url + path, json=body, headers=all_headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, {} if body is None else body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def presence(self, user: str = USER, version: str = "v1.0") -> tuple[str, str]:
        response = self.get(f"/{version}/users/{user}/presence")
        assert response.status_code == 200, response.text
        return response.json()["availability"], response.json()["activity"]

    def set_session(self, availability: str, activity: str, duration: str | None = None, session: str = "app-1",
                    user: str = USER, **kwargs: Any) -> requests.Response:
        body = {"sessionId": session, "availability": availability, "activity": activity}
        if duration is not None:
            body["expirationDuration"] = duration
        return self.post(f"/v1.0/users/{user}/presence/setPresence", body, **kwargs)

    def set_preferred(self, availability: str, activity: str, duration: str | None = None,
                      user: str = USER, **kwargs: Any) -> requests.Response:
        body = {"availability": availability, "activity": activity}
        if duration is not None:
            body["expirationDuration"] = duration
        return self.post(f"/v1.0/users/{user}/presence/setUserPreferredPresence", body, **kwargs)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An open-tenant emulator whose clock moves only when the test advances it."""
    clock = Clock()
    clock.freeze()   # at wall time, so msal's own expiry checks agree with the emulator's
    with Emulator(clock=clock) as emulator:
        yield emulator


@pytest.fixture
def graph(emu: Emulator) -> Graph:
    """A client with an application token carrying the presence roles."""
    return Graph(emu, emu.issue_token(expires_in=30 * 24 * 3600))   # outlives every clock jump below


def error_of(response: requests.Response) -> dict[str, Any]:
    """The Graph error object of a failed response."""
    return response.json()["error"]
