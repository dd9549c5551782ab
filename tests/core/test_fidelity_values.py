"""The original's body text rules from Python (issue 13.6-13.10): the JSON writer, .NET number
text, AutoRest's ISO date form, the -AdditionalProperties value forms and Convert.ToString, then
the same rules end to end through the Python API against the emulator. Expected values are the
original's (original-observed.md, "Body"; AutoRest's JsonWriter, JsonDate and ToJsonValue)."""

from __future__ import annotations

import datetime as dt
import decimal
from types import SimpleNamespace
from typing import Any

import pytest

from pwshcompat import dotnetvalues
from pwshcompat.conversion import TimeSpan, double_text
from pwshcompat.errors import CommandError
from pwshcompat.operation import jsontext, models

from ._support import CMD, PATH, call, emu, graph  # noqa: F401  (fixtures)


@pytest.mark.parametrize("value,text", [
    ({}, "{\n}"),
    ({"a": [1, 2, 3], "b": [], "c": {}}, '{\n  "a": [ 1, 2, 3 ],\n  "b": [ ],\n  "c": {\n  }\n}'),
    ({"a": [{"k": 1}, 2]}, '{\n  "a": [\n    {\n      "k": 1\n    },\n    2\n  ]\n}'),
    ({"a": [[1], "x"]}, '{\n  "a": [\n    [ 1 ],\n    "x"\n  ]\n}'),
    ({"s": "<>&'"}, '{\n  "s": "\\u003c\\u003e\\u0026\\u0027"\n}'),
    ({"s": 'q"b\\\n\t\r\b\f\x01\x1f é \u2028\u0085'},
     '{\n  "s": "q\\"b\\\\\\n\\t\\r\\b\\f\\u0001\\u001f é \\u2028\\u0085"\n}'),
    ({"<k>": None, "t": True, "f": False}, '{\n  "\\u003ck\\u003e": null,\n  "t": true,\n  "f": false\n}'),
    ({"n": jsontext.Number("1.10"), "d": 0.5, "i": -3}, '{\n  "n": 1.10,\n  "d": 0.5,\n  "i": -3\n}'),
])
def test_json_text_is_autorests_layout_and_escaping(value: Any, text: str) -> None:
    assert jsontext.dumps(value, "\n") == text


def test_json_text_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(ValueError):
        jsontext.dumps({"x": float("nan")}, "\n")
    with pytest.raises(TypeError):
        jsontext.dumps({"x": object()}, "\n")


@pytest.mark.parametrize("value,text", [
    (0.1, "0.1"), (1.0, "1"), (-1.5, "-1.5"), (-0.0, "0"), (100.0, "100"), (1e14, "100000000000000"),
    (1e15, "1E+15"), (1.5e20, "1.5E+20"), (1234567890123456.7, "1.2345678901234568E+15"),
    (0.0001, "0.0001"), (1e-05, "1E-05"), (2.5e-07, "2.5E-07"), (12345.678, "12345.678"),
])
def test_double_text_is_dotnet_invariant_tostring(value: float, text: str) -> None:
    assert double_text(value) == text


UTC = dt.timezone.utc


@pytest.mark.parametrize("value,text", [
    (dt.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05Z"),
    (dt.datetime(2024, 1, 2, 3, 4, 5, 999000, tzinfo=UTC), "2024-01-02T03:04:05Z"),
    (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))), "2024-01-02T03:04:05+02:00"),
    (dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone(-dt.timedelta(hours=5))), "2024-01-02T03:04-05:00"),
    (dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone(-dt.timedelta(hours=5, minutes=30))), "2024-01-02T03:04-05:-30"),
    (dt.datetime(2024, 1, 2), "2024-01-02Z"),
    (dt.datetime(1, 1, 1), None),
])
def test_iso_date_is_autorests_json_date(value: dt.datetime, text: str | None) -> None:
    assert models.iso_date(value) == text


