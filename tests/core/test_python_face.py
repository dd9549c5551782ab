"""The Python face's own value rules and streams (issue 15.2, 15.3): durations that cannot be
misread, and verbose text on the ``pwshcompat.cmdlet`` logger; all against the emulator."""

from __future__ import annotations

import datetime
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pwshcompat
from pwshcompat import binder, spec
from pwshcompat.operation.models import GraphObject

from ._support import CMD, PATH, call, emu, graph  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
SET = {"PresenceId": "u1", "Availability": "Busy", "Activity": "Busy"}

# The two Python faces of a cmdlet: invoke("Verb-Noun", ...) and the generated Verb_Noun function
# (the README's first example); both follow the Python API's value rules.
FACES = {"invoke": call, "function": pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence}


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("number", [3600, 3600.0, 0, -1.5, 10**30])
def test_a_bare_number_for_a_timespan_is_refused_and_nothing_is_sent(emu: Any, number: Any, face: str) -> None:
    with pytest.raises(pwshcompat.ParameterBindingError) as info:
        FACES[face](**SET, ExpirationDuration=number)
    record = info.value.record
    assert record.error_id == "ParameterArgumentTransformationError"
    assert "ExpirationDuration" in record.message and "datetime.timedelta" in record.message
    assert repr(number) in record.message
    assert emu.requests == []


def test_the_message_says_how_powershell_would_have_read_the_number(emu: Any) -> None:
    with pytest.raises(pwshcompat.ParameterBindingError) as ticks:
        call(**SET, ExpirationDuration=3600)
    with pytest.raises(pwshcompat.ParameterBindingError) as days:
        call(**SET, expiration_duration=3600.0)
    assert "3600 ticks" in ticks.value.record.message
    assert "3600 days" in days.value.record.message


@pytest.mark.parametrize(("value", "wire"), [
    (datetime.timedelta(hours=1), "PT1H"),
    (datetime.timedelta(minutes=90), "PT1H30M"),
    ("01:00:00", "PT1H"),
    ("1.02:00:00", "P1DT2H"),
    ("PT45M", "PT45M"),
    ("P1DT30M", "P1DT30M"),
])
@pytest.mark.parametrize("face", FACES)
def test_timedelta_iso_8601_and_timespan_text_are_sent(emu: Any, value: Any, wire: str, face: str) -> None:
    assert FACES[face](**SET, ExpirationDuration=value, PassThru=True) is True
    (request,) = emu.requests
    assert request.path == PATH.format("u1")
    assert request.json()["expirationDuration"] == wire


def test_bad_duration_text_names_the_value(emu: Any) -> None:
    with pytest.raises(pwshcompat.ParameterBindingError) as info:
        call(**SET, ExpirationDuration="PT1X")
    assert "PT1X" in info.value.record.message
    assert emu.requests == []


def test_the_powershell_rules_stay_for_the_binder_itself() -> None:
    """The PowerShell host binds with pwsh's own binder, and the parity tests hold this one to it:
    without the Python API's flag, 3600 is still 3600 ticks and 3600.0 still 3600 days."""
    s = spec.load(CMD)
    assert binder.bind(s, {**SET, "ExpirationDuration": 3600}).bound["ExpirationDuration"].ticks == 3600
    assert binder.bind(s, {**SET, "ExpirationDuration": 3600.0}).bound["ExpirationDuration"].ticks == 3600 * 864_000_000_000
    with pytest.raises(pwshcompat.ParameterBindingError):
        binder.bind(s, {**SET, "ExpirationDuration": 3600}, python_values=True)


