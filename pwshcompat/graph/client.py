"""One keep-alive HTTP session per connection context, with the bearer token attached."""

from __future__ import annotations

import requests

from ..auth import context as auth_context
from ..errors import AuthenticationNeededError, ErrorCategory, ErrorRecord


def _require_context() -> auth_context.GraphContext:
    ctx = auth_context.current()
    if ctx is None:
        raise AuthenticationNeededError(
            ErrorRecord("Authentication needed. Please call Connect-MgGraph.", "", ErrorCategory.NotSpecified)
        )
    return ctx


class GraphClient:
    def __init__(self, ctx: auth_context.GraphContext) -> None:
        self.context = ctx
        self.session = requests.Session()

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None, timeout: float = 300.0) -> requests.Response:
        url = self.context.environment.graph_endpoint.rstrip("/") + path
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        all_headers["Authorization"] = f"Bearer {self.context.get_token()}"
        return self.session.request(method, url, data=data, headers=all_headers, timeout=timeout)


_clients: dict[int, GraphClient] = {}


def for_current_context() -> GraphClient:
    ctx = _require_context()
    client = _clients.get(id(ctx))
    if client is None or client.context is not ctx:
        client = _clients[id(ctx)] = GraphClient(ctx)
    return client

