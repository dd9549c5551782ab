"""Token providers on msal: client secret, client certificate, and user sign-in (device code, browser).

msal's results are dicts with ``error`` instead of exceptions; :func:`raise_for_msal` is the one
place they become a :class:`~pwshcompat.errors.TerminatingError`. Any secret the provider holds is
scrubbed from that text before it leaves.

Authority: ``{AzureADEndpoint}/{tenant}`` (auth-and-pain.md §A.3). msal's instance discovery asks
``login.microsoftonline.com`` about unknown hosts, which cannot work for a custom or local cloud,
so it is only used for the built-in clouds.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import msal

from .. import cancellation
from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from .context import AccessToken
from .environments import Environment
from .http import AuthSession

_KNOWN_CLOUDS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}


def redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def raise_for_msal(result: dict[str, Any] | None, what: str, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return ``result`` if it holds a token, else raise its error as a terminating error."""
    if result and "access_token" in result:
        return result
    result = result or {}
    error = str(result.get("error") or "no_token")
    description = str(result.get("error_description") or "The sign-in endpoint returned no token.").strip()
    description = redact(description.splitlines()[0] if description else description, secrets)
    record = ErrorRecord(f"{what} failed: {error}: {description}", "AuthenticationFailed",
                         ErrorCategory.AuthenticationError, extra={"error": error,
                                                                   "correlation_id": result.get("correlation_id")})
    raise TerminatingError(record)


