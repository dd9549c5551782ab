"""Connect-MgGraph: turn a bound parameter set into a signed-in :class:`GraphContext`.

Facts from auth-and-pain.md §A (ConnectMgGraph.cs, AuthenticationHelpers.cs): which set means
which AuthType / TokenCredentialType, the default ContextScope per set (CurrentUser for user
sign-in except on WSL, Process otherwise), default scopes (``User.Read`` for delegated,
``{GraphEndpoint}/.default`` for app-only and environment variables, the bare Graph endpoint for
managed identity), the default client id, and that Connect acquires a token at once and fills the
context from the token's claims. On a failure no half-made connection is left behind.

Two optional keys a host may add to ``bound`` besides the parameters: ``__Environment`` (its
current environment variables, see :data:`ENVIRONMENT_VARIABLES`) and ``__PSHostVersion`` (shown
as Get-MgContext's ``PSHostVersion``).
"""

from __future__ import annotations

import base64
import json
import os
import platform
import sys
from typing import Any, Callable

from ..errors import ErrorCategory, ErrorRecord, TerminatingError
from ..graph import request_context
from ..runtime import CommandRuntime
from . import context as ctx
from . import environments, paths

# "Microsoft Graph Command Line Tools", the original's default app (AuthContext.PowerShellClientId).
DEFAULT_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
DEFAULT_APP_NAME = "Microsoft Graph Command Line Tools"
DEFAULT_SCOPES = ["User.Read"]
AUTH_TIMEOUT_SECONDS = 120.0
# What Connect-MgGraph -Environment Emulator signs in as: the emulator's open tenant takes any app.
EMULATOR_CLIENT_ID = "pwshcompat-dry-run"
EMULATOR_CLIENT_SECRET = "dry-run"  # not a secret: the open tenant accepts any value
EMULATOR_TENANT = "emulator"

USER, CERT, IDENTITY, SECRET, TOKEN, ENV_VARS = (
    "UserParameterSet", "AppCertificateParameterSet", "IdentityParameterSet",
    "AppSecretCredentialParameterSet", "AccessTokenParameterSet", "EnvironmentVariableParameterSet")

WELCOME = """Welcome to Microsoft Graph!

Connected via {auth_type} access using {client_id}
Readme: https://aka.ms/graph/sdk/powershell
SDK Docs: https://aka.ms/graph/sdk/powershell/docs
API Docs: https://aka.ms/graph/docs

NOTE: You can use the -NoWelcome parameter to suppress this message."""


def _fail(message: str, error_id: str, category: ErrorCategory = ErrorCategory.InvalidArgument,
          target: Any = None) -> TerminatingError:
    return TerminatingError(ErrorRecord(message, error_id, category, target))


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, unverified (only to describe the connection); {} if not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def parse_scopes(value: Any) -> list[str]:
    """``-Scopes``: every item may hold several scopes separated by commas."""
    items = [value] if isinstance(value, str) else list(value or [])
    return [s.strip() for item in items for s in str(item).split(",") if s.strip()]


def _is_wsl() -> bool:
    return "microsoft" in platform.release().lower() or "wsl" in platform.release().lower()


def _default_scope(parameter_set: str, env: environments.Environment | None = None) -> str:
    """CurrentUser for user sign-in (Process on WSL, as the original); Process otherwise. A dry run
    in the built-in ``Emulator`` defaults to Process too: it must not replace a real remembered account."""
    if env is not None and env.name == environments.EMULATOR and env.is_built_in:
        return "Process"
    return "CurrentUser" if parameter_set == USER and not _is_wsl() else "Process"


# The variables Connect-MgGraph reads. Python's os.environ is a snapshot taken when the interpreter
# started, and .NET on Unix does not pass later `$env:X = ...` changes to the C environment, so a
# host that embeds Python passes its current values as ``bound["__Environment"]`` (a dict of name ->
# value; a name that is absent there is unset). Python callers need not: os.environ is live for them.
ENVIRONMENT_VARIABLES = (
    "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_USERNAME", "AZURE_PASSWORD",
    "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "BROWSER", "DISPLAY", "WAYLAND_DISPLAY",
)


def environ(bound: dict[str, Any]) -> dict[str, str]:
    """The environment variables as the caller sees them now (see ENVIRONMENT_VARIABLES)."""
    host = bound.get("__Environment")
    if isinstance(host, dict):
        return {str(k): str(v) for k, v in host.items() if v is not None}
    return dict(os.environ)


