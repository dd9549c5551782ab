"""The parts of a Graph request a cmdlet's parameters make: path, query string and extra headers.

Facts: ../shared/research/cmdlet-semantics.md sections 4, 5 and 9; the query rules of the
original's list cmdlets (msgraph-sdk-powershell ``tools/Custom/ListCmdlet.cs`` and the
``readme.graph.md`` directives that call it).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Mapping

from ..conversion import dotnet_string, well_formed
from ..graph import headers as graph_headers

__all__ = ["MAX_PAGE_SIZE", "QUERY_ORDER", "escape_data_string", "expand_path", "query_string", "request_headers"]

# The order AutoRest writes the OData options in (the OpenAPI parameter order of Graph's list and
# get operations: top, skip, search, filter, count, orderby, select, expand).
QUERY_ORDER = ("$top", "$skip", "$search", "$filter", "$count", "$orderby", "$select", "$expand")
MAX_PAGE_SIZE = 999  # ListCmdlet.MaxPageSize

# .NET HttpContent headers: adding one to the request headers throws "Misused header name".
CONTENT_HEADERS = graph_headers.CONTENT_HEADERS


def escape_data_string(value: str) -> str:
    """``Uri.EscapeDataString``: RFC 3986 unreserved characters stay, the rest is %XX (UTF-8, upper hex);
    a lone surrogate is U+FFFD (``%EF%BF%BD``), as .NET's UTF-8 encoder writes it."""
    return urllib.parse.quote(well_formed(value), safe="-._~")


def expand_path(template: str, values: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by its value, escaped as one path segment."""
    return re.sub(r"\{([^}]+)\}", lambda m: escape_data_string(values[m.group(1)]), template)


def _option_text(option: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(dotnet_string(v) for v in value)
    if option == "$search":
        # ListCmdlet.FormatSearchValue: quotes around a search phrase that has none (KQL "prop:value").
        text = dotnet_string(value)
        return text if not text.strip() or text.startswith('"') else f'"{text}"'
    if option == "$filter":
        # The original unescapes -Filter before escaping it again, so %XX in a filter is sent once.
        return urllib.parse.unquote(dotnet_string(value))
    return dotnet_string(value)


def query_string(options: Mapping[str, Any]) -> str:
    """``?$top=5&$select=id%2Cactivity...``: the given options in the original's order, each value
    escaped with ``Uri.EscapeDataString``; empty when there are none."""
    parts = [f"{name}={escape_data_string(_option_text(name, options[name]))}" for name in QUERY_ORDER
             if name in options and options[name] is not None]
    return "?" + "&".join(parts) if parts else ""


def _header_text(value: Any) -> str:
    """``object.ToString()`` as the original applies it to -Headers values (a lone surrogate as
    U+FFFD: a value that holds one is then refused as non-ASCII before sending, as .NET refuses it)."""
    if isinstance(value, (list, tuple)):
        return "System.Object[]"
    return well_formed(dotnet_string(value))


def request_headers(headers: Mapping[Any, Any] | None) -> dict[str, str]:
    """``-Headers`` as request headers, by .NET's ``HttpRequestHeaders.Add`` rules
    (:func:`pwshcompat.graph.headers.from_parameter`): names differing only in case become one
    header, values joined with ", "; raises :class:`~pwshcompat.graph.headers.HeaderError` (a
    ``ValueError`` carrying .NET's exception type and message) for an entry .NET refuses.
    """
    return graph_headers.from_parameter(headers, _header_text)
