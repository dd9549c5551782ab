"""Objects a Python caller gets back can be copied and pickled, as ordinary Python values can: the
returned Graph objects and the exceptions (``copy.copy``/``copy.deepcopy`` before changing an
object, a process pool returning a result or an error, a cache on disk). Each failed before:
a returned presence with RecursionError, an error with AttributeError on loading."""

from __future__ import annotations

import copy
import pickle
from typing import Any, Callable

import pytest

import pwshcompat

from ._support import emu, graph  # noqa: F401 - fixtures

COPIES: dict[str, Callable[[Any], Any]] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda value: pickle.loads(pickle.dumps(value)),
}


@pytest.mark.parametrize("how", COPIES)
def test_a_returned_presence_copies_and_the_copy_changes_alone(emu: Any, how: str) -> None:
    pwshcompat.Set_MgUserPresenceStatusMessage(UserId="u1", StatusMessage={
        "Message": {"Content": "In workshops", "ContentType": "text"}})
    presence = pwshcompat.Get_MgUserPresence(UserId="u1")
    copied = COPIES[how](presence)
    assert copied is not presence and copied == presence
    assert copied.type_name == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence"
    assert copied.StatusMessage.Message.Content == "In workshops"
    assert copied.to_wire() == presence.to_wire()
    copied.Availability = "Busy"
    copied.AdditionalProperties["note"] = "copy"
    assert (presence.Availability, "note" in presence.AdditionalProperties) == ("Offline", False)
    assert copied.to_wire()["availability"] == "Busy"


@pytest.mark.parametrize("how", COPIES)
def test_a_service_error_copies_with_its_record(emu: Any, how: str) -> None:
    with pytest.raises(pwshcompat.CommandError) as info:
        pwshcompat.Set_MgUserPresenceUserPreferredPresence(UserId="u1", Availability="Busy", Activity="InACall")
    error = info.value
    error.add_note("row 7 of users.csv")
    copied = COPIES[how](error)
    assert type(copied) is pwshcompat.CommandError and copied is not error
    assert copied.fully_qualified_error_id == (
        "InvalidArgument,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresenceUserPreferredPresence_SetExpanded")
    assert str(copied) == str(error) and "Status: 400 (BadRequest)" in str(copied)
    assert copied.args == error.args and copied.__notes__ == ["row 7 of users.csv"]
    assert [r.error_id for r in copied.errors] == ["InvalidArgument"]
    assert str(copied.target) == str(error.target)
    assert copied.target.body.Activity == "InACall"


def test_errors_whose_init_takes_other_arguments_load_too() -> None:
    """Subclasses built from other arguments (no ErrorRecord first) rebuild without their ``__init__``."""
    from pathlib import Path

    from pwshcompat.auth.paths import SettingsLockTimeout
    from pwshcompat.cancellation import CommandStoppedError

    for error in (SettingsLockTimeout("mg.context.json is locked.", Path("/tmp/x")), CommandStoppedError(),
                  pwshcompat.ParameterBindingError(pwshcompat.ErrorRecord("bad", "NamedParameterNotFound"))):
        loaded = pickle.loads(pickle.dumps(error))
        assert type(loaded) is type(error)
        assert (loaded.fully_qualified_error_id, str(loaded), loaded.args) == (
            error.fully_qualified_error_id, str(error), error.args)
