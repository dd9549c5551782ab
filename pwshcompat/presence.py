"""Set-MgBetaCommunicationPresenceUserPreferredPresence: the operation itself.

Receives already-bound parameters (from PowerShell's binder or :mod:`pwshcompat.binder`) and does
what the original's ``ProcessRecordAsync`` does (facts: ../shared/research/cmdlet-semantics.md):

1. ask ShouldProcess with the original's target text (section 7);
2. find the presence id: ``-PresenceId``, or ``-InputObject``'s ``PresenceId`` (a missing one
   fails with the original's exact message, section 4);
3. build the body: additional properties first, then ``availability``, ``activity``,
   ``expirationDuration`` (ISO 8601); a key given both ways fails before any request (2.6);
4. add ``-Headers`` to the request (section 9; content headers fail as in .NET);
5. ``POST /beta/communications/presences/{EscapeDataString(id)}/microsoft.graph.setUserPreferredPresence``;
6. on 2xx: ``$true`` under ``-PassThru`` (a ContainsKey test), response headers into the
   ``-ResponseHeadersVariable`` variable; otherwise the original's error record (section 8).
"""

from __future__ import annotations

import json
import urllib.parse
from http import HTTPStatus
from typing import Any, Iterable

from . import spec as spec_module
from .commands import command
from .conversion import ConversionError, PresenceBody, TimeSpan, body_from_value, dotnet_string, identity_from_value, json_value
from .errors import AuthenticationNeededError, ErrorCategory, ErrorRecord, PSError, TerminatingError
from .graph import client as graph_client
from .graph import headers as graph_headers
from .runtime import CommandRuntime

__all__ = ["NAME", "HeaderDict", "escape_data_string", "set_user_preferred_presence"]

NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
RECOMMENDED_ACTION = "See service error codes: https://learn.microsoft.com/graph/errors"
# Microsoft Graph takes at most 4 MB in one request body; bigger ones would only come back as 413.
MAX_BODY_BYTES = 4 * 1024 * 1024
# .NET HttpContent headers: adding one to the request headers throws "Misused header name".
_CONTENT_HEADERS = frozenset({"allow", "content-disposition", "content-encoding", "content-language", "content-length",
                              "content-location", "content-md5", "content-range", "content-type", "expires",
                              "last-modified"})


class HeaderDict(dict):  # type: ignore[type-arg]
    """Response headers as the original stores them: name -> list of values, case-insensitive lookup.

    A plain ``dict`` subclass so it crosses into PowerShell as JSON unchanged.
    """

    def _key(self, key: object) -> object:
        if isinstance(key, str) and not dict.__contains__(self, key):
            lower = key.lower()
            for k in self.keys():
                if k.lower() == lower:
                    return k
        return key

    def __getitem__(self, key: object) -> Any:
        return dict.__getitem__(self, self._key(key))

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, self._key(key))

    def get(self, key: object, default: Any = None) -> Any:
        return dict.get(self, self._key(key), default)


def escape_data_string(value: str) -> str:
    """``Uri.EscapeDataString``: RFC 3986 unreserved characters stay, the rest is %XX (UTF-8, upper hex)."""
    return urllib.parse.quote(value, safe="-._~")


class _Plan:
    """Per-process facts from the spec, computed once."""

    def __init__(self) -> None:
        spec = spec_module.load(NAME)
        assert spec.operation is not None
        self.operation = spec.operation
        self.what_if_target = f"Call remote '{spec.operation.method} {spec.operation.path}' operation"
        complex_parameters = spec.extra.get("complexParameters", {})
        self.identity_properties: tuple[str, ...] = tuple(
            p["name"] for p in complex_parameters.get("InputObject", {}).get("properties", ()))
        self.path_prefix = f"/{spec.operation.api_version}"


_plan: _Plan | None = None


def _get_plan() -> _Plan:
    global _plan
    if _plan is None:
        _plan = _Plan()
    return _plan


def _serialize(body: PresenceBody) -> tuple[bytes, dict[str, Any]]:
    """The JSON text as the original sends it (2-space indent) and the members as a dict.

    Raises ``ValueError`` naming the key when a member would appear twice (case-insensitive).
    """
    members: dict[str, Any] = {}
    seen: set[str] = set()
    for key, value in [*((k, json_value(v)) for k, v in body.additional.items() if v is not None), *body.named()]:
        if key.lower() in seen:
            raise ValueError(f"An item with the same key has already been added. Key: {key}")
        seen.add(key.lower())
        members[key] = value
    text = json.dumps(members, indent=2, ensure_ascii=False) if members else "{\n}"
    return text.encode("utf-8"), members