def _environment(bound: dict[str, Any], runtime: CommandRuntime) -> environments.Environment:
    name = bound.get("Environment") or "Global"
    env = environments.find(str(name), runtime.write_warning)
    if env is None:
        raise TerminatingError(environments.not_found(str(name), "InvalidEnvironment"))
    return environments.resolve(env)


def _timeout(bound: dict[str, Any]) -> float | None:
    value = bound.get("ClientTimeout")
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise _fail(f"Cannot convert value '{value}' of -ClientTimeout to System.Double.",
                    "ParameterArgumentTransformationError", target=value) from None
    if not seconds >= 1:
        raise _fail(f"Cannot validate argument on parameter 'ClientTimeout'. The {seconds} argument is less than the "
                    "minimum allowed range of 1.", "ParameterArgumentValidationError", target=value)
    return seconds


SETS = (USER, CERT, IDENTITY, SECRET, TOKEN, ENV_VARS)


def infer_parameter_set(bound: dict[str, Any]) -> str:
    """The set a binder would pick, for hosts that did not resolve one (its unique parameters decide)."""
    if "AccessToken" in bound:
        return TOKEN
    if bound.get("Identity"):
        return IDENTITY
    if bound.get("EnvironmentVariable"):
        return ENV_VARS
    if "ClientSecretCredential" in bound:
        return SECRET
    if any(k in bound for k in ("Certificate", "CertificateThumbprint", "CertificateSubjectName", "SendCertificateChain")):
        return CERT
    return USER


