"""PowerShell's parameter binder, in Python, generic over any :class:`~pwshcompat.spec.CommandSpec`.

    >>> from pwshcompat import binder, spec
    >>> s = spec.load("Set-MgBetaCommunicationPresenceUserPreferredPresence")
    >>> r = binder.bind(s, [("presenceid", "u1"), ("Avail", "Busy"), ("PassThru", False)])
    >>> r.parameter_set, r.bound
    ('SetExpanded', {'PresenceId': 'u1', 'Availability': 'Busy', 'PassThru': False})

``bind(spec, args, pipeline_input=None) -> BindResult``

* ``args`` is a list of ``(name, value)`` in command-line order (``name`` without the dash;
  ``None`` for a positional argument; ``value`` :data:`NO_ARGUMENT` for a bare ``-Name``), or a
  dict ``{name: value}`` (treated as splatting). A name ending in ``:`` is the ``-Name:value``
  form, which (like splatting) has its name matched only when its turn comes; this changes which
  error PowerShell reports first. A bare switch and ``-Switch:$true`` are the same (``True``).
* ``pipeline_input``: ``None`` when nothing is piped, else the sequence of input objects.
* Returns a :class:`BindResult`: the resolved set and the bound values keyed by canonical
  parameter name in binding order (common parameters included, ``-PassThru:$false`` present as
  ``False``), and one :class:`BoundRecord` per pipeline object (or one for the command line when
  nothing is piped). A pipeline object that cannot be bound gives a record with ``error`` set
  (PowerShell writes a non-terminating error for it and goes on with the next object, so the
  caller applies ``-ErrorAction`` to it). Each object binds afresh: unlike ``$PSBoundParameters``
  in PowerShell (PowerShell/PowerShell#5202), a record never keeps a value bound from an earlier
  object's property.
* Raises :class:`~pwshcompat.errors.ParameterBindingError` with PowerShell's error id and message
  for command-line failures.

The rules were checked against pwsh 7.6 with an advanced function that declares the same
parameters (see tests/core/test_binder.py): case-insensitive names and aliases, unambiguous
prefixes (an exact name wins; among several matches a single non-common parameter wins), the
common parameters and their aliases, ``WhatIf``/``Confirm`` for ShouldProcess commands, set
resolution with the default set, mandatory checks (a mandatory parameter that pipeline input
can supply may be left off the command line), positions (under ``PositionalBinding`` with no
``Position`` anywhere, every non-switch parameter in declaration order), pipeline binding by
value and by property name (an object's attributes, not a dict's keys; without coercion, then
with it, the default set's parameters first) and per-parameter-type argument transformation
(enums from ``enumValues`` by name, prefix, number or comma list; numbers from text). Named
arguments are matched, converted and validated one by one in command-line order, so the first
bad argument decides the error, as in PowerShell's ParameterBinderController. Nothing here
knows about any particular cmdlet.
"""

from __future__ import annotations

import collections.abc as _abc
import copy
import dataclasses as _dc
import datetime as _dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .conversion import ConversionError, TimeSpan, dotnet_string, dotnet_type_name, to_timespan, to_timespan_from_python
from .errors import ErrorCategory, ErrorRecord, ParameterBindingError
from .spec import ALL_SETS, SWITCH_TYPE, CommandSpec, ParameterSpec, SetMembership

__all__ = [
    "BindResult",
    "BoundRecord",
    "COMMON_PARAMETERS",
    "NO_ARGUMENT",
    "SHOULD_PROCESS_PARAMETERS",
    "bind",
    "parameter_for",
]


class _NoArgument:
    def __repr__(self) -> str:
        return "NO_ARGUMENT"


NO_ARGUMENT: Any = _NoArgument()
"""The value of a ``-Name`` given with no argument (fine for a switch, MissingArgument otherwise)."""

ACTION_PREFERENCE = "System.Management.Automation.ActionPreference"
_ACTIONS = ("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break")
_ALL = {ALL_SETS: SetMembership()}

# about_CommonParameters, in the order PowerShell lists them in "Possible matches include".
COMMON_PARAMETERS: tuple[ParameterSpec, ...] = tuple(
    # OutBuffer carries [ValidateRange(0, Int32.MaxValue)] (pwsh 7.6: -OutBuffer -1 fails validation).
    ParameterSpec(name, type_, _ALL, aliases, validate_range=(0, 2**31 - 1) if name == "OutBuffer" else None)
    for name, type_, aliases in (
        ("Verbose", SWITCH_TYPE, ("vb",)),
        ("Debug", SWITCH_TYPE, ("db",)),
        ("ErrorAction", ACTION_PREFERENCE, ("ea",)),
        ("WarningAction", ACTION_PREFERENCE, ("wa",)),
        ("InformationAction", ACTION_PREFERENCE, ("infa",)),
        ("ProgressAction", ACTION_PREFERENCE, ("proga",)),
        ("ErrorVariable", "System.String", ("ev",)),
        ("WarningVariable", "System.String", ("wv",)),
        ("InformationVariable", "System.String", ("iv",)),
        ("OutVariable", "System.String", ("ov",)),
        ("OutBuffer", "System.Int32", ("ob",)),
        ("PipelineVariable", "System.String", ("pv",)),
    )
)
SHOULD_PROCESS_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("WhatIf", SWITCH_TYPE, _ALL, ("wi",)),
    ParameterSpec("Confirm", SWITCH_TYPE, _ALL, ("cf",)),
)


