"""A fake Entra ID tenant: OpenID discovery, JWKS, and a token endpoint that msal can use for real.

Endpoints (served over https on the login URL; ``{tenant}`` may be the tenant id, ``common`` or
``organizations``):

* ``GET  /{tenant}/v2.0/.well-known/openid-configuration`` — discovery (msal's tenant discovery);
* ``GET  /{tenant}/discovery/v2.0/keys`` — the JWKS that verifies every token issued here;
* ``GET  /{tenant}/oauth2/v2.0/authorize`` — the authorization-code flow with PKCE (RFC 7636) for
  a loopback redirect URI (``http://localhost:<port>``, ``http://127.0.0.1:<port>``, ``[::1]``);
  ``POST`` to the same path is the sign-in page's form;
* ``POST /{tenant}/oauth2/v2.0/devicecode`` — starts a device-code sign-in;
* ``POST /{tenant}/oauth2/v2.0/token`` — grants ``client_credentials`` (client secret, or a
  certificate ``client_assertion``), ``authorization_code`` (once, with the PKCE verifier and the
  same redirect URI), ``urn:ietf:params:oauth:grant-type:device_code`` and ``refresh_token``.

Open tenant (default): any client id with any secret or assertion gets an application token with
the presence roles, any user code can be approved, and ``authorize`` signs in the ``login_hint``
user (or the default user) and redirects straight back with a code: a dry run needs no clicks.
Strict tenant: only registered apps (``register_app``) and their own secret, certificate and
roles; ``authorize`` shows a small sign-in page (a user picker of the tenant's users and the scopes
to consent to) whose form posts back; Cancel redirects with ``access_denied``. Error bodies follow
the OAuth 2.0 shape Entra ID uses (``error``, ``error_description`` starting ``AADSTS<code>:``,
``error_codes``); an authorize error goes back to the redirect URI once that URI is known to be a
loopback one, and is a page otherwise (as Entra ID never redirects to an unchecked address).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .clock import Clock
from .tokens import GRAPH_APP_ID, GRAPH_RESOURCE, TokenError, jwt_decode, signing_key

PRESENCE_ROLES = ("Presence.Read.All", "Presence.ReadWrite.All")
DEFAULT_USER_ID = "6e7b0b1c-8a1f-4f3e-9f1a-2b3c4d5e6f70"
DEFAULT_UPN = "alex@pwshcompat.test"
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
DEVICE_CODE_LIFETIME = timedelta(minutes=15)
AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=10)
SIGN_IN_PAGE_LIFETIME = timedelta(minutes=15)
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
_OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
#: The Graph permissions this tenant's Graph checks, as Entra ID spells them in a token's ``scp``: a
#: sign-in may name them in any case (``Connect-MgGraph -Scopes presence.read.all``), the token
#: carries each permission's own name (unknown names are kept as given).
GRAPH_SCOPES = ("Presence.Read", "Presence.Read.All", "Presence.ReadWrite", "Presence.ReadWrite.All", "User.Read",
                "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
                "Directory.ReadWrite.All")
_CANONICAL_SCOPES = {name.lower(): name for name in GRAPH_SCOPES}
_DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class App:
    """An app registration of the strict tenant."""

    client_id: str
    secret: str | None = None
    certificate: x509.Certificate | None = None
    roles: tuple[str, ...] = PRESENCE_ROLES
    display_name: str = "pwshcompat emulator app"


@dataclass
class DeviceCode:
    """A device-code sign-in waiting for the (test-triggered) approval of a user."""

    user_code: str
    device_code: str
    client_id: str
    scopes: list[str]
    resource: str
    expires_at: datetime
    status: str = "pending"                  # pending | approved | denied | redeemed
    user_id: str = DEFAULT_USER_ID
    upn: str = DEFAULT_UPN
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def approve(self, user_id: str = DEFAULT_USER_ID, upn: str = DEFAULT_UPN) -> None:
        with self._lock:
            if self.status == "pending":
                self.status, self.user_id, self.upn = "approved", user_id, upn

    def deny(self) -> None:
        with self._lock:
            if self.status == "pending":
                self.status = "denied"


@dataclass(frozen=True)
class User:
    """A user of the tenant's directory: who the sign-in page offers."""

    user_id: str
    upn: str
    display_name: str = ""


