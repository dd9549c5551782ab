"""Where the authentication state lives on disk: the ``~/.mg`` directory.

Facts from auth-and-pain.md §B.3 and §D: the original keeps its settings in
``Path.Combine(UserProfile, ".mg")``: ``mg.context.json`` (user-defined environments),
``mg.authrecord.json`` (the signed-in account) and ``mg.graphoptions.json`` (Set-MgGraphOption's
options, §C.2b). Its CurrentUser token cache lives in the OS secret
store; ours is an msal cache file, ``mg.msal.cache``, in the same directory (see
:mod:`pwshcompat.auth.token_cache`). The home directory comes from ``HOME`` on POSIX (and
``USERPROFILE`` on Windows) through :func:`os.path.expanduser`, read on every call so tests can
point it at a temporary directory.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import ErrorCategory, ErrorRecord, TerminatingError

GRAPH_DIRECTORY = ".mg"


def graph_directory() -> Path:
    return Path(os.path.expanduser("~")) / GRAPH_DIRECTORY


def ensure_graph_directory() -> Path:
    """Create ``~/.mg`` readable by its owner only (it holds the token cache)."""
    path = graph_directory()
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def context_settings() -> Path:
    return graph_directory() / "mg.context.json"


def auth_record() -> Path:
    return graph_directory() / "mg.authrecord.json"


def token_cache() -> Path:
    return graph_directory() / "mg.msal.cache"


def graph_options() -> Path:
    return graph_directory() / "mg.graphoptions.json"


def read_json_object(path: Path, damaged: Callable[[str], Exception]) -> dict[str, Any]:
    """The JSON object in the settings file ``path``; ``{}`` when there is no file. Raises
    ``damaged(reason)`` for a file that is not UTF-8 JSON holding an object, and ``OSError`` when it
    cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError as exc:
        raise damaged(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise damaged(f"it is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise damaged(f"it holds a JSON {type(data).__name__}, not an object")
    return data


def unreadable(path: Path, exc: OSError) -> TerminatingError:
    """The error for a settings file that exists but cannot be read, so a change was not written."""
    return TerminatingError(ErrorRecord(
        f"{path} cannot be read ({exc.strerror or exc}), so it was not changed.", "SettingsFileUnreadable",
        ErrorCategory.ResourceUnavailable, str(path)))


def keep_aside(path: Path) -> Path:
    """Rename the damaged settings file ``path`` to ``<name>.damaged-<UTC time>`` beside it (never
    over another kept file) and return the new path; callers hold :func:`locked` and say so to the user."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    return target


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (no window where others can read).

    The text goes to a fresh temporary file that then replaces ``path`` in one step, so a reader
    never sees half a file. A read-change-write must also hold :func:`locked`.
    """
    ensure_graph_directory()
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # mode 0600
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: How long a read-change-write waits for another thread or process to finish its own, in seconds.
LOCK_TIMEOUT_SECONDS = 30.0

_locks_guard = threading.Lock()
_locks: dict[str, threading.RLock] = {}
_held = threading.local()   # per thread: {lock file: depth}, so a holder may re-enter


class SettingsLockTimeout(TerminatingError):
    """Another thread or process kept a settings file locked for longer than the timeout (error id
    ``SettingsFileLocked``): the change was not made, and nothing was overwritten."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(ErrorRecord(message + " Nothing was changed; try again.", "SettingsFileLocked",
                                     ErrorCategory.ResourceUnavailable, str(path)))


@contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the lock of the settings file ``path`` across threads and processes while the block runs.

    Every read-change-write of a ``~/.mg`` file runs inside this, so two writers never lose each
    other's changes. The lock is a sibling file ``.<name>.lock`` (the data file itself is replaced
    on each write, so it cannot carry the lock): ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
    Windows, plus a thread lock (file locks do not exclude threads of one process). Re-entrant in
    one thread. Raises :class:`SettingsLockTimeout` after ``timeout`` seconds rather than wait forever.
    """
    lock_path = path.with_name(f".{path.name}.lock")
    key = str(lock_path)
    depth: dict[str, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    with _locks_guard:
        thread_lock = _locks.setdefault(key, threading.RLock())
    deadline = time.monotonic() + timeout
    if not thread_lock.acquire(timeout=timeout):
        raise SettingsLockTimeout(f"{path} stayed locked by another thread for {timeout:g} seconds.", path)
    try:
        ensure_graph_directory()
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_file(fd, deadline, path, timeout)
            depth[key] = 1
            try:
                yield
            finally:
                depth[key] = 0
                _unlock_file(fd)
        finally:
            os.close(fd)
    finally:
        thread_lock.release()


def _lock_file(fd: int, deadline: float, path: Path, timeout: float) -> None:
    pause = 0.001
    while True:   # bounded by the deadline
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except (BlockingIOError, PermissionError, OSError) as exc:
            if not isinstance(exc, (BlockingIOError, PermissionError)) and sys.platform != "win32":
                raise
            if time.monotonic() >= deadline:
                raise SettingsLockTimeout(f"{path} stayed locked by another process for {timeout:g} seconds.",
                                          path) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)


def _unlock_file(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)
