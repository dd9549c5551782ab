"""Conversion rules: PowerShell's [TimeSpan], XmlConvert durations, the identity (bodies: test_models.py).

The TimeSpan and duration tables are pwsh 7.6.9 / .NET 9 results ([timespan]'...' and
[System.Xml.XmlConvert]::ToTimeSpan / ToString).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, strategies as st

from pwshcompat.conversion import (ConversionError, TimeSpan, dotnet_string, identity_from_value, parse_timespan,
                                   parse_xsd_duration, to_timespan)

S, M, H, D = 10_000_000, 600_000_000, 36_000_000_000, 864_000_000_000


@pytest.mark.parametrize("text,ticks", [
    ("1", D), ("-1", -D), (" 2 ", 2 * D), ("01:30", 90 * M), ("01:30:00", 90 * M), ("1:2:3.5", H + 2 * M + 35 * S // 10),
    ("1.02:03:04.5", D + 2 * H + 3 * M + 45 * S // 10), ("1:2:3:4", D + 2 * H + 3 * M + 4 * S), ("1.2:3", D + 2 * H + 3 * M),
    ("-0:30", -30 * M), ("10675199", 10675199 * D), ("00:00:00.1234567", 1234567), ("0:0", 0),
])
def test_timespan_parse(text: str, ticks: int) -> None:
    assert parse_timespan(text) == TimeSpan(ticks)


@pytest.mark.parametrize("text,kind", [
    ("1.2", "not recognized"), ("+1", "not recognized"), ("1e2", "not recognized"), ("1:2:3:4:5", "not recognized"),
    ("PT1H", "not recognized"), ("１", "not recognized"), ("", "not recognized"), ("25:00", "out of range"),
    ("0:60", "out of range"), ("1:60:00", "out of range"), ("0:0:60", "out of range"), ("1.24:00", "out of range"),
    ("10675200", "out of range"), ("00:00:00.12345678", "out of range"),
])
def test_timespan_parse_errors(text: str, kind: str) -> None:
    with pytest.raises(ConversionError) as info:
        parse_timespan(text)
    if kind == "not recognized":
        assert str(info.value) == f"String '{text}' was not recognized as a valid TimeSpan."
    else:
        assert str(info.value) == (f"The TimeSpan string '{text}' could not be parsed because at least one of the "
                                   "numeric components is out of range or contains too many digits.")


@pytest.mark.parametrize("value,ticks", [
    (3600, 3600), (0, 0), (-5, -5), ("1", D), (dt.timedelta(minutes=90), 90 * M), (dt.timedelta(microseconds=1), 10),
    (TimeSpan(42), 42),
])
def test_to_timespan(value: Any, ticks: int) -> None:
    assert to_timespan(value) == TimeSpan(ticks)


@pytest.mark.parametrize("text,ticks", [
    ("PT1H", H), ("P1D", D), ("-PT1H", -H), ("P1M", 30 * D), ("P1Y", 365 * D), (" PT1H ", H), ("PT0.5S", 5_000_000),
    ("PT36H", 36 * H), ("PT0.123456789S", 1234567), ("P1Y2M3DT4H5M6.5S", 369939065000000), ("PT0S", 0), ("P0D", 0),
    ("P10675199D", 10675199 * D),
])
def test_xsd_duration(text: str, ticks: int) -> None:
    assert parse_xsd_duration(text) == TimeSpan(ticks)


@pytest.mark.parametrize("text", ["PT", "P", "P1DT", "P1W", "pt1h", "PT1.H", "01:00:00", "3600", "", "-", "T1H"])
def test_xsd_duration_errors(text: str) -> None:
    with pytest.raises(ConversionError, match="is not a valid TimeSpan value"):
        parse_xsd_duration(text)


@pytest.mark.parametrize("ticks,iso", [
    (H, "PT1H"), (90 * M, "PT1H30M"), (D, "P1D"), (D + 2 * H, "P1DT2H"), (5_000_000, "PT0.5S"), (-H, "-PT1H"),
    (0, "PT0S"), (3600, "PT0.00036S"), (400 * D, "P400D"), (1, "PT0.0000001S"),
])
def test_iso8601_format(ticks: int, iso: str) -> None:
    assert TimeSpan(ticks).to_iso8601() == iso


@given(st.integers(min_value=-10675199 * D, max_value=10675199 * D))
def test_iso8601_round_trips(ticks: int) -> None:
    assert parse_xsd_duration(TimeSpan(ticks).to_iso8601()) == TimeSpan(ticks)


@pytest.mark.parametrize("ticks,text", [(H, "01:00:00"), (D + 5_000_000, "1.00:00:00.5000000"), (-30 * M, "-00:30:00")])
def test_timespan_to_string_is_dotnet_c_format(ticks: int, text: str) -> None:
    assert str(TimeSpan(ticks)) == text


@pytest.mark.parametrize("value,text", [
    (None, ""), (True, "True"), (False, "False"), (5, "5"), (1.5, "1.5"), (2.0, "2"), ([1, "a"], "1 a"),
    ({"a": 1}, "System.Collections.Hashtable"), ("x", "x"),
])
def test_dotnet_string(value: Any, text: str) -> None:
    assert dotnet_string(value) == text


def test_identity_keeps_known_properties_and_warns_about_others() -> None:
    warnings: list[str] = []
    identity = identity_from_value({"presenceid": 42, "Id": "x", "UserId": "u"}, ["PresenceId", "UserId"], warnings.append)
    assert identity == {"PresenceId": "42", "UserId": "u"}
    assert len(warnings) == 1 and "'Id'" in warnings[0]


def test_identity_none_value_counts_as_missing() -> None:
    assert identity_from_value({"PresenceId": None}, ["PresenceId"], lambda m: None) == {}


def test_identity_from_json_and_object() -> None:
    assert identity_from_value('{"PresenceId": "p"}', ["PresenceId"], lambda m: None) == {"PresenceId": "p"}
    assert identity_from_value(SimpleNamespace(PresenceId="q"), ["PresenceId"], lambda m: None) == {"PresenceId": "q"}
