"""A local Microsoft Graph presence emulator for tests, dry runs and the demo (what Azurite is to Azure Storage).

    with Emulator() as emu:
        emu.graph_url        # http://127.0.0.1:<port>    Graph, beta and v1.0
        emu.login_url        # https://127.0.0.1:<port>   a fake Entra ID tenant msal can use
        emu.ca_bundle        # the CA to trust for login_url (never turn verification off)
        emu.issue_token()    # a signed app token with the presence roles
        emu.requests         # every Graph request received, in order
        emu.clock.advance(minutes=5)
        emu.inject("429", count=1, retry_after=0)

Modules: ``server`` (the Emulator), ``wire`` (HTTP plumbing, request limits, error answers),
``graph_api`` (routes, permissions, $batch, error envelope), ``queries`` (OData query options and
paging), ``presence`` (rules and aggregation), ``durations``, ``clock``, ``identity``
(token endpoint, discovery, device codes), ``tokens`` (JWT signing), ``tls``, ``faults``,
``throttling`` (rate limits), ``control`` (the ``/_emulator/`` API), ``embedded`` (``shared()``, the
process-wide instance), ``pytest_plugin`` (fixtures for other test suites).
"""

from .clock import Clock
from .faults import FaultRule
from .identity import DeviceCode
from .presence import GraphError
from .server import Emulator, RecordedRequest

__all__ = ["Clock", "DeviceCode", "Emulator", "FaultRule", "GraphError", "RecordedRequest"]