@dataclass(frozen=True)
class BoundRecord:
    """The binding for one pipeline object (or for the command line when nothing is piped)."""

    parameter_set: str
    bound: dict[str, Any]
    input_object: Any = None
    error: ParameterBindingError | None = None


@dataclass(frozen=True)
class BindResult:
    parameter_set: str
    bound: dict[str, Any]
    records: tuple[BoundRecord, ...] = field(default=())


class _Tables:
    """Lookup tables for one spec, built once (binding runs on every call)."""

    def __init__(self, spec: CommandSpec) -> None:
        self.spec = spec
        # Set on a per-call copy by bind(python_values=True): the Python API's value rules.
        self.python_values = False
        own = list(spec.parameters)
        extra = list(COMMON_PARAMETERS) + (list(SHOULD_PROCESS_PARAMETERS) if spec.supports_should_process else [])
        taken = {p.name.lower() for p in own}
        self.parameters = own + [p for p in extra if p.name.lower() not in taken]
        self.common = {p.name for p in extra}
        self.sets: tuple[str, ...] = spec.parameter_sets or (ALL_SETS,)
        self.default = spec.default_parameter_set if spec.default_parameter_set in self.sets else None
        self.exact: dict[str, ParameterSpec] = {}
        for p in self.parameters:
            for key in (p.name, *p.aliases):
                self.exact.setdefault(key.lower(), p)
        self.keys = list(self.exact.items())
        self.by_name = {p.name: p for p in self.parameters}
        self.sets_of: dict[str, frozenset[str]] = {
            p.name: frozenset(self.sets) if p.in_all_sets() else frozenset(s for s in p.sets if s in self.sets)
            for p in self.parameters
        }
        self.mandatory: dict[str, tuple[ParameterSpec, ...]] = {
            s: tuple(p for p in own if (m := p.membership(s)) is not None and m.mandatory) for s in self.sets
        }
        self.pipeline: dict[str, tuple[ParameterSpec, ...]] = {
            s: tuple(p for p in own if (m := p.membership(s)) is not None and m.value_from_pipeline) for s in self.sets
        }
        self.by_property: dict[str, tuple[ParameterSpec, ...]] = {
            s: tuple(p for p in own if (m := p.membership(s)) is not None and m.value_from_pipeline_by_property_name)
            for s in self.sets
        }
        # A pipeline object's property binds to a parameter of the same name or alias (any case).
        self.property_keys = {p.name: tuple(k.lower() for k in (p.name, *p.aliases)) for p in own}
        self.any_by_property = any(self.by_property.values())
        self.positional = sorted((p for p in own if p.position is not None), key=lambda p: p.position or 0)
        if not self.positional and spec.positional_binding:
            # [CmdletBinding(PositionalBinding=$true)] with no Position anywhere: every parameter but
            # a switch is positional in declaration order (checked against pwsh 7.6).
            self.positional = [_dc.replace(p, position=i) for i, p in enumerate(x for x in own if not x.is_switch)]

    def error(self, message: str, error_id: str, target: Any = None,
              category: ErrorCategory = ErrorCategory.InvalidArgument) -> ParameterBindingError:
        # PowerShell's exception type for the error: transformation and validation have their own.
        exception = ("ParameterBindingArgumentTransformationException" if error_id == "ParameterArgumentTransformationError"
                     else "ParameterBindingValidationException" if error_id.startswith("ParameterArgumentValidationError")
                     else "ParameterBindingException")
        return ParameterBindingError(ErrorRecord(
            message, error_id, category, target=target, command=self.spec.name,
            exception_type=f"System.Management.Automation.{exception}"))

    def match(self, name: str) -> tuple[ParameterSpec, bool]:
        """The parameter ``-name`` means, and whether it was an exact name or alias."""
        lower = name.lower()
        found = self.exact.get(lower)
        if found is not None:
            return found, True
        matches: list[ParameterSpec] = []
        for key, p in self.keys:
            if key.startswith(lower) and p not in matches:
                matches.append(p)
        if len(matches) == 1:
            return matches[0], False
        if not matches:
            raise self.error(f"A parameter cannot be found that matches parameter name '{name}'.",
                             "NamedParameterNotFound", name)
        own = [p for p in matches if p.name not in self.common]
        if len(own) == 1:
            return own[0], False
        listed = " ".join(f"-{p.name}" for p in matches)
        raise self.error(f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
                         f"Possible matches include: {listed}.", "AmbiguousParameter", name)

    # --- argument transformation ---------------------------------------------------------

    def transform(self, p: ParameterSpec, value: Any) -> Any:
        if p.name in self.common:
            value = self._common_value(p, value)
        try:
            value = self._convert(p, value)
        except ConversionError as exc:
            if p.name in self.common:
                raise self.error(f"Cannot bind parameter '{p.name}'. {exc}", "CannotConvertArgumentNoMessage", value) from None
            raise self.error(f"Cannot process argument transformation on parameter '{p.name}'. {exc}",
                             "ParameterArgumentTransformationError", value) from None
        self._validate(p, value)
        return value

    def _common_value(self, p: ParameterSpec, value: Any) -> Any:
        """The quirks of binding the common parameters (pwsh 7.6)."""
        def failed(inner: str) -> ParameterBindingError:
            return self.error(f"Cannot bind parameter '{p.name}' to the target. Exception setting \"{p.name}\": "
                              f"\"{inner}\"", "ParameterBindingFailed", value)

        if p.is_switch and value is None:
            return True  # -Debug:$null counts as present
        if p.type == ACTION_PREFERENCE:
            if value is None:
                raise failed(f'Cannot convert null to type "{ACTION_PREFERENCE}" due to enumeration values that are not '
                             "valid. Specify one of the following enumeration values and try again. The possible "
                             f'enumeration values are "{",".join(_ACTIONS)}".')
            try:
                action = _action(value)
            except ConversionError:
                return value  # reported by _convert with PowerShell's conversion message
            if action == "Suspend":
                raise failed("The Suspend ActionPreference value is reserved for future use and is not supported at this "
                             'time. For more information about preference variables, see the Help topic, '
                             '"about_Preference_Variables."')
            return value
        if p.name == "OutBuffer":
            if value is None:
                raise self.error(f"Cannot validate argument on parameter '{p.name}'. The argument is null, empty, or an "
                                 "element of the argument collection contains a null value. Supply a collection that "
                                 "does not contain any null values and then try the command again.",
                                 "ParameterArgumentValidationError", value)
            return 0 if value == "" else value
        if p.name.endswith("Variable") and value == "":
            raise self.error(f"Cannot validate argument on parameter '{p.name}'. Cannot process argument because the "
                             'value of argument "path" is not valid. Change the value of the "path" argument and run the '
                             "operation again.", "ParameterArgumentValidationError", value)
        if p.name.endswith("Variable") and isinstance(value, str) and not _variable_name_ok(value):
            raise self.error(f"Cannot validate argument on parameter '{p.name}'. Cannot validate argument "
                             f"'{value.removeprefix('+')}' because it is not a valid variable name.",
                             "ParameterArgumentValidationError", value)
        return value

    def _convert(self, p: ParameterSpec, value: Any) -> Any:
        t = p.type
        if t in ("System.String", "System.String[]") and _other_collection(value):
            # PowerShell enumerates any IEnumerable but a string or a dictionary: a set, a generator or
            # dict.keys() from Python are their items (a list), never their repr as one string.
            value = list(value)
        if p.name in self.common and isinstance(value, (list, tuple)) and t in ("System.String", "System.Int32"):
            # Compiled parameters without a transformation attribute: the binder's own coercion fails.
            raise self.error(f"Cannot convert '{dotnet_type_name(value)}' to the type '{t}' required by parameter "
                             f"'{p.name}'. Specified method is not supported.", "CannotConvertArgument", value)
        if t == SWITCH_TYPE:
            if value is None or isinstance(value, bool):
                return bool(value)
            if p.name in self.common:
                if isinstance(value, (int, float)):
                    return bool(value)
                # Common switches have no transformation attribute: the binder's own coercion fails.
                raise self.error(f"Cannot convert '{dotnet_type_name(value)}' to the type '{t}' required by parameter "
                                 f"'{p.name}'. ", "CannotConvertArgument", value)
            if isinstance(value, str):
                raise ConversionError(f'Cannot convert value "System.String" to type "{t}". Boolean parameters accept '
                                      "only Boolean values and numbers, such as $True, $False, 1 or 0.")
            raise ConversionError(_cannot(value, t))
        if t in ("System.String", "System.Security.SecureString"):
            # bytes are PowerShell's byte[], an array too (str(b'u1') was sent as the text "b'u1'").
            if isinstance(value, (list, tuple, bytes, bytearray)):
                raise ConversionError("Cannot convert value to type System.String.")
            if value is None and (t != "System.String" or p.name in self.common):
                return None
            return dotnet_string(value)
        if t == "System.Uri":
            if value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool):
                return None if value is None else dotnet_string(value)
            raise ConversionError(_cannot(value, t))
        if t == "System.TimeSpan":
            return to_timespan_from_python(value) if self.python_values else to_timespan(value)
        if t in ("System.Collections.Hashtable", "System.Collections.IDictionary"):
            if value is None or isinstance(value, dict):
                return value
            raise ConversionError(_cannot(value, t))
        if t == ACTION_PREFERENCE:
            return _action(value)
        if p.enum_values is not None:
            return _enum(value, p.enum_values, t)
        if t in ("System.Int32", "System.Int64", "System.Double"):
            return _number(value, t)
        if t == "System.Boolean":
            if isinstance(value, (bool, int, float)):
                return bool(value)
            raise ConversionError(f'Cannot convert value "{dotnet_type_name(value)}" to type "System.Boolean". Boolean '
                                  "parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.")
        if t == "System.String[]":
            if value is None:
                return None
            items = value if isinstance(value, (list, tuple)) else [value]
            return [dotnet_string(v) for v in items]
        # Pipeline steps (-HttpPipelinePrepend/-HttpPipelineAppend): from Python, callables
        # step(request, next) -> response (pwshcompat.operation.steps); a script block is not one.
        if t.endswith(".Runtime.SendAsyncStep[]"):
            if value is None:
                return None  # [ValidateNotNull] refuses it
            items = value if isinstance(value, (list, tuple)) else [value]
            if not all(callable(i) for i in items):
                raise ConversionError(_cannot(value, t))
            return list(items)
        # Graph models: the original's TypeConverter rules (src/PwshCompat.Host/RawModel.cs).
        if t.startswith("Microsoft.") and ".Models." in t:
            kind = _model_conversion(value, t)
            if kind == "refuse":
                raise ConversionError(_cannot(value, t))
            return None if kind == "null" else value
        # Other objects (credentials, certificates): the command's conversion layer interprets them;
        # here only values no TypeConverter accepts are refused.
        if value is None or _convertible_to_model(value) or t == "System.Object" or not t.startswith("Microsoft."):
            return value
        if p.validate_set is not None and isinstance(value, str):
            return value  # an enum, checked by ValidateSet
        raise ConversionError(_cannot(value, t))

    def _validate(self, p: ParameterSpec, value: Any) -> None:
        def fail(text: str) -> None:
            raise self.error(f"Cannot validate argument on parameter '{p.name}'. {text}", "ParameterArgumentValidationError", value)

        if value is None:
            if p.validate_not_null or p.validate_not_null_or_empty:
                fail("The argument is null. Provide a valid value for the argument, and then try running the command again.")
            return
        if p.validate_not_null_or_empty and value in ("", [], {}):
            fail("The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.")
        if p.validate_set is not None:
            allowed = {v.lower() for v in p.validate_set}
            for item in value if isinstance(value, list) else [value]:
                if dotnet_string(item).lower() not in allowed:
                    fail(f'The argument "{dotnet_string(item)}" does not belong to the set "{",".join(p.validate_set)}" '
                         "specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.")
        if p.validate_range is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            low, high = p.validate_range
            if low is not None and value < low:
                fail(f"The {dotnet_string(value)} argument is less than the minimum allowed range of {dotnet_string(low)}. "
                     f"Supply an argument that is greater than or equal to {dotnet_string(low)} and then try the command again.")
            if high is not None and value > high:
                fail(f"The {dotnet_string(value)} argument is greater than the maximum allowed range of {dotnet_string(high)}. "
                     f"Supply an argument that is less than or equal to {dotnet_string(high)} and then try the command again.")

    def check_mandatory_value(self, p: ParameterSpec, raw: Any, value: Any) -> None:
        """A parameter mandatory in some set refuses null, and a string one refuses empty, when bound
        (no AllowNull/AllowEmptyString in these specs)."""
        if not any(m.mandatory for m in p.sets.values()):
            return
        if p.type == "System.String" and (value == "" or value is None):
            raise self.error(f"Cannot bind argument to parameter '{p.name}' because it is an empty string.",
                             "ParameterArgumentValidationErrorEmptyStringNotAllowed", raw, ErrorCategory.InvalidData)
        if raw is None or value is None:
            raise self.error(f"Cannot bind argument to parameter '{p.name}' because it is null.",
                             "ParameterArgumentValidationErrorNullNotAllowed", raw, ErrorCategory.InvalidData)

    # --- parameter sets --------------------------------------------------------------------

    def valid_sets(self, bound: Iterable[str]) -> list[str]:
        sets = set(self.sets)
        for name in bound:
            sets &= self.sets_of[name]
        return [s for s in self.sets if s in sets]

    def missing(self, parameter_set: str, bound: dict[str, Any]) -> list[ParameterSpec]:
        return [p for p in self.mandatory[parameter_set] if p.name not in bound]

    def satisfiable_by_pipeline(self, parameter_set: str, bound: dict[str, Any]) -> bool:
        """Whether every missing mandatory parameter of the set can still come from pipeline input
        (by value or by property name), so the command line may leave it out."""
        pipe = {p.name for p in (*self.pipeline[parameter_set], *self.by_property[parameter_set])}
        return all(p.name in pipe for p in self.missing(parameter_set, bound))

    def resolve(self, valid: list[str], bound: dict[str, Any]) -> str:
        """Pick one set from ``valid`` as PowerShell does after binding; may raise AmbiguousParameterSet."""
        if len(valid) == 1:
            return valid[0]
        if not valid:
            raise self.ambiguous_set()
        satisfied = [s for s in valid if not self.missing(s, bound)]
        if len(satisfied) == 1:
            return satisfied[0]
        if self.default in valid and (not satisfied or self.default in satisfied):
            return self.default  # type: ignore[return-value]
        raise self.ambiguous_set()

    def ambiguous_set(self) -> ParameterBindingError:
        return self.error("Parameter set cannot be resolved using the specified named parameters. One or more "
                          "parameters issued cannot be used together or an insufficient number of parameters were provided.",
                          "AmbiguousParameterSet")

    def missing_mandatory(self, missing: list[ParameterSpec]) -> ParameterBindingError:
        names = ", ".join(p.name for p in missing)
        return self.error(f"Cannot process command because of one or more missing mandatory parameters: {names}.",
                          "MissingMandatoryParameter")


