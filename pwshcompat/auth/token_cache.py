"""The msal token cache for each ``-ContextScope``.

* ``Process``: an in-memory ``msal.TokenCache``; it dies with the process (auth-and-pain.md §D).
* ``CurrentUser``: an ``msal.SerializableTokenCache`` persisted to ``~/.mg/mg.msal.cache``.
  The original keeps this cache in the OS secret store (libsecret on Linux) and fails over to
  Process scope when there is none. We have no secret store here, so the cache is a plain JSON
  file readable by its owner only (mode 0600, directory 0700), the same protection the Azure CLI
  gives its msal cache on Linux. Anyone who can read your home directory as you can read it.
"""

from __future__ import annotations

import os
from typing import Any

import msal

from . import paths

PROCESS = "Process"
CURRENT_USER = "CurrentUser"
SCOPES = (PROCESS, CURRENT_USER)


class PersistentTokenCache(msal.SerializableTokenCache):
    """An msal cache kept in ``~/.mg/mg.msal.cache`` and shared with other processes.

    Each change is a read-change-write under the settings lock (``paths.locked``): the file is
    re-read first, so a sign-in or token refresh in another process is kept, not overwritten.
    Lookups re-read the file when it changed since it was last read.
    """

    has_state_changed: bool  # msal's: set when the in-memory cache changed since it was last saved

    def __init__(self) -> None:
        super().__init__()
        self._path = paths.token_cache()
        self._stamp: tuple[int, int, int] | None = None
        self._reload()

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _reload(self) -> None:
        with self._lock:  # msal's own lock of the in-memory cache
            stamp = self._file_stamp()
            if stamp == self._stamp:
                return
            try:
                self.deserialize(self._path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass  # no cache yet, or a damaged one: keep what we have and overwrite it on the next save
            self._stamp = stamp

    def find(self, credential_type: Any, target: Any = None, query: Any = None) -> Any:
        self._reload()
        return super().find(credential_type, target=target, query=query)

    def modify(self, credential_type: Any, old_entry: Any, new_key_value_pairs: Any = None) -> None:
        with paths.locked(self._path):
            self._reload()
            super().modify(credential_type, old_entry, new_key_value_pairs)
            self._save()

    def add(self, event: Any, **kwargs: Any) -> None:
        with paths.locked(self._path):
            self._reload()
            super().add(event, **kwargs)
            self._save()

    def _save(self) -> None:
        if self.has_state_changed:
            paths.write_private(self._path, self.serialize())
            self.has_state_changed = False
            self._stamp = self._file_stamp()


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
