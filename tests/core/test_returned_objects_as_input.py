"""A Graph object a cmdlet returned, given back to another cmdlet from Python, is sent as its
properties, as PowerShell passes a model object on (``-StatusMessage $p.StatusMessage``). It was
sent as its Python attributes (``{"type_name": ..., "AdditionalProperties": {}}``), which the
service refused: "[StatusMessage.Message]: The Message field is required"."""

from __future__ import annotations

import json
from typing import Any

import pwshcompat

from ._support import emu, graph  # noqa: F401 - fixtures

SENT = {"statusMessage": {"message": {"content": "In workshops", "contentType": "text"}}}


def _status_message(emu: Any) -> Any:
    pwshcompat.Set_MgUserPresenceStatusMessage(UserId="a", StatusMessage={
        "Message": {"Content": "In workshops", "ContentType": "text"}})
    emu.requests.clear()
    return pwshcompat.Get_MgUserPresence(UserId="a").StatusMessage


def test_a_returned_model_as_the_parameter_of_its_type(emu: Any) -> None:
    pwshcompat.Set_MgUserPresenceStatusMessage(UserId="b", StatusMessage=_status_message(emu))
    assert emu.requests[-1].status == 200
    assert json.loads(emu.requests[-1].body) == SENT
    assert pwshcompat.Get_MgUserPresence(UserId="b").StatusMessage.Message.Content == "In workshops"


def test_a_returned_model_inside_a_body_parameter(emu: Any) -> None:
    message = _status_message(emu).Message
    pwshcompat.Set_MgUserPresenceStatusMessage(UserId="b", BodyParameter={"StatusMessage": {"Message": message}})
    assert json.loads(emu.requests[-1].body) == SENT


def test_a_returned_model_of_another_type_is_refused_out_loud(emu: Any) -> None:
    """As a parameter, a model object of another type is refused before sending (the binder); inside
    ``-BodyParameter`` it is dropped with a warning naming it, as other values the original cannot
    convert are, instead of being sent as its Python attributes."""
    import pytest

    presence = pwshcompat.Get_MgUserPresence(UserId="a")
    emu.requests.clear()
    with pytest.raises(pwshcompat.ParameterBindingError) as info:
        pwshcompat.Set_MgUserPresenceStatusMessage(UserId="b", StatusMessage=presence)
    assert info.value.error_id == "ParameterArgumentTransformationError" and emu.requests == []
    assert str(info.value) == (  # PowerShell's text: a model object shows as its type name
        "Cannot process argument transformation on parameter 'StatusMessage'. Cannot convert the "
        '"Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence" value of type '
        '"Microsoft.Graph.PowerShell.Models.MicrosoftGraphPresence" to type '
        '"Microsoft.Graph.PowerShell.Models.IMicrosoftGraphPresenceStatusMessage".')
    with pytest.warns(pwshcompat.PSWarning, match=r"^BodyParameter: 'statusMessage' = "
                      r"'Microsoft\.Graph\.PowerShell\.Models\.MicrosoftGraphPresence' is not a "
                      r"MicrosoftGraphPresenceStatusMessage object"):
        pwshcompat.Set_MgUserPresenceStatusMessage(UserId="b", BodyParameter={"StatusMessage": presence},
                                                   ErrorAction="SilentlyContinue")
    assert json.loads(emu.requests[-1].body) == {}