def test_additional_values_as_tojsonvalue_writes_them() -> None:
    generic = dotnetvalues.DotNetDictionary({"k": 1}, "System.Collections.Generic.Dictionary`2[System.String,System.Int32]",
                                            ["[k, 1]"])
    values = {
        "local": dotnetvalues.DateTime("2024-01-02T03:04:05.0000000+00:00", False, "01/02/2024 03:04:05"),
        "unspecified": dotnetvalues.DateTime("2024-01-02T03:04:05.1234567"),
        "offset": dotnetvalues.DateTimeOffset("2024-01-02T03:04:05.0000000+02:00", "01/02/2024 03:04:05 +02:00"),
        "single": dotnetvalues.Number(0.10000000149011612, "0.1"),
        "zero": dotnetvalues.Number(-0.0, "-0"),
        "pso": dotnetvalues.PSCustomObject({"a": 1, "b": "x"}, "@{a=1; b=x}"),
        "bytes": b"\x01\x02\x03",
        "generic": generic,
        "ordered": dotnetvalues.DotNetDictionary({"b": 1, "a": None}, "System.Collections.Specialized.OrderedDictionary"),
        "span": TimeSpan(36_000_000_000),
        "delta": dt.timedelta(minutes=90),
        "decimal": decimal.Decimal("1.10"),
        "python-object": SimpleNamespace(a=1, b="x"),
    }
    assert {k: models.json_value(v) for k, v in values.items()} == {
        "local": "2024-01-02T03:04:05Z", "unspecified": "2024-01-02T03:04:05Z", "offset": "01/02/2024 03:04:05 +02:00",
        "single": jsontext.Number("0.1"), "zero": jsontext.Number("0"), "pso": "@{a=1; b=x}", "bytes": "AQID",
        "generic": ["[k, 1]"], "ordered": {"b": 1}, "span": "01:00:00", "delta": "01:30:00",
        "decimal": jsontext.Number("1.10"), "python-object": "@{a=1; b=x}"}


def test_a_null_inside_a_collection_fails_as_the_original_does() -> None:
    with pytest.raises(models.ValueNotWritable, match="Object reference not set") as failure:
        models.json_value([1, None])
    assert failure.value.exception_type == "System.NullReferenceException"


@pytest.mark.parametrize("value,text", [
    (None, ""), ([1, 2], "System.Object[]"), ({"a": 1}, "System.Collections.Hashtable"),
    (dotnetvalues.TypedList([1], "System.Int32[]"), "System.Int32[]"),
    (dotnetvalues.PSCustomObject({"a": 1}, "@{a=1}"), "@{a=1}"), (SimpleNamespace(a=1), "@{a=1}"),
    (5, "5"), (True, "True"), (1.5, "1.5"), (b"\x00", "System.Byte[]"),
])
def test_convert_to_string(value: Any, text: str) -> None:
    assert dotnetvalues.convert_to_string(value) == text


def test_the_python_api_sends_the_originals_text(emu: Any) -> None:
    call(PresenceId="u1", Availability="Busy", Activity="Busy", AdditionalProperties={
        "when": dt.datetime(2024, 1, 2, 3, 4, 5), "blob": b"\x01\x02\x03", "n": 0.1, "arr": [1, 2, 3], "esc": "<>&'"})
    with pytest.raises(CommandError, match="Availability field is required"):  # Graph refuses "", as it should
        call(PresenceId="u2", BodyParameter={"availability": None, "activity": ["x", "y"]})
    first, second = [r.body.decode() for r in emu.requests if r.path in (PATH.format("u1"), PATH.format("u2"))]
    assert first.startswith('{\n  "')  # additional members first, in the order given
    assert '"when": "2024-01-02T03:04:05Z"' in first and '"blob": "AQID"' in first and '"n": 0.1' in first
    assert '"arr": [ 1, 2, 3 ]' in first and '"esc": "\\u003c\\u003e\\u0026\\u0027"' in first
    assert first.endswith('"availability": "Busy",\n  "activity": "Busy"\n}')
    assert second == '{\n  "availability": "",\n  "activity": "System.Object[]"\n}'


def test_a_response_object_keeps_its_nulls() -> None:
    obj = models.from_wire({"id": "u1", "extra": [1, None], "n": None, "statusMessage": {"x": [None]}},
                           models.model_named("MicrosoftGraphPresence"), "Microsoft.Graph.PowerShell.Models")
    assert obj.to_wire()["extra"] == [1, None] and obj.to_wire()["statusMessage"] == {"x": [None]}


@pytest.mark.parametrize("kind", ["keep-alive", "requests"])
def test_both_transports_keep_every_header_line_for_the_response_headers_variable(kind: str) -> None:
    # 13.20: X-Multi sent twice is one value per line, content headers come last (tests/reply_server.py).
    from pwshcompat.graph import keepalive
    from pwshcompat.graph.requests_transport import RequestsTransport
    from pwshcompat.graph.transport import Request
    from pwshcompat.operation.responses import response_headers
    from tests.reply_server import ReplyServer

    with ReplyServer() as server:
        transport = (keepalive.for_endpoint(server.url, verify=True, proxies={}) if kind == "keep-alive"
                     else RequestsTransport(server.url))
        assert transport is not None
        try:
            response = transport.handle_request(Request("GET", server.url + "/v1.0/x", {"x-reply": "repeated"}))
        finally:
            transport.close()
    headers = response_headers(response)
    assert headers["x-multi"] == ["one", "two"] and headers["SET-COOKIE"] == ["a=1", "b=2"]
    assert list(headers)[-3:] == ["Content-Type", "Expires", "Content-Length"]