def _expanded_body(bound: dict[str, Any], runtime: CommandRuntime) -> PresenceBody:
    duration = bound.get("ExpirationDuration")
    body = PresenceBody(
        availability=bound.get("Availability"),
        activity=bound.get("Activity"),
        expiration_duration=duration if isinstance(duration, TimeSpan) or duration is None else None,
    )
    extra = bound.get("AdditionalProperties") or {}
    for key, value in extra.items():
        if value is None:
            continue
        if not isinstance(key, str):
            # HashTableToDictionary looks the value up by key.ToString() and finds nothing.
            runtime.write_warning(f"AdditionalProperties: the key {key!r} is not a string; the original cmdlet drops "
                                  "it silently, so it was not sent.")
            continue
        body.additional[key] = value
    return body


def _header_text(value: Any) -> str:
    """``object.ToString()`` as the original applies it to -Headers values."""
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    return dotnet_string(value)


def _status_name(status: int) -> str:
    """.NET's HttpStatusCode name: ``TooManyRequests``, ``ServiceUnavailable``, ..."""
    try:
        return HTTPStatus(status).phrase.replace(" ", "").replace("-", "")
    except ValueError:
        return str(status)


def _error_details(message: str, status: int, code: str, date: str, headers: Iterable[tuple[str, str]]) -> str:
    """HttpMessageLogFormatter.GetErrorLogAsync's layout (fact sheet 8.1)."""
    lines = [message, "", f"Status: {status} ({_status_name(status)})", f"ErrorCode: {code}", f"Date: {date}", "",
             "Headers:"]
    lines += [f"{k:<30}: {v}" for k, v in headers if k.lower() != "authorization"]
    return "\n".join(lines) + "\n"


def _service_error(response: Any, target: dict[str, Any], internal_type: str) -> ErrorRecord:
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    error = envelope.get("error") if isinstance(envelope, dict) else None
    error = error if isinstance(error, dict) else {}
    code, message = error.get("code"), error.get("message")
    status = response.status_code
    if code is not None and message is not None:
        inner = error.get("innerError") or error.get("innererror") or {}
        date = inner.get("date", "") if isinstance(inner, dict) else ""
        response_headers = [(k, v) for k, v in response.headers.items()
                            if k.lower() not in _CONTENT_HEADERS]
        return ErrorRecord(
            f"[{code}] : {message}", str(code), ErrorCategory.InvalidOperation, target=target, command=internal_type,
            details_message=_error_details(str(message), status, str(code), str(date), response_headers),
            recommended_action=RECOMMENDED_ACTION)
    # RestException: the code falls back to the status name, the message to the body or a generic text.
    rest_code = str(code) if code is not None else _status_name(status)
    kind = "Server Error" if status >= 500 else "Request Error"
    rest_message = str(message) if message is not None else (
        response.text or f"The server responded with a {kind}, Status: {_status_name(status)}")
    return ErrorRecord(rest_message, rest_code, ErrorCategory.InvalidOperation, target=target, command=internal_type,
                       exception_type="Microsoft.Graph.Beta.PowerShell.Runtime.RestException",
                       details_message=rest_message)


def _not_specified(message: str, internal_type: str, exception_type: str) -> ErrorRecord:
    """What Graph's injected catch-all writes: NotSpecified, empty id, the cmdlet type as FQEID."""
    return ErrorRecord(message, "", ErrorCategory.NotSpecified, command=internal_type, exception_type=exception_type)


def _debug_auth(runtime: CommandRuntime, ctx: Any) -> None:
    runtime.write_debug(
        f"[Authentication]: - AuthType: '{getattr(ctx, 'auth_type', '')}', TokenCredentialType: "
        f"'{getattr(ctx, 'token_credential_type', '')}', ContextScope: '{getattr(ctx, 'context_scope', 'Process')}', "
        f"AppName: '{getattr(ctx, 'app_name', '') or ''}'.")
    runtime.write_debug(f"[Authentication]: - Scopes: [{', '.join(getattr(ctx, 'scopes', None) or [])}].")


