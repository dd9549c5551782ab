"""``-HttpPipelinePrepend`` / ``-HttpPipelineAppend``: steps around each request, as the original's
AutoRest ``HttpPipeline`` runs them (issue 13.5; AutoRest's runtime ``pipeline/ISendAsync.cs``).

The steps run once per request, before the Graph client adds what the original's HttpClient
handlers add (authorization, ``client-request-id``, ``SdkVersion``, retries, redirects); each may
change the request, answer it itself, or change the response. Order: each prepend step goes
outside the ones before it (the last given runs first), each append step just before the send in
the order given: prepend ``[A, B]``, append ``[C, D]`` run as B, A, C, D, send.

Two kinds of steps:

* from PowerShell, the host's ``HttpPipelineSteps`` object (bound key ``__HttpPipeline``): script
  blocks that get a real ``HttpRequestMessage`` (``src/PwshCompat.Host/HttpPipelineSteps.cs``);
* from Python, callables ``step(request, next) -> response``: ``request`` a :class:`StepRequest`
  (change it in place or make another), ``next(request)`` the rest of the pipeline, returning the
  Graph client's response.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..errors import ErrorRecord, ErrorCategory, PSError
from ..graph import transport

__all__ = ["HOST_KEY", "StepRequest", "python_steps", "send"]

HOST_KEY = "__HttpPipeline"


@dataclass
class StepRequest:
    """A request as a Python step sees it: ``url`` absolute, ``headers`` name -> value, ``body`` bytes or None."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


class StepFailed(PSError):
    """A step failed (or returned nothing); the original's catch-all reports the exception."""


def python_steps(prepend: Any, append: Any) -> list[Callable[..., Any]] | None:
    """The Python callables of ``-HttpPipelinePrepend``/``-HttpPipelineAppend`` in the order they run;
    None when there are none. Raises ``TypeError`` for a value that is not a callable or a list of them."""
    def listed(value: Any, name: str) -> list[Callable[..., Any]]:
        if value is None:
            return []
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if not callable(item):
                raise TypeError(f"-{name} takes pipeline steps: callables step(request, next) -> response, not "
                                f"{type(item).__name__}.")
        return items

    ordered = [*reversed(listed(prepend, "HttpPipelinePrepend")), *listed(append, "HttpPipelineAppend")]
    return ordered or None


def send(pipeline: Any, client: Any, method: str, url: str, data: bytes | None, headers: Mapping[str, str]) -> Any:
    """Send ``method url`` through ``pipeline`` (the host's steps or a list of Python callables) and
    the Graph ``client``; returns the final response (the client's response type).

    Raises the client's :class:`~pwshcompat.errors.PSError` when the send failed, and
    :class:`StepFailed` (NotSpecified, the step's exception) when a step did.
    """
    sent: list[Any] = []
    failure: list[PSError] = []

    def terminal(m: str, u: str, h: Iterable[tuple[str, str]], body: bytes | None) -> Any:
        try:
            response = client.request(m, u, data=body, headers=dict(h))
        except PSError as exc:
            failure.append(exc)
            return None
        sent.append(response)
        return response

    if isinstance(pipeline, list):
        return _python_send(pipeline, StepRequest(method, url, dict(headers), data), terminal, failure)

    def host_terminal(m: str, u: str, pairs: Any, body_hex: Any) -> Any:
        response = terminal(str(m), str(u), [(str(k), str(v)) for k, v in pairs],
                            None if body_hex is None else bytes.fromhex(str(body_hex)))
        if response is None:
            return None
        return (response.status_code, response.reason or "", _pairs(response.headers), response.content.hex())

    result = pipeline.Send(method, url, list(headers.items()), None if data is None else data.hex(), host_terminal)
    if result[0] is None:
        if failure:
            raise failure[0]
        raise StepFailed(ErrorRecord(str(result[2]), "", ErrorCategory.NotSpecified, exception_type=str(result[1])))
    status, reason, pairs, body_hex = int(result[0]), str(result[1]), [(str(k), str(v)) for k, v in result[2]], str(result[3])
    return _response(sent[-1] if sent else None, method, url, dict(headers), data, status, reason, pairs,
                     bytes.fromhex(body_hex))


def _python_send(steps: list[Callable[..., Any]], request: StepRequest, terminal: Callable[..., Any],
                 failure: list[PSError]) -> Any:
    def chain(index: int) -> Callable[[StepRequest], Any]:
        if index == len(steps):
            def last(r: StepRequest) -> Any:
                response = terminal(r.method, r.url, r.headers.items(), r.body)
                if response is None:
                    raise failure[0]
                return response
            return last
        inner = chain(index + 1)
        return lambda r: steps[index](r, inner)

    try:
        response = chain(0)(request)
    except PSError:
        raise
    except Exception as exc:  # a step's own failure: the original's catch-all reports it
        raise StepFailed(ErrorRecord(str(exc), "", ErrorCategory.NotSpecified,
                                     exception_type=f"{type(exc).__module__}.{type(exc).__qualname__}")) from exc
    if response is None:
        raise StepFailed(ErrorRecord("A step of -HttpPipelinePrepend or -HttpPipelineAppend returned no response.", "",
                                     ErrorCategory.NotSpecified, exception_type="System.InvalidOperationException"))
    return response


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Response headers as (name, value) pairs, a repeated header once per value when the headers keep them."""
    raw = getattr(headers, "pairs", None)
    return list(raw) if raw is not None else list(headers.items())


def _response(base: Any, method: str, url: str, headers: dict[str, str], data: bytes | None,
              status: int, reason: str, pairs: list[tuple[str, str]], content: bytes) -> Any:
    """The final response as the client's callers read it: what the steps left of the sent one
    (``base``), or the one a step made itself (nothing was sent)."""
    new_headers = transport.Headers(pairs)
    if base is not None:
        return dataclasses.replace(base, status_code=status, reason=reason, headers=new_headers, content=content)
    return transport.Response(status_code=status, reason=reason, headers=new_headers, content=content, url=url,
                              request=transport.Request(method, url, headers, data))
