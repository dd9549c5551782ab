"""A process-wide emulator, started on first use, for one-step dry runs.

``shared() -> Emulator`` returns the one emulator of this process, starting it (open tenant,
loopback, ephemeral ports) on the first call; later calls return the same running instance.
It stops when the process exits. This is what ``Connect-MgGraph -Environment Emulator`` uses:

    from pwshcompat.emulator.embedded import shared

    emu = shared()
    emu.graph_url    # http://127.0.0.1:<port>   -> the environment's GraphEndpoint
    emu.login_url    # https://127.0.0.1:<port>  -> the environment's AzureADEndpoint
    emu.ca_bundle    # PEM file to trust for login_url (requests ``verify=``)
    emu.issue_token()  # an app token with the presence roles, without a sign-in round trip
"""

from __future__ import annotations

import atexit
import threading

from .server import Emulator

__all__ = ["shared"]

_lock = threading.Lock()
_instance: Emulator | None = None


def shared() -> Emulator:
    """The process-wide emulator, started on demand (thread-safe)."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Emulator().start()
            atexit.register(_instance.stop)
        return _instance
