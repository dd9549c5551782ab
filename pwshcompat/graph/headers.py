"""What a cmdlet's ``-Headers`` becomes on the request, by .NET's rules for ``HttpRequestHeaders.Add``.

The original adds each ``-Headers`` entry with ``request.Headers.Add(name, value.ToString())``
before anything is sent, so an entry .NET refuses fails the call with .NET's own exception type
and message (fact sheet original-observed.md, Requests; .NET's ``HttpHeaders.Add``):

* a ``$null`` value: ``NullReferenceException`` (``ToString()`` on null, before ``Add`` runs);
* an empty name: ``ArgumentException``;
* a name that is not an RFC 7230 token (a space, a colon, a non-ASCII letter):
  ``FormatException`` "The header name 'bad header' has an invalid format.";
* a content header (``Content-Type``, ``Content-Length``, ...): ``InvalidOperationException``
  "Misused header name, 'Content-Type'. ...";
* a value with a line break or NUL: ``FormatException`` "New-line or NUL characters are not
  allowed in header values.".

Names that differ only in case (a case-sensitive ``Dictionary[string,string]``) become one header
whose values are joined with ", ", spelled as the first one, as ``HttpHeaders`` stores them.
A non-ASCII value passes here and is refused when the request is sent
(:func:`pwshcompat.graph.transport.validate_headers`), as .NET refuses it only then.

:func:`header_pairs` reads the other way: a response's header lines as received, for the cmdlets'
response-headers variable and Invoke-MgGraphRequest's ErrorDetails.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

__all__ = ["CONTENT_HEADERS", "HeaderError", "from_parameter", "header_pairs"]

#: .NET's HttpContent headers: adding one to a request's headers throws "Misused header name".
CONTENT_HEADERS = frozenset({"allow", "content-disposition", "content-encoding", "content-language", "content-length",
                             "content-location", "content-md5", "content-range", "content-type", "expires",
                             "last-modified"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 7230 header-name characters
_NEW_LINE_OR_NUL = re.compile(r"[\r\n\0]")


class HeaderError(ValueError):
    """A ``-Headers`` entry .NET would refuse; nothing was sent.

    ``exception_type`` is the .NET exception the original reports (``System.FormatException``,
    ``System.InvalidOperationException``, ``System.NullReferenceException``,
    ``System.ArgumentException``) and ``str(error)`` its message, word for word. ``details`` says
    the same and names the entry (for the record's ErrorDetails: .NET's messages about values do
    not say which header was wrong).
    """

    def __init__(self, message: str, exception_type: str, name: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.exception_type = exception_type
        self.details = message if name is None else f"{message} (-Headers entry {name!r})"


def from_parameter(headers: Mapping[Any, Any] | None, to_text: Callable[[Any], str] = str) -> dict[str, str]:
    """The request headers for a ``-Headers`` value: name -> value, one entry per name.

    ``headers``: the bound dictionary (None or empty gives ``{}``); ``to_text``: .NET's
    ``ToString()`` for keys and values as the caller's language writes them (the cmdlet runner
    passes PowerShell's: ``5`` -> ``"5"``, an array -> ``"System.Object[]"``).
    Raises :class:`HeaderError` for the first entry .NET would refuse, in the dictionary's order.
    """
    out: dict[str, str] = {}
    spelled: dict[str, str] = {}  # lower-case name -> the spelling first added
    for key, value in (headers or {}).items():
        if key is None or value is None:
            raise HeaderError("Object reference not set to an instance of an object.", "System.NullReferenceException",
                              key)
        name, text = to_text(key), to_text(value)
        if not name:
            raise HeaderError("The value cannot be an empty string. (Parameter 'name')", "System.ArgumentException")
        if not _TOKEN.fullmatch(name):
            raise HeaderError(f"The header name '{name}' has an invalid format.", "System.FormatException")
        if name.lower() in CONTENT_HEADERS:
            raise HeaderError(f"Misused header name, '{name}'. Make sure request headers are used with "
                              "HttpRequestMessage, response headers with HttpResponseMessage, and content headers "
                              "with HttpContent objects.", "System.InvalidOperationException")
        if _NEW_LINE_OR_NUL.search(text):
            raise HeaderError("New-line or NUL characters are not allowed in header values.", "System.FormatException",
                              name)
        first = spelled.setdefault(name.lower(), name)
        out[first] = f"{out[first]}, {text}" if first in out else text
    return out


def header_pairs(response: Any) -> list[tuple[str, str]]:
    """Every header line of ``response`` as received, a repeated header once per line: from the
    transport's headers when they keep the lines, from urllib3's for a ``requests`` response."""
    pairs = getattr(response.headers, "pairs", None)
    if pairs is not None:
        return list(pairs)
    raw = getattr(getattr(response, "raw", None), "headers", None)
    lines = getattr(raw, "iteritems", None) or getattr(raw, "items", None)
    if callable(lines):
        return [(str(k), str(v)) for k, v in lines()]
    return list(response.headers.items())
