"""Fixtures for the auth tests: the private HOME by name, a clean environment and no connection left behind.

Not a conftest.py: other test directories import the top-level ``conftest`` by name, which a second
conftest module would shadow. Each auth test module imports ``home`` from here (it is autouse).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from pwshcompat.auth import context, environments


@pytest.fixture(autouse=True)
def home(private_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The test's private HOME (``~/.mg``, the certificate store; ``conftest.private_home``); the
    process starts disconnected, with no sign-in variables of the machine's."""
    for name in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
                 "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_USERNAME", "AZURE_PASSWORD", "IDENTITY_ENDPOINT",
                 "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)
    context.set_current(None)
    yield private_home
    context.set_current(None)
    from pwshcompat.graph import request_context

    request_context.reset()  # -ClientTimeout changes it process-wide
    from pwshcompat.auth import connect

    connect.device_code_sink = connect._live
    environments._running_emulator = None

