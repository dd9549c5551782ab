"""The connection context that Connect-MgGraph creates and Graph commands use.

Connect-MgGraph installs its :class:`GraphContext` as the process's connection
(:mod:`pwshcompat.graph.connection`, through :func:`set_current`); the Graph client reads it from
there and calls ``context.get_token(force_refresh=False)`` before each request; on a 401 it calls it
once more with ``force_refresh=True`` and retries once. The context hands out a cached token until it is within
:data:`REFRESH_MARGIN_SECONDS` of expiry (msal's own margin), then asks its token provider for a
new one, so tokens refresh before they expire. A ``-AccessToken`` connection has no provider
behind it: it is never refreshed (auth-and-pain.md §A.2), and ``force_refresh`` returns the same token.

This module stays free of msal so that importing it (on every Graph call) is cheap.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from ..graph import connection
from .environments import Environment

__all__ = ["AccessToken", "AuthContextInfo", "GraphContext", "TokenProvider", "current", "set_current",
           "REFRESH_MARGIN_SECONDS"]

REFRESH_MARGIN_SECONDS = 300.0


@dataclass(frozen=True)
class AccessToken:
    """A bearer token and when it expires (seconds since the epoch; ``inf`` for never)."""

    token: str = field(repr=False)
    expires_on: float = math.inf

    def __repr__(self) -> str:  # never show the token, even by accident
        return f"AccessToken(expires_on={self.expires_on})"


class TokenProvider(Protocol):
    """Gets a fresh token; ``force_refresh`` skips any cache the provider keeps."""

    def acquire(self, force_refresh: bool = False) -> AccessToken: ...


class StaticTokenProvider:
    """``-AccessToken``: the token the user gave, as is, forever."""

    def __init__(self, token: str) -> None:
        self._token = AccessToken(token)

    def acquire(self, force_refresh: bool = False) -> AccessToken:
        return self._token

    def __repr__(self) -> str:
        return "StaticTokenProvider()"


@dataclass
class AuthContextInfo:
    """What Get-MgContext shows: the original's ``IAuthContext`` properties in its order (§B.1).

    There is deliberately no property that holds a token or a secret; ``ClientSecret`` exists for
    scripts that read it and is always None.
    """

    PS_TYPE_NAME: ClassVar[str] = "Microsoft.Graph.PowerShell.Authentication.AuthContext"

    ClientId: str | None
    TenantId: str | None
    Scopes: list[str]
    AuthType: str
    TokenCredentialType: str
    CertificateThumbprint: str | None
    CertificateSubjectName: str | None
    SendCertificateChain: bool
    Account: str | None
    AppName: str | None
    ContextScope: str
    Certificate: Any
    PSHostVersion: str | None
    ManagedIdentityId: str | None
    ClientSecret: None
    Environment: str


@dataclass(repr=False)
class GraphContext:
    """One connection: where Graph is, who signed in, and how to get a token."""

    environment: Environment
    auth_type: str
    token_credential_type: str
    provider: TokenProvider
    client_id: str | None = None
    tenant_id: str | None = None
    scopes: list[str] = field(default_factory=list)
    account: str | None = None
    app_name: str | None = None
    context_scope: str = "Process"
    certificate_thumbprint: str | None = None
    certificate_subject_name: str | None = None
    send_certificate_chain: bool = False
    managed_identity_id: str | None = None
    ps_host_version: str | None = None
    client_timeout: float | None = None
    _token: AccessToken | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def graph_endpoint(self) -> str:
        """The environment's Graph endpoint (what :class:`pwshcompat.graph.connection.Connection` asks)."""
        return self.environment.graph_endpoint

    def get_token(self, force_refresh: bool = False) -> str:
        """A bearer token for Graph, refreshed when it is close to expiry or when asked to."""
        with self._lock:
            token = self._token
            if force_refresh or token is None or token.expires_on - time.time() <= REFRESH_MARGIN_SECONDS:
                token = self._token = self.provider.acquire(force_refresh=force_refresh)
            return token.token

    def prime(self, token: AccessToken) -> None:
        """Remember the token Connect-MgGraph just acquired, so the first Graph call does not ask again."""
        with self._lock:
            self._token = token

    def info(self) -> AuthContextInfo:
        return AuthContextInfo(
            ClientId=self.client_id, TenantId=self.tenant_id, Scopes=list(self.scopes), AuthType=self.auth_type,
            TokenCredentialType=self.token_credential_type, CertificateThumbprint=self.certificate_thumbprint,
            CertificateSubjectName=self.certificate_subject_name, SendCertificateChain=self.send_certificate_chain,
            Account=self.account, AppName=self.app_name, ContextScope=self.context_scope, Certificate=None,
            PSHostVersion=self.ps_host_version, ManagedIdentityId=self.managed_identity_id, ClientSecret=None,
            Environment=self.environment.name,
        )

    def __repr__(self) -> str:
        return (f"GraphContext(environment={self.environment.name!r}, auth_type={self.auth_type!r}, "
                f"client_id={self.client_id!r}, tenant_id={self.tenant_id!r})")


def current() -> GraphContext | None:
    """The context of the last Connect-MgGraph in this process, or None (also when the process's
    connection was installed by other code and is no :class:`GraphContext`)."""
    found = connection.current()
    return found if isinstance(found, GraphContext) else None


def set_current(context: GraphContext | None) -> GraphContext | None:
    """Install ``context`` as the process's connection (None disconnects); returns the
    :class:`GraphContext` it replaced, if it replaced one."""
    previous = connection.set_current(context)
    return previous if isinstance(previous, GraphContext) else None
