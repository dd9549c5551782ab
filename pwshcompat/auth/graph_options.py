"""The SDK-wide options of Set-MgGraphOption and Get-MgGraphOption, kept in ``~/.mg/mg.graphoptions.json``.

Facts from auth-and-pain.md §C.2b and the original's ``SetMgGraphOption.cs``, ``GetMgGraphOption.cs``
and ``GraphSessionInitializer.cs`` (2.25.0): the options are one JSON object, written indented, whose
one member at 2.25.0 is ``EnableWAMForMSGraph`` (a bool, ``false`` when never set); the module reads
the file when it loads and Set-MgGraphOption rewrites it. Here every read goes to the file, so a
change made by another process or session shows at once.

What this keeps that the original does not: members it does not know (a file written by a newer
original, with ``EnableATPoPForMSGraph`` or ``DisableWAMForMSGraph``, keeps them). A change is a
read-change-write under the settings lock (:func:`pwshcompat.auth.paths.locked`), so concurrent
writers in threads or processes never lose each other's options. A damaged file (not UTF-8 JSON
holding an object, or ``EnableWAMForMSGraph`` not ``true``/``false``) reads as the defaults with a
warning naming it; the next change keeps it aside as ``mg.graphoptions.json.damaged-<UTC time>``
and warns, rather than replacing it in silence (as :mod:`pwshcompat.auth.environments` does).

The options change nothing in this product: pwshcompat signs in with msal and never through the
Web Account Manager (WAM), on any platform. They are stored and reported so that scripts written
for the original run unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from . import paths

__all__ = ["ENABLE_WAM", "DamagedOptions", "GraphOptions", "load", "update"]

#: The JSON member (and PowerShell property) for -EnableLoginByWAM.
ENABLE_WAM = "EnableWAMForMSGraph"


@dataclass(frozen=True)
class GraphOptions:
    """The saved options; ``enable_wam_for_ms_graph`` is what ``-EnableLoginByWAM`` last set."""

    enable_wam_for_ms_graph: bool = False


class DamagedOptions(ValueError):
    """``mg.graphoptions.json`` exists but is not an options object this can read."""


def _key(document: dict[str, Any], name: str) -> str | None:
    """The member of ``document`` named ``name`` in any case (the original's JSON reader matches
    member names without regard to case), or None."""
    if name in document:
        return name
    return next((k for k in document if k.lower() == name.lower()), None)


def _read_document() -> dict[str, Any]:
    """The file's JSON object; ``{}`` when there is no file. Raises :class:`DamagedOptions` for a
    file this cannot read as options, and ``OSError`` when it cannot be read at all."""
    data = paths.read_json_object(paths.graph_options(), DamagedOptions)
    key = _key(data, ENABLE_WAM)
    if key is not None and not isinstance(data[key], bool):
        raise DamagedOptions(f"its {key} is {json.dumps(data[key])}, not true or false")
    return data


def _options(document: dict[str, Any]) -> GraphOptions:
    key = _key(document, ENABLE_WAM)
    return GraphOptions(enable_wam_for_ms_graph=bool(document[key]) if key is not None else False)


def load(warn: Callable[[str], None] | None = None) -> GraphOptions:
    """The saved options, read from the file now. A missing or unreadable file means the defaults;
    a damaged one too, reported through ``warn`` (a command's warning stream) when given."""
    try:
        return _options(_read_document())
    except DamagedOptions as exc:
        if warn is not None:
            warn(f"{paths.graph_options()} could not be read: {exc}, so the default options are shown. "
                 "The next Set-MgGraphOption keeps it aside beside it and starts a new one.")
        return GraphOptions()
    except OSError:
        return GraphOptions()


def update(warn: Callable[[str], None], *, enable_wam_for_ms_graph: bool | None = None) -> GraphOptions:
    """Save the options given (None leaves one as it is) and return all of them.

    Like the original, the file is written even when nothing is given (it then holds the current
    options). Every other member of the file stays. ``warn`` receives the notice when a damaged
    file is kept aside. Raises :class:`pwshcompat.auth.paths.SettingsLockTimeout` when the lock
    cannot be had in time, and a ``TerminatingError`` (``SettingsFileUnreadable``) when the file
    exists but cannot be read; nothing is written then.
    """
    path = paths.graph_options()
    with paths.locked(path):
        try:
            document = _read_document()
        except DamagedOptions as exc:
            kept = paths.keep_aside(path)
            warn(f"{path} could not be read: {exc}. It was kept as {kept.name} beside it, and a new one holds "
                 "the options from now on.")
            document = {}
        except OSError as exc:
            raise paths.unreadable(path, exc) from None
        if enable_wam_for_ms_graph is not None:
            for key in [k for k in document if k.lower() == ENABLE_WAM.lower()]:
                del document[key]  # one member, in the original's spelling
            document = {ENABLE_WAM: bool(enable_wam_for_ms_graph), **document}
        elif _key(document, ENABLE_WAM) is None:
            document = {ENABLE_WAM: False, **document}
        paths.write_private(path, json.dumps(document, indent=2))
        return _options(document)
