"""Graph models through their codecs: request bodies from PowerShell-shaped values, wire JSON, and
response objects. Facts: cmdlet-semantics.md section 2 (AutoRest's TypeConverter and serializer)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from pwshcompat.conversion import ConversionError, TimeSpan
from pwshcompat.operation import models
from pwshcompat.spec import model

H, D = 36_000_000_000, 864_000_000_000
PREFERRED = model("Paths16OmbuoCommunicationsPresencesPresenceIdMicrosoftGraphSetuserpreferredpresencePostRequestbodyContentApplicationJsonSchema")
STATUS = model("PathsDovi6RUsersUserIdPresenceMicrosoftGraphSetstatusmessagePostRequestbodyContentApplicationJsonSchema")
PRESENCE = model("MicrosoftGraphPresence")


def _body(value: Any, m: Any = PREFERRED) -> tuple[models.Body, list[str]]:
    warnings: list[str] = []
    return models.from_value(value, m, warnings.append), warnings


def test_body_from_dict_case_insensitive_with_additional_properties_in_order() -> None:
    body, warnings = _body({"zeta": 1, "AVAILABILITY": "Busy", "activity": "Busy", "ExpirationDuration": "PT1H", "alpha": [1]})
    assert body.values == {"Availability": "Busy", "Activity": "Busy", "ExpirationDuration": TimeSpan(H)}
    assert list(body.additional.items()) == [("zeta", 1), ("alpha", [1])]
    assert warnings == []


def test_body_drops_non_iso_duration_like_the_original_and_warns() -> None:
    body, warnings = _body({"availability": "Busy", "expirationDuration": "01:00:00"})
    assert "ExpirationDuration" not in body.values and "expirationDuration" not in body.additional
    assert len(warnings) == 1 and "'expirationDuration' = '01:00:00'" in warnings[0] and "not sent" in warnings[0]


def test_body_sends_none_of_a_known_string_member_as_empty_text_and_drops_other_nones() -> None:
    # Convert.ToString(null) is "" (original-observed.md, "Body"); unknown members and durations drop it.
    body, _ = _body({"availability": None, "foo": None, "activity": "Away", "expirationDuration": None})
    assert (body.values, body.additional) == ({"Availability": "", "Activity": "Away"}, {})
    body, _ = _body('{"availability": null, "activity": "Away"}')  # JSON nulls are skipped
    assert body.values == {"Activity": "Away"}


def test_body_converts_named_values_to_strings() -> None:
    body, _ = _body({"availability": 5, "activity": True})
    assert body.values == {"Availability": "5", "Activity": "True"}


def test_body_from_json_text() -> None:
    body, _ = _body(json.dumps({"Availability": "Away", "expirationduration": "P1D", "skip": None, "x": {"y": 1}}))
    assert (body.values, body.additional) == ({"Availability": "Away", "ExpirationDuration": TimeSpan(D)}, {"x": {"y": 1}})


def test_body_from_object_attributes() -> None:
    body, _ = _body(SimpleNamespace(availability="Busy", activity="Busy", _private=1, extra="e"))
    assert (body.values, body.additional) == ({"Availability": "Busy", "Activity": "Busy"}, {"extra": "e"})


def test_body_accepts_timedelta_and_timespan_durations() -> None:
    assert _body({"expirationDuration": dt.timedelta(hours=1)})[0].values["ExpirationDuration"] == TimeSpan(H)
    assert _body({"expirationDuration": TimeSpan(5)})[0].values["ExpirationDuration"] == TimeSpan(5)


@pytest.mark.parametrize("value,fragment", [
    ("not json", "not JSON text"), ("[1, 2]", "must be an object"), (5, "cannot be made from a value of type System.Int32"),
    ({1: "x"}, "keys must be strings"), ({"a": 1, "A": 2}, "more than once"),
])
def test_body_conversion_errors(value: Any, fragment: str) -> None:
    with pytest.raises(ConversionError, match=fragment):
        _body(value)


def test_nested_models_serialise_in_model_order_with_their_own_additional_members() -> None:
    body, warnings = _body({"statusMessage": {"expiryDateTime": {"timeZone": "UTC", "dateTime": "2026-01-02T03:04:05"},
                                              "MESSAGE": {"contentType": "text", "content": "Out", "x": 1}, "tag": "t"}},
                           STATUS)
    assert warnings == []
    wire = models.to_wire(body)
    assert json.dumps(wire) == json.dumps({"statusMessage": {
        "tag": "t", "message": {"x": 1, "content": "Out", "contentType": "text"},
        "expiryDateTime": {"dateTime": "2026-01-02T03:04:05", "timeZone": "UTC"}}})


def test_a_nested_value_that_is_not_a_model_is_dropped_with_a_warning() -> None:
    body, warnings = _body({"statusMessage": 5}, STATUS)
    assert body.values == {} and len(warnings) == 1 and "'statusMessage' = '5'" in warnings[0]


@pytest.mark.parametrize("value,expected", [(True, True), ("false", False), (1, True), ("yes", None)])
def test_boolean_codec(value: Any, expected: Any) -> None:
    body, warnings = _body({"outOfOfficeSettings": {"isOutOfOffice": value}}, PRESENCE)
    inner = body.values["OutOfOfficeSettings"]
    assert inner.values.get("IsOutOfOffice") is expected and bool(warnings) == (expected is None)


def test_date_times_go_out_in_utc_with_seven_fraction_digits() -> None:
    body, _ = _body({"statusMessage": {"publishedDateTime": "2026-01-02T03:04:05.1234567+02:00"}},
                    model("PathsDovi6RUsersUserIdPresenceMicrosoftGraphSetstatusmessagePostRequestbodyContentApplicationJsonSchema"))
    assert models.to_wire(body)["statusMessage"]["publishedDateTime"] == "2026-01-02T01:04:05.1234560Z"


def test_a_member_given_twice_fails_before_sending() -> None:
    body, _ = _body({"availability": "Busy"})
    body.additional["AVAILABILITY"] = "Away"
    with pytest.raises(ValueError, match="An item with the same key has already been added. Key: availability"):
        models.to_wire(body)


def test_responses_become_graph_objects_with_typed_members_and_additional_properties() -> None:
    data = {"@odata.context": "ctx", "id": "u1", "availability": "Busy", "activity": "InACall", "sequenceNumber": "A1",
            "statusMessage": {"message": {"content": "hi", "contentType": "text"},
                              "publishedDateTime": "2026-01-02T03:04:05.5Z"},
            "outOfOfficeSettings": {"isOutOfOffice": False, "message": None}}
    obj = models.from_wire(data, PRESENCE, "Microsoft.Graph.Beta.PowerShell.Models")
    assert obj.type_name == "Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphPresence"
    assert (obj.Id, obj.availability, obj.Activity, obj.WorkLocation) == ("u1", "Busy", "InACall", None)
    assert obj.AdditionalProperties == {"@odata.context": "ctx", "sequenceNumber": "A1"}
    # Any case, as the properties and as PowerShell (it was an AttributeError but for the exact name).
    assert obj.additionalProperties is obj.additionalproperties is obj.AdditionalProperties
    assert obj.StatusMessage.Message.Content == "hi"
    assert obj.StatusMessage.PublishedDateTime == dt.datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=dt.timezone.utc)
    assert obj.OutOfOfficeSettings.IsOutOfOffice is False
    with pytest.raises(AttributeError):
        obj.Nothing  # noqa: B018
    assert obj.to_wire()["statusMessage"]["message"] == {"content": "hi", "contentType": "text"}
    assert list(dict(obj))[:3] == ["Id", "Activity", "Availability"]
