"""The one operation runner: every Graph cmdlet, interpreted from its spec at run time.

Receives already-bound parameters (from PowerShell's binder or :mod:`pwshcompat.binder`) and does
what the original's ``ProcessRecordAsync`` does (facts: ../shared/research/cmdlet-semantics.md,
original-observed.md), for the operation of the parameter set:

1. ask ShouldProcess with the original's target text, ``Call remote '<METHOD> <path template>'
   operation``, before the identity or the body is looked at (section 7);
2. fill each path parameter from its parameter or from ``-InputObject``'s identity property (a
   missing one fails with the original's "InputObject has null value for InputObject.<Prop>");
3. build the body from ``-BodyParameter`` or from the expanded parameters plus
   ``-AdditionalProperties`` through the model's codecs (:mod:`.models`); a key given twice fails
   before any request;
4. add the query options (``$select``, ``$filter``, ... in the original's order), the header
   parameters (``-IfMatch``) and ``-Headers``;
5. send it, escaping each path value as one segment (``.``/``..`` refused instead of
   changing the request's path), and follow ``@odata.nextLink`` as the original's list cmdlets do
   (``-All``, ``-Top`` beyond one page, ``-PageSize``), setting ``-CountVariable`` from
   ``@odata.count``;
6. write what the original writes: ``$true`` under ``-PassThru`` (a ContainsKey test), model
   objects (:class:`~.models.GraphObject`), the items of a collection, a count; set
   ``-ResponseHeadersVariable``; or the original's error record.

WhatIf text, Debug records, error records and their fully qualified ids (``<code>,<namespace>
.Cmdlets.<Verb><Noun>_<Set>``) are the same for every cmdlet.
"""

from __future__ import annotations

import urllib.parse
import uuid
from typing import Any

from .. import spec as spec_module
from ..conversion import ConversionError, dotnet_string, identity_from_value
from ..errors import AuthenticationNeededError, ErrorCategory, ErrorRecord, PSError, TerminatingError
from ..graph import client as graph_client
from ..runtime import CommandRuntime
from . import jsontext, models, steps
from .request import MAX_PAGE_SIZE, escape_data_string, expand_path, query_string, request_headers
from .responses import ErrorTarget, not_specified, response_headers, service_error

__all__ = ["MAX_BODY_BYTES", "run"]

# Microsoft Graph takes at most 4 MB in one request body; bigger ones would only come back as 413.
MAX_BODY_BYTES = 4 * 1024 * 1024


class _Stop(Exception):
    """The runner wrote its error record; the invocation ends."""


# Set by the PowerShell host when it asked ShouldProcess itself and was told no (-WhatIf, a declined
# -Confirm): the command only writes what the original writes around a skipped call.
DECLINED = "__ShouldProcessDeclined"