@dataclass
class _AuthorizationRequest:
    """What ``authorize`` was asked, kept while the strict tenant's sign-in page is open."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: list[str]
    resource: str
    code_challenge: str
    code_challenge_method: str
    nonce: str | None
    login_hint: str | None
    expires_at: datetime


@dataclass
class _AuthorizationCode:
    request: _AuthorizationRequest
    user: User
    expires_at: datetime


@dataclass
class Page:
    """A sign-in endpoint answer that is not JSON: an HTML page or a redirect (``Location``)."""

    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


@dataclass
class _RefreshGrant:
    client_id: str
    user_id: str
    upn: str
    scopes: list[str]
    resource: str
    expires_at: datetime
    nonce: str | None = None


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str, code: int | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description, self.code = status, error, description, code


class Tenant:
    """The directory and token service behind the login URL."""

    def __init__(self, clock: Clock, *, tenant_id: str, login_url: str, strict: bool = False) -> None:
        self.clock = clock
        self.login_url = login_url
        self.tenant_id = tenant_id
        self.strict = strict
        self.apps: dict[str, App] = {}
        self.device_code_hook: Callable[[DeviceCode], None] | None = None
        self._lock = threading.Lock()
        self._device_codes: dict[str, DeviceCode] = {}
        self._refresh: dict[str, _RefreshGrant] = {}
        self._sign_in_pages: dict[str, _AuthorizationRequest] = {}
        self._codes: dict[str, _AuthorizationCode] = {}
        self.users: dict[str, User] = {}
        self.add_user(DEFAULT_UPN, DEFAULT_USER_ID, "Alex Wilber")

    # -- configuration and test controls -----------------------------------------------------
    def register_app(self, client_id: str, *, secret: str | None = None,
                     certificate: x509.Certificate | bytes | None = None, roles: Iterable[str] = PRESENCE_ROLES,
                     display_name: str = "pwshcompat emulator app") -> App:
        cert = x509.load_pem_x509_certificate(certificate) if isinstance(certificate, bytes) else certificate
        app = App(client_id, secret, cert, tuple(roles), display_name)
        with self._lock:
            self.apps[client_id] = app
        return app

    def add_user(self, upn: str, user_id: str | None = None, display_name: str = "") -> User:
        """Add a user to the directory (the strict tenant's sign-in page offers exactly these).

        ``user_id`` defaults to a stable id derived from the UPN. A strict tenant's Graph also needs
        ``Emulator.add_user(user_id)`` before it answers for that user's presence.
        """
        user = User(user_id or _user_id_for(upn), upn, display_name or upn.split("@")[0])
        with self._lock:
            self.users[upn.lower()] = user
        return user

    def pending_device_codes(self) -> list[DeviceCode]:
        with self._lock:
            return [c for c in self._device_codes.values() if c.status == "pending"]

    def device_code(self, user_code: str | None = None) -> DeviceCode:
        """The pending device code with ``user_code``, or the only pending one."""
        pending = self.pending_device_codes()
        matches = [c for c in pending if user_code is None or c.user_code == user_code]
        if len(matches) != 1:
            raise LookupError(f"expected one pending device code{'' if user_code is None else ' ' + user_code}, "
                              f"found {len(matches)}")
        return matches[0]

    def reset(self) -> None:
        with self._lock:
            self._device_codes.clear()
            self._refresh.clear()
            self._sign_in_pages.clear()
            self._codes.clear()

    # -- tokens ----------------------------------------------------------------------------
    def issue_access_token(self, *, client_id: str, audience: str = GRAPH_RESOURCE, roles: Iterable[str] | None = None,
                           scp: str | Iterable[str] | None = None, user_id: str | None = None, upn: str | None = None,
                           lifetime: timedelta = ACCESS_TOKEN_LIFETIME, **extra: Any) -> str:
        now = int(self.clock.timestamp())
        claims: dict[str, Any] = {
            "aud": audience, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": now, "nbf": now,
            "exp": now + int(lifetime.total_seconds()), "appid": client_id, "azp": client_id,
            "app_displayname": self._app_name(client_id), "tid": self.tenant_id, "ver": "1.0",
            "uti": uuid.uuid4().hex, "idtyp": "app" if scp is None else "user",
        }
        if roles is not None:
            claims["roles"] = list(roles)
        if scp is not None:
            claims["scp"] = scp if isinstance(scp, str) else " ".join(scp)
            claims.update(oid=user_id or DEFAULT_USER_ID, sub=user_id or DEFAULT_USER_ID, upn=upn or DEFAULT_UPN)
        else:
            claims.update(oid=client_id, sub=client_id)
        claims.update(extra)
        return signing_key().sign(claims)

    def validate(self, token: str, audiences: Iterable[str]) -> dict[str, Any]:
        """The claims of a bearer Graph accepts, else TokenError with Graph's 401 message."""
        claims = signing_key().verify(token)
        if claims.get("tid") != self.tenant_id:
            raise TokenError("Access token validation failure: the token was issued for another tenant.")
        if claims.get("aud") not in set(audiences):
            raise TokenError("Access token validation failure. Invalid audience.")
        now = self.clock.timestamp()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= now:
            raise TokenError("Lifetime validation failed, the token is expired.")
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now + 300:
            raise TokenError("Lifetime validation failed, the token is not yet valid.")
        return claims

    def _app_name(self, client_id: str) -> str:
        app = self.apps.get(client_id)
        return app.display_name if app else "pwshcompat emulator app"

    # -- HTTP ------------------------------------------------------------------------------
    def handle(self, method: str, path: str, form: dict[str, str], headers: dict[str, str],
               base_url: str) -> tuple[int, dict[str, Any] | Page]:
        """Answer one sign-in request: JSON (a dict), or a :class:`Page` for ``authorize``."""
        parts = [p for p in path.split("?", 1)[0].split("/") if p]
        if len(parts) < 2:
            return 404, {"error": "not_found", "error_description": f"No sign-in endpoint at {path}."}
        tenant, rest = parts[0], "/".join(parts[1:])
        try:
            if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
                return 200, self._discovery(base_url, tenant)
            if method == "GET" and rest == "discovery/v2.0/keys":
                return 200, {"keys": [signing_key().jwk()]}
            if rest == "oauth2/v2.0/authorize" and method in ("GET", "POST"):
                query = dict(parse_qsl(path.partition("?")[2], keep_blank_values=True))
                return self._authorize(query) if method == "GET" else self._sign_in_page_posted(form)
            if method == "POST" and rest == "oauth2/v2.0/devicecode":
                return 200, self._start_device_code(form, base_url)
            if method == "POST" and rest == "oauth2/v2.0/token":
                return 200, self._token(form, headers, f"{base_url}/{tenant}/oauth2/v2.0/token")
        except OAuthError as exc:
            return exc.status, self._error_body(exc)
        return 404, {"error": "not_found", "error_description": f"No sign-in endpoint for {method} {path}."}

    def _discovery(self, base: str, tenant: str) -> dict[str, Any]:
        root = f"{base}/{tenant}"
        return {
            "issuer": f"{base}/{self.tenant_id}/v2.0",
            "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
            "token_endpoint": f"{root}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{root}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "grant_types_supported": ["authorization_code", "client_credentials", _DEVICE_GRANT, "refresh_token"],
            "code_challenge_methods_supported": ["S256", "plain"],
            "tenant_region_scope": None,
            "cloud_instance_name": "pwshcompat.test",
        }

    def _error_body(self, exc: OAuthError) -> dict[str, Any]:
        now = self.clock.now()
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        prefix = f"AADSTS{exc.code}: " if exc.code else ""
        return {
            "error": exc.error,
            "error_description": f"{prefix}{exc.description} Trace ID: {trace} Correlation ID: {correlation} "
                                 f"Timestamp: {now:%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [exc.code] if exc.code else [],
            "timestamp": f"{now:%Y-%m-%d %H:%M:%SZ}",
            "trace_id": trace,
            "correlation_id": correlation,
        }

    def _start_device_code(self, form: dict[str, str], base_url: str) -> dict[str, Any]:
        client_id = _required(form, "client_id")
        if self.strict and client_id not in self.apps:
            raise OAuthError(400, "unauthorized_client", f"Application with identifier '{client_id}' was not "
                             "found in the directory.", 700016)
        resource, scopes = _split_scopes(form.get("scope", ""))
        alphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"
        code = DeviceCode(
            user_code="".join(secrets.choice(alphabet) for _ in range(9)),
            device_code=secrets.token_urlsafe(32), client_id=client_id, scopes=scopes or ["User.Read"],
            resource=resource, expires_at=self.clock.now() + DEVICE_CODE_LIFETIME,
        )
        with self._lock:
            self._device_codes[code.device_code] = code
        uri = f"{base_url}/devicelogin"
        if self.device_code_hook is not None:
            self.device_code_hook(code)
        return {
            "user_code": code.user_code, "device_code": code.device_code, "verification_uri": uri,
            "expires_in": int(DEVICE_CODE_LIFETIME.total_seconds()),
            # Entra ID says 5; 1 keeps msal's polling loop short, and tests approve before polling anyway.
            "interval": 1,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the code "
                       f"{code.user_code} to authenticate.",
        }

    def _token(self, form: dict[str, str], headers: dict[str, str], token_url: str) -> dict[str, Any]:
        grant = _required(form, "grant_type")
        if grant == "client_credentials":
            client_id = self._authenticate_client(form, headers, token_url)
            resource, scopes = _split_scopes(form.get("scope", ""))
            if scopes != [".default"]:
                raise OAuthError(400, "invalid_scope", f"The provided value for scope {form.get('scope', '')} is not "
                                 "valid. Client credential flows must have a scope value with /.default suffixed "
                                 "to the resource identifier (application ID URI).", 1002012)
            app = self.apps.get(client_id)
            roles = app.roles if app else PRESENCE_ROLES
            return self._token_response(self.issue_access_token(client_id=client_id, audience=resource, roles=roles),
                                        ".default")
        if grant == "authorization_code":
            return self._redeem_authorization_code(form)
        if grant == _DEVICE_GRANT:
            return self._redeem_device_code(form)
        if grant == "refresh_token":
            return self._redeem_refresh_token(form)
        raise OAuthError(400, "unsupported_grant_type", f"The grant type '{grant}' is not supported here.", 70003)

    def _authenticate_client(self, form: dict[str, str], headers: dict[str, str], token_url: str) -> str:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if not client_id:
            raise OAuthError(400, "invalid_request", "The request body must contain the parameter 'client_id'.", 900144)
        app = self.apps.get(client_id)
        if app is None and self.strict:
            raise OAuthError(400, "unauthorized_client", f"Application with identifier '{client_id}' was not "
                             "found in the directory.", 700016)
        if form.get("client_assertion_type") == _ASSERTION_TYPE:
            self._check_assertion(client_id, _required(form, "client_assertion"), app, token_url)
        elif secret:
            if app is not None and app.secret != secret:
                raise OAuthError(401, "invalid_client", f"Invalid client secret provided for app '{client_id}'.",
                                 7000215)
        else:
            raise OAuthError(401, "invalid_client", "The request body must contain the parameter 'client_assertion' "
                             "or 'client_secret'.", 7000218)
        return client_id

    def _check_assertion(self, client_id: str, assertion: str, app: App | None, token_url: str) -> None:
        """RFC 7523 client assertion: issuer and subject are the client, audience the token endpoint."""
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise OAuthError(401, "invalid_client", "The client assertion is not a well-formed JWT.", 50027) from exc
        certificate = app.certificate if app else None
        if certificate is None and header.get("x5c"):
            certificate = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
        if certificate is None and app is not None:
            raise OAuthError(401, "invalid_client", f"App '{client_id}' has no certificate registered.", 700027)
        if certificate is not None:
            thumbprint = base64.urlsafe_b64encode(hashlib.sha1(certificate.public_bytes(
                serialization.Encoding.DER)).digest()).rstrip(b"=").decode()
            if header.get("x5t") and header["x5t"].rstrip("=") != thumbprint:
                raise OAuthError(401, "invalid_client", "The certificate thumbprint in the client assertion does "
                                 "not match the registered certificate.", 700027)
            try:
                jwt_decode(assertion, certificate.public_key(), algorithms=["RS256", "PS256", "ES256"],
                           options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                    "verify_iat": False})
            except jwt.PyJWTError as exc:
                raise OAuthError(401, "invalid_client", "Client assertion failed signature validation.",
                                 700027) from exc
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            raise OAuthError(401, "invalid_client", "The client assertion's iss and sub must be the client id.",
                             700023)
        if claims.get("aud") != token_url:
            raise OAuthError(401, "invalid_client", f"The client assertion's audience must be {token_url}.", 700021)
        now = self.clock.timestamp()
        if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now - 300:
            raise OAuthError(401, "invalid_client", "The client assertion is expired.", 700024)

    def _redeem_device_code(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            code = self._device_codes.get(_required(form, "device_code"))
        if code is None or code.status == "redeemed":
            raise OAuthError(400, "invalid_grant", "The device code is not known or was already used.", 70000)
        if code.expires_at <= self.clock.now():
            raise OAuthError(400, "expired_token", "The device code has expired.", 70020)
        if code.status == "denied":
            raise OAuthError(400, "authorization_declined", "The user declined the sign-in.", 70000)
        if code.status == "pending":
            raise OAuthError(400, "authorization_pending", "The user has not yet completed the sign-in.", 70016)
        code.status = "redeemed"
        return self._delegated_response(_RefreshGrant(code.client_id, code.user_id, code.upn, code.scopes,
                                                      code.resource, self.clock.now() + REFRESH_TOKEN_LIFETIME))

    def _redeem_refresh_token(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            grant = self._refresh.pop(_required(form, "refresh_token"), None)
        if grant is None or grant.expires_at <= self.clock.now() or grant.client_id != form.get("client_id"):
            raise OAuthError(400, "invalid_grant", "The refresh token is invalid, expired or was issued to "
                             "another client.", 70000)
        grant.expires_at = self.clock.now() + REFRESH_TOKEN_LIFETIME
        return self._delegated_response(grant)

    def _delegated_response(self, grant: _RefreshGrant) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(48)
        with self._lock:
            self._refresh[refresh] = _RefreshGrant(grant.client_id, grant.user_id, grant.upn, grant.scopes,
                                                   grant.resource, grant.expires_at)
        scp = " ".join(grant.scopes)
        access = self.issue_access_token(client_id=grant.client_id, audience=grant.resource, scp=scp,
                                         user_id=grant.user_id, upn=grant.upn)
        # Only msal reads the ID token, and it checks the times against the wall clock, not ours.
        now = int(time.time())
        id_token = signing_key().sign({
            "aud": grant.client_id, "iss": f"{self.login_url}/{self.tenant_id}/v2.0", "iat": now, "nbf": now,
            "exp": now + 3600, "oid": grant.user_id, "sub": grant.user_id, "tid": self.tenant_id,
            "preferred_username": grant.upn, "name": grant.upn.split("@")[0], "ver": "2.0",
            **({"nonce": grant.nonce} if grant.nonce else {}),
        })
        client_info = base64.urlsafe_b64encode(
            f'{{"uid":"{grant.user_id}","utid":"{self.tenant_id}"}}'.encode()).decode().rstrip("=")
        return {**self._token_response(access, scp), "refresh_token": refresh, "id_token": id_token,
                "client_info": client_info}

    # -- authorization-code flow -----------------------------------------------------------------
    def _authorize(self, query: dict[str, str]) -> tuple[int, Page]:
        """``GET authorize``: check the request, then sign in (open tenant) or show the page (strict)."""
        client_id = query.get("client_id", "")
        if not client_id:
            return _error_page(400, 900144, "The request body must contain the parameter 'client_id'.")
        if self.strict and client_id not in self.apps:
            return _error_page(400, 700016, f"Application with identifier '{client_id}' was not found in the "
                                            "directory.")
        redirect_uri = query.get("redirect_uri", "")
        if not _is_loopback_redirect(redirect_uri):
            return _error_page(400, 50011, f"The redirect URI '{redirect_uri}' specified in the request does not "
                                           "match the redirect URIs configured for the application: this tenant "
                                           "accepts only loopback addresses (http://localhost:<port>).")
        state = query.get("state")
        try:
            if query.get("response_type") != "code":
                raise OAuthError(400, "unsupported_response_type", "The response type must be 'code'.", 900144)
            challenge = query.get("code_challenge", "")
            method = query.get("code_challenge_method") or "plain"
            if not challenge:
                raise OAuthError(400, "invalid_request", "Proof Key for Code Exchange is required: the request must "
                                 "contain a code_challenge.", 9002325)
            if method not in ("S256", "plain"):
                raise OAuthError(400, "invalid_request", f"The code_challenge_method '{method}' is not supported.",
                                 50145)
            resource, scopes = _split_scopes(query.get("scope", ""))
            request = _AuthorizationRequest(client_id, redirect_uri, state, scopes or ["User.Read"], resource,
                                            challenge, method, query.get("nonce"), query.get("login_hint"),
                                            self.clock.now() + SIGN_IN_PAGE_LIFETIME)
        except OAuthError as exc:
            return _redirect(redirect_uri, {"error": exc.error, "error_description": self._error_body(exc)[
                "error_description"], **({"state": state} if state else {})})
        if not self.strict:
            return self._issue_code(request, self._user_for_hint(request.login_hint))
        page_id = secrets.token_urlsafe(24)
        with self._lock:
            self._sign_in_pages[page_id] = request
        return 200, self._sign_in_page(page_id, request)

    def _user_for_hint(self, login_hint: str | None) -> User:
        with self._lock:
            known = self.users.get((login_hint or DEFAULT_UPN).lower())
        return known or User(_user_id_for(str(login_hint)), str(login_hint), str(login_hint).split("@")[0])

    def _sign_in_page(self, page_id: str, request: _AuthorizationRequest) -> Page:
        with self._lock:
            users = sorted(self.users.values(), key=lambda u: u.upn.lower())
        hint = (request.login_hint or "").lower()
        options = "".join(
            f'<option value="{html.escape(u.upn)}"{" selected" if u.upn.lower() == hint else ""}>'
            f"{html.escape(u.display_name)} ({html.escape(u.upn)})</option>" for u in users)
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in request.scopes)
        app = html.escape(self._app_name(request.client_id))
        body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - pwshcompat emulator</title></head>
<body>
<h1>Sign in to the pwshcompat emulator</h1>
<form method="post" action="authorize">
<input type="hidden" name="request" value="{html.escape(page_id)}">
<p><label for="user">Account</label> <select id="user" name="login">{options}</select></p>
<p><strong>{app}</strong> ({html.escape(request.client_id)}) asks for these permissions:</p>
<ul id="scopes">{scopes}</ul>
<p><button id="accept" type="submit" name="action" value="accept">Accept</button>
<button id="cancel" type="submit" name="action" value="cancel">Cancel</button></p>
</form>
</body></html>
"""
        return Page(body, {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"})

    def _sign_in_page_posted(self, form: dict[str, str]) -> tuple[int, Page]:
        """The sign-in page's form: Accept issues a code for the chosen user, Cancel declines."""
        with self._lock:
            request = self._sign_in_pages.pop(form.get("request", ""), None)
        if request is None or request.expires_at <= self.clock.now():
            return _error_page(400, 50058, "This sign-in page is not known or has expired. Start the sign-in again.")
        state = {"state": request.state} if request.state else {}
        if form.get("action") != "accept":
            exc = OAuthError(400, "access_denied", "The user declined to consent to access the app.", 65004)
            return _redirect(request.redirect_uri, {"error": exc.error,
                                                    "error_description": self._error_body(exc)["error_description"],
                                                    **state})
        with self._lock:
            user = self.users.get(form.get("login", "").lower())
        if user is None:
            return _error_page(400, 50034, "The user account does not exist in this directory.")
        return self._issue_code(request, user)

    def _issue_code(self, request: _AuthorizationRequest, user: User) -> tuple[int, Page]:
        code = secrets.token_urlsafe(48)
        with self._lock:
            self._codes[code] = _AuthorizationCode(request, user, self.clock.now() + AUTHORIZATION_CODE_LIFETIME)
        params = {"code": code, **({"state": request.state} if request.state else {}),
                  "session_state": str(uuid.uuid5(uuid.NAMESPACE_URL, user.user_id))}
        return _redirect(request.redirect_uri, params)

    def _redeem_authorization_code(self, form: dict[str, str]) -> dict[str, Any]:
        """Redeem a code once: the same client and redirect URI, and the verifier of its challenge."""
        with self._lock:  # any attempt uses the code up, as a failed one may come from a thief
            issued = self._codes.pop(_required(form, "code"), None)
        if issued is None:
            raise OAuthError(400, "invalid_grant", "The provided authorization code is not valid or was already "
                             "redeemed.", 54005)
        request = issued.request
        if issued.expires_at <= self.clock.now():
            raise OAuthError(400, "invalid_grant", "The provided authorization code has expired.", 70008)
        if form.get("client_id") != request.client_id:
            raise OAuthError(400, "invalid_grant", "The authorization code was issued to another client.", 70000)
        if form.get("redirect_uri") != request.redirect_uri:
            raise OAuthError(400, "invalid_grant", "The reply address does not match the reply address provided "
                             "when requesting the authorization code.", 500112)
        verifier = form.get("code_verifier", "")
        expected = verifier if request.code_challenge_method == "plain" else base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(expected, request.code_challenge):
            raise OAuthError(400, "invalid_grant", "The code_verifier does not match the code_challenge supplied in "
                             "the authorization request.", 501481)
        return self._delegated_response(_RefreshGrant(request.client_id, issued.user.user_id, issued.user.upn,
                                                      request.scopes, request.resource,
                                                      self.clock.now() + REFRESH_TOKEN_LIFETIME, request.nonce))

    def _token_response(self, access_token: str, scope: str) -> dict[str, Any]:
        lifetime = int(ACCESS_TOKEN_LIFETIME.total_seconds()) - 1
        return {"token_type": "Bearer", "scope": scope, "expires_in": lifetime, "ext_expires_in": lifetime,
                "access_token": access_token}


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"The request body must contain the parameter '{name}'.", 900144)
    return value


def _split_scopes(scope: str) -> tuple[str, list[str]]:
    """(resource, permission names) of an OAuth scope string; OpenID scopes are dropped."""
    resource, names = GRAPH_RESOURCE, []
    for item in scope.split():
        if item in _OIDC_SCOPES:
            continue
        if "/" in item and ("://" in item or item.startswith(GRAPH_APP_ID)):
            resource, _, item = item.rpartition("/")
        names.append(_CANONICAL_SCOPES.get(item.lower(), item))
    return resource, names


def _user_id_for(upn: str) -> str:
    """A stable object id for a user the directory does not list (the open tenant knows everyone)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, upn.lower()))


def _is_loopback_redirect(uri: str) -> bool:
    """Whether ``uri`` is an http loopback address, the only redirect a native client here may use."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS and not parts.fragment


def _redirect(redirect_uri: str, params: dict[str, str]) -> tuple[int, Page]:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return 302, Page(headers={"Location": redirect_uri + separator + urlencode(params)})


def _error_page(status: int, code: int, description: str) -> tuple[int, Page]:
    text = html.escape(f"AADSTS{code}: {description}")
    return status, Page(f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error"
                        f"</title></head><body><h1>Sign-in error</h1><p id=\"error\">{text}</p></body></html>\n")
