"""Users: ``GET /me`` and ``GET /users/{id or userPrincipalName}`` (beta and v1.0).

Enough for the scripts that look themselves up before they set a presence, such as
``Invoke-MgGraphRequest -Method GET -Uri 'https://graph.microsoft.com/v1.0/me?$select=id,...'``
(real-usage.md). What Graph answers, as its user pages document it:

* the default properties ``businessPhones``, ``displayName``, ``givenName``, ``jobTitle``,
  ``mail``, ``mobilePhone``, ``officeLocation``, ``preferredLanguage``, ``surname``,
  ``userPrincipalName`` and ``id``, with ``"@odata.context": ".../$metadata#users/$entity"``;
  ``$select`` picks properties, also a few beyond the defaults (``accountEnabled``, ``userType``,
  ``mailNickname``, ``department``, ...), and an unknown name is 400; beta answers the same set
  (*unconfirmed*: beta returns more properties by default);
* ``/me`` with an application token: 400 ``BadRequest``, "/me request is only valid with delegated
  authentication flow." (graph-presence.md §2: application permissions cannot be used on /me);
* a user the directory does not have: 404 ``Request_ResourceNotFound``.

The open tenant knows every user it is asked about, as for presences: ``/users/{id}`` makes one up
(its UPN ``<id>@pwshcompat.test``; for a UPN, the id the tenant would give it), and any valid token
may read users (its application tokens carry only the presence roles, and a dry run should not
fail on a permission the real app has). A strict tenant answers only for its directory's users
(``emu.tenant.add_user(upn)``) and the ids ``emu.add_user(id)`` made known, and wants Graph's permissions: for an application token one of
``User.ReadBasic.All``, ``User.Read.All``, ``User.ReadWrite.All``, ``Directory.Read.All``,
``Directory.ReadWrite.All``; for a delegated one ``User.Read`` (or more) for the signed-in user and
one of the ``.All`` permissions for others; else 403 ``Authorization_RequestDenied``.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import queries
from .identity import DEFAULT_UPN, Tenant, User, _user_id_for
from .presence import GraphError

__all__ = ["USER", "read"]

_DEFAULTS = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
             "preferredLanguage", "surname", "userPrincipalName", "id")
_MORE = ("accountEnabled", "userType", "mailNickname", "department", "companyName", "employeeId", "city",
         "country", "usageLocation")
USER = queries.EntityType("microsoft.graph.user", "users", _DEFAULTS + _MORE)
DOMAIN = DEFAULT_UPN.split("@", 1)[1]

_APP_ROLES = ("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
              "Directory.ReadWrite.All")
_OWN_SCOPES = ("User.Read", "User.ReadWrite", *_APP_ROLES)


def read(tenant: Tenant, presence_users: Iterable[str], key: str | None, claims: dict[str, Any],
         query_string: str, base: str) -> dict[str, Any]:
    """The body of ``GET {base}/users/{key}``, or of ``/me`` when ``key`` is None.

    ``presence_users`` are the ids the presence store knows (``emu.add_user``): a strict tenant
    knows those users too. ``base`` is the Graph URL with the version
    (``http://127.0.0.1:PORT/v1.0``). Raises :class:`GraphError` (400, 403, 404) as the module
    docstring says.
    """
    query = queries.parse(query_string, ("$select", "$expand"), USER)
    delegated = claims.get("scp") is not None
    if key is None:
        if not delegated:
            raise GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
        user = _signed_in(tenant, claims)
    else:
        user = _find(tenant, presence_users, key)
    if tenant.strict:
        _authorize(claims, own=delegated and user.user_id == claims.get("oid"))
    context = f"{base}/$metadata#users{queries.context_select(query.select)}/$entity"
    return {"@odata.context": context, **queries.select(_properties(user), query.select or list(_DEFAULTS))}


def _signed_in(tenant: Tenant, claims: dict[str, Any]) -> User:
    oid = str(claims.get("oid"))
    for user in list(tenant.users.values()):
        if user.user_id == oid:
            return user
    upn = str(claims.get("upn") or claims.get("preferred_username") or f"{oid}@{DOMAIN}")
    return User(oid, upn, upn.split("@", 1)[0])


def _find(tenant: Tenant, presence_users: Iterable[str], key: str) -> User:
    wanted = key.lower()
    for user in list(tenant.users.values()):
        if user.user_id.lower() == wanted or user.upn.lower() == wanted:
            return user
    if tenant.strict and key not in set(presence_users):
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of its queried "
                         "reference-property objects are not present.")
    if "@" in key:
        return User(_user_id_for(key), key, key.split("@", 1)[0])
    return User(key, f"{key}@{DOMAIN}", key)


def _authorize(claims: dict[str, Any], *, own: bool) -> None:
    needed: tuple[str, ...]
    if claims.get("scp") is None:
        granted = set(claims.get("roles") or [])
        needed = _APP_ROLES
    else:
        granted = set(str(claims["scp"]).split())
        needed = _OWN_SCOPES if own else _APP_ROLES
    if not granted.intersection(needed):
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def _properties(user: User) -> dict[str, Any]:
    given, _, surname = (user.display_name or "").partition(" ")
    nickname = user.upn.split("@", 1)[0]
    return {
        "businessPhones": [], "displayName": user.display_name or nickname, "givenName": given or None,
        "jobTitle": None, "mail": user.upn, "mobilePhone": None, "officeLocation": None,
        "preferredLanguage": None, "surname": surname or None, "userPrincipalName": user.upn, "id": user.user_id,
        "accountEnabled": True, "userType": "Member", "mailNickname": nickname, "department": None,
        "companyName": None, "employeeId": None, "city": None, "country": None, "usageLocation": None,
    }