def connect(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> ctx.GraphContext:
    """Sign in as ``bound`` says, install the new context and return it."""
    if parameter_set not in SETS or parameter_set == USER:
        # USER is also what a host without a binder passes (the default set); a binder never
        # sends USER together with another set's parameters, so inferring here changes nothing for it.
        parameter_set = infer_parameter_set(bound)
    env = _environment(bound, runtime)
    timeout = _timeout(bound)
    scope = str(bound.get("ContextScope") or _default_scope(parameter_set, env))
    if scope.lower() not in ("process", "currentuser"):
        raise _fail(f"Cannot convert value '{scope}' to type ContextScope. Specify one of: Process, CurrentUser.",
                    "ParameterArgumentTransformationError", target=scope)
    scope = "Process" if scope.lower() == "process" or parameter_set == TOKEN else "CurrentUser"
    try:
        context, token = _sign_in(parameter_set, bound, env, scope, runtime)
    except BaseException:
        ctx.set_current(None)  # like the original's LogoutAsync on failure: no stale connection remains
        raise
    context.client_timeout = timeout
    context.ps_host_version = bound.get("__PSHostVersion")
    _describe(context, token)
    context.prime(token)
    ctx.set_current(context)
    if timeout is not None:
        request_context.set_client_timeout(timeout)  # every following Graph call's timeout
    if not bound.get("NoWelcome"):
        runtime.write_object(WELCOME.format(auth_type=context.auth_type.lower(), client_id=context.client_id or ""))
    return context


def _describe(context: ctx.GraphContext, token: ctx.AccessToken) -> None:
    """Fill the context from the token's claims, as the original's DecodeJWT does."""
    claims = jwt_claims(token.token)
    context.client_id = claims.get("appid") or claims.get("azp") or context.client_id
    context.tenant_id = claims.get("tid") or context.tenant_id
    scp, roles = claims.get("scp"), claims.get("roles")
    if isinstance(scp, str) and scp:
        context.scopes = scp.split()
    elif isinstance(roles, list) and roles:
        context.scopes = [str(r) for r in roles]
    context.app_name = claims.get("app_displayname") or context.app_name
    context.account = claims.get("upn") or claims.get("preferred_username") or context.account


def _sign_in(parameter_set: str, bound: dict[str, Any], env: environments.Environment, scope: str,
             runtime: CommandRuntime) -> tuple[ctx.GraphContext, ctx.AccessToken]:
    if parameter_set == TOKEN:
        token = bound.get("AccessToken")
        if not token:
            raise _fail("Cannot bind argument to parameter 'AccessToken' because it is an empty string.",
                        "ParameterArgumentValidationErrorEmptyStringNotAllowed", target="AccessToken")
        provider = ctx.StaticTokenProvider(str(token))
        context = ctx.GraphContext(env, "UserProvidedAccessToken", "UserProvidedAccessToken", provider, context_scope="Process")
        return context, provider.acquire()
    if parameter_set == IDENTITY:
        from .managed_identity import ManagedIdentityProvider
        from .http import AuthSession

        client_id = bound.get("ClientId")
        mi = ManagedIdentityProvider(env.graph_endpoint.rstrip("/"), client_id, AuthSession(AUTH_TIMEOUT_SECONDS, env.ca_bundle),
                                     environ(bound))
        context = ctx.GraphContext(env, "ManagedIdentity", "ManagedIdentity", mi, client_id=client_id,
                                   context_scope=scope, managed_identity_id=client_id)
        return context, mi.acquire()
    if parameter_set == SECRET:
        cred = bound.get("ClientSecretCredential")
        client_id, secret = _credential_parts(cred)
        return _app_only(env, scope, bound.get("TenantId"), client_id, secret, "AppOnly", "ClientSecret", "Client secret sign-in")
    if parameter_set == CERT:
        return _certificate(bound, env, scope)
    if parameter_set == ENV_VARS:
        return _environment_variables(env, scope, environ(bound))
    if parameter_set == USER:
        if env.name == environments.EMULATOR and env.is_built_in and not any(
                k in bound for k in ("ClientId", "Scopes", "UseDeviceCode", "TenantId", "LoginHint")):
            return _app_only(env, "Process", EMULATOR_TENANT, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET,
                             "AppOnly", "ClientSecret", "Emulator sign-in")
        return _user(bound, env, scope, runtime)
    raise _fail(f"Parameter set cannot be resolved using the specified named parameters ('{parameter_set}').",
                "AmbiguousParameterSet", target=parameter_set)


def _credential_parts(cred: Any) -> tuple[str, str]:
    """PSCredential arrives as {"UserName", "Password"}; from Python an object with those attributes also works."""
    if isinstance(cred, dict):
        user, password = cred.get("UserName"), cred.get("Password")
    else:
        user, password = getattr(cred, "UserName", None), getattr(cred, "Password", None)
    if not user or not password:
        raise _fail("-ClientSecretCredential needs a credential whose UserName is the client id and whose Password is "
                    "the client secret.", "InvalidClientSecretCredential", target="ClientSecretCredential")
    return str(user), str(password)


def _app_only(env: environments.Environment, scope: str, tenant: str | None, client_id: str,
              credential: str | dict[str, str], auth_type: str, credential_type: str, what: str,
              **fields: Any) -> tuple[ctx.GraphContext, ctx.AccessToken]:
    from . import token_cache
    from .providers import ClientCredentialProvider

    provider = ClientCredentialProvider(env, tenant, client_id, credential, token_cache.for_scope(scope),
                                        AUTH_TIMEOUT_SECONDS, what)
    context = ctx.GraphContext(env, auth_type, credential_type, provider, client_id=client_id, tenant_id=tenant,
                               context_scope=scope, **fields)
    return context, provider.acquire()


def _certificate(bound: dict[str, Any], env: environments.Environment, scope: str) -> tuple[ctx.GraphContext, ctx.AccessToken]:
    from . import certificates

    tenant = bound.get("TenantId")
    if not tenant:
        raise _fail("-TenantId is required to sign in with a certificate.", "InvalidTenantId", target="TenantId")
    # The original's order: subject name, then thumbprint, then the certificate object.
    if bound.get("CertificateSubjectName"):
        cert = certificates.find_by_subject(str(bound["CertificateSubjectName"]))
    elif bound.get("CertificateThumbprint"):
        cert = certificates.find_by_thumbprint(str(bound["CertificateThumbprint"]))
    elif bound.get("Certificate") is not None:
        cert = certificates.from_value(bound["Certificate"])
    else:
        raise _fail("Specify -CertificateThumbprint, -CertificateSubjectName or -Certificate to sign in with a certificate.",
                    "InvalidCertificate", target="Certificate")
    send_chain = bool(bound.get("SendCertificateChain"))
    return _app_only(env, scope, str(tenant), str(bound["ClientId"]), cert.msal_credential(send_chain), "AppOnly",
                     "ClientCertificate", "Certificate sign-in", certificate_thumbprint=cert.thumbprint,
                     certificate_subject_name=bound.get("CertificateSubjectName"), send_certificate_chain=send_chain)


def _environment_variables(env: environments.Environment, scope: str,
                           variables: dict[str, str]) -> tuple[ctx.GraphContext, ctx.AccessToken]:
    """Azure.Identity's EnvironmentCredential variables (auth-and-pain.md §A.2)."""
    from . import certificates

    get = variables.get
    tenant, client_id = get("AZURE_TENANT_ID"), get("AZURE_CLIENT_ID")
    if tenant and client_id and get("AZURE_CLIENT_SECRET"):
        return _app_only(env, scope, tenant, client_id, get("AZURE_CLIENT_SECRET") or "", "EnvironmentVariable",
                         "EnvironmentVariable", "Environment variable sign-in")
    if tenant and client_id and get("AZURE_CLIENT_CERTIFICATE_PATH"):
        cert = certificates.from_file(get("AZURE_CLIENT_CERTIFICATE_PATH") or "", get("AZURE_CLIENT_CERTIFICATE_PASSWORD"))
        send_chain = (get("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN") or "").lower() in ("1", "true")
        return _app_only(env, scope, tenant, client_id, cert.msal_credential(send_chain), "EnvironmentVariable",
                         "EnvironmentVariable", "Environment variable sign-in", certificate_thumbprint=cert.thumbprint,
                         send_certificate_chain=send_chain)
    if get("AZURE_USERNAME") and get("AZURE_PASSWORD"):
        raise _fail("Username and password authentication is not supported. Set AZURE_CLIENT_SECRET or "
                    "AZURE_CLIENT_CERTIFICATE_PATH instead.", "AuthNotSupported", ErrorCategory.NotImplemented)
    missing = [n for n in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID") if not get(n)]
    if not missing:
        missing = ["AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH"]
    raise _fail("EnvironmentCredential authentication unavailable: set " + ", ".join(missing) + ".",
                "EnvironmentVariableNotSet", ErrorCategory.InvalidOperation)


def _live(message: str) -> None:
    """Show text now, while the command still runs (the streams are replayed only when it ends)."""
    stream = sys.__stderr__
    if stream is not None:
        print(message, file=stream, flush=True)


# Where the device code message goes besides the information stream; tests may replace it.
device_code_sink: Callable[[str], None] = _live


def _browser_available(variables: dict[str, str]) -> bool:
    """Whether a browser can be opened: ``BROWSER`` names one, or a desktop session has one."""
    if variables.get("BROWSER", "").strip():
        return True
    if sys.platform.startswith("linux") and not (variables.get("DISPLAY") or variables.get("WAYLAND_DISPLAY")):
        return False
    import webbrowser  # only sign-in flows get here; it costs every session memory otherwise

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _is_emulator(env: environments.Environment) -> bool:
    return env.name == environments.EMULATOR and env.is_built_in


def _follow_emulator_redirect(env: environments.Environment) -> Callable[[str], bool]:
    """The "browser" of a delegated dry run in the built-in ``Emulator``: its open tenant signs the
    default (or ``-LoginHint``) user in at once and redirects, so following that redirect to the
    loopback listener completes the sign-in with no browser and no click."""
    def open_url(url: str) -> bool:
        import requests

        from .http import AuthSession

        with AuthSession(AUTH_TIMEOUT_SECONDS, env.ca_bundle) as session:
            answer = session.get(url, allow_redirects=False)
        location = answer.headers.get("Location")
        if answer.status_code != 302 or not location:
            return False
        with requests.Session() as loopback:
            loopback.trust_env = False  # straight to 127.0.0.1, never through a proxy
            loopback.get(location, timeout=AUTH_TIMEOUT_SECONDS)
        return True

    return open_url


def _approve_device_codes_in_emulator() -> None:
    """Device codes of the built-in ``Emulator``: its open tenant approves them as they start."""
    from ..emulator import embedded

    emu = embedded.shared()
    if emu.device_code_hook is None and not emu.strict:
        emu.device_code_hook = lambda code: code.approve()


def _user(bound: dict[str, Any], env: environments.Environment, scope: str,
          runtime: CommandRuntime) -> tuple[ctx.GraphContext, ctx.AccessToken]:
    """Delegated sign-in: a remembered account silently, else the browser, else the device code.

    The browser flow is the original's default: the authorization code with PKCE, redirected to a
    loopback port (see :meth:`UserProvider.sign_in_interactively`); ``-LoginHint`` pre-fills the
    account. With ``-UseDeviceCode``, or when no browser can be opened (no ``BROWSER`` and no
    desktop, or the browser command failed), the device code, as the original falls back to it.
    In the built-in ``Emulator`` both complete by themselves (its open tenant needs no click).
    """
    from . import token_cache
    from .providers import BrowserUnavailable, UserProvider

    variables = environ(bound)
    client_id = str(bound.get("ClientId") or DEFAULT_CLIENT_ID)
    tenant = bound.get("TenantId")
    login_hint = str(bound["LoginHint"]) if bound.get("LoginHint") else None
    scopes = parse_scopes(bound.get("Scopes")) or list(DEFAULT_SCOPES)
    provider = UserProvider(env, tenant, client_id, scopes, token_cache.for_scope(scope), AUTH_TIMEOUT_SECONDS)
    emulator = _is_emulator(env)
    use_device_code = bool(bound.get("UseDeviceCode")) or not (emulator or _browser_available(variables))
    token = None
    record = _read_auth_record(client_id, env) if scope == "CurrentUser" else None
    if record and (login_hint is None or str(record.get("username", "")).lower() == login_hint.lower()):
        token = provider.try_silent(str(record.get("homeAccountId")))  # the original signs in silently
    if token is None and not use_device_code:
        from .loopback import open_system_browser

        opener = _follow_emulator_redirect(env) if emulator else (lambda url: open_system_browser(url, variables))
        try:
            token = provider.sign_in_interactively(AUTH_TIMEOUT_SECONDS, opener, login_hint)
        except BrowserUnavailable:
            use_device_code = True  # as the original does when a browser cannot be opened
    if token is None:  # -UseDeviceCode, no browser, or the browser could not be opened
        def show(message: str) -> None:
            if emulator:
                message += " (This is the local emulator: its open tenant approves the code by itself.)"
            runtime.write_information(message)
            device_code_sink(message)
        if emulator:
            _approve_device_codes_in_emulator()
        token = provider.sign_in_with_device_code(show, AUTH_TIMEOUT_SECONDS)
    credential_type = "DeviceCode" if use_device_code else "InteractiveBrowser"
    if scope == "CurrentUser" and provider.account:
        _write_auth_record(client_id, env, provider.account, tenant, scopes)
    context = ctx.GraphContext(env, "Delegated", credential_type, provider, client_id=client_id, tenant_id=tenant,
                               scopes=scopes, context_scope=scope,
                               app_name=DEFAULT_APP_NAME if client_id == DEFAULT_CLIENT_ID else None)
    if provider.account:
        context.account = provider.account.get("username")
    return context, token


def _read_auth_record(client_id: str, env: environments.Environment) -> dict[str, Any] | None:
    try:
        record = json.loads(paths.auth_record().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(record, dict) and record.get("clientId") == client_id and record.get("authority") == env.azure_ad_endpoint:
        return record
    return None


def _write_auth_record(client_id: str, env: environments.Environment, account: dict[str, Any],
                       tenant: str | None, scopes: list[str]) -> None:
    """~/.mg/mg.authrecord.json: who signed in (never a token), so the next session can sign in silently."""
    record = {"username": account.get("username"), "homeAccountId": account.get("home_account_id"),
              "authority": env.azure_ad_endpoint, "clientId": client_id, "tenantId": tenant or account.get("realm"),
              "environment": env.name, "scopes": scopes}
    paths.write_private(paths.auth_record(), json.dumps(record, indent=2))


def restore() -> ctx.GraphContext | None:
    """Reconnect a new process silently from a CurrentUser sign-in's auth record and token cache.

    For hosts without a session of their own (e.g. the command line): like a second
    ``Connect-MgGraph -ContextScope CurrentUser``, without any prompt. None when there is nothing
    to restore or the cached refresh token no longer works.
    """
    try:
        record = json.loads(paths.auth_record().read_text(encoding="utf-8"))
        env = environments.find(str(record["environment"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if env is None:
        return None
    from . import token_cache
    from .providers import UserProvider

    env = environments.resolve(env)
    scopes = [str(s) for s in record.get("scopes") or DEFAULT_SCOPES]
    client_id = str(record.get("clientId") or DEFAULT_CLIENT_ID)
    provider = UserProvider(env, record.get("tenantId"), client_id, scopes, token_cache.for_scope("CurrentUser"),
                            AUTH_TIMEOUT_SECONDS)
    token = provider.try_silent(str(record.get("homeAccountId")))
    if token is None:
        return None
    context = ctx.GraphContext(env, "Delegated", "DeviceCode", provider, client_id=client_id,
                               tenant_id=record.get("tenantId"), scopes=scopes, context_scope="CurrentUser",
                               account=record.get("username"))
    _describe(context, token)
    context.prime(token)
    ctx.set_current(context)
    return context
