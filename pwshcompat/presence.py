"""Set-MgBetaCommunicationPresenceUserPreferredPresence: request building and output."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from .commands import command
from .errors import ErrorCategory, ErrorRecord
from .graph import client as graph_client
from .runtime import CommandRuntime

NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
PATH_TEMPLATE = "/communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence"


@command(NAME, default_parameter_set="SetExpanded")
def set_user_preferred_presence(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
    presence_id = bound["PresenceId"]
    body = {k[0].lower() + k[1:]: bound[k] for k in ("Availability", "Activity") if bound.get(k) is not None}
    if bound.get("ExpirationDuration") is not None:
        body["expirationDuration"] = bound["ExpirationDuration"].to_iso8601()
    segment = urllib.parse.quote(str(presence_id), safe="-._~")
    path = "/beta" + PATH_TEMPLATE.replace("{presence-id}", segment)
    response = graph_client.for_current_context().request(
        "POST", path, data=json.dumps(body, indent=2).encode("utf-8")
    )
    if not 200 <= response.status_code < 300:
        error = response.json().get("error", {})
        runtime.write_error(ErrorRecord(f"[{error.get('code')}] : {error.get('message')}", error.get("code", ""),
                                        ErrorCategory.InvalidOperation, command=f"{NAME}_{parameter_set}"))
        return
    if "PassThru" in bound:
        runtime.write_object(True)