def _other_collection(value: Any) -> bool:
    """A Python collection other than a list or tuple that PowerShell would enumerate (a set, a
    generator, a dict view, any iterator); not text, bytes, a mapping or a model object."""
    return (isinstance(value, _abc.Iterable) and not isinstance(value, (str, bytes, bytearray, list, tuple, _abc.Mapping))
            and not hasattr(value, "__dict__") or isinstance(value, _abc.Iterator))


def _cannot(value: Any, type_name: str) -> str:
    return f'Cannot convert the "{dotnet_string(value)}" value of type "{dotnet_type_name(value)}" to type "{type_name}".'


def _model_conversion(value: Any, type_name: str) -> str:
    """What the original's TypeConverter for the model ``type_name`` does with ``value``: ``load``,
    ``null`` (a mandatory parameter then refuses it) or ``refuse`` (original-observed.md, "Binding").

    Both the identity and the body models take a dict (a hashtable) and refuse an object with
    attributes (a ``[pscustomobject]``). The identity (``-InputObject``) turns a string that is not
    JSON and a number into null and refuses JSON object text; a body model takes JSON object text
    unless a member appears twice in different case. A response model object is taken by its own type.
    """
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "load"
    identity = type_name.endswith("Identity")
    if isinstance(value, str):
        if identity:
            return "refuse" if _json_object(value) is not None else "null"
        return "load" if _json_object(value, case_insensitive=True) is not None else "refuse"
    if isinstance(value, (bool, int, float)):
        return "null" if identity else "refuse"
    own = getattr(value, "type_name", None)
    if callable(getattr(value, "ps_model", None)) and isinstance(own, str):
        return "load" if own.rsplit(".", 1)[-1] == type_name.rsplit(".", 1)[-1][1:] else "refuse"
    return "refuse"


