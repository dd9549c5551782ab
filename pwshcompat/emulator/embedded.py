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

``serving(emu)`` makes an emulator you started yourself the process's one for a ``with`` block
(the pytest plugin's ``graph_session`` fixture uses it), so ``Connect-MgGraph -Environment
Emulator`` signs in to it and no user-defined environment has to be saved to ``~/.mg``.
``current()`` says which emulator the environment stands for, without starting one.
"""

from __future__ import annotations

import atexit
import threading
from contextlib import contextmanager
from typing import Iterator

from .server import Emulator

__all__ = ["current", "serving", "shared"]

_lock = threading.Lock()
_instance: Emulator | None = None
_serving: list[Emulator] = []  # innermost serving() block last


def shared() -> Emulator:
    """The process-wide emulator (thread-safe): the one a :func:`serving` block names, else the
    process's own, started on the first call."""
    global _instance
    with _lock:
        if _serving:
            return _serving[-1]
        if _instance is None:
            _instance = Emulator().start()
            atexit.register(_instance.stop)
        return _instance


def current() -> Emulator | None:
    """The emulator :func:`shared` would return, or None when none was started (starts nothing)."""
    with _lock:
        return _serving[-1] if _serving else _instance


@contextmanager
def serving(emulator: Emulator) -> Iterator[Emulator]:
    """Within the block, ``emulator`` (started, e.g. ``with Emulator() as emu``) is the process's
    emulator: :func:`shared` returns it and the ``Emulator`` environment's endpoints are its URLs.
    Blocks nest; on leaving, the previous one is back. ``ValueError`` if ``emulator`` is not running.
    """
    if not emulator._threads:
        raise ValueError("serving() needs a running emulator: start it first (with Emulator() as emu)")
    with _lock:
        _serving.append(emulator)
    try:
        yield emulator
    finally:
        with _lock:
            _serving.remove(emulator)