def test_verbose_logs_the_should_process_line_at_info(emu: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pwshcompat.cmdlet"):
        assert call(**SET, Verbose=True, PassThru=True) is True
        call(InputObject={"PresenceId": "u2"}, BodyParameter={"availability": "Away", "activity": "Away"}, Verbose=True)
    lines = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    target = "Call remote 'POST /communications/presences/{presence-id}/microsoft.graph.setUserPreferredPresence' operation"
    assert lines == [
        ("pwshcompat.cmdlet", "INFO",
         f'Performing the operation "{CMD}_SetExpanded" on target "{target}".'),
        ("pwshcompat.cmdlet", "INFO",
         f'Performing the operation "{CMD}_SetViaIdentity" on target "{target}".'),
    ]
    assert len(emu.requests) == 2


def test_without_verbose_nothing_is_logged_and_what_if_logs_no_verbose(emu: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="pwshcompat.cmdlet"):
        call(**SET)
        call(**SET, WhatIf=True, Verbose=True)
    assert [r.getMessage() for r in caplog.records if r.name == "pwshcompat.cmdlet"] == []
    assert len(emu.requests) == 1


def test_verbose_for_an_auth_command(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pwshcompat.cmdlet"):
        pwshcompat.Add_MgEnvironment(Name="VerboseEnv", GraphEndpoint="http://127.0.0.1:9", AzureADEndpoint="https://login.local",
                                     Verbose=True)
        pwshcompat.Remove_MgEnvironment(Name="VerboseEnv", Verbose=True)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert all(m.startswith('Performing the operation "') and m.endswith('on target "VerboseEnv".') for m in messages)


@pytest.mark.parametrize("ids", [
    pytest.param(lambda: ("u1", "u2"), id="tuple"),
    pytest.param(lambda: {"u1", "u2"}, id="set"),
    pytest.param(lambda: {"u1": 1, "u2": 2}.keys(), id="dict-keys"),
    pytest.param(lambda: (f"u{i}" for i in (1, 2)), id="generator"),
    pytest.param(lambda: map(str, ["u1", "u2"]), id="map"),
])
def test_any_collection_of_ids_is_sent_as_its_items(emu: Any, ids: Any) -> None:
    """A [string[]] parameter takes any Python collection as its items, as PowerShell enumerates any
    IEnumerable; its repr ("{'u1', 'u2'}", "<generator object ...>") was sent as one id."""
    found = pwshcompat.Get_MgCommunicationPresenceByUserId(Ids=ids())
    (request,) = emu.requests
    assert sorted(request.json()["ids"]) == ["u1", "u2"]
    assert sorted(p.Id for p in found) == ["u1", "u2"]


@pytest.mark.parametrize("value", [{"u1"}, (x for x in ["u1"])], ids=["set", "generator"])
def test_a_collection_for_a_single_string_is_refused_and_nothing_is_sent(emu: Any, value: Any) -> None:
    with pytest.raises(pwshcompat.ParameterBindingError) as info:
        pwshcompat.Get_MgUserPresence(UserId=value)
    assert info.value.record.error_id == "ParameterArgumentTransformationError"
    assert emu.requests == []


TYPED_USE = """
import datetime
import pwshcompat
from pwshcompat._generated.cmdlets import *
reveal_type(pwshcompat.Get_MgUserPresence(UserId="u1"))
reveal_type(Get_MgCommunicationPresence(All=True))
pwshcompat.Set_MgUserPresence(UserId=1, SessionId="s", Availability="Busy", Activity="InACall")
pwshcompat.Set_MgUserPresence(UserId="u1", ExpirationDuration=3600)
pwshcompat.Set_MgUserPresence(UserId="u1", ExpirationDuration=datetime.timedelta(hours=1))
"""


def test_a_type_checker_sees_the_cmdlet_functions_with_their_signatures(tmp_path: Path) -> None:
    """What an IDE or mypy sees of ``pwshcompat.Verb_Noun`` (py.typed): the generated signature, not the
    module ``__getattr__``'s ``Callable[..., Any]`` (the functions' ``__all__`` was not a literal list,
    so the star import under TYPE_CHECKING gave the type checker nothing)."""
    user = tmp_path / "user_code.py"
    user.write_text(TYPED_USE)
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--cache-dir", str(tmp_path / "cache"),
                           "--python-version", "3.11", str(user)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin", "MYPYPATH": str(ROOT)})
    lines = [line.split(": ", 1)[1] for line in done.stdout.splitlines() if ": " in line]
    assert lines == [
        'note: Revealed type is "Union[pwshcompat.operation.models.GraphObject, None]"',
        'note: Revealed type is "Union[pwshcompat.operation.models.GraphObject, builtins.list[pwshcompat.operation.'
        'models.GraphObject], None]"',
        'error: Argument "UserId" to "Set_MgUserPresence" has incompatible type "int"; expected "str"  [arg-type]',
        'error: Argument "ExpirationDuration" to "Set_MgUserPresence" has incompatible type "int"; expected '
        '"Union[TimeSpan, timedelta, str]"  [arg-type]',
    ], done.stdout + done.stderr


def test_the_functions_literal_all_names_every_cmdlet_function() -> None:
    from pwshcompat._generated import cmdlets, names

    assert cmdlets.__all__ == list(names.CMDLETS) and all(callable(getattr(cmdlets, n)) for n in cmdlets.__all__)


def test_every_functions_annotations_resolve_at_run_time() -> None:
    """``typing.get_type_hints`` (documentation tools, IDE consoles, argument parsers built from signatures)
    resolves every annotation: ``GraphObject`` was imported for type checkers only, so a Get function's
    hints raised NameError."""
    import inspect
    import typing

    from pwshcompat._generated import cmdlets

    for name in cmdlets.__all__:
        function = getattr(cmdlets, name)
        hints = typing.get_type_hints(function)
        assert "return" in hints and inspect.signature(function, eval_str=True).parameters
    hints = typing.get_type_hints(pwshcompat.Get_MgCommunicationPresence)
    assert hints["return"] == typing.Optional[typing.Union[GraphObject, list[GraphObject]]]


@pytest.mark.parametrize("where", ["parameter", "body"])
def test_a_timedelta_beyond_what_a_timespan_holds_is_refused_and_nothing_is_sent(emu: Any, where: str) -> None:
    """``datetime.timedelta`` reaches 999,999,999 days, a TimeSpan about 10.7 million: the excess was sent
    (as ``P100000000D``) for Graph to refuse; PowerShell could not even hold it."""
    big = datetime.timedelta(days=10**8)
    kwargs: dict[str, Any] = ({**SET, "ExpirationDuration": big} if where == "parameter" else
                              {"PresenceId": "u1", "BodyParameter": {"availability": "Busy", "activity": "Busy",
                                                                     "expirationDuration": big}})
    with pytest.raises(pwshcompat.PSError) as info:
        pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(**kwargs)
    assert info.value.record.error_id == "ParameterArgumentTransformationError"
    assert 'Error: "TimeSpan overflowed because the duration is too long."' in info.value.record.message
    assert emu.requests == []
    largest = datetime.timedelta(days=10675199)  # still a TimeSpan: it goes out (Graph refuses its range)
    pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence(**SET, ExpirationDuration=largest,
                                                                    ErrorAction="SilentlyContinue")
    assert emu.requests[-1].json()["expirationDuration"] == "P10675199D"
