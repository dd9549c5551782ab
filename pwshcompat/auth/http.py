"""The HTTP session msal and the managed identity requests use.

msal takes any ``requests.Session``-like ``http_client``; ours adds two things msal leaves to the
caller when one is passed in: a timeout on every request, and the CA to trust. Certificate
verification is never turned off: a sign-in endpoint is trusted through the system store (or
``REQUESTS_CA_BUNDLE``, which requests honours), or, for the embedded emulator, through the CA
file it generated (``Environment.ca_bundle``).
"""

from __future__ import annotations

from typing import Any

import requests

# The original gives up on a sign-in after 120 s (MaxAuthenticationTimeOutInSeconds, auth-and-pain.md §A.3).
AUTH_TIMEOUT_SECONDS = 120.0


class AuthSession(requests.Session):
    """A session whose requests time out after ``timeout`` seconds unless the caller says otherwise."""

    def __init__(self, timeout: float = AUTH_TIMEOUT_SECONDS, ca_bundle: str | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.ca_bundle = ca_bundle
        #: The last answer received, so an error can say which URL sent something unreadable.
        self.last_response: requests.Response | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        if self.ca_bundle and kwargs.get("verify") is None:
            # Per request: a session-level verify would lose to REQUESTS_CA_BUNDLE in requests' merge.
            kwargs["verify"] = self.ca_bundle
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response

    def invalid_answer(self) -> str | None:
        """If the last answer was not JSON: what was wrong with it (method, URL, status, content type)."""
        response = self.last_response
        if response is None:
            return None
        try:
            response.json()
        except ValueError:
            kind = response.headers.get("Content-Type") or "no content type"
            return (f"the sign-in endpoint sent an invalid answer: {response.request.method} {response.url} "
                    f"answered HTTP {response.status_code} ({kind}), not JSON")
        return None
