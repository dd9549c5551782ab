"""The public Python facade: pinned exports, Verb_Noun functions, return shapes, typing marker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pwshcompat
from pwshcompat import api

from ._support import CMD, PATH, emu, graph  # noqa: F401 - fixtures


def test_exported_members_are_deliberate() -> None:
    from pwshcompat import spec

    cmdlets = sorted(n.replace("-", "_", 1) for n in spec.names())
    assert len(cmdlets) == 54 + 12  # the presence family and the authentication commands
    assert sorted(pwshcompat.__all__) == sorted([
        "invoke", "invoke_pipeline", "variables", "ParameterBindingError", "CommandError", "ErrorCategory",
        "ErrorRecord", "PSError", "PSWarning", "TerminatingError", *cmdlets])
    for name in pwshcompat.__all__:
        assert getattr(pwshcompat, name) is not None


def test_dir_and_repl_completion_list_the_cmdlet_functions_before_first_use() -> None:
    """The functions are made on first use (module ``__getattr__``); ``dir()`` and the REPL's
    completion (rlcompleter, which IDE consoles share) must still list them in a fresh process."""
    import subprocess
    import sys

    code = ("import rlcompleter, pwshcompat\n"
            "names = set(dir(pwshcompat))\n"
            "print(sorted(set(pwshcompat.__all__) - names))\n"
            "c = rlcompleter.Completer({'pwshcompat': pwshcompat})\n"
            "print(c.complete('pwshcompat.Set_MgBetaCommunicationPresenceUserP', 0))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    missing, completed = out.stdout.splitlines()
    assert missing == "[]"
    assert completed == "pwshcompat.Set_MgBetaCommunicationPresenceUserPreferredPresence("


def test_every_registered_cmdlet_is_exported_as_verb_noun() -> None:
    from pwshcompat import commands

    assert sorted(n.replace("-", "_", 1) for n in commands.names()) == sorted(
        n for n in pwshcompat.__all__ if "_" in n and n[0].isupper())


def test_the_command_table_names_the_module_that_defines_each_command() -> None:
    from pwshcompat import commands

    commands.preload()
    for name in commands.names():
        assert commands.module_of(name) == commands.get(name).run.__module__, name
    assert commands.module_of("Get-MgBetaUserPresence") == "pwshcompat.operation"


def test_a_command_imports_only_its_own_module_and_preload_imports_the_rest() -> None:
    """A first Get-MgEnvironment must not wait for the other command modules (cold start), and
    none of them imports requests; checked in a fresh interpreter."""
    import subprocess
    import sys

    script = (
        "import sys, pwshcompat.bridge as b\n"
        "b.invoke_host('Get-MgEnvironment', '__AllParameterSets', {}, False)\n"
        "print(sorted(m for m in ('requests', 'pwshcompat.operation', 'pwshcompat.binder', 'pwshcompat._generated.cmdlets')"
        " if m in sys.modules))\n"
        "from pwshcompat import commands; commands.preload()\n"
        "print(sorted(m for m in ('requests', 'pwshcompat.operation') if m in sys.modules))\n"
    )
    root = str(Path(pwshcompat.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[]", "['pwshcompat.operation']"]


def test_package_is_typed() -> None:
    assert (Path(pwshcompat.__file__).parent / "py.typed").exists()


def test_verb_noun_functions_are_made_once() -> None:
    first = pwshcompat.Get_MgRequestContext
    assert pwshcompat.Get_MgRequestContext is first
    assert first.__name__ == "Get_MgRequestContext" and "Get-MgRequestContext" in (first.__doc__ or "")


def test_signatures_are_the_cmdlets_parameters_keyword_only_with_types_and_docs() -> None:
    import inspect

    from pwshcompat import spec

    for name in spec.names():
        s = spec.load(name)
        function = getattr(pwshcompat, name.replace("-", "_", 1))
        signature = inspect.signature(function)
        visible = [p.name for p in s.parameters if not p.dont_show]
        assert [p for p in signature.parameters][:len(visible)] == visible, name
        assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in signature.parameters.values()), name
        assert all(signature.parameters[v].annotation != inspect.Parameter.empty for v in visible), name
        assert signature.return_annotation != inspect.Signature.empty, name
        doc = inspect.getdoc(function) or ""
        for section in ("Parameters", "Returns", "Raises", "ParameterBindingError", "CommandError", "TerminatingError"):
            assert section in doc, (name, section)
        for v in visible:
            assert f"{v} : " in doc, (name, v)
    s = inspect.signature(pwshcompat.Get_MgBetaCommunicationPresence)
    assert str(s.parameters["Top"]) == "Top: 'int' = NOT_GIVEN"
    assert s.return_annotation == "GraphObject | list[GraphObject] | None"
    assert inspect.signature(pwshcompat.Clear_MgUserPresence).return_annotation == "bool | None"
    assert inspect.signature(pwshcompat.Get_MgCommunicationPresenceCount).return_annotation == "int"
    assert "Calls POST /beta/users/{user-id}/presence/microsoft.graph.setPresence" in " ".join(
        (pwshcompat.Set_MgBetaUserPresence.__doc__ or "").split())


def test_help_shows_the_signature_and_docstring() -> None:
    import pydoc

    text = pydoc.render_doc(pwshcompat.Set_MgUserPresenceStatusMessage, renderer=pydoc.plaintext)
    assert "Set_MgUserPresenceStatusMessage(*, UserId: 'str' = NOT_GIVEN" in text
    assert "StatusMessage : ModelInput" in text and "-> 'bool | None'" in text


def test_unknown_names_are_attribute_errors() -> None:
    with pytest.raises(AttributeError):
        pwshcompat.Get_Nothing  # noqa: B018
    with pytest.raises(AttributeError):
        pwshcompat._private  # noqa: B018


def test_unknown_command_is_the_powershell_error() -> None:
    with pytest.raises(pwshcompat.TerminatingError) as info:
        pwshcompat.invoke("Get-Nothing")
    assert info.value.error_id == "CommandNotFoundException"


def test_return_shapes(emu: Any) -> None:
    assert pwshcompat.invoke(CMD, PresenceId="a", Availability="Busy", Activity="Busy") is None
    assert pwshcompat.invoke(CMD, PresenceId="a", Availability="Busy", Activity="Busy", PassThru=True) is True
    several = pwshcompat.invoke_pipeline(CMD, [{"PresenceId": "a"}, {"PresenceId": "b"}, {"PresenceId": "c"}],
                                         Availability="Busy", Activity="Busy", PassThru=True)
    assert several == [True, True, True]
    assert [r.path for r in emu.requests][-3:] == [PATH.format(x) for x in "abc"]


def test_out_variable_collects_output(emu: Any) -> None:
    out: list[Any] = []
    pwshcompat.invoke(CMD, PresenceId="a", Availability="Busy", Activity="Busy", PassThru=True, OutVariable=out)
    assert out == [True]


def test_errors_carry_every_record(emu: Any) -> None:
    with pytest.raises(pwshcompat.CommandError) as info:
        pwshcompat.invoke_pipeline(CMD, [5, 6], Availability="Busy", Activity="Busy")
    # A number converts to a null identity, refused once per piped item (original-observed.md, "Binding").
    assert [e.error_id for e in info.value.errors] == ["ParameterArgumentValidationErrorNullNotAllowed"] * 2
    assert info.value.record is info.value.errors[0]


@pytest.mark.parametrize("action", ["Continue", "SilentlyContinue", "Ignore"])
def test_error_action_continue_shows_the_errors_and_returns(emu: Any, capsys: Any, action: str) -> None:
    """``ErrorAction="Continue"``: each error is written to stderr as the host shows it and the call
    returns; SilentlyContinue and Ignore return without a word (and nothing goes to stdout)."""
    kept: list[Any] = []
    result = pwshcompat.invoke_pipeline(CMD, [5, 6], Availability="Busy", Activity="Busy", ErrorAction=action,
                                        ErrorVariable=kept)
    assert result is None
    out, err = capsys.readouterr()
    assert out == ""
    if action == "Continue":
        assert err.count(f"{CMD}: Cannot bind argument to parameter 'InputObject' because it is null.") == 2, err
        assert err.count("FullyQualifiedErrorId: ParameterArgumentValidationErrorNullNotAllowed,") == 2, err
    else:
        assert err == ""
    assert len(kept) == (0 if action == "Ignore" else 2)


def test_warning_action_stop_raises(emu: Any) -> None:
    with pytest.raises(pwshcompat.TerminatingError) as info, pytest.warns(pwshcompat.PSWarning):
        pwshcompat.invoke(CMD, PresenceId="a", BodyParameter={"availability": "Busy", "activity": "Busy",
                                                              "expirationDuration": "1:00"}, WarningAction="Stop")
    assert info.value.error_id == "ActionPreferenceStop"


def test_confirm_without_a_terminal_is_refused(emu: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(api, "confirm_hook", None)
    monkeypatch.setattr("sys.stdin", None)
    with pytest.raises(pwshcompat.TerminatingError) as info:
        pwshcompat.invoke(CMD, PresenceId="a", Availability="Busy", Activity="Busy", Confirm=True)
    assert "NonInteractive" in info.value.record.message and emu.requests == []


def test_invoke_pipeline_takes_a_string_a_dict_or_a_graph_object_as_one_input_object(emu: Any) -> None:
    """PowerShell's pipeline enumerates collections but not strings or dictionaries:
    ``@{PresenceId='a'} | <cmdlet>`` binds the hashtable, ``'ab' | <cmdlet>`` pipes one string. Python
    iterated both (the dict's keys, the string's characters), so a dict failed with a null identity."""
    assert pwshcompat.invoke_pipeline(CMD, {"PresenceId": "a"}, Availability="Busy", Activity="Busy",
                                      PassThru=True) is True
    assert [r.path for r in emu.requests] == [PATH.format("a")]
    with pytest.raises(pwshcompat.CommandError) as info:
        pwshcompat.invoke_pipeline(CMD, "ab", Availability="Busy", Activity="Busy")
    assert [e.error_id for e in info.value.errors] == ["ParameterArgumentValidationErrorNullNotAllowed"]
    presence = pwshcompat.Get_MgBetaCommunicationPresence(PresenceId="a")
    with pytest.raises(pwshcompat.CommandError) as info:
        pwshcompat.invoke_pipeline(CMD, presence, Availability="Busy", Activity="Busy")
    assert [e.error_id for e in info.value.errors] == ["InputObjectNotBound"]
    assert len(emu.requests) == 2
    generated = pwshcompat.invoke_pipeline(CMD, ({"PresenceId": x} for x in "bc"), Availability="Busy",
                                           Activity="Busy", PassThru=True)
    assert generated == [True, True]


def test_an_error_keeps_the_output_of_the_items_that_succeeded(emu: Any) -> None:
    """PowerShell's ``$r = $items | <cmdlet>`` holds the outputs of the items that worked beside the
    errors of the others; Python raises CommandError, which dropped those outputs (the requests were
    sent, the results lost). ``.output`` is what the call would have returned."""
    with pytest.raises(pwshcompat.CommandError) as info:
        pwshcompat.invoke_pipeline(CMD, [{"PresenceId": "a"}, 5, {"PresenceId": "c"}], Availability="Busy",
                                   Activity="Busy", PassThru=True)
    assert info.value.output == [True, True]
    assert [e.error_id for e in info.value.errors] == ["ParameterArgumentValidationErrorNullNotAllowed"]
    with pytest.raises(pwshcompat.CommandError) as info:   # ErrorAction Stop: what came before the failure
        pwshcompat.invoke_pipeline(CMD, [{"PresenceId": "d"}, 5, {"PresenceId": "e"}], Availability="Busy",
                                   Activity="Busy", PassThru=True, ErrorAction="Stop")
    assert info.value.output is True
    assert [r.path for r in emu.requests] == [PATH.format(x) for x in "acd"]
    with pytest.raises(pwshcompat.ParameterBindingError) as bad:   # nothing ran: nothing to keep
        pwshcompat.invoke(CMD, PresenceId="a", Availability="Busy", Activity="Busy", Nope=1)
    assert bad.value.output is None
