"""Managed identity tokens (``Connect-MgGraph -Identity``), requested with plain ``requests``.

The original uses Azure.Identity's ``ManagedIdentityCredential``. msal for Python gained managed
identity only in 1.29; this machine's Debian msal is 1.21, so we speak the two documented endpoint
protocols ourselves, the way Azure.Identity does:

* App Service / Functions / Container Apps: when ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER`` are
  set, ``GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...`` with the header
  ``X-IDENTITY-HEADER``; ``expires_on`` comes back as epoch seconds.
* Azure VMs (IMDS): ``GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=...``
  with ``Metadata: true``. ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` replaces the base address (as in
  Azure.Identity), which is also how tests point it at the emulator.

A user-assigned identity is chosen with ``client_id``. The resource is the bare Graph endpoint,
without ``/.default`` (auth-and-pain.md §A.2). Not supported: Azure Arc, Service Fabric and Cloud
Shell endpoints, object-id or resource-id selection.
"""

from __future__ import annotations

import os
import time
from typing import Any, Mapping

import requests

from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from .context import AccessToken
from .http import AuthSession

IMDS_DEFAULT_HOST = "http://169.254.169.254"
IMDS_PATH = "/metadata/identity/oauth2/token"
IMDS_API_VERSION = "2018-02-01"
APP_SERVICE_API_VERSION = "2019-08-01"
# Off Azure nothing answers at the IMDS address: give up connecting quickly, like Azure.Identity's probe.
IMDS_CONNECT_TIMEOUT_SECONDS = 2.0


def _failure(message: str, error_id: str = "ManagedIdentityAuthenticationFailed") -> TerminatingError:
    return TerminatingError(ErrorRecord(message, error_id, ErrorCategory.AuthenticationError))


class ManagedIdentityProvider:
    """Tokens for ``resource`` from whichever managed identity endpoint this machine has."""

    def __init__(self, resource: str, client_id: str | None = None, session: requests.Session | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self.resource = resource
        self.client_id = client_id
        self._session = session or AuthSession()
        # The variables as the caller saw them at Connect-MgGraph (see pwshcompat.auth.connect.environ).
        self._environ = dict(os.environ if environ is None else environ)

    def endpoint_kind(self) -> str:
        return "AppService" if self._environ.get("IDENTITY_ENDPOINT") and self._environ.get("IDENTITY_HEADER") else "IMDS"

    def acquire(self, force_refresh: bool = False) -> AccessToken:
        # The endpoints keep their own cache and refresh it before expiry; there is nothing to bypass.
        params: dict[str, str] = {"resource": self.resource}
        if self.client_id:
            params["client_id"] = self.client_id
        timeout: Any
        if self.endpoint_kind() == "AppService":
            url = self._environ["IDENTITY_ENDPOINT"]
            params["api-version"] = APP_SERVICE_API_VERSION
            headers = {"X-IDENTITY-HEADER": self._environ["IDENTITY_HEADER"]}
            timeout = None
        else:
            host = self._environ.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") or IMDS_DEFAULT_HOST
            url = host.rstrip("/") + IMDS_PATH
            params["api-version"] = IMDS_API_VERSION
            headers = {"Metadata": "true"}
            timeout = (IMDS_CONNECT_TIMEOUT_SECONDS, self._session.timeout if isinstance(self._session, AuthSession) else 120)
        try:
            resp = self._session.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise _failure(
                f"ManagedIdentityCredential authentication unavailable: no managed identity endpoint answered at "
                f"{url} ({type(exc).__name__}). -Identity works only on an Azure resource with a managed identity.",
                "ManagedIdentityUnavailable") from None
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
            detail = body.get("error_description") or body.get("message") or body.get("error") if isinstance(body, dict) else None
            raise _failure(f"The managed identity endpoint refused the token request (HTTP {resp.status_code})"
                           + (f": {detail}" if detail else "."))
        return AccessToken(str(body["access_token"]), _expiry(body))


def _expiry(body: dict[str, Any]) -> float:
    """``expires_on`` is epoch seconds (sometimes as a string); fall back to ``expires_in``."""
    for key, base in (("expires_on", 0.0), ("expires_in", time.time())):
        try:
            return base + float(body[key])
        except (KeyError, TypeError, ValueError):
            continue
    return time.time() + 3600.0
