"""Output values that stand for a particular .NET type once they reach PowerShell.

A command writes these like any other value; for a Python caller they are ordinary Python objects
(a dict, a small record). The PowerShell host (``src/PwshCompat.Host/FromPython.cs``) turns each into
the .NET type the original cmdlet writes, so that scripts keep working: ``-is [hashtable]``,
``ContainsKey(...)``, ``.StatusCode`` on an ``HttpResponseMessage`` and so on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Hashtable", "HttpResponseMessage", "hashtable_from_json"]


class Hashtable(dict):  # type: ignore[type-arg]
    """A JSON object as the original Invoke-MgGraphRequest returns it by default.

    In PowerShell it becomes a ``System.Collections.Hashtable`` with case-insensitive keys, its
    objects nested as Hashtables and its arrays as ``object[]``; JSON values take the .NET types
    of the original's JSON reader (Newtonsoft.Json): integers ``Int64``, other numbers ``Double``,
    and ISO 8601 date-times ``DateTime``. For a Python caller it is a plain dict (keys keep their
    case).
    """


def hashtable_from_json(text: str) -> Any:
    """``text`` parsed with every JSON object a :class:`Hashtable`. Raises ``ValueError`` when
    ``text`` is not JSON."""
    return json.loads(text, object_hook=Hashtable)


@dataclass(frozen=True)
class HttpResponseMessage:
    """An HTTP response, which PowerShell receives as a ``System.Net.Http.HttpResponseMessage``.

    ``Headers`` holds the response's header lines as received, in order (a repeated header's values
    already joined with ", "); ``Body`` the body with any Content-Encoding removed. The request is
    named by ``RequestMethod`` and ``RequestUri`` (the message's ``RequestMessage`` in .NET).
    """

    StatusCode: int
    ReasonPhrase: str
    Headers: tuple[tuple[str, str], ...]
    Body: bytes
    RequestMethod: str
    RequestUri: str

    @property
    def IsSuccessStatusCode(self) -> bool:
        """True for a 2xx status, as .NET's property of that name."""
        return 200 <= self.StatusCode < 300

    @property
    def Content(self) -> str:
        """The body as text: in the charset its Content-Type names, else UTF-8."""
        charset = "utf-8"
        for name, value in self.Headers:
            if name.lower() == "content-type":
                for parameter in value.split(";")[1:]:
                    key, _, found = parameter.strip().partition("=")
                    if key.lower() == "charset" and found:
                        charset = found.strip("'\"")
        try:
            return self.Body.decode(charset, errors="replace")
        except LookupError:
            return self.Body.decode("utf-8", errors="replace")
