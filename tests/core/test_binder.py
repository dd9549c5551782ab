"""The binder, table-driven: each row is arguments and either (set, bound values) or an error id.

The expectations were observed in pwsh 7.6.9 with an advanced function declaring the same
parameters as the spec (model types stood in by classes that convert from hashtables); the module's
tests/pwsh/test_binder_parity.py also compares this binder with PowerShell's own on 2400 seeded
invocations of the generated function.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from pwshcompat import binder, spec
from pwshcompat.binder import NO_ARGUMENT as BARE
from pwshcompat.conversion import TimeSpan
from pwshcompat.errors import ErrorCategory, ParameterBindingError

from ._support import CMD

S = spec.load(CMD)
DAY = 864_000_000_000
HOUR = 36_000_000_000

# (id, args, expected set, expected bound) -- bound compared exactly, in binding order
OK: list[tuple[str, list[tuple[str | None, Any]], str, dict[str, Any]]] = [
    ("minimal", [("PresenceId", "u1")], "SetExpanded", {"PresenceId": "u1"}),
    ("case-insensitive", [("pReSeNcEiD", "u1")], "SetExpanded", {"PresenceId": "u1"}),
    ("prefix", [("Presence", "u1"), ("Avail", "Busy"), ("Act", "Busy")], "SetExpanded",
     {"PresenceId": "u1", "Availability": "Busy", "Activity": "Busy"}),
    ("exact name beats longer names", [("Proxy", "http://p"), ("PresenceId", "u1")], "SetExpanded",
     {"Proxy": "http://p", "PresenceId": "u1"}),
    ("one own parameter beats common ones (-e)", [("PresenceId", "u1"), ("e", "01:00:00")], "SetExpanded",
     {"PresenceId": "u1", "ExpirationDuration": TimeSpan(HOUR)}),
    ("alias RHV", [("PresenceId", "u1"), ("RHV", "h")], "SetExpanded", {"PresenceId": "u1", "ResponseHeadersVariable": "h"}),
    ("alias rhv lower", [("PresenceId", "u1"), ("rhv", "h")], "SetExpanded", {"PresenceId": "u1", "ResponseHeadersVariable": "h"}),
    ("prefix of alias-free name", [("PresenceId", "u1"), ("Resp", "h")], "SetExpanded",
     {"PresenceId": "u1", "ResponseHeadersVariable": "h"}),
    ("switch bare", [("PresenceId", "u1"), ("PassThru", BARE)], "SetExpanded", {"PresenceId": "u1", "PassThru": True}),
    ("switch :$false still bound", [("PresenceId", "u1"), ("PassThru", False)], "SetExpanded",
     {"PresenceId": "u1", "PassThru": False}),
    ("switch :$null is false", [("PresenceId", "u1"), ("PassThru", None)], "SetExpanded",
     {"PresenceId": "u1", "PassThru": False}),
    ("switch prefix", [("PresenceId", "u1"), ("pas", BARE)], "SetExpanded", {"PresenceId": "u1", "PassThru": True}),
    ("WhatIf", [("PresenceId", "u1"), ("WhatIf", BARE)], "SetExpanded", {"PresenceId": "u1", "WhatIf": True}),
    ("wi alias", [("PresenceId", "u1"), ("wi", BARE)], "SetExpanded", {"PresenceId": "u1", "WhatIf": True}),
    ("Wh prefix", [("PresenceId", "u1"), ("Wh", BARE)], "SetExpanded", {"PresenceId": "u1", "WhatIf": True}),
    ("cf alias", [("PresenceId", "u1"), ("cf", False)], "SetExpanded", {"PresenceId": "u1", "Confirm": False}),
    ("proga alias", [("PresenceId", "u1"), ("proga", "SilentlyContinue")], "SetExpanded",
     {"PresenceId": "u1", "ProgressAction": "SilentlyContinue"}),
    ("common aliases", [("PresenceId", "u1"), ("ev", "e"), ("wv", "w"), ("iv", "i"), ("pv", "p"), ("infa", "Ignore"),
                        ("wa", 0), ("ob", "3"), ("ov", "o")], "SetExpanded",
     {"PresenceId": "u1", "ErrorVariable": "e", "WarningVariable": "w", "InformationVariable": "i",
      "PipelineVariable": "p", "InformationAction": "Ignore", "WarningAction": "SilentlyContinue", "OutBuffer": 3,
      "OutVariable": "o"}),
    ("ErrorAction by name, any case", [("PresenceId", "u1"), ("ea", "stop")], "SetExpanded",
     {"PresenceId": "u1", "ErrorAction": "Stop"}),
    ("ErrorAction by number", [("PresenceId", "u1"), ("ErrorAction", 4)], "SetExpanded",
     {"PresenceId": "u1", "ErrorAction": "Ignore"}),
    ("Verbose:1 and bare db", [("PresenceId", "u1"), ("Verbose", 1), ("db", BARE)], "SetExpanded",
     {"PresenceId": "u1", "Verbose": True, "Debug": True}),
    ("TimeSpan from int is ticks", [("PresenceId", "u1"), ("ExpirationDuration", 3600)], "SetExpanded",
     {"PresenceId": "u1", "ExpirationDuration": TimeSpan(3600)}),
    ("TimeSpan '1' is a day", [("PresenceId", "u1"), ("ExpirationDuration", "1")], "SetExpanded",
     {"PresenceId": "u1", "ExpirationDuration": TimeSpan(DAY)}),
    ("TimeSpan from timedelta", [("PresenceId", "u1"), ("ExpirationDuration", __import__("datetime").timedelta(hours=1))],
     "SetExpanded", {"PresenceId": "u1", "ExpirationDuration": TimeSpan(HOUR)}),
    ("string from number", [("PresenceId", 5), ("Activity", 1.5), ("Availability", True)], "SetExpanded",
     {"PresenceId": "5", "Activity": "1.5", "Availability": "True"}),
    ("optional string $null is empty", [("PresenceId", "u1"), ("Activity", None)], "SetExpanded",
     {"PresenceId": "u1", "Activity": ""}),
    ("Headers $null allowed", [("PresenceId", "u1"), ("Headers", None)], "SetExpanded", {"PresenceId": "u1", "Headers": None}),
    ("AdditionalProperties dict", [("PresenceId", "u1"), ("AdditionalProperties", {"a": 1})], "SetExpanded",
     {"PresenceId": "u1", "AdditionalProperties": {"a": 1}}),
    ("Set", [("PresenceId", "u1"), ("BodyParameter", {"availability": "Busy"})], "Set",
     {"PresenceId": "u1", "BodyParameter": {"availability": "Busy"}}),
    ("Set with JSON text", [("PresenceId", "u1"), ("BodyParameter", '{"a":1}')], "Set",
     {"PresenceId": "u1", "BodyParameter": '{"a":1}'}),
    ("SetViaIdentityExpanded", [("InputObject", {"PresenceId": "u1"})], "SetViaIdentityExpanded",
     {"InputObject": {"PresenceId": "u1"}}),
    ("In prefix means InputObject", [("In", {"PresenceId": "u1"})], "SetViaIdentityExpanded",
     {"InputObject": {"PresenceId": "u1"}}),
    ("SetViaIdentityExpanded with names", [("InputObject", {"PresenceId": "u1"}), ("Availability", "Busy")],
     "SetViaIdentityExpanded", {"InputObject": {"PresenceId": "u1"}, "Availability": "Busy"}),
    ("SetViaIdentity", [("InputObject", {"PresenceId": "x"}), ("BodyParameter", '{}')], "SetViaIdentity",
     {"InputObject": {"PresenceId": "x"}, "BodyParameter": '{}'}),
    ("hidden parameters bind", [("PresenceId", "u1"), ("Break", BARE), ("ProxyUseDefaultCredentials", BARE)], "SetExpanded",
     {"PresenceId": "u1", "Break": True, "ProxyUseDefaultCredentials": True}),
    ("dict args", {"presenceid": "u1", "PassThru": True}, "SetExpanded", {"PresenceId": "u1", "PassThru": True}),  # type: ignore[list-item]
    ("colon form", [("PresenceId:", "u1"), ("pass:", False)], "SetExpanded", {"PresenceId": "u1", "PassThru": False}),
    ("common switch :$null is present", [("PresenceId", "u1"), ("Debug", None)], "SetExpanded",
     {"PresenceId": "u1", "Debug": True}),
    ("OutBuffer empty is 0", [("PresenceId", "u1"), ("ob", "")], "SetExpanded", {"PresenceId": "u1", "OutBuffer": 0}),
    ("ErrorVariable $null", [("PresenceId", "u1"), ("ev", None)], "SetExpanded", {"PresenceId": "u1", "ErrorVariable": None}),
]

# (id, args, error id, message fragment)
FAIL: list[tuple[str, list[tuple[str | None, Any]], str, str]] = [
    ("unknown name", [("PresenceId", "u1"), ("Foo", 1)], "NamedParameterNotFound",
     "A parameter cannot be found that matches parameter name 'Foo'."),
    ("ambiguous P", [("P", "x")], "AmbiguousParameter",
     "Parameter cannot be processed because the parameter name 'P' is ambiguous. Possible matches include: "
     "-PresenceId -PassThru -Proxy -ProxyCredential -ProxyUseDefaultCredentials -ProgressAction -PipelineVariable."),
    ("ambiguous Pr", [("Pr", "x")], "AmbiguousParameter", "Possible matches include: -PresenceId -Proxy "),
    ("ambiguous W among common", [("W", "x")], "AmbiguousParameter",
     "Possible matches include: -WarningAction -WarningVariable -WhatIf."),
    ("ambiguous O", [("O", "x")], "AmbiguousParameter", "Possible matches include: -OutVariable -OutBuffer."),
    ("ambiguous Inf", [("Inf", "x")], "AmbiguousParameter", "-InformationAction -InformationVariable."),
    ("twice", [("PresenceId", "a"), ("PresenceId", "b")], "ParameterAlreadyBound",
     "Cannot bind parameter because parameter 'PresenceId' is specified more than once."),
    ("twice by case", [("PresenceId", "a"), ("presenceID", "b")], "ParameterAlreadyBound", "parameter 'PresenceId'"),
    ("twice by alias and prefix", [("PresenceId", "u1"), ("RHV", "a"), ("rh", "b")], "ParameterAlreadyBound",
     "parameter 'ResponseHeadersVariable'"),
    ("common twice names alias as typed", [("PresenceId", "u1"), ("Confirm", False), ("cf", BARE)],
     "ParameterAlreadyBound", "parameter 'cf'"),
    ("missing argument", [("PresenceId", "u1"), ("Activity", BARE)], "MissingArgument",
     "Missing an argument for parameter 'Activity'. Specify a parameter of type 'System.String' and try again."),
    ("missing argument of mandatory", [("Availability", "x"), ("PresenceId", BARE)], "MissingArgument", "'PresenceId'"),
    ("positional", [("PresenceId", "u1"), (None, "foo")], "PositionalParameterNotFound",
     "A positional parameter cannot be found that accepts argument 'foo'."),
    ("nothing", [], "MissingMandatoryParameter",
     "Cannot process command because of one or more missing mandatory parameters: PresenceId."),
    ("only optional expanded", [("Availability", "Busy")], "MissingMandatoryParameter", "parameters: PresenceId."),
    ("only Headers", [("Headers", {"a": 1})], "MissingMandatoryParameter", "parameters: PresenceId."),
    ("only PassThru", [("PassThru", BARE)], "MissingMandatoryParameter", "parameters: PresenceId."),
    ("PresenceId and InputObject", [("PresenceId", "u1"), ("InputObject", {})], "AmbiguousParameterSet",
     "Parameter set cannot be resolved using the specified named parameters."),
    ("In prefix with PresenceId", [("PresenceId", "u1"), ("In", {})], "AmbiguousParameterSet", "cannot be resolved"),
    ("Body alone", [("BodyParameter", "{}")], "AmbiguousParameterSet", "cannot be resolved"),
    ("Body and expanded", [("PresenceId", "u1"), ("BodyParameter", {}), ("Availability", "z")],
     "AmbiguousParameterSet", "cannot be resolved"),
    ("Body and AdditionalProperties", [("PresenceId", "u1"), ("BodyParameter", {}), ("AdditionalProperties", {})],
     "AmbiguousParameterSet", "cannot be resolved"),
    ("empty PresenceId", [("PresenceId", "")], "ParameterArgumentValidationErrorEmptyStringNotAllowed",
     "Cannot bind argument to parameter 'PresenceId' because it is an empty string."),
    ("null PresenceId", [("PresenceId", None)], "ParameterArgumentValidationErrorEmptyStringNotAllowed", "empty string"),
    ("null InputObject", [("InputObject", None)], "ParameterArgumentValidationErrorNullNotAllowed",
     "Cannot bind argument to parameter 'InputObject' because it is null."),
    ("ISO TimeSpan on the command line", [("PresenceId", "u1"), ("ExpirationDuration", "PT1H")],
     "ParameterArgumentTransformationError",
     "Cannot process argument transformation on parameter 'ExpirationDuration'. Cannot convert value \"PT1H\" to type "
     "\"System.TimeSpan\". Error: \"String 'PT1H' was not recognized as a valid TimeSpan.\""),
    ("TimeSpan out of range", [("PresenceId", "u1"), ("ExpirationDuration", "25:00")], "ParameterArgumentTransformationError",
     "could not be parsed because at least one of the numeric components is out of range"),
    ("TimeSpan from float", [("PresenceId", "u1"), ("ExpirationDuration", 1.5)], "ParameterArgumentTransformationError",
     "String '1.5' was not recognized as a valid TimeSpan."),
    ("TimeSpan null", [("PresenceId", "u1"), ("ExpirationDuration", None)], "ParameterArgumentTransformationError",
     'Cannot convert null to type "System.TimeSpan".'),
    ("TimeSpan bool", [("PresenceId", "u1"), ("ExpirationDuration", True)], "ParameterArgumentTransformationError",
     "Invalid cast from 'System.Boolean' to 'System.TimeSpan'."),
    ("-e Stop goes to ExpirationDuration", [("PresenceId", "u1"), ("e", "Stop")], "ParameterArgumentTransformationError",
     "parameter 'ExpirationDuration'"),
    ("switch from string", [("PresenceId", "u1"), ("PassThru", "x")], "ParameterArgumentTransformationError",
     "Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."),
    ("switch from int", [("PresenceId", "u1"), ("PassThru", 0)], "ParameterArgumentTransformationError",
     'Cannot convert the "0" value of type "System.Int32" to type "System.Management.Automation.SwitchParameter".'),
    ("hashtable from string", [("PresenceId", "u1"), ("AdditionalProperties", "str")], "ParameterArgumentTransformationError",
     'Cannot convert the "str" value of type "System.String" to type "System.Collections.Hashtable".'),
    ("IDictionary from string", [("PresenceId", "u1"), ("Headers", "str")], "ParameterArgumentTransformationError",
     'to type "System.Collections.IDictionary".'),
    ("string from array", [("PresenceId", "u1"), ("Activity", [1, 2])], "ParameterArgumentTransformationError",
     "Cannot convert value to type System.String."),
    # Python bytes are PowerShell's byte[]: an array, not text (str(b"u1") was sent as the id "b'u1'").
    ("string from bytes", [("PresenceId", b"u1")], "ParameterArgumentTransformationError",
     "Cannot process argument transformation on parameter 'PresenceId'. Cannot convert value to type System.String."),
    ("string from a bytearray", [("PresenceId", bytearray(b"u1"))], "ParameterArgumentTransformationError",
     "Cannot convert value to type System.String."),
    ("body from int", [("PresenceId", "u1"), ("BodyParameter", 5)], "ParameterArgumentTransformationError",
     "parameter 'BodyParameter'"),
    ("body from text that is not JSON", [("PresenceId", "u1"), ("BodyParameter", "plain")],
     "ParameterArgumentTransformationError", 'Cannot convert the "plain" value of type "System.String"'),
    ("identity from a list", [("InputObject", [1])], "ParameterArgumentTransformationError", "parameter 'InputObject'"),
    ("Uri from a dict", [("PresenceId", "u1"), ("Proxy", {"a": 1})], "ParameterArgumentTransformationError",
     'to type "System.Uri".'),
    ("common switch from a string", [("PresenceId", "u1"), ("WhatIf", "")], "CannotConvertArgument",
     "Cannot convert 'System.String' to the type 'System.Management.Automation.SwitchParameter' required by parameter 'WhatIf'."),
    ("own ambiguity is found before any binding", [("Headers", "text"), ("P", 1)], "AmbiguousParameter", "'P'"),
    ("-Name value is matched before binding", [("Headers", "text"), ("War", 1)], "AmbiguousParameter",
     "Possible matches include: -WarningAction -WarningVariable."),
    ("-Name:value waits its turn", [("Headers:", "text"), ("War:", 1)], "ParameterArgumentTransformationError",
     "parameter 'Headers'"),
    ("-Name:value waits its turn even when own names clash", [("Headers:", "text"), ("P:", 1)],
     "ParameterArgumentTransformationError", "parameter 'Headers'"),
    ("splatting waits its turn", {"BodyPara": 3, "H": {}}, "ParameterArgumentTransformationError",
     "parameter 'BodyParameter'"),
    ("splatting: ambiguous at its turn", {"PresenceId": "u1", "H": {}}, "AmbiguousParameter",
     "-Headers -HttpPipelineAppend -HttpPipelinePrepend"),
    ("Suspend is refused", [("PresenceId", "u1"), ("ea", "Suspend")], "ParameterBindingFailed",
     "The Suspend ActionPreference value is reserved for future use"),
    ("ErrorAction $null", [("PresenceId", "u1"), ("ea", None)], "ParameterBindingFailed", "Cannot convert null"),
    ("OutBuffer $null", [("PresenceId", "u1"), ("ob", None)], "ParameterArgumentValidationError", "'OutBuffer'"),
    ("ErrorVariable empty", [("PresenceId", "u1"), ("ev", "")], "ParameterArgumentValidationError", '"path"'),
    ("unknown names are reported after binding", [("Foo", 1), ("Headers", "text")], "ParameterArgumentTransformationError",
     "parameter 'Headers'"),
    ("unknown names after set validation", [("Foo", 1), ("PresenceId", "u1"), ("InputObject", {})],
     "AmbiguousParameterSet", "cannot be resolved"),
    ("empty mandatory string fails when bound", [("InputObject", {}), ("PresenceId", "")],
     "ParameterArgumentValidationErrorEmptyStringNotAllowed", "'PresenceId'"),
    ("missing argument before binding", [("Headers", "text"), ("Activity", BARE)], "MissingArgument", "'Activity'"),
    ("ValidateNotNull", [("PresenceId", "u1"), ("HttpPipelineAppend", None)], "ParameterArgumentValidationError",
     "Cannot validate argument on parameter 'HttpPipelineAppend'. The argument is null."),
    ("bad ErrorAction number", [("PresenceId", "u1"), ("ea", 9)], "CannotConvertArgumentNoMessage",
     "Cannot bind parameter 'ErrorAction'. Cannot convert value \"9\" to type "
     "\"System.Management.Automation.ActionPreference\" due to enumeration values that are not valid."),
    ("bad ErrorAction name", [("PresenceId", "u1"), ("ErrorAction", "Foo")], "CannotConvertArgumentNoMessage",
     "Unable to match the identifier name Foo to a valid enumerator name."),
    ("bad OutBuffer", [("PresenceId", "u1"), ("ob", "a")], "CannotConvertArgumentNoMessage",
     "Cannot bind parameter 'OutBuffer'. Cannot convert value \"a\" to type \"System.Int32\"."),
]


@pytest.mark.parametrize("args,parameter_set,bound", [r[1:] for r in OK], ids=[r[0] for r in OK])
def test_binds(args: Any, parameter_set: str, bound: dict[str, Any]) -> None:
    result = binder.bind(S, args)
    assert (result.parameter_set, result.bound) == (parameter_set, bound)
    assert list(result.bound) == list(bound), "bound values keep the order they were bound in"
    (record,) = result.records
    assert record.error is None and record.parameter_set == parameter_set


@pytest.mark.parametrize("args,error_id,message", [r[1:] for r in FAIL], ids=[r[0] for r in FAIL])
def test_refuses(args: Any, error_id: str, message: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(S, args)
    assert info.value.error_id == error_id
    assert message in info.value.record.message
    assert info.value.fully_qualified_error_id == f"{error_id},{CMD}"
    assert info.value.category in (ErrorCategory.InvalidArgument, ErrorCategory.InvalidData)
    assert isinstance(info.value, ValueError), "plain-Python callers can catch it as ValueError"


# Pipeline rows: (id, command-line args, input objects, [(set, bound) | error id per object])
PIPE: list[tuple[str, list[tuple[str, Any]], list[Any], list[Any]]] = [
    ("hashtable binds Headers without coercion, then identity and body with it", [], [{"PresenceId": "x"}],
     [("SetViaIdentity", {"Headers": {"PresenceId": "x"}, "InputObject": {"PresenceId": "x"},
                          "BodyParameter": {"PresenceId": "x"}})]),
    ("expanded parameter keeps it in SetViaIdentityExpanded", [("Availability", "Busy")], [{"PresenceId": "x"}],
     [("SetViaIdentityExpanded", {"Availability": "Busy", "Headers": {"PresenceId": "x"},
                                  "InputObject": {"PresenceId": "x"}})]),
    # JSON text is no identity (the original refuses it), only a body: -InputObject stays missing.
    ("JSON text binds the body only", [], ['{"PresenceId": "p"}'], ["InputObjectMissingMandatory"]),
    # Text that is not JSON, and a number, convert to a null identity, refused per object.
    ("other text is a null identity", [], ["abc"], ["ParameterArgumentValidationErrorNullNotAllowed"]),
    ("other text with the default set possible", [("PresenceId", "u1")], ["abc"], ["InputObjectNotBound"]),
    ("with PresenceId the default set latches after Headers", [("PresenceId", "y")], [{"PresenceId": "x"}],
     [("SetExpanded", {"PresenceId": "y", "Headers": {"PresenceId": "x"}})]),
    ("with PresenceId a string becomes the body", [("PresenceId", "y")], ["{}"],
     [("Set", {"PresenceId": "y", "BodyParameter": "{}"})]),
    ("Headers given: a hashtable becomes the body", [("Headers", {"a": 1}), ("PresenceId", "x")], [{"Availability": "x"}],
     [("Set", {"Headers": {"a": 1}, "PresenceId": "x", "BodyParameter": {"Availability": "x"}})]),
    ("InputObject given: Headers and body from the hashtable", [("InputObject", {})], [{"Availability": "x"}],
     [("SetViaIdentity", {"InputObject": {}, "Headers": {"Availability": "x"}, "BodyParameter": {"Availability": "x"}})]),
    ("nothing left to bind", [("PresenceId", "x"), ("BodyParameter", {})], ["{}"], ["InputObjectNotBound"]),
    ("$null with PresenceId binds Headers", [("PresenceId", "x")], [None], [("SetExpanded", {"PresenceId": "x", "Headers": None})]),
    ("$null alone hits the mandatory InputObject", [], [None], ["ParameterArgumentValidationErrorNullNotAllowed"]),
    ("a number is a null identity", [("Availability", "Busy")], [5], ["ParameterArgumentValidationErrorNullNotAllowed"]),
    ("each object binds afresh", [("Availability", "Busy")], [{"PresenceId": "a"}, '{"PresenceId": "b"}'],
     [("SetViaIdentityExpanded", {"Availability": "Busy", "Headers": {"PresenceId": "a"}, "InputObject": {"PresenceId": "a"}}),
      "InputObjectNotBound"]),
    ("no objects, no records", [], [], []),
]


@pytest.mark.parametrize("args,objects,expected", [r[1:] for r in PIPE], ids=[r[0] for r in PIPE])
def test_pipeline(args: Any, objects: list[Any], expected: list[Any]) -> None:
    result = binder.bind(S, args, objects)
    assert len(result.records) == len(expected)
    for record, want in zip(result.records, expected):
        if isinstance(want, str):
            assert record.error is not None and record.error.error_id == want
        else:
            assert record.error is None, record.error and record.error.record.message
            assert (record.parameter_set, record.bound) == want


def test_pipeline_object_that_misses_a_mandatory_parameter() -> None:
    # A generic spec: the dict binds -Options without coercion but cannot become the mandatory -Duration.
    custom = spec.from_dict({
        "name": "Test-Pipe", "defaultParameterSet": "A", "parameterSets": ["A"], "parameters": [
            {"name": "Duration", "type": "System.TimeSpan", "sets": {"A": {"mandatory": True, "valueFromPipeline": True}}},
            {"name": "Options", "type": "System.Collections.IDictionary", "sets": {"A": {"valueFromPipeline": True}}},
        ]})
    (record,) = binder.bind(custom, [], [{"a": 1}]).records
    assert record.error is not None and record.error.error_id == "InputObjectMissingMandatory"
    assert record.error.record.message == ("The input object cannot be bound because it did not contain the information "
                                           "required to bind all mandatory parameters:  Duration")
    (record,) = binder.bind(custom, [], ["01:00:00"]).records
    assert record.error is None and record.bound == {"Duration": TimeSpan(HOUR)}


def test_pipeline_command_line_errors_still_raise() -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(S, [("Availability", "Busy"), ("BodyParameter", {})], [{"a": 1}])
    assert info.value.error_id == "AmbiguousParameterSet"
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(S, [("Foo", 1)], ["x"])
    assert info.value.error_id == "NamedParameterNotFound"


# Other specs: positions, ValidateRange, ValidateSet, plain types.
def test_positional_binding_in_position_order() -> None:
    add = spec.load("Add-MgEnvironment")
    result = binder.bind(add, [(None, "Env"), (None, "https://login"), (None, "https://graph")])
    assert result.bound == {"Name": "Env", "AzureADEndpoint": "https://login", "GraphEndpoint": "https://graph"}


def test_positional_fills_what_named_left() -> None:
    add = spec.load("Add-MgEnvironment")
    result = binder.bind(add, [("GraphEndpoint", "https://graph"), (None, "Env"), (None, "https://login")])
    assert result.bound == {"GraphEndpoint": "https://graph", "Name": "Env", "AzureADEndpoint": "https://login"}


@pytest.mark.parametrize("args,error_id,message", [
    ([("MaxRetry", 11)], "ParameterArgumentValidationError",
     "Cannot validate argument on parameter 'MaxRetry'. The 11 argument is greater than the maximum allowed range of 10. "
     "Supply an argument that is less than or equal to 10 and then try the command again."),
    ([("MaxRetry", -1)], "ParameterArgumentValidationError",
     "The -1 argument is less than the minimum allowed range of 0."),
    ([("ClientTimeout", 0)], "ParameterArgumentValidationError", "less than the minimum allowed range of 1."),
    ([("MaxRetry", "many")], "ParameterArgumentTransformationError", 'Cannot convert value "many" to type "System.Int32".'),
    # PositionalBinding and no Position anywhere: the four parameters are positional in order.
    ([(None, 3), (None, 4), (None, 5), (None, 6), (None, 7)], "PositionalParameterNotFound", "accepts argument '7'"),
    ([(None, "extra")], "ParameterArgumentTransformationError", "Cannot process argument transformation on parameter 'RetryDelay'"),
])
def test_request_context_validation(args: Any, error_id: str, message: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Set-MgRequestContext"), args)
    assert (info.value.error_id, message in info.value.record.message) == (error_id, True), info.value.record.message


@pytest.mark.parametrize("value,bound", [(0, 0), (10, 10), ("4", 4), (True, 1)])
def test_request_context_accepts(value: Any, bound: int) -> None:
    assert binder.bind(spec.load("Set-MgRequestContext"), {"MaxRetry": value}).bound == {"MaxRetry": bound}


def test_positional_parameters_without_position_follow_declaration_order() -> None:
    bound = binder.bind(spec.load("Set-MgRequestContext"), [(None, "3"), ("ClientTimeout", 5), (None, 4)]).bound
    assert bound == {"RetryDelay": 3, "ClientTimeout": 5.0, "MaxRetry": 4}


def test_positional_argument_to_a_mandatory_string_refuses_empty() -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Add-MgEnvironment"), [(None, "")])
    assert info.value.error_id == "ParameterArgumentValidationErrorEmptyStringNotAllowed"


# Enum parameters convert like PowerShell's enum conversion (checked with a [DayOfWeek] parameter
# in pwsh 7.6): any case, a unique prefix, a number, commas OR-ed; then ValidateSet sees the name.
@pytest.mark.parametrize("value,bound", [
    ("post", "POST"), (" Pa ", "PATCH"), (1, "POST"), ("2", "PUT"), (3.0, "PATCH"), ("POST,PUT", "PATCH"),
    (["GET", "DELETE"], "DELETE"),
])
def test_enum_parameter_converts_to_the_canonical_name(value: Any, bound: str) -> None:
    invoke = spec.load("Invoke-MgGraphRequest")
    assert binder.bind(invoke, [("Method", value), ("Uri", "/x")]).bound["Method"] == bound


@pytest.mark.parametrize("value,message", [
    ("FETCH", 'Unable to match the identifier name FETCH to a valid enumerator name.'),
    ("P", "The identifier name P cannot be processed because it is either too similar or identical to the following "
          "enumerator names: POST, PUT, PATCH."),
    ("", "The identifier name  cannot be processed"),
    (None, 'Cannot convert null to type "Microsoft.Graph.PowerShell.Authentication.Models.GraphRequestMethod"'),
    (5, 'Cannot convert value "5" to type "Microsoft.Graph.PowerShell.Authentication.Models.GraphRequestMethod" due '
        "to enumeration values that are not valid."),
    ("PATCH,DELETE", "due to enumeration values that are not valid"),
    (2.5, "Unable to match the identifier name 2.5"),
    (True, "Invalid cast from 'System.Boolean'"),
    ({"a": 1}, "Cannot convert"),
])
def test_enum_parameter_refuses_what_powershell_cannot_convert(value: Any, message: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Invoke-MgGraphRequest"), [("Method", value), ("Uri", "/x")])
    assert info.value.error_id == "ParameterArgumentTransformationError"
    assert message in info.value.record.message, info.value.record.message


def test_enum_value_outside_validate_set_fails_validation_after_conversion() -> None:
    connect = spec.load("Connect-MgGraph")
    assert binder.bind(connect, [("ContextScope", "process")]).bound["ContextScope"] == "Process"
    narrow = spec.from_dict({"name": "Test-Enum", "parameters": [{
        "name": "Day", "type": "System.DayOfWeek", "validateSet": ["Monday", "Tuesday"], "sets": {"__AllParameterSets": {}},
        "enumValues": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]}]})
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(narrow, [("Day", "Monday,Tuesday")])
    assert info.value.error_id == "ParameterArgumentValidationError"
    assert 'The argument "Wednesday" does not belong to the set "Monday,Tuesday"' in info.value.record.message
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(narrow, [("Day", "Friday,Saturday")])
    assert 'Cannot convert value "Friday,Saturday" to type "System.DayOfWeek" due to enumeration' in info.value.record.message


def test_commands_without_should_process_have_no_whatif() -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Get-MgRequestContext"), [("WhatIf", BARE)])
    assert info.value.error_id == "NamedParameterNotFound"


def test_lookup_tables_are_built_once_per_spec() -> None:
    binder.bind(S, {"PresenceId": "u1"})
    tables = binder._tables(S)
    binder.bind(S, {"PresenceId": "u2"})
    assert binder._tables(S) is tables


# Pipeline input by property name (checked against pwsh 7.6 with advanced functions): an object's
# properties bind to parameters of the same name or alias, a hashtable's keys do not, and a
# mandatory parameter that can come that way may be left off the command line.
def _records(name: str, pipeline: list[Any], args: Any = ()) -> list[Any]:
    result = binder.bind(spec.load(name), list(args), pipeline)
    return [r.error.error_id if r.error else (r.parameter_set, r.bound) for r in result.records]


@pytest.mark.parametrize("name,pipeline,args,expected", [
    ("Get-MgEnvironment", [SimpleNamespace(name="v1")], (), [("__AllParameterSets", {"Name": "v1"})]),
    ("Get-MgEnvironment", [SimpleNamespace(Name=None)], (), [("__AllParameterSets", {"Name": ""})]),
    ("Get-MgEnvironment", [{"Name": "v1"}], (), ["InputObjectNotBound"]),
    ("Get-MgEnvironment", [SimpleNamespace(Other=1)], (), ["InputObjectNotBound"]),
    ("Get-MgEnvironment", [SimpleNamespace(Name=["a", "b"])], (), ["ParameterArgumentTransformationError"]),
    # Already bound on the command line: nothing left for the object to bind.
    ("Get-MgEnvironment", [SimpleNamespace(Name="v1")], [("Name", "x")], ["InputObjectNotBound"]),
    ("Set-MgEnvironment", [SimpleNamespace(AzureADUrl="https://l", Name="e")], (),
     [("__AllParameterSets", {"Name": "e", "AzureADEndpoint": "https://l"})]),
    ("Set-MgEnvironment", [SimpleNamespace(AzureADEndpoint="https://l"), SimpleNamespace(Name="e")], (),
     ["InputObjectMissingMandatory", ("__AllParameterSets", {"Name": "e"})]),
    ("Remove-MgEnvironment", [SimpleNamespace(Name="")], (), ["ParameterArgumentValidationErrorEmptyStringNotAllowed"]),
    ("Remove-MgEnvironment", [SimpleNamespace(Name=None)], (), ["ParameterArgumentValidationErrorEmptyStringNotAllowed"]),
])
def test_pipeline_binds_by_property_name(name: str, pipeline: list[Any], args: Any, expected: list[Any]) -> None:
    assert _records(name, pipeline, args) == expected


def test_mandatory_parameter_by_property_name_is_still_required_without_input() -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Set-MgEnvironment"), [])
    assert info.value.error_id == "MissingMandatoryParameter"


# Numbers from text or $null, as pwsh 7.6 converts them for [int]/[double] parameters (then
# ValidateRange sees the converted value: ClientTimeout is 1 or more).
@pytest.mark.parametrize("name,value,bound", [
    ("RetryDelay", "", 0), ("RetryDelay", None, 0), ("RetryDelay", " 7 ", 7), ("RetryDelay", "0x10", 16),
    ("RetryDelay", "2.5", 2), ("RetryDelay", "3.5", 4), ("ClientTimeout", "1e3", 1000.0), ("ClientTimeout", "2.5", 2.5),
])
def test_numbers_convert_like_powershell(name: str, value: Any, bound: Any) -> None:
    assert binder.bind(spec.load("Set-MgRequestContext"), {name: value}).bound == {name: bound}


@pytest.mark.parametrize("value,error_id", [
    ("", "ParameterArgumentValidationError"), (None, "ParameterArgumentValidationError"),
    ("inf", "ParameterArgumentTransformationError"), ("x", "ParameterArgumentTransformationError"),
])
def test_empty_number_is_zero_before_validation(value: Any, error_id: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Set-MgRequestContext"), {"ClientTimeout": value})
    assert info.value.error_id == error_id


# A parameter left without its value, followed by another -Name (pwsh 7.6, ParameterBinderController):
# the following name is looked up first, and a bare unknown one is taken as the value.
@pytest.mark.parametrize("args,outcome", [
    ([("Proxy", BARE), ("PassThru", BARE)], "MissingArgument"),
    ([("Proxy", BARE), ("P", BARE)], "AmbiguousParameter"),
    ([("Proxy", BARE), ("P:", False)], "AmbiguousParameter"),
    ([("Proxy", BARE), ("Zzz:", 1)], "MissingArgument"),
    ([("PresenceId", "u1"), ("Proxy", BARE), ("Zzz", BARE)], {"PresenceId": "u1", "Proxy": "-Zzz"}),
    # "-Proxy -Zzz x": x is then positional, and this command has no positional parameter.
    ([("PresenceId", "u1"), ("Proxy", BARE), ("Zzz", "x")], "PositionalParameterNotFound"),
])
def test_missing_argument_looks_at_the_next_name(args: Any, outcome: Any) -> None:
    try:
        assert binder.bind(S, args).bound == outcome
    except ParameterBindingError as exc:
        assert exc.error_id == outcome


# Common parameters as a compiled cmdlet binds them (pwsh 7.6, checked on an advanced function).
@pytest.mark.parametrize("args,bound", [
    ([("ErrorAction:", "1")], {"ErrorAction": "Stop"}),
    ([("ErrorAction:", "Sil")], {"ErrorAction": "SilentlyContinue"}),
    ([("ErrorAction:", ["Stop"])], {"ErrorAction": "Stop"}),
    ([("ErrorAction:", "Stop,Continue")], {"ErrorAction": "Inquire"}),
    ([("ErrorAction:", {})], {"ErrorAction": "SilentlyContinue"}),
])
def test_action_preference_converts_like_any_enum(args: Any, bound: dict[str, Any]) -> None:
    assert binder.bind(spec.load("Get-MgContext"), args).bound == bound


@pytest.mark.parametrize("args,error_id,message", [
    ([("ErrorAction:", "S")], "CannotConvertArgumentNoMessage",
     "following enumerator names: SilentlyContinue, Stop, Suspend. Use a more specific identifier name."),
    ([("ErrorAction:", "")], "CannotConvertArgumentNoMessage", "The identifier name  cannot be processed"),
    ([("ErrorAction:", True)], "CannotConvertArgumentNoMessage", "Invalid cast from 'System.Boolean'"),
    ([("OutBuffer:", "-1")], "ParameterArgumentValidationError", "The -1 argument is less than the minimum allowed range of 0."),
    ([("OutVariable:", ["a", "b"])], "CannotConvertArgument",
     "Cannot convert 'System.Object[]' to the type 'System.String' required by parameter 'OutVariable'. "
     "Specified method is not supported."),
    ([("OutBuffer:", [1, 2])], "CannotConvertArgument", "to the type 'System.Int32' required by parameter 'OutBuffer'."),
])
def test_common_parameter_refusals(args: Any, error_id: str, message: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Get-MgContext"), args)
    assert info.value.error_id == error_id
    assert message in info.value.record.message, info.value.record.message


@pytest.mark.parametrize("value,message", [
    ("99999999999", 'Cannot convert value "99999999999" to type "System.Int32". Error: "Value was either too large or too '
                    'small for an Int32."'),
    (99999999999, "Value was either too large or too small for an Int32."),
    ("1e400", "Error: \"The input string '1e400' was not in a correct format.\""),
])
def test_int32_out_of_range(value: Any, message: str) -> None:
    with pytest.raises(ParameterBindingError) as info:
        binder.bind(spec.load("Set-MgRequestContext"), {"RetriesTimeLimit": value})
    assert info.value.error_id == "ParameterArgumentTransformationError"
    assert message in info.value.record.message, info.value.record.message


@pytest.mark.parametrize("name,ok", [
    ("x", True), ("global:x", True), ("Variable:x", True), (":x", True), ("+script:x", True), ("x y", True),
    ("env:x", False), ("+env:x", False), ("x:", False), ("a:b:c", False), ("using:x", False),
])
def test_common_variable_names_are_validated(name: str, ok: bool) -> None:
    try:
        assert binder.bind(spec.load("Get-MgContext"), {"ErrorVariable": name}).bound == {"ErrorVariable": name}
        assert ok
    except ParameterBindingError as exc:
        assert not ok and exc.error_id == "ParameterArgumentValidationError"
        assert f"Cannot validate argument '{name.removeprefix('+')}' because it is not a valid variable name." in exc.record.message
