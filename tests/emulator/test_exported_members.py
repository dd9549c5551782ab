"""The emulator's public surface is deliberate: a new public name must be added here too."""

from __future__ import annotations

import pwshcompat.emulator as emulator


def test_exported_members():
    assert sorted(emulator.__all__) == ["Clock", "DeviceCode", "Emulator", "FaultRule", "GraphError", "RecordedRequest"]
    assert all(hasattr(emulator, name) for name in emulator.__all__)
