"""The msal token cache for each ``-ContextScope``.

* ``Process``: an in-memory ``msal.TokenCache``; it dies with the process (auth-and-pain.md §D).
* ``CurrentUser``: an ``msal.SerializableTokenCache`` persisted to ``~/.mg/mg.msal.cache``.
  The original keeps this cache in the OS secret store (libsecret on Linux) and fails over to
  Process scope when there is none. We have no secret store here, so the cache is a plain JSON
  file readable by its owner only (mode 0600, directory 0700), the same protection the Azure CLI
  gives its msal cache on Linux. Anyone who can read your home directory as you can read it.
"""

from __future__ import annotations

import threading
from typing import Any

import msal

from . import paths

PROCESS = "Process"
CURRENT_USER = "CurrentUser"
SCOPES = (PROCESS, CURRENT_USER)


class PersistentTokenCache(msal.SerializableTokenCache):
    """An msal cache that reloads from and saves to ``~/.mg/mg.msal.cache`` around each change."""

    def __init__(self) -> None:
        super().__init__()
        self._file_lock = threading.Lock()
        self._path = paths.token_cache()
        try:
            self.deserialize(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # no cache yet, or a damaged one: start empty and overwrite it on the next save

    def modify(self, credential_type: Any, old_entry: Any, new_key_value_pairs: Any = None) -> None:
        super().modify(credential_type, old_entry, new_key_value_pairs)
        self._save()

    def add(self, event: Any, **kwargs: Any) -> None:
        super().add(event, **kwargs)
        self._save()

    def _save(self) -> None:
        if self.has_state_changed:
            with self._file_lock:
                paths.write_private(self._path, self.serialize())
                self.has_state_changed = False


def for_scope(scope: str) -> msal.TokenCache:
    """A token cache for ``scope`` (``Process`` or ``CurrentUser``)."""
    return PersistentTokenCache() if scope == CURRENT_USER else msal.TokenCache()


def delete_persisted() -> bool:
    """Remove the persisted cache and the auth record (Disconnect-MgGraph); True if any existed."""
    removed = False
    for path in (paths.token_cache(), paths.auth_record()):
        try:
            path.unlink()
            removed = True
        except FileNotFoundError:
            pass
    return removed