def run(spec: spec_module.CommandSpec, parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    """Run the Graph cmdlet ``spec`` in ``parameter_set`` with ``bound`` parameters, writing to ``runtime``.

    With ``-Debug`` it writes the original's records around the call (original-observed.md,
    "Errors"): the begin record and the two ``[Authentication]`` lines first, then ShouldProcess
    (so ``-WhatIf`` still gets them), ``[CmdletException]`` for a call that fails before or while
    sending, and the end record last.

    Raises :class:`~pwshcompat.errors.TerminatingError` for the errors the original throws
    (an identity without its key property, a model value that cannot be converted); everything
    else is written to ``runtime`` as the original writes it.
    """
    graph = spec.graph
    assert graph is not None, f"{spec.name} has no graph operation"
    internal = graph.internal_command_for(parameter_set)
    declined = bool(bound.pop(DECLINED, False))
    debug = runtime.want_debug
    if debug:
        runtime.write_debug(f"[CmdletBeginProcessing]: - {spec.name} begin processing with parameterSet '{parameter_set}'.")
        try:
            _debug_auth(runtime, graph_client.require_context())
        except AuthenticationNeededError:
            pass  # not connected: the call fails below, as the original's does
    try:
        if declined or spec.supports_should_process and not runtime.should_process(graph.what_if_target(parameter_set), internal):
            return
        _Invocation(spec, graph, parameter_set, bound, runtime).run()
    except _Stop:
        pass
    finally:
        if debug:
            runtime.write_debug(f"[CmdletEndProcessing]: - {spec.name} end processing.")


def _transformation_error(parameter: str, exc: ConversionError, value: Any, command: str) -> TerminatingError:
    return TerminatingError(ErrorRecord(
        f"Cannot process argument transformation on parameter '{parameter}'. {exc}",
        "ParameterArgumentTransformationError", ErrorCategory.InvalidData, target=value, command=command,
        exception_type="System.Management.Automation.ParameterBindingException"))


class _Invocation:
    """One ProcessRecord of one Graph cmdlet."""

    def __init__(self, spec: spec_module.CommandSpec, graph: spec_module.GraphSpec, parameter_set: str,
                 bound: dict[str, Any], runtime: CommandRuntime) -> None:
        self.spec, self.graph, self.bound, self.runtime = spec, graph, bound, runtime
        self.op = graph.operation_for(parameter_set)
        self.internal_type = graph.internal_type_for(parameter_set)
        self.target: dict[str, Any] = {}  # the ErrorTarget's members, in the original's order
        # -HttpPipelinePrepend/-HttpPipelineAppend: the host's steps, or Python callables.
        self.pipeline: Any = bound.pop(steps.HOST_KEY, None)
        if self.pipeline is None and (bound.get("HttpPipelinePrepend") or bound.get("HttpPipelineAppend")):
            try:
                self.pipeline = steps.python_steps(bound.get("HttpPipelinePrepend"), bound.get("HttpPipelineAppend"))
            except TypeError as exc:
                raise _transformation_error("HttpPipelineAppend" if bound.get("HttpPipelineAppend") else "HttpPipelinePrepend",
                                            ConversionError(str(exc)), None, spec.name) from None
        self.limit = 0  # ListCmdlet's limit: -Top when the cmdlet pages up to it

    def fail(self, record: ErrorRecord) -> _Stop:
        self.runtime.write_error(record)
        return _Stop()

    def fail_not_specified(self, message: str, exception_type: str, details: str | None = None) -> _Stop:
        """The original's catch-all: a NotSpecified record, and ``[CmdletException]`` under -Debug."""
        if self.runtime.want_debug:
            self.runtime.write_debug(f"[CmdletException]: Received exception with message "
                                     f"'{exception_type.rsplit('.', 1)[-1]} - {message}'")
        record = not_specified(message, self.internal_type, exception_type)
        record.details_message = details
        return self.fail(record)

    # --- the request ---------------------------------------------------------------------

    def path_values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        if self.op.via_identity:
            parameter = self.graph.identity_parameter or "InputObject"
            raw = self.bound.get(parameter)
            try:
                identity = identity_from_value(raw, [p.name for p in self.graph.identity_properties],
                                               self.runtime.write_warning)
            except ConversionError as exc:
                raise _transformation_error(parameter, exc, raw, self.spec.name) from None
            for p in self.graph.path_parameters:
                value = identity.get(p.identity_property)
                if value is None:
                    # The original's internal cmdlet first reports the stop of its own async pipeline.
                    self.runtime.write_error(not_specified("The pipeline has been stopped.", self.internal_type,
                                                           "System.Management.Automation.PipelineStoppedException"))
                    raise TerminatingError(ErrorRecord(
                        f"{parameter} has null value for {parameter}.{p.identity_property}", "",
                        ErrorCategory.InvalidArgument, target=raw, command=self.internal_type))
                values[p.name] = value
            self.target[parameter] = self.identity_object(identity)
        else:
            for p in self.graph.path_parameters:
                values[p.name] = dotnet_string(self.bound.get(p.parameter))
                if "{" + p.name + "}" in self.op.path:
                    self.target[p.parameter] = values[p.name]
        self.target["Headers"] = self.bound.get("Headers")
        return values

    def identity_object(self, identity: dict[str, str]) -> models.GraphObject:
        """The identity as the original's identity model object (the error target's InputObject)."""
        graph = self.graph
        type_name = self.spec.parameter(graph.identity_parameter or "InputObject").type.rsplit(".", 1)[-1][1:]
        model = spec_module.Model(type_name, graph.identity_properties, additional_properties=False, identity=True)
        return models.GraphObject(model, f"{graph.namespace}.Models.{type_name}", dict(identity), {})

    def body(self) -> models.Body | None:
        graph, op = self.graph, self.op
        if op.body == "none" or graph.body_model is None:
            return None
        model = spec_module.model(graph.body_model)
        warn = self.runtime.write_warning
        if op.body == "whole":
            parameter = graph.body_parameter or "BodyParameter"
            value = self.bound.get(parameter)
            try:
                return models.from_value(value, model, warn, parameter)
            except ConversionError as exc:
                raise _transformation_error(parameter, exc, value, self.spec.name) from None
        extra = self.bound.get(graph.additional_properties_parameter or "") if graph.additional_properties_parameter else None
        try:
            return models.expanded(model, self.bound, graph.body_members, extra, warn)
        except ConversionError as exc:
            failed = next((p for p in graph.body_members if p in self.bound), "BodyParameter")
            raise _transformation_error(failed, exc, self.bound.get(failed), self.spec.name) from None

    def query(self) -> dict[str, Any]:
        """The OData options the bound parameters ask for, with the list cmdlets' paging rules."""
        options = {option: self.bound[p] for p, option in self.graph.query.items() if p in self.bound}
        if self.op.response != "collection":
            return options
        bound = self.bound
        if "PageSize" in bound:
            size = bound["PageSize"]
            if not isinstance(size, int) or size <= 0 or size > MAX_PAGE_SIZE:
                raise TerminatingError(ErrorRecord(
                    f"Invalid page size specified `{dotnet_string(size)}`. PageSize must be between 1 and "
                    f"{MAX_PAGE_SIZE} inclusive.", str(uuid.uuid4()), ErrorCategory.InvalidArgument,
                    command=self.internal_type, exception_type="System.ArgumentException"))
        top = bound.get("Top")
        if "Top" in bound and isinstance(top, int):
            if top > MAX_PAGE_SIZE or bound.get("All") or "PageSize" in bound:
                self.limit = top
            if top > MAX_PAGE_SIZE:
                options.pop("$top", None)  # the cmdlet pages up to -Top itself
        if "PageSize" in bound:
            options["$top"] = bound["PageSize"]
        if "CountVariable" in bound:
            options["$count"] = "true"
        return options

    def run(self) -> None:
        bound, runtime, graph = self.bound, self.runtime, self.graph
        values = self.path_values()
        body = self.body()
        try:
            headers = request_headers(bound.get("Headers"))
            members = models.to_wire(body) if body is not None else None
        except ValueError as exc:  # a HeaderError carries .NET's exception type, and details naming the entry
            raise self.fail_not_specified(str(exc), getattr(exc, "exception_type", "System.ArgumentException"),
                                          getattr(exc, "details", None)) from None
        for parameter, header in graph.headers.items():
            if bound.get(parameter) is not None:
                headers[header] = dotnet_string(bound[parameter])
        data = None
        if body is not None:
            self.target["body"] = models.graph_object(body, f"{graph.namespace}.Models")
        if members is not None:
            data = jsontext.dumps(members).encode("utf-8")
        for p in graph.path_parameters:
            value = values[p.name]
            if value in (".", ".."):
                # EscapeDataString leaves dots alone, and URL normalisation would then drop the segment
                # and call another resource; refuse instead of sending it somewhere else.
                name = p.identity_property if self.op.via_identity else p.parameter
                raise self.fail(ErrorRecord(
                    f"{name} '{value}' cannot be used: as a URL path segment it would change the request's path.",
                    f"Invalid{name}", ErrorCategory.InvalidArgument, target=value, command=self.internal_type,
                    exception_type="System.ArgumentException"))
        if data is not None and len(data) > MAX_BODY_BYTES:
            raise self.fail(ErrorRecord(
                f"The request body is {len(data)} bytes; Microsoft Graph accepts at most {MAX_BODY_BYTES} bytes in one "
                "request.", "RequestBodyTooLarge", ErrorCategory.InvalidArgument, target=None,
                command=self.internal_type, exception_type="System.ArgumentException"))
        path = f"/{graph.api_version}" + expand_path(self.op.path, values) + query_string(self.query())
        response = self.send(path, data, headers)
        if self.op.response == "collection":
            self.pages(response, headers)
            return
        if not 200 <= response.status_code < 300:
            raise self.fail(service_error(response, ErrorTarget(self.target), self.internal_type, graph.namespace))
        self.write_result(response)
        self.set_headers_variable(response)

    def send(self, path: str, data: bytes | None, headers: dict[str, str]) -> Any:
        runtime = self.runtime
        try:
            client = graph_client.for_current_context()
            if self.pipeline is None:
                response = client.request(self.op.method, path, data=data, headers=headers)
            else:
                url = path if path.startswith(("http://", "https://")) else \
                    client.context.graph_endpoint.rstrip("/") + path
                response = steps.send(self.pipeline, client, self.op.method, url, data, headers)
        except PSError as exc:
            raise self.fail_not_specified(exc.record.message, exc.record.exception_type) from None
        if runtime.want_debug:
            runtime.write_debug(graph_client.format_request_log(response.request))
            runtime.write_debug(graph_client.format_response_log(response))
        warning = response.headers.get("Warning")
        if warning:
            runtime.write_warning(warning)
        return response

    # --- the response --------------------------------------------------------------------

    def set_headers_variable(self, response: Any) -> None:
        variable = self.bound.get("ResponseHeadersVariable")
        if variable:
            self.runtime.set_variable(str(variable), response_headers(response))

    def model_object(self, data: Any) -> models.GraphObject:
        model = spec_module.model(self.graph.response_model or "")
        return models.from_wire(data, model, f"{self.graph.namespace}.Models")

    def json_of(self, response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            raise self.fail_not_specified(
                f"The response is not JSON: {response.text[:200]!r}", "System.Text.Json.JsonException") from None

    def write_result(self, response: Any) -> None:
        kind, runtime = self.op.response, self.runtime
        if kind == "passThru":
            if "PassThru" in self.bound:  # ContainsKey: -PassThru:$false still writes $true, as the original does
                runtime.write_object(True)
        elif kind == "count":
            text = response.text.strip().lstrip("\ufeff")
            try:
                runtime.write_object(int(text))
            except ValueError:
                raise self.fail_not_specified(f"The response is not a count: {text[:200]!r}",
                                              "System.FormatException") from None
        elif kind == "model":
            if response.text.strip():
                runtime.write_object(self.model_object(self.json_of(response)))
        elif kind == "values":
            for item in (self.json_of(response) or {}).get("value") or []:
                runtime.write_object(self.model_object(item))

    def pages(self, response: Any, headers: dict[str, str]) -> None:
        """A list operation: write each page's items and follow ``@odata.nextLink`` as ListCmdlet does.

        Pages are fetched while ``-All`` is given without ``-Top``, or while fewer than the ``-Top``
        limit have been read (when ``-Top`` is over 999, or comes with ``-All`` or ``-PageSize``);
        the last page asks only for the items still missing.
        """
        bound, runtime = self.bound, self.runtime
        every = bool(bound.get("All"))
        limit = self.limit
        required_pages = overflow = iterated = fetched = 0
        first = True
        while True:
            if not 200 <= response.status_code < 300:
                raise self.fail(service_error(response, ErrorTarget(self.target), self.internal_type, self.graph.namespace))
            page = self.json_of(response) or {}
            items = page.get("value") or []
            if first and limit and items:
                required_pages, overflow = divmod(limit, len(items))
            first = False
            if "CountVariable" in bound and "@odata.count" in page:
                name = str(bound["CountVariable"])
                runtime.set_variable(name, page["@odata.count"])
            for item in items:
                runtime.write_object(self.model_object(item))
            self.set_headers_variable(response)
            next_link = page.get("@odata.nextLink")
            iterated += 1
            fetched += len(items)
            if not next_link or not ((every and limit == 0) or fetched < limit):
                return
            if required_pages == iterated and overflow > 0:
                next_link = _with_top(next_link, overflow)
            response = self.send(next_link, None, headers)


def _with_top(url: str, top: int) -> str:
    """``url`` asking for ``$top=top`` (ListCmdlet.GetOverflowItemsNextLinkUri)."""
    parts = urllib.parse.urlsplit(url)
    pairs = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "$top"]
    query = "&".join(f"{escape_data_string(k).replace('%24', '$')}={escape_data_string(v)}" for k, v in pairs)
    query = (query + "&" if query else "") + f"$top={top}"
    return urllib.parse.urlunsplit(parts._replace(query=query))


def _debug_auth(runtime: CommandRuntime, ctx: Any) -> None:
    runtime.write_debug(
        f"[Authentication]: - AuthType: '{getattr(ctx, 'auth_type', '')}', TokenCredentialType: "
        f"'{getattr(ctx, 'token_credential_type', '')}', ContextScope: '{getattr(ctx, 'context_scope', 'Process')}', "
        f"AppName: '{getattr(ctx, 'app_name', '') or ''}'.")
    runtime.write_debug(f"[Authentication]: - Scopes: [{', '.join(getattr(ctx, 'scopes', None) or [])}].")