def _call(what: str, secrets: tuple[str, ...], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run an msal call, turning what it raises (network errors, token validation) into our error.

    A host can stop it (Ctrl+C): the call then returns at once (:func:`pwshcompat.cancellation.call`).
    """
    import requests

    try:
        return cancellation.call(fn, *args, **kwargs)
    except requests.RequestException as exc:
        raise TerminatingError(ErrorRecord(f"{what} failed: the sign-in endpoint did not answer: {redact(str(exc), secrets)}",
                                           "AuthenticationFailed", ErrorCategory.ConnectionError)) from None
    except (RuntimeError, ValueError, KeyError) as exc:
        # msal raises these when a response is malformed or an ID token fails validation.
        first_line = redact(str(exc), secrets).splitlines()[0] if str(exc) else type(exc).__name__
        raise TerminatingError(ErrorRecord(f"{what} failed: {first_line}", "AuthenticationFailed",
                                           ErrorCategory.AuthenticationError)) from None


def _token(result: dict[str, Any]) -> AccessToken:
    return AccessToken(str(result["access_token"]), time.time() + float(result.get("expires_in") or 3600))


def authority(env: Environment, tenant: str | None) -> str:
    return f"{env.azure_ad_endpoint.rstrip('/')}/{tenant or 'common'}"


def _app_options(env: Environment, tenant: str | None, cache: msal.TokenCache, timeout: float) -> dict[str, Any]:
    from urllib.parse import urlparse

    known = (urlparse(env.azure_ad_endpoint).hostname or "") in _KNOWN_CLOUDS
    return {
        "authority": authority(env, tenant),
        "http_client": AuthSession(timeout, env.ca_bundle),
        "token_cache": cache,
        "validate_authority": known,
        "instance_discovery": None if known else False,
    }


def _build(factory: Callable[..., Any], what: str, secrets: tuple[str, ...], **kwargs: Any) -> Any:
    """Create an msal app; its constructor already fetches the OpenID configuration."""
    import requests

    try:
        return cancellation.call(factory, **kwargs)
    except (ValueError, requests.RequestException) as exc:
        raise TerminatingError(ErrorRecord(
            f"{what} failed: cannot reach the sign-in endpoint {kwargs.get('authority')}: {redact(str(exc), secrets)}",
            "AuthenticationFailed", ErrorCategory.ConnectionError, target=kwargs.get("authority"))) from None


class ClientCredentialProvider:
    """App-only tokens (client secret or certificate) for ``{GraphEndpoint}/.default``."""

    def __init__(self, env: Environment, tenant: str | None, client_id: str, credential: str | dict[str, str],
                 cache: msal.TokenCache, timeout: float, what: str) -> None:
        self._secrets = (credential,) if isinstance(credential, str) else ()
        self._what = what
        self.scopes = [f"{env.graph_endpoint.rstrip('/')}/.default"]
        self._app = _build(msal.ConfidentialClientApplication, what, self._secrets, client_id=client_id,
                           client_credential=credential, **_app_options(env, tenant, cache, timeout))

    def acquire(self, force_refresh: bool = False) -> AccessToken:
        # msal 1.21's acquire_token_for_client always asks the endpoint; GraphContext caches the result.
        result = _call(self._what, self._secrets, self._app.acquire_token_for_client, self.scopes)
        return _token(raise_for_msal(result, self._what, self._secrets))

    def __repr__(self) -> str:
        return "ClientCredentialProvider()"


class UserProvider:
    """Delegated tokens for a signed-in account, refreshed silently with msal's refresh token."""

    def __init__(self, env: Environment, tenant: str | None, client_id: str, scopes: list[str],
                 cache: msal.TokenCache, timeout: float) -> None:
        self.scopes = scopes
        self.account: dict[str, Any] | None = None
        self._app = _build(msal.PublicClientApplication, "Sign-in", (), client_id=client_id,
                           **_app_options(env, tenant, cache, timeout))

    def try_silent(self, home_account_id: str) -> AccessToken | None:
        """Sign in again without a prompt from the cache (a CurrentUser sign-in of an earlier session)."""
        for account in self._app.get_accounts():
            if account.get("home_account_id") == home_account_id:
                result = _call("Silent sign-in", (), self._app.acquire_token_silent, self.scopes, account=account)
                if result and "access_token" in result:
                    self.account = account
                    return _token(result)
        return None

    def sign_in_with_device_code(self, show: Callable[[str], None], timeout: float) -> AccessToken:
        flow = _call("Device code sign-in", (), self._app.initiate_device_flow, scopes=self.scopes)
        if "user_code" not in flow:
            raise_for_msal(flow, "Device code sign-in")
        show(str(flow.get("message") or f"Enter the code {flow['user_code']} at {flow.get('verification_uri')}."))
        # Give up after the original's 120 s (or the code's own lifetime if that is shorter).
        flow["expires_at"] = min(float(flow.get("expires_at") or 0) or time.time() + timeout, time.time() + timeout)
        # Stopped (Ctrl+C): _call returns at once, and msal's polling ends at its next check.
        with cancellation.current().register(lambda: flow.__setitem__("expires_at", 0)):
            result = _call("Device code sign-in", (), self._app.acquire_token_by_device_flow, flow)
        if result and result.get("error") == "authorization_pending":
            result = {"error": "timeout", "error_description": f"Authentication timed out after {int(timeout)} seconds."}
        return self._finish(raise_for_msal(result, "Device code sign-in"))

    def sign_in_interactively(self, timeout: float) -> AccessToken:
        result = _call("Interactive sign-in", (), self._app.acquire_token_interactive, self.scopes, timeout=int(timeout))
        return self._finish(raise_for_msal(result, "Interactive sign-in"))

    def _finish(self, result: dict[str, Any]) -> AccessToken:
        home = (result.get("id_token_claims") or {}).get("oid")
        accounts = self._app.get_accounts()
        self.account = next((a for a in accounts if home and str(a.get("home_account_id", "")).startswith(home)),
                            accounts[0] if accounts else None)
        return _token(result)

    def acquire(self, force_refresh: bool = False) -> AccessToken:
        if self.account is None:
            raise TerminatingError(ErrorRecord("The signed-in account is no longer in the token cache. Please call Connect-MgGraph.",
                                               "AuthenticationNeeded", ErrorCategory.AuthenticationError))
        result = _call("Token refresh", (), self._app.acquire_token_silent, self.scopes, account=self.account,
                       force_refresh=force_refresh)
        if not result:
            result = {"error": "interaction_required",
                      "error_description": "The refresh token is missing or expired. Please call Connect-MgGraph."}
        return _token(raise_for_msal(result, "Token refresh"))

    def __repr__(self) -> str:
        return "UserProvider()"
