"""The documented presence rules (graph-presence.md §2–§3), over real HTTP, with the clock under test control."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from pwshcompat.emulator.durations import parse_duration

from .conftest import OTHER, USER, error_of

SESSION_PAIRS = [("Available", "Available"), ("Busy", "InACall"), ("Busy", "InAConferenceCall"),
                 ("Away", "Away"), ("DoNotDisturb", "Presenting")]
PREFERRED_PAIRS = [("Available", "Available"), ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"),
                   ("BeRightBack", "BeRightBack"), ("Away", "Away"), ("Offline", "OffWork")]


@pytest.mark.parametrize("availability,activity", SESSION_PAIRS)
def test_set_presence_accepts_the_five_documented_pairs(graph, availability, activity):
    assert graph.set_session(availability, activity, "PT1H").status_code == 200
    assert graph.presence() == (availability, activity)


@pytest.mark.parametrize("availability,activity", [
    ("Busy", "Busy"), ("DoNotDisturb", "DoNotDisturb"), ("BeRightBack", "BeRightBack"), ("Offline", "OffWork"),
    ("Available", "Away"), ("Busy", "Presenting"), ("Available", "InACall"), ("Busy", "InAMeeting"),
])
def test_set_presence_rejects_other_pairs_and_changes_nothing(graph, emu, availability, activity):
    response = graph.set_session(availability, activity)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidArgument"
    assert f"{availability}/{activity}" in error_of(response)["message"]
    assert emu.sessions(USER) == {}


@pytest.mark.parametrize("availability,activity", PREFERRED_PAIRS)
def test_preferred_presence_accepts_the_six_documented_pairs_and_wins_over_sessions(graph, availability, activity):
    graph.set_session("Busy", "InACall", "PT4H")
    assert graph.set_preferred(availability, activity).status_code == 200
    assert graph.presence() == (availability, activity)


@pytest.mark.parametrize("availability,activity", [
    ("Busy", "InACall"), ("DoNotDisturb", "Presenting"), ("Available", "Away"), ("Offline", "Offline"),
    ("Away", "BeRightBack"),
])
def test_preferred_presence_rejects_other_pairs(graph, emu, availability, activity):
    response = graph.set_preferred(availability, activity)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidArgument"
    assert emu.preferred_presence(USER) is None


def test_values_are_matched_case_insensitively_and_reported_in_pascal_case(graph):
    assert graph.set_session("doNotDisturb", "presenting", "PT1H").status_code == 200
    assert graph.presence() == ("DoNotDisturb", "Presenting")


@pytest.mark.parametrize("text,expected", [
    ("PT5M", timedelta(minutes=5)), ("PT4H", timedelta(hours=4)), ("P1D", timedelta(days=1)),
    ("P0DT1H0M0S", timedelta(hours=1)), ("PT300S", timedelta(minutes=5)), ("PT1.5S", timedelta(seconds=1.5)),
    ("-PT1H", timedelta(hours=-1)),
    ("1h", None), ("banana", None), ("P1W", None), ("P1M", None), ("PT", None), ("P", None), ("", None),
    ("01:00:00", None), (3600, None),
])
def test_duration_grammar_is_edm_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("duration,status", [
    ("PT5M", 200), ("PT4H", 200), ("PT300S", 200), ("P0DT2H", 200),
    ("PT4M", 400), ("PT4M59S", 400), ("PT4H1M", 400), ("PT10H", 400), ("P1D", 400),
])
def test_set_presence_duration_range_is_five_minutes_to_four_hours(graph, duration, status):
    response = graph.set_session("Busy", "InACall", duration)
    assert response.status_code == status
    if status == 400:
        assert (error_of(response)["code"], error_of(response)["message"]) == (
            "InvalidArgument", "The provided [ExpirationDuration] is out of range.")


@pytest.mark.parametrize("duration", ["1h", "banana", "P1W", "PT", 60])
def test_malformed_durations_are_rejected_for_both_actions(graph, duration):
    for response in (graph.set_session("Busy", "InACall", duration), graph.set_preferred("Busy", "Busy", duration)):
        assert response.status_code == 400
        assert error_of(response)["code"] == "InvalidArgument"
        assert "[ExpirationDuration]" in error_of(response)["message"]


def test_session_default_expiry_is_five_minutes(graph, emu):
    graph.set_session("Busy", "InACall")
    emu.clock.advance(minutes=4, seconds=59)
    assert graph.presence() == ("Busy", "InACall")
    emu.clock.advance(seconds=1)
    assert graph.presence() == ("Offline", "Offline")


def test_session_expires_after_its_explicit_duration(graph, emu):
    graph.set_session("DoNotDisturb", "Presenting", "PT2H")
    emu.clock.advance(hours=1, minutes=59)
    assert graph.presence() == ("DoNotDisturb", "Presenting")
    emu.clock.advance(minutes=1)
    assert graph.presence() == ("Offline", "Offline")


def test_an_idle_available_session_fades_to_idle_then_away(graph, emu):
    graph.set_session("Available", "Available", "PT1H")
    emu.clock.advance(minutes=4)
    assert graph.presence() == ("Available", "Available")
    emu.clock.advance(minutes=1)
    assert graph.presence() == ("AvailableIdle", "Inactive")
    emu.clock.advance(minutes=5)
    assert graph.presence() == ("Away", "Away")
    graph.set_session("Available", "Available", "PT1H")     # a keep-alive resets the fade
    assert graph.presence() == ("Available", "Available")


def test_non_available_sessions_do_not_fade(graph, emu):
    graph.set_session("Busy", "InACall", "PT1H")
    emu.clock.advance(minutes=30)
    assert graph.presence() == ("Busy", "InACall")


def test_sessions_aggregate_do_not_disturb_over_busy_over_available_over_away(graph):
    graph.set_session("Away", "Away", "PT1H", session="a")
    assert graph.presence() == ("Away", "Away")
    graph.set_session("Available", "Available", "PT1H", session="b")
    assert graph.presence() == ("Available", "Available")
    graph.set_session("Busy", "InACall", "PT1H", session="c")
    assert graph.presence() == ("Busy", "InACall")
    graph.set_session("DoNotDisturb", "Presenting", "PT1H", session="d")
    assert graph.presence() == ("DoNotDisturb", "Presenting")
    assert graph.post(f"/v1.0/users/{USER}/presence/clearPresence", {"sessionId": "d"}).status_code == 200
    assert graph.presence() == ("Busy", "InACall")


def test_one_application_holds_one_session_per_user(graph, emu):
    graph.set_session("Busy", "InACall", "PT1H")
    graph.set_session("Away", "Away", "PT1H")
    assert list(emu.sessions(USER)) == ["app-1"]
    assert graph.presence() == ("Away", "Away")


def test_preferred_presence_without_any_session_shows_offline(graph):
    graph.set_preferred("Busy", "Busy")
    assert graph.presence() == ("Offline", "Offline")


def test_a_teams_client_session_makes_the_preference_visible(graph, emu):
    graph.set_preferred("DoNotDisturb", "DoNotDisturb")
    emu.add_client_session(USER)
    assert graph.presence() == ("DoNotDisturb", "DoNotDisturb")


@pytest.mark.parametrize("availability,activity,days", [(a, b, 1 if a in ("Busy", "DoNotDisturb") else 7)
                                                        for a, b in PREFERRED_PAIRS])
def test_preferred_presence_default_expiry_is_one_day_for_busy_and_dnd_else_seven(graph, emu, availability,
                                                                                 activity, days):
    emu.add_client_session(USER, "Available", "Available")
    graph.set_preferred(availability, activity)
    emu.clock.advance(days=days, seconds=-1)
    assert graph.presence() == (availability, activity)
    emu.clock.advance(seconds=1)
    assert graph.presence() == ("Available", "Available")


def test_preferred_presence_explicit_expiry(graph, emu):
    emu.add_client_session(USER, "Busy", "InACall")
    graph.set_preferred("DoNotDisturb", "DoNotDisturb", "PT8H")
    emu.clock.advance(hours=8)
    assert graph.presence() == ("Busy", "InACall")


def test_clear_preferred_presence_falls_back_and_is_idempotent(graph, emu):
    emu.add_client_session(USER, "Busy", "InACall")
    graph.set_preferred("Away", "Away")
    for _ in range(2):
        assert graph.post(f"/v1.0/users/{USER}/presence/clearUserPreferredPresence").status_code == 200
    assert graph.presence() == ("Busy", "InACall")


def test_clear_presence_of_the_only_session_gives_offline(graph):
    graph.set_session("Busy", "InACall", "PT1H")
    assert graph.post(f"/v1.0/users/{USER}/presence/clearPresence", {"sessionId": "app-1"}).status_code == 200
    assert graph.presence() == ("Offline", "Offline")


def test_clear_presence_of_a_missing_session_is_404(graph):
    response = graph.post(f"/v1.0/users/{USER}/presence/clearPresence", {"sessionId": "nobody"})
    assert response.status_code == 404
    assert error_of(response)["code"] == "NotFound"


@pytest.mark.parametrize("action,body,field", [
    ("clearPresence", {}, "SessionId"),
    ("setPresence", {"availability": "Busy", "activity": "InACall"}, "SessionId"),
    ("setPresence", {"sessionId": "s", "activity": "InACall"}, "Availability"),
    ("setUserPreferredPresence", {"availability": "Busy"}, "Activity"),
])
def test_required_fields_are_named_in_the_error(graph, action, body, field):
    response = graph.post(f"/v1.0/users/{USER}/presence/{action}", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidArgument"
    assert error_of(response)["message"] == f"[{field}]: The {field} field is required."


def test_sequence_number_grows_with_each_change(graph):
    first = graph.get(f"/v1.0/users/{USER}/presence").json()["sequenceNumber"]
    graph.set_session("Busy", "InACall", "PT1H")
    second = graph.get(f"/v1.0/users/{USER}/presence").json()["sequenceNumber"]
    graph.set_preferred("Away", "Away")
    third = graph.get(f"/v1.0/users/{USER}/presence").json()["sequenceNumber"]
    assert first < second < third and len(first) == len(third)


def test_sequence_number_also_grows_when_time_changes_the_presence(graph, emu):
    def sequence() -> str:
        return graph.get(f"/v1.0/users/{USER}/presence").json()["sequenceNumber"]

    graph.set_session("Available", "Available", "PT1H")
    first = sequence()
    assert sequence() == first                   # nothing changed
    emu.clock.advance(minutes=5)                 # faded to AvailableIdle/Inactive
    second = sequence()
    assert first < second == sequence()


def test_status_message_dates_are_shown_to_the_user_only(emu, graph):
    body = {"statusMessage": {"message": {"content": "In a workshop", "contentType": "text"},
                              "expiryDateTime": {"dateTime": "2026-12-01T17:00:00", "timeZone": "UTC"}}}
    assert graph.post(f"/v1.0/users/{USER}/presence/setStatusMessage", body).status_code == 200
    other_view = graph.get(f"/v1.0/users/{USER}/presence").json()["statusMessage"]
    assert other_view == {"message": {"content": "In a workshop", "contentType": "text"}}
    mine = graph.session.get(emu.graph_url + "/v1.0/me/presence", headers={
        "Authorization": "Bearer " + emu.issue_token(scp="Presence.Read", oid=USER)}).json()["statusMessage"]
    assert mine["expiryDateTime"] == {"dateTime": "2026-12-01T17:00:00", "timeZone": "UTC"}
    assert mine["publishedDateTime"].endswith("Z")


def test_status_message_content_type_must_be_text(graph):
    body = {"statusMessage": {"message": {"content": "<b>hi</b>", "contentType": "html"}}}
    response = graph.post(f"/v1.0/users/{USER}/presence/setStatusMessage", body)
    assert response.status_code == 400 and error_of(response)["code"] == "InvalidArgument"


def test_other_users_are_independent(graph):
    graph.set_session("Busy", "InACall", "PT1H")
    assert graph.presence(OTHER) == ("Offline", "Offline")


def test_status_message_disappears_at_its_expiry_in_its_time_zone(graph, emu):
    now = emu.clock.now()
    local = now.astimezone(ZoneInfo("America/Los_Angeles")) + timedelta(hours=1)
    expiry = {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.%f") + "1", "timeZone": "Pacific Standard Time"}
    body = {"statusMessage": {"message": {"content": "Back at 3", "contentType": "text"}, "expiryDateTime": expiry}}
    assert graph.post(f"/v1.0/users/{USER}/presence/setStatusMessage", body).status_code == 200
    emu.clock.advance(minutes=59)
    assert graph.get(f"/v1.0/users/{USER}/presence").json()["statusMessage"]["message"]["content"] == "Back at 3"
    emu.clock.advance(minutes=1)
    assert graph.get(f"/v1.0/users/{USER}/presence").json()["statusMessage"] is None


@pytest.mark.parametrize("expiry", [{"dateTime": "tomorrow", "timeZone": "UTC"},
                                    {"dateTime": "2026-12-01T17:00:00+01:00", "timeZone": "UTC"}, "2026-12-01"])
def test_status_message_expiry_must_be_a_date_time_time_zone(graph, expiry):
    body = {"statusMessage": {"message": {"content": "x", "contentType": "text"}, "expiryDateTime": expiry}}
    response = graph.post(f"/v1.0/users/{USER}/presence/setStatusMessage", body)
    assert response.status_code == 400 and "[StatusMessage.ExpiryDateTime]" in error_of(response)["message"]