@command(NAME, default_parameter_set="SetExpanded")
def set_user_preferred_presence(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    plan = _get_plan()
    internal = plan.operation.internal_command_for(parameter_set)
    internal_type = plan.operation.internal_type_for(parameter_set)
    # ShouldProcess comes first, before the identity or the body is looked at (section 7).
    if not runtime.should_process(plan.what_if_target, internal):
        return
    debug = runtime.want_debug
    if debug:
        runtime.write_debug(f"[CmdletBeginProcessing]: - {NAME} begin processing with parameterSet '{parameter_set}'.")
    try:
        _run(parameter_set, bound, runtime, plan, internal_type)
    finally:
        if debug:
            runtime.write_debug(f"[CmdletEndProcessing]: - {NAME} end processing.")


def _run(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime, plan: _Plan, internal_type: str) -> None:
    via_identity = parameter_set.startswith("SetViaIdentity")
    target: dict[str, Any] = {}
    if via_identity:
        raw_identity = bound.get("InputObject")
        try:
            identity = identity_from_value(raw_identity, plan.identity_properties, runtime.write_warning)
        except ConversionError as exc:
            raise TerminatingError(ErrorRecord(
                f"Cannot process argument transformation on parameter 'InputObject'. {exc}",
                "ParameterArgumentTransformationError", ErrorCategory.InvalidData, target=raw_identity, command=NAME,
                exception_type="System.Management.Automation.ParameterBindingException")) from None
        presence_id = identity.get("PresenceId")
        if presence_id is None:
            raise TerminatingError(ErrorRecord(
                "InputObject has null value for InputObject.PresenceId", "", ErrorCategory.InvalidArgument,
                target=raw_identity, command=internal_type))
    else:
        presence_id = dotnet_string(bound.get("PresenceId"))
        target["PresenceId"] = presence_id
    target["Headers"] = bound.get("Headers")

    if parameter_set in ("Set", "SetViaIdentity"):
        try:
            body = body_from_value(bound.get("BodyParameter"), runtime.write_warning)
        except ConversionError as exc:
            raise TerminatingError(ErrorRecord(
                f"Cannot process argument transformation on parameter 'BodyParameter'. {exc}",
                "ParameterArgumentTransformationError", ErrorCategory.InvalidData, target=bound.get("BodyParameter"),
                command=NAME, exception_type="System.Management.Automation.ParameterBindingException")) from None
    else:
        body = _expanded_body(bound, runtime)
    try:
        data, members = _serialize(body)
        headers = graph_headers.from_parameter(bound.get("Headers"), _header_text)
    except ValueError as exc:  # graph_headers.HeaderError carries .NET's exception type, and details
        record = _not_specified(str(exc), internal_type, getattr(exc, "exception_type", "System.ArgumentException"))
        record.details_message = getattr(exc, "details", None)
        runtime.write_error(record)
        return
    target["body"] = members
    if presence_id in (".", ".."):
        # EscapeDataString leaves dots alone, and URL normalisation would then drop the segment
        # and call another resource; refuse instead of sending it somewhere else.
        runtime.write_error(ErrorRecord(
            f"PresenceId '{presence_id}' cannot be used: as a URL path segment it would change the request's path.",
            "InvalidPresenceId", ErrorCategory.InvalidArgument, target=presence_id, command=internal_type,
            exception_type="System.ArgumentException"))
        return
    if len(data) > MAX_BODY_BYTES:
        runtime.write_error(ErrorRecord(
            f"The request body is {len(data)} bytes; Microsoft Graph accepts at most {MAX_BODY_BYTES} bytes in one request.",
            "RequestBodyTooLarge", ErrorCategory.InvalidArgument, target=None, command=internal_type,
            exception_type="System.ArgumentException"))
        return

    path = plan.path_prefix + plan.operation.path.replace("{presence-id}", escape_data_string(presence_id))
    try:
        client = graph_client.for_current_context()
        if runtime.want_debug:
            _debug_auth(runtime, client.context)
        response = client.request(plan.operation.method, path, data=data, headers=headers)
    except AuthenticationNeededError as exc:
        runtime.write_error(_not_specified(exc.record.message, internal_type, exc.record.exception_type))
        return
    except PSError as exc:
        record = exc.record
        if runtime.want_debug:
            runtime.write_debug(f"[CmdletException]: Received exception with message '{record.exception_type.rsplit('.', 1)[-1]}"
                                f" - {record.message}'")
        runtime.write_error(_not_specified(record.message, internal_type, record.exception_type))
        return

    if runtime.want_debug:
        runtime.write_debug(graph_client.format_request_log(response.request))
        runtime.write_debug(graph_client.format_response_log(response))
    warning = response.headers.get("Warning")
    if warning:
        runtime.write_warning(warning)
    if 200 <= response.status_code < 300:
        if "PassThru" in bound:  # ContainsKey: -PassThru:$false still writes $true, as the original does
            runtime.write_object(True)
        variable = bound.get("ResponseHeadersVariable")
        if variable:
            runtime.set_variable(str(variable), HeaderDict((k, [v]) for k, v in response.headers.items()))
        return
    runtime.write_error(_service_error(response, target, internal_type))
