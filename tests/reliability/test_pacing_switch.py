"""``PWSHCOMPAT_PACING``: on and off in their usual spellings; anything else is a clear error before
anything is sent (a typo must not switch pacing silently either way)."""

from __future__ import annotations

import pytest

import pwshcompat
from pwshcompat.emulator import Emulator
from pwshcompat.graph import pacing

from conftest import connected

KEY = ("https", "graph.example", "tenant-1", "app-switch")


@pytest.mark.parametrize(("value", "on"), [
    (None, True), ("", True), ("on", True), ("ON", True), (" 1 ", True), ("true", True), ("Yes", True),
    ("off", False), ("OFF", False), ("0", False), ("false", False), ("no", False),
])
def test_the_spellings_of_on_and_off(monkeypatch: pytest.MonkeyPatch, value: str | None, on: bool) -> None:
    if value is None:
        monkeypatch.delenv("PWSHCOMPAT_PACING", raising=False)
    else:
        monkeypatch.setenv("PWSHCOMPAT_PACING", value)
    assert pacing.enabled() is on
    assert (pacing.shared(KEY) is not None) is on


@pytest.mark.parametrize("value", ["maybe", "of", "2", "disabled"])
def test_anything_else_is_refused_before_a_request_is_sent(emulator: Emulator, monkeypatch: pytest.MonkeyPatch,
                                                           value: str) -> None:
    monkeypatch.setenv("PWSHCOMPAT_PACING", value)
    with pytest.raises(ValueError, match=f"PWSHCOMPAT_PACING must be on or off .*not '{value}'"):
        pacing.enabled()
    with connected(emulator, "PacingSwitch"):
        with pytest.raises(pwshcompat.PSError) as info:
            pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(
                PresenceId="u-switch", Availability="Busy", Activity="Busy")
        assert f"PWSHCOMPAT_PACING must be on or off (or 1/0, true/false, yes/no), not '{value}'" in str(info.value)
        assert info.value.record.exception_type == "System.ArgumentException"
        assert [r for r in emulator.requests if "u-switch" in r.path] == []
