"""Signed JWTs: the emulator's RSA signing key, minting access/ID tokens and validating bearers.

Tokens are RS256 JWTs with a ``kid`` published at the tenant's JWKS endpoint, shaped like Entra ID
v1.0 access tokens for Graph: ``aud``, ``iss``, ``tid``, ``appid``, ``roles`` (application) or
``scp`` (delegated, space-separated), ``oid``/``upn`` for a user (auth-and-pain.md §A.3 lists the
claims the SDK reads). The key pair is made once per process (RSA generation is the slow part).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

# PyJWT encodes and decodes with cryptography's key objects, as its documentation says, but before
# 2.8 its annotations ask for a str key (Debian ships 2.6); these names carry the calls as they are.
jwt_encode: Callable[..., str] = jwt.encode
jwt_decode: Callable[..., dict[str, Any]] = jwt.decode

#: Graph's application id; Entra ID accepts it as an audience alias of https://graph.microsoft.com.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"


class TokenError(Exception):
    """A bearer token Graph would refuse (the reason is the 401 message)."""


#: How many verified tokens each key remembers (a test or benchmark run uses a handful).
VERIFIED_CACHE_SIZE = 256


@dataclass(frozen=True)
class SigningKey:
    private: rsa.RSAPrivateKey
    kid: str
    # Tokens whose signature this key has checked, exact text -> claims (least recently used
    # first). Checking RS256 is about half of the emulator's time per request (bench/FINDINGS.md
    # section 8); a client sends the same token thousands of times. Keyed by the whole token, so a
    # changed header, payload or signature is a different key and is verified in full; time and
    # audience are not part of this cache and are checked by the caller on every request.
    _verified: "OrderedDict[str, dict[str, Any]]" = field(default_factory=OrderedDict, repr=False, compare=False)
    _verified_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def jwk(self) -> dict[str, Any]:
        key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**key, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt_encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims (a fresh dict) if this key signed it; raises :class:`TokenError`
        otherwise. Time and audience are checked by the caller, on every request."""
        with self._verified_lock:
            claims = self._verified.get(token)
            if claims is not None:
                self._verified.move_to_end(token)
                return dict(claims)
        claims = self._verify_signature(token)
        with self._verified_lock:
            self._verified[token] = dict(claims)
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
        return claims

    def _verify_signature(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("IDX14100: JWT is not well formed.") from exc
        if header.get("kid") != self.kid:
            raise TokenError("Access token validation failure: the signing key is not known to this tenant.")
        try:
            return jwt_decode(token, self.private.public_key(), algorithms=["RS256"],
                              options={"verify_exp": False, "verify_nbf": False, "verify_iat": False,
                                       "verify_aud": False})
        except jwt.PyJWTError as exc:
            raise TokenError("Access token validation failure: the signature is invalid.") from exc


_lock = threading.Lock()
_key: SigningKey | None = None


def signing_key() -> SigningKey:
    """The process-wide signing key, generated on first use."""
    global _key
    with _lock:
        if _key is None:
            _key = SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), uuid.uuid4().hex)
        return _key
