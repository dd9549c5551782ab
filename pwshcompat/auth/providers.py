"""Token providers on msal: client secret, client certificate, and user sign-in (device code, browser).

msal's results are dicts with ``error`` instead of exceptions; :func:`raise_for_msal` is the one
place they become a :class:`~pwshcompat.errors.TerminatingError`. Any secret the provider holds is
scrubbed from that text before it leaves.

Authority: ``{AzureADEndpoint}/{tenant}`` (auth-and-pain.md §A.3). msal's instance discovery asks
``login.microsoftonline.com`` about unknown hosts, which cannot work for a custom or local cloud,
so it is only used for the built-in clouds.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable
from urllib.parse import quote, quote_plus

import msal

from .. import cancellation
from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from .context import AccessToken
from .environments import Environment
from .http import AuthSession

_KNOWN_CLOUDS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn"}


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***`` wherever it stands as a whole value.

    A whole value is not glued to a letter, digit or underscore on a side where the secret itself
    ends in one, so the secret ``online`` is masked in ``client_secret=online&`` but the host
    ``login.microsoftonline.com`` stays readable, and the secret ``s`` does not star every "s".
    Its URL-encoded forms (as a form body would carry it) are masked the same way.
    """
    for secret in secrets:
        if not secret:
            continue
        for form in sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True):
            before = r"(?<!\w)" if re.match(r"\w", form[0]) else ""
            after = r"(?!\w)" if re.match(r"\w", form[-1]) else ""
            text = re.sub(before + re.escape(form) + after, "***", text)
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


def _call(what: str, secrets: tuple[str, ...], session: AuthSession | None, fn: Callable[..., Any], *args: Any,
          **kwargs: Any) -> Any:
    """Run an msal call, turning what it raises (network errors, token validation) into our error.

    ``session`` is the msal app's HTTP client: when an answer was not JSON, the error names its URL.
    A host can stop the call (Ctrl+C): it then returns at once (:func:`pwshcompat.cancellation.call`).
    """
    import requests

    try:
        return cancellation.call(fn, *args, **kwargs)
    except requests.RequestException as exc:
        raise TerminatingError(ErrorRecord(f"{what} failed: the sign-in endpoint did not answer: {redact(str(exc), secrets)}"
                                           f"{_tls_hint(exc, secrets)}",
                                           "AuthenticationFailed", ErrorCategory.ConnectionError)) from None
    except (RuntimeError, ValueError, KeyError) as exc:
        # msal raises these when a response is malformed or an ID token fails validation.
        invalid = session.invalid_answer() if session is not None and isinstance(exc, ValueError) else None
        first_line = invalid or (redact(str(exc), secrets).splitlines()[0] if str(exc) else type(exc).__name__)
        raise TerminatingError(ErrorRecord(f"{what} failed: {redact(first_line, secrets)}", "AuthenticationFailed",
                                           ErrorCategory.AuthenticationError)) from None


