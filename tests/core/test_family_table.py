"""Every parameter set of every presence cmdlet, through the Python API against the emulator on
127.0.0.1: the method, path, query, headers and body that reach Graph, and the output.

The rows come from the specs (tests/family_rows.py), so a new help page is tested the moment its
spec exists. Where the emulator answers an operation Microsoft does not document (creating,
updating or deleting a presence) with an error, the output must be the original's error record for
that answer.
"""

from __future__ import annotations

from typing import Any

import pytest

import pwshcompat
from pwshcompat import spec
from pwshcompat.emulator import Emulator
from pwshcompat.errors import CommandError
from pwshcompat.operation import GraphObject

from conftest import connected
from tests.family_rows import APP, OTHER, SCOPES, UNDOCUMENTED, USER, Row, check_request, rows

ROWS = rows()


@pytest.fixture(scope="module")
def family() -> Any:
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emu(family: Emulator) -> Any:
    with connected(family, "FamilyTable", scp=SCOPES, oid=USER):
        yield family


def test_there_is_a_row_for_every_set_of_all_54_cmdlets() -> None:
    assert len({r.command for r in ROWS}) == 54
    assert len(ROWS) == sum(len(spec.load(c).parameter_sets) for c in {r.command for r in ROWS})


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_every_parameter_set_sends_what_the_original_sends(emu: Any, row: Row) -> None:
    row.prepare()
    before = len(emu.requests)
    errors: list[Any] = []
    output = pwshcompat.invoke(row.command, **row.parameters, ErrorAction="SilentlyContinue", ErrorVariable=errors)
    request = check_request(row, emu.requests[before:])
    if not 200 <= (request.status or 0) < 300:
        (error,) = errors
        assert error.fully_qualified_error_id.endswith("," + row.internal_type)
        assert error.category.value == "InvalidOperation" and output is None
        return
    assert errors == []
    _check_output(row, output)


def _check_output(row: Row, output: Any) -> None:
    model_type = f"{row.namespace}.Models.MicrosoftGraphPresence"
    if row.output == "passThru":
        assert output is True
    elif row.output == "count":
        assert isinstance(output, int) and not isinstance(output, bool) and output >= 0
    elif row.output == "model":
        if output is not None or row.kind not in UNDOCUMENTED:
            assert isinstance(output, GraphObject) and output.type_name == model_type
            if row.kind in ("get", "list"):
                assert output.Id == USER
    else:
        items = output if isinstance(output, list) else [output] if output is not None else []
        assert items and all(isinstance(i, GraphObject) and i.type_name == model_type for i in items)
        if row.output == "values":
            assert [i.Id for i in items] == [USER, OTHER]
        else:
            assert isinstance(pwshcompat.variables.get("familyCount"), int)


def test_the_table_sends_the_session_id_of_the_app(emu: Any) -> None:
    # The representative setPresence/clearPresence bodies name the token's own app: Graph wants the
    # application's client id as sessionId (graph-presence.md 2.4).
    setter = next(r for r in ROWS if r.id == "Set-MgUserPresence:SetExpanded")
    assert setter.parameters["SessionId"] == APP and setter.body is not None and setter.body["sessionId"] == APP


def test_errors_the_service_writes_carry_the_cmdlets_internal_type(emu: Any) -> None:
    with pytest.raises(CommandError) as info:
        pwshcompat.Set_MgUserPresence(UserId=USER, SessionId=APP, Availability="Busy", Activity="Busy")
    assert info.value.fully_qualified_error_id == (
        "InvalidArgument,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserPresence_SetExpanded")
    assert info.value.record.target.UserId == USER
