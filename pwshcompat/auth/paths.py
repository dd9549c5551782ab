"""Where the authentication state lives on disk: the ``~/.mg`` directory.

Facts from auth-and-pain.md §B.3 and §D: the original keeps its settings in
``Path.Combine(UserProfile, ".mg")``: ``mg.context.json`` (user-defined environments) and
``mg.authrecord.json`` (the signed-in account). Its CurrentUser token cache lives in the OS secret
store; ours is an msal cache file, ``mg.msal.cache``, in the same directory (see
:mod:`pwshcompat.auth.token_cache`). The home directory comes from ``HOME`` on POSIX (and
``USERPROFILE`` on Windows) through :func:`os.path.expanduser`, read on every call so tests can
point it at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 from the first byte (no window where others can read)."""
    ensure_graph_directory()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)  # in case the file pre-existed with a wider mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