def _tls_hint(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """" <sentence>" naming the CA file to trust when the sign-in endpoint is a pwshcompat emulator whose
    certificate this process does not trust (``emulator.tls.untrusted_emulator_hint``), else ""."""
    url = getattr(getattr(exc, "request", None), "url", None)
    if not url:
        return ""
    try:  # lazy, and only present with the emulator's dependencies
        from ..emulator.tls import untrusted_emulator_hint
    except ImportError:
        return ""
    hint = untrusted_emulator_hint(url, exc)
    return f" {redact(hint, secrets)}" if hint else ""


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
        session = kwargs.get("http_client")
        invalid = session.invalid_answer() if isinstance(session, AuthSession) and isinstance(exc, ValueError) else None
        reason = invalid or f"cannot reach the sign-in endpoint {kwargs.get('authority')}: {str(exc)}"
        raise TerminatingError(ErrorRecord(
            f"{what} failed: {redact(reason, secrets)}{_tls_hint(exc, secrets)}",
            "AuthenticationFailed", ErrorCategory.ConnectionError, target=kwargs.get("authority"))) from None


class ClientCredentialProvider:
    """App-only tokens (client secret or certificate) for ``{GraphEndpoint}/.default``."""

    def __init__(self, env: Environment, tenant: str | None, client_id: str, credential: str | dict[str, str],
                 cache: msal.TokenCache, timeout: float, what: str) -> None:
        self._secrets = (credential,) if isinstance(credential, str) else ()
        self._what = what
        self.scopes = [f"{env.graph_endpoint.rstrip('/')}/.default"]
        options = _app_options(env, tenant, cache, timeout)
        self._session: AuthSession = options["http_client"]
        self._app = _build(msal.ConfidentialClientApplication, what, self._secrets, client_id=client_id,
                           client_credential=credential, **options)

    def acquire(self, force_refresh: bool = False) -> AccessToken:
        # msal 1.21's acquire_token_for_client always asks the endpoint; GraphContext caches the result.
        result = _call(self._what, self._secrets, self._session, self._app.acquire_token_for_client, self.scopes)
        return _token(raise_for_msal(result, self._what, self._secrets))

    def __repr__(self) -> str:
        return "ClientCredentialProvider()"


class BrowserUnavailable(Exception):
    """No browser could be opened for interactive sign-in (``url`` is the page it should show)."""

    def __init__(self, url: str) -> None:
        super().__init__("No browser could be opened.")
        self.url = url


class UserProvider:
    """Delegated tokens for a signed-in account, refreshed silently with msal's refresh token."""

    def __init__(self, env: Environment, tenant: str | None, client_id: str, scopes: list[str],
                 cache: msal.TokenCache, timeout: float) -> None:
        self.scopes = scopes
        self.account: dict[str, Any] | None = None
        self.redirect_uri: str | None = None  # the loopback address of the last interactive sign-in
        options = _app_options(env, tenant, cache, timeout)
        self._session: AuthSession = options["http_client"]
        self._app = _build(msal.PublicClientApplication, "Sign-in", (), client_id=client_id, **options)

    def try_silent(self, home_account_id: str) -> AccessToken | None:
        """Sign in again without a prompt from the cache (a CurrentUser sign-in of an earlier session)."""
        for account in self._app.get_accounts():
            if account.get("home_account_id") == home_account_id:
                result = _call("Silent sign-in", (), self._session, self._app.acquire_token_silent, self.scopes, account=account)
                if result and "access_token" in result:
                    self.account = account
                    return _token(result)
        return None

    def sign_in_with_device_code(self, show: Callable[[str], None], timeout: float) -> AccessToken:
        flow = _call("Device code sign-in", (), self._session, self._app.initiate_device_flow, scopes=self.scopes)
        if "user_code" not in flow:
            raise_for_msal(flow, "Device code sign-in")
        show(str(flow.get("message") or f"Enter the code {flow['user_code']} at {flow.get('verification_uri')}."))
        # Give up after the original's 120 s (or the code's own lifetime if that is shorter).
        flow["expires_at"] = min(float(flow.get("expires_at") or 0) or time.time() + timeout, time.time() + timeout)
        # Stopped (Ctrl+C): _call returns at once, and msal's polling ends at its next check.
        with cancellation.current().register(lambda: flow.__setitem__("expires_at", 0)):
            result = _call("Device code sign-in", (), self._session, self._app.acquire_token_by_device_flow, flow)
        if result and result.get("error") == "authorization_pending":
            result = {"error": "timeout", "error_description": f"Authentication timed out after {int(timeout)} seconds."}
        return self._finish(raise_for_msal(result, "Device code sign-in"))

    def sign_in_interactively(self, timeout: float, open_browser: Callable[[str], bool],
                              login_hint: str | None = None) -> AccessToken:
        """The authorization-code flow with PKCE in a browser, redirected to a loopback port.

        msal builds the authorize URL (state, nonce, PKCE challenge) and redeems the code with the
        verifier; :class:`~pwshcompat.auth.loopback.LoopbackReceiver` takes the redirect on a free
        port of ``127.0.0.1`` and is closed when this returns. ``open_browser(url)`` shows the page
        and says whether it could. Raises :class:`BrowserUnavailable` when it could not (the caller
        falls back to the device code, as the original does), and a ``TerminatingError`` when no
        answer came within ``timeout`` seconds or the browser brought back an error (e.g. the user
        cancelled).
        """
        from .loopback import LoopbackReceiver

        what = "Interactive sign-in"
        with LoopbackReceiver() as receiver:
            flow = _call(what, (), self._session, self._app.initiate_auth_code_flow, self.scopes,
                         redirect_uri=receiver.redirect_uri, login_hint=login_hint)
            receiver.state = flow["state"]
            self.redirect_uri = receiver.redirect_uri
            if not open_browser(flow["auth_uri"]):
                raise BrowserUnavailable(flow["auth_uri"])
            answer = receiver.wait(timeout)
        if answer is None:
            raise TerminatingError(ErrorRecord(
                f"{what} failed: Authentication timed out after {timeout:g} seconds: no answer came back to "
                f"{receiver.redirect_uri} from the browser.", "AuthenticationFailed", ErrorCategory.OperationTimeout))
        if "error" in answer:
            error = answer.get("error") or "error"
            description = (answer.get("error_description") or "").strip().splitlines()[0:1]
            reason = "the sign-in was cancelled or declined in the browser" if error == "access_denied" \
                else "the browser came back with an error"
            raise TerminatingError(ErrorRecord(
                f"{what} failed: {reason}: {error}: {' '.join(description)}".rstrip(": "), "AuthenticationFailed",
                ErrorCategory.AuthenticationError, extra={"error": error}))
        result = _call(what, (), self._session, self._app.acquire_token_by_auth_code_flow, flow, answer)
        return self._finish(raise_for_msal(result, what))

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
        result = _call("Token refresh", (), self._session, self._app.acquire_token_silent, self.scopes, account=self.account,
                       force_refresh=force_refresh)
        if not result:
            result = {"error": "interaction_required",
                      "error_description": "The refresh token is missing or expired. Please call Connect-MgGraph."}
        return _token(raise_for_msal(result, "Token refresh"))

    def __repr__(self) -> str:
        return "UserProvider()"