def _json_object(text: str, case_insensitive: bool = False) -> dict[str, Any] | None:
    """``text`` parsed when it is a JSON object (with ``case_insensitive``: no object in it having
    two members that differ only in case), else None."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if case_insensitive and len({k.lower() for k, _ in items}) != len(items):
            raise ValueError("a member given twice")
        return dict(items)

    try:
        parsed = json.loads(stripped, object_pairs_hook=pairs)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _convertible_to_model(value: Any) -> bool:
    """Whether an AutoRest model TypeConverter would take ``value``: a dict, an object with
    attributes, or JSON object text (other strings fail ``FromJsonString``)."""
    if isinstance(value, dict):
        return True
    if isinstance(value, str):
        try:
            return isinstance(json.loads(value), dict)
        except ValueError:
            return False
    if isinstance(value, (bool, int, float, list, tuple, bytes, TimeSpan, _dt.timedelta)) or value is None:
        return False
    return hasattr(value, "__dict__") or hasattr(value, "__slots__")


_VARIABLE_SCOPES = {"", "global", "local", "script", "private", "variable"}


def _variable_name_ok(text: str) -> bool:
    """[ValidateVariableName] on the common *Variable parameters (pwsh 7.6): after an optional
    ``+``, a name may carry one scope or ``variable:`` qualifier ("global:x"), not a drive ("env:x")."""
    scope, colon, rest = text.removeprefix("+").partition(":")
    return not colon or scope.lower() in _VARIABLE_SCOPES and rest != "" and ":" not in rest


def _properties(obj: Any) -> dict[str, Any]:
    """A pipeline object's properties by lower-case name, for binding by property name: an object's
    attributes (none for a value without them). A hashtable's keys are not properties (pwsh 7.6
    binds nothing from them)."""
    if isinstance(obj, (dict, str, int, float, list, tuple)) or obj is None or not hasattr(obj, "__dict__"):
        return {}
    return {str(k).lower(): v for k, v in vars(obj).items() if not str(k).startswith("_")}


def _is_instance(value: Any, type_name: str) -> bool:
    """Whether ``value`` already is of the .NET type (pipeline binding without coercion)."""
    if type_name in ("System.Collections.IDictionary", "System.Collections.Hashtable"):
        return isinstance(value, dict)
    if type_name == "System.String":
        return isinstance(value, str)
    if type_name == "System.TimeSpan":
        return isinstance(value, TimeSpan)
    if type_name == "System.Object":
        return True
    return False


def _action(value: Any) -> str:
    """ActionPreference is an enum like any other (pwsh 7.6: -ErrorAction '1' is Stop, 'Sil' is
    SilentlyContinue, 'S' is ambiguous)."""
    return _enum(value, _ACTIONS, ACTION_PREFERENCE)


def _enum(value: Any, names: tuple[str, ...], type_name: str) -> str:
    """PowerShell's conversion to a (non-flags) enum whose values are 0..n-1 in ``names`` order,
    checked against pwsh 7.6 with a ``[DayOfWeek]`` parameter: a name (case-insensitive, or a
    unique prefix of one), a number, or several of either joined by commas or in an array, which
    are OR-ed; the result must be a defined value. Returns the canonical name."""
    listed = ",".join(names)
    undefined = (f'Cannot convert value "{{}}" to type "{type_name}" due to enumeration values that are not valid. '
                 f'Specify one of the following enumeration values and try again. The possible enumeration values are "{listed}".')

    def one(text: str) -> int:
        text = text.strip()
        try:
            return int(text)
        except ValueError:
            pass
        lower = text.lower()
        exact = [i for i, n in enumerate(names) if n.lower() == lower]
        found = exact or [i for i, n in enumerate(names) if n.lower().startswith(lower)]
        if len(found) == 1:
            return found[0]
        if found:
            raise ConversionError(
                f'Cannot convert value "{dotnet_string(value)}" to type "{type_name}". Error: "The identifier name {text} '
                "cannot be processed because it is either too similar or identical to the following enumerator names: "
                f'{", ".join(names[i] for i in found)}. Use a more specific identifier name."')
        raise ConversionError(
            f'Cannot convert value "{dotnet_string(value)}" to type "{type_name}". Error: "Unable to match the identifier '
            f'name {text} to a valid enumerator name. Specify one of the following enumerator names and try again:\n'
            f'{", ".join(names)}"')

    if value is None:
        raise ConversionError(undefined.replace('value "{}"', "null"))
    if isinstance(value, bool):
        raise ConversionError(f'Cannot convert value "{dotnet_string(value)}" to type "{type_name}". '
                              "Error: \"Invalid cast from 'System.Boolean' to '" + type_name + "'.\"")
    if isinstance(value, dict) and not value:
        number = 0  # an empty hashtable makes the default value
    elif isinstance(value, int) or isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, (str, float)):
        number = 0
        for part in dotnet_string(value).split(","):
            number |= one(part)
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (str, int)) for v in value):
        number = 0
        for item in value:
            number |= names.index(_enum(item, names, type_name))
    else:
        raise ConversionError(f'Cannot convert value "{dotnet_string(value)}" to type "{type_name}". '
                              f'Error: "{_cannot(value, type_name)}"')
    if not 0 <= number < len(names):
        raise ConversionError(undefined.format(dotnet_string(value)))
    return names[number]


_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+\Z")


_INT_RANGES = {"System.Int32": (-2**31, 2**31 - 1), "System.Int64": (-2**63, 2**63 - 1)}


def _number(value: Any, type_name: str) -> int | float:
    number = _to_number(value, type_name)
    low, high = _INT_RANGES.get(type_name, (None, None))
    if low is not None and not low <= number <= high:  # type: ignore[operator]
        raise ConversionError(f'Cannot convert value "{dotnet_string(value)}" to type "{type_name}". '
                              f'Error: "Value was either too large or too small for an {type_name[7:]}."')
    return number


def _to_number(value: Any, type_name: str) -> int | float:
    kind = float if type_name == "System.Double" else int
    if value is None or isinstance(value, str) and not value.strip():
        return kind(0)  # PowerShell converts $null and empty text to 0 (then ValidateRange sees 0)
    if isinstance(value, bool):
        return kind(value)
    if isinstance(value, (int, float)):
        if kind is int and (value in (float("inf"), float("-inf")) or value != value):
            raise ConversionError(_cannot(value, type_name))
        return kind(round(value)) if kind is int else float(value)
    if isinstance(value, str):
        # Text is read as a PowerShell number (pwsh 7.6): decimal, 0x hex, exponent or fraction,
        # an integer target rounding half to even as .NET does ("2.5" -> 2, "3.5" -> 4).
        text = value.strip()
        if _HEX.match(text):
            return kind(int(text, 16))
        if _DECIMAL.match(text):
            number = float(text)
            if kind is float:
                return number
            if abs(number) != float("inf"):  # "1e400" is no integer: PowerShell says bad format
                return int(round(number))
        raise ConversionError(f'Cannot convert value "{value}" to type "{type_name}". '
                              f"Error: \"The input string '{value}' was not in a correct format.\"")
    raise ConversionError(_cannot(value, type_name))


_TABLES: dict[int, _Tables] = {}


def _tables(spec: CommandSpec) -> _Tables:
    t = _TABLES.get(id(spec))
    if t is None or t.spec is not spec:
        t = _TABLES[id(spec)] = _Tables(spec)
    return t


def parameter_for(spec: CommandSpec, name: str) -> ParameterSpec:
    """The parameter ``-name`` means for ``spec`` (common parameters included), by PowerShell's
    matching rules; raises :class:`ParameterBindingError` for an unknown or ambiguous name."""
    return _tables(spec).match(name.rstrip(":"))[0]


def bind(spec: CommandSpec, args: Sequence[tuple[str | None, Any]] | dict[str, Any],
         pipeline_input: Iterable[Any] | None = None, *, python_values: bool = False) -> BindResult:
    """Bind ``args`` (and ``pipeline_input``) to ``spec`` the way PowerShell would; see the module doc.

    ``python_values=True`` is for the Python API (not the PowerShell host, not the CLI): a
    ``[TimeSpan]`` parameter then refuses a bare ``int``/``float`` with
    ParameterArgumentTransformationError and takes ISO 8601 text
    (:func:`~pwshcompat.conversion.to_timespan_from_python`); everything else is unchanged.
    """
    t = _tables(spec)
    if python_values:
        t = copy.copy(t)
        t.python_values = True
    splatted = isinstance(args, dict)
    items: list[tuple[str | None, Any]] = list(args.items()) if isinstance(args, dict) else list(args)
    # Pass 1 (pwsh 7.6 order): a name written apart from its value (-Name value, -Switch) is
    # matched first, since the parser must know whether it takes the next token: an ambiguous one
    # fails at once. -Name:value and splatted names are matched when their turn comes. An unknown
    # name is reported only after binding and set validation.
    resolved: list[tuple[str | None, Any, ParameterSpec | ParameterBindingError | None, bool]] = []
    index = 0
    while index < len(items):
        name, value = items[index]
        index += 1
        if name is None:
            resolved.append((None, value, None, False))
            continue
        colon = splatted or name.endswith(":")
        name = name[:-1] if name.endswith(":") else name
        try:
            p, exact = t.match(name)
        except ParameterBindingError as exc:
            if exc.error_id == "AmbiguousParameter" and not colon:
                raise
            resolved.append((name, value, exc, False))
            continue
        following, following_value = items[index] if index < len(items) else (None, None)
        if value is NO_ARGUMENT and not p.is_switch and not splatted and following:
            # A parameter that needs a value and is followed by another -Name: PowerShell looks that
            # name up first (an ambiguous one fails as such), and a bare unknown -Name becomes the
            # value itself ("-Proxy -Zzz" binds Proxy to "-Zzz"); checked against pwsh 7.6.
            try:
                t.match(following.rstrip(":"))
            except ParameterBindingError as exc:
                if exc.error_id == "AmbiguousParameter":
                    raise
                if not following.endswith(":"):
                    # "-Proxy -Zzz x": Proxy gets "-Zzz" and x is left as a positional argument.
                    value = "-" + following
                    if following_value is NO_ARGUMENT:
                        index += 1
                    else:
                        items[index] = (None, following_value)
        if value is NO_ARGUMENT and not p.is_switch:
            raise t.error(f"Missing an argument for parameter '{p.name}'. Specify a parameter of type "
                          f"'{p.type}' and try again.", "MissingArgument", name)
        resolved.append((name, value, p, exact))

    # Pass 2: bind in command-line order.
    bound: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    positional: list[Any] = []
    not_found: ParameterBindingError | None = None
    for name, value, target, exact in resolved:
        if name is None:
            positional.append(value)
            continue
        if isinstance(target, ParameterBindingError):
            if target.error_id == "AmbiguousParameter":
                raise target
            not_found = not_found or target
            continue
        assert target is not None
        p = target
        if p.name in bound:
            # pwsh 7.6 names a common parameter as typed (-cf) but a command's own one canonically.
            shown = name if exact and p.name in t.common else p.name
            raise t.error(f"Cannot bind parameter because parameter '{shown}' is specified more than once. To provide "
                          "multiple values to parameters that can accept multiple values, use the array syntax. For "
                          'example, "-parameter value1,value2,value3".', "ParameterAlreadyBound", name)
        if value is NO_ARGUMENT:
            value = True
        bound[p.name] = t.transform(p, value)
        raw[p.name] = value
        t.check_mandatory_value(p, value, bound[p.name])

    valid = t.valid_sets(bound)
    if not valid:
        raise t.ambiguous_set()
    if positional:
        _bind_positional(t, positional, bound, raw)
        valid = t.valid_sets(bound)
    if not_found is not None:
        raise not_found

    if pipeline_input is None:
        chosen = t.resolve(valid, bound)
        missing = t.missing(chosen, bound)
        if missing:
            raise t.missing_mandatory(missing)
        return BindResult(chosen, bound, (BoundRecord(chosen, bound),))

    candidates = [s for s in valid if t.satisfiable_by_pipeline(s, bound)]
    if not candidates:
        chosen = t.resolve(valid, bound)
        raise t.missing_mandatory(t.missing(chosen, bound))
    line_set = t.default if t.default in candidates else candidates[0]
    records = tuple(_bind_record(t, obj, bound, candidates) for obj in pipeline_input)
    return BindResult(line_set or candidates[0], bound, records)


def _bind_positional(t: _Tables, positional: list[Any], bound: dict[str, Any], raw: dict[str, Any]) -> None:
    """Positional arguments go, in order, to the unbound parameters with the lowest positions."""
    for value in positional:
        valid = set(t.valid_sets(bound))
        options = [p for p in t.positional if p.name not in bound and t.sets_of[p.name] & valid]
        if not options:
            raise t.error(f"A positional parameter cannot be found that accepts argument '{dotnet_string(value)}'.",
                          "PositionalParameterNotFound", value)
        lowest = min(p.position or 0 for p in options)
        group = [p for p in options if p.position == lowest]
        pick = next((p for p in group if t.default in t.sets_of[p.name]), group[0])
        bound[pick.name] = t.transform(pick, value)
        raw[pick.name] = value
        t.check_mandatory_value(pick, value, bound[pick.name])


def _bind_record(t: _Tables, obj: Any, line_bound: dict[str, Any], candidates: list[str]) -> BoundRecord:
    """Bind one pipeline object: ByValue without coercion, then with coercion (default set first)."""
    bound = dict(line_bound)
    sets = list(candidates)
    bound_any = False
    properties = _properties(obj) if t.any_by_property else {}
    for coerce in (False, True):
        if bound_any and t.default in sets:
            sets = [t.default]  # PowerShell latches on to a still-valid default set once input bound
        groups = [[t.default], [s for s in sets if s != t.default]] if t.default in sets else [sets]
        for group in groups:
            did = False
            for s in group:
                for p in t.pipeline[s]:
                    if p.name in bound or s not in sets:
                        continue
                    if coerce:
                        if obj is None:
                            continue
                        try:
                            value = t.transform(p, obj)
                        except ParameterBindingError:
                            continue
                        if value is None and p.membership(s).mandatory:  # type: ignore[union-attr]
                            # Converted to null (a string to -InputObject): pwsh reports it for this object.
                            try:
                                t.check_mandatory_value(p, obj, value)
                            except ParameterBindingError as exc:
                                return BoundRecord("", bound, obj, exc)
                    elif _is_instance(obj, p.type):
                        value = obj
                    else:
                        continue
                    bound[p.name] = value
                    sets = [x for x in sets if x in t.sets_of[p.name]]
                    did = bound_any = True
            for s in group if properties else ():
                for p in t.by_property[s]:
                    if p.name in bound or s not in sets:
                        continue
                    key = next((k for k in t.property_keys[p.name] if k in properties), None)
                    if key is None:
                        continue
                    value = properties[key]
                    if not coerce and not _is_instance(value, p.type):
                        continue
                    try:
                        # Unlike by value, a property that fails its parameter's conversion or
                        # validation is an error for this object (pwsh 7.6).
                        converted = t.transform(p, value)
                        t.check_mandatory_value(p, value, converted)
                    except ParameterBindingError as exc:
                        return BoundRecord("", bound, obj, exc)
                    bound[p.name] = converted
                    sets = [x for x in sets if x in t.sets_of[p.name]]
                    did = bound_any = True
            if did:
                break
    if not bound_any and obj is None:
        # $null piped: the default set's pipeline parameters first; a mandatory one refuses null,
        # otherwise the first of them takes it (checked against pwsh 7.6).
        groups = [[t.default], [s for s in sets if s != t.default]] if t.default in sets else [sets]
        for group in groups:
            params = [p for s in group for p in t.pipeline[s] if p.name not in bound]
            mandatory = [p for s in group for p in t.pipeline[s] if p.name not in bound and p.membership(s).mandatory]  # type: ignore[union-attr]
            if mandatory:
                return BoundRecord("", bound, obj, t.error(
                    f"Cannot bind argument to parameter '{mandatory[0].name}' because it is null.",
                    "ParameterArgumentValidationErrorNullNotAllowed", obj, ErrorCategory.InvalidData))
            if params:
                bound[params[0].name] = None
                sets = [x for x in sets if x in t.sets_of[params[0].name]]
                bound_any = True
                break
    if not bound_any and len(sets) > 1:
        try:
            t.resolve(sets, bound)
        except ParameterBindingError as exc:
            # Several sets still possible and nothing to choose by: pwsh reports the set as ambiguous.
            return BoundRecord("", bound, obj, exc)
    if not bound_any:
        return BoundRecord("", bound, obj, t.error(
            "The input object cannot be bound to any parameters for the command either because the command does "
            "not take pipeline input or the input and its properties do not match any of the parameters that take "
            "pipeline input.", "InputObjectNotBound", obj))
    try:
        chosen = t.resolve(sets, bound)
    except ParameterBindingError as exc:
        return BoundRecord("", bound, obj, exc)
    missing = t.missing(chosen, bound)
    if missing:
        names = ", ".join(p.name for p in missing)
        return BoundRecord(chosen, bound, obj, t.error(
            "The input object cannot be bound because it did not contain the information required to bind all "
            f"mandatory parameters:  {names}", "InputObjectMissingMandatory", obj))
    return BoundRecord(chosen, bound, obj)
