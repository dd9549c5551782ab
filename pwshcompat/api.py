"""The Python face of the cmdlets: ``invoke("Verb-Noun", **kwargs)``.

Keyword names are the cmdlet's parameter names, bound by :mod:`pwshcompat.binder` exactly as
PowerShell would (any case, unambiguous prefixes, aliases such as ``RHV``), plus snake_case
spellings (``presence_id=`` is ``-PresenceId``). One value rule differs, on purpose: a
``[TimeSpan]`` parameter (``ExpirationDuration``) takes a ``datetime.timedelta``, ISO 8601 text
(``"PT1H"``) or ``"hh:mm:ss"`` text, and refuses a bare number with a
:class:`~pwshcompat.errors.ParameterBindingError` before anything is sent (PowerShell would read
``3600`` as ticks and ``3600.0`` as days)::

    pwshcompat.invoke("Set-MgBetaCommunicationPresenceUserPreferredPresence",
                      presence_id=user_id, availability="Busy", activity="InACall", PassThru=True)

The value is what ``$x = <cmdlet>`` would hold: ``None`` for no output, the object for one, a
list for several. The common parameters mean for a Python caller:

* errors: a terminating error raises its :class:`~pwshcompat.errors.PSError` subclass.
  Non-terminating errors are collected and, after the command ran, raise
  :class:`~pwshcompat.errors.CommandError` (``.errors`` holds all of them, ``.output`` what the
  call would have returned, e.g. the objects of the pipeline items that succeeded) unless
  ``ErrorAction`` is ``"SilentlyContinue"``/``"Ignore"`` (return normally) or ``"Continue"``
  (write each to ``sys.stderr`` as PowerShell's host shows it, ``<Cmdlet>: <message>`` and its
  ``FullyQualifiedErrorId``, log it on the ``pwshcompat`` logger at ERROR, and return).
  ``ErrorAction="Stop"`` also stops a
  pipeline at its first failing object. ``ErrorVariable`` takes a list to extend with the
  error records, or a name (``"+name"`` appends) stored in :data:`variables`;
* ``WarningAction``/``WarningVariable`` likewise for warnings (issued as
  :class:`~pwshcompat.errors.PSWarning` through :mod:`warnings` by default; ``"Stop"`` raises on
  the first warning);
* ``Verbose``/``Debug``: the command's verbose/debug text goes to the ``pwshcompat.cmdlet``
  logger (INFO / DEBUG), as PowerShell writes it: ``Verbose=True`` logs, among others, the
  original's ``Performing the operation "..." on target "..."`` line (see it with
  ``logging.basicConfig(level=logging.INFO)``);
* ``WhatIf``: no request; the "What if: ..." text is printed (as PowerShell's host does) and
  kept in :data:`what_if_log`;
  ``Confirm``: asks on a terminal (``confirm_hook`` replaces the prompt).

Variables the cmdlets set (``-ResponseHeadersVariable``, ``-ErrorVariable`` by name, ...) land in
:data:`variables`, the Python stand-in for PowerShell's global scope.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Any, Callable, Iterable, Mapping, Union

from . import binder, commands
from . import spec as spec_module
from .errors import CommandError, ErrorCategory, ErrorRecord, PSError, PSWarning, TerminatingError
from .runtime import CommandRuntime

__all__ = ["NOT_GIVEN", "ModelInput", "call_with_locals", "invoke", "invoke_pipeline", "variables", "confirm_hook",
           "what_if_log"]

log = logging.getLogger("pwshcompat")
log.addHandler(logging.NullHandler())
cmdlet_log = logging.getLogger("pwshcompat.cmdlet")

variables: dict[str, Any] = {}
"""PowerShell's global variables as the cmdlets set them (``variables["rh"]`` after ``RHV="rh"``)."""

what_if_log: list[str] = []
"""The "What if: ..." lines of ``WhatIf=True`` calls in this process, newest last."""

confirm_hook: Callable[[str, str], bool] | None = None
"""Answers ``Confirm=True`` prompts as ``hook(target, action) -> bool``; ``None`` asks on the terminal."""

_COMMON = {p.name for p in binder.COMMON_PARAMETERS} | {p.name for p in binder.SHOULD_PROCESS_PARAMETERS}


class _NotGiven:
    """The default of every parameter of the generated cmdlet functions: "not bound" (``None`` binds ``$null``)."""

    _instance: "_NotGiven | None" = None

    def __new__(cls) -> "_NotGiven":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Any = _NotGiven()
"""A parameter the caller left out (the cmdlet functions' default): it is not bound at all."""

ModelInput = Union[Mapping[str, Any], str, object]
"""What a model parameter takes: a dict, JSON object text, an object with attributes or a model object."""


def call_with_locals(name: str, given: dict[str, Any]) -> Any:
    """Run cmdlet ``name`` from a generated function's ``locals()``: the parameters given (not
    :data:`NOT_GIVEN`), then ``**parameters`` (snake_case spellings, aliases, other common parameters).
    The generated functions are the Python API, so its value rules apply, as for :func:`invoke`."""
    extra = given.pop("parameters", None) or {}
    kwargs = {k: v for k, v in given.items() if v is not NOT_GIVEN}
    args = _normalise(kwargs) + _normalise(extra)
    return _invoke(name, args, None, python_values=True)


class _Stop(Exception):
    """Raised inside a pipeline when ErrorAction=Stop meets an error."""


def _normalise(kwargs: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """snake_case -> PowerShell names (underscores cannot occur in parameter names, so drop them);
    the trailing ``:`` tells the binder these are bound like splatted ``-Name:value`` arguments."""
    return [((k.replace("_", "") if "_" in k else k) + ":", v) for k, v in kwargs.items()]


def _ask(target: str, action: str) -> bool:
    if confirm_hook is not None:
        return bool(confirm_hook(target, action))
    if not sys.stdin or not sys.stdin.isatty():
        raise TerminatingError(ErrorRecord(
            "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
            "HostException", ErrorCategory.InvalidOperation, exception_type="System.Management.Automation.Host.HostException"))
    answer = input(f"Confirm\nAre you sure you want to perform this action?\nPerforming the operation \"{action}\" on "
                   f"target \"{target}\".\n[Y] Yes  [N] No (default is \"Y\"): ")
    return answer.strip().lower() in ("", "y", "yes")


def _should_process_hook(bound: dict[str, Any], spec: spec_module.CommandSpec | None,
                         runtime: CommandRuntime) -> Callable[[str, str], bool]:
    """``$PSCmdlet.ShouldProcess(target, action)`` as PowerShell's command runtime answers it:
    WhatIf text, a Confirm prompt, or (going ahead without asking, with ``Verbose``) the verbose
    line "Performing the operation ... on target ...", which :func:`_finish` logs."""
    what_if = bool(bound.get("WhatIf"))
    # ConfirmImpact High meets the default $ConfirmPreference (High); Medium prompts only with -Confirm.
    confirm = bool(bound.get("Confirm")) or ("Confirm" not in bound and spec is not None and spec.confirm_impact == "High")
    verbose = bool(bound.get("Verbose"))

    def hook(target: str, action: str) -> bool:
        if what_if:
            line = f'What if: Performing the operation "{action}" on target "{target}".'
            what_if_log.append(line)
            print(line, file=sys.stdout)  # PowerShell writes it to the host, not to a stream
            return False
        if confirm:
            return _ask(target, action)
        if verbose:
            runtime.write_verbose(f'Performing the operation "{action}" on target "{target}".')
        return True

    return hook


def _store_variable(spec_value: Any, records: list[Any]) -> None:
    if spec_value is None:
        return
    if isinstance(spec_value, list):
        spec_value.extend(records)
        return
    name = str(spec_value)
    if name.startswith("+"):
        variables.setdefault(name[1:], []).extend(records)
    else:
        variables[name] = list(records)


_VARIABLES = ("ErrorVariable", "WarningVariable", "InformationVariable", "OutVariable")


def _collectors(spec: spec_module.CommandSpec | None, args: list[tuple[str | None, Any]]
                ) -> tuple[list[tuple[str | None, Any]], dict[str, list[Any]]]:
    """Take ``ErrorVariable=[...]``-style list arguments out of binding: Python collects into them."""
    if not any(isinstance(v, list) for _, v in args):
        return args, {}
    keep: list[tuple[str | None, Any]] = []
    collectors: dict[str, list[Any]] = {}
    for name, value in args:
        if name is not None and isinstance(value, list):
            lowered = name.lower().rstrip(":")
            match = next((v for v in _VARIABLES if v.lower().startswith(lowered) and len(lowered) >= 2
                          or lowered == {"ErrorVariable": "ev", "WarningVariable": "wv", "InformationVariable": "iv",
                                         "OutVariable": "ov"}[v]), None)
            if match is not None and (spec is None or not any(p.name.lower() == lowered for p in spec.parameters)):
                collectors[match] = value
                continue
        keep.append((name, value))
    return keep, collectors


def invoke(name: str, /, **kwargs: Any) -> Any:
    """Run the cmdlet ``name`` with cmdlet-style keyword arguments; see the module docstring."""
    return _invoke(name, _normalise(kwargs), None, python_values=True)


def invoke_pipeline(name: str, input_objects: Iterable[Any], /, **kwargs: Any) -> Any:
    """``input_objects | <cmdlet> @kwargs``: each object is bound from the pipeline in turn.

    As PowerShell's pipeline enumerates a collection but not a string or a dictionary, a ``str``,
    ``bytes``, a mapping (``{"UserId": id}``, PowerShell's ``@{UserId=$id} | <cmdlet>``) or a
    returned Graph object given as ``input_objects`` is one input object, not iterated (a dict
    would give its keys, a string its characters, a Graph object its properties).
    """
    if _is_one_pipeline_object(input_objects):
        return _invoke(name, _normalise(kwargs), [input_objects], python_values=True)
    return _invoke(name, _normalise(kwargs), list(input_objects), python_values=True)


def _is_one_pipeline_object(value: Any) -> bool:
    if isinstance(value, (str, bytes, bytearray, Mapping)):
        return True
    models = sys.modules.get("pwshcompat.operation.models")  # a Graph object exists only once it is loaded
    return models is not None and isinstance(value, models.GraphObject)


def _invoke(name: str, args: list[tuple[str | None, Any]], pipeline: list[Any] | None,
            python_values: bool = False, outcome: dict[str, Any] | None = None) -> Any:
    """Bind and run; ``python_values`` applies the Python API's value rules (:func:`binder.bind`),
    which the CLI, whose arguments take PowerShell's shapes, does not ask for. With ``outcome``
    (the CLI, which shows errors itself) non-terminating errors are neither raised nor logged:
    ``outcome["errors"]`` receives them and ``outcome["error_action"]`` the ErrorAction in force."""
    cmd = commands.get(name)
    try:
        spec: spec_module.CommandSpec | None = spec_module.load(cmd.name)
    except KeyError:
        spec = None
    args, collectors = _collectors(spec, args)
    if spec is not None:
        result = binder.bind(spec, args, pipeline, python_values=python_values)
        bound, records = result.bound, result.records
    else:
        bound = {k.rstrip(":"): v for k, v in args if k is not None}
        records = (binder.BoundRecord(cmd.default_parameter_set, bound),)

    bound = {**bound, **collectors} if collectors else bound
    error_action = str(bound.get("ErrorAction") or "Continue")
    warning_action = str(bound.get("WarningAction") or "Continue")
    runtime = CommandRuntime(cmd.name, want_debug=bool(bound.get("Debug")))
    runtime.should_process_hook = _should_process_hook(bound, spec, runtime)
    errors: list[ErrorRecord] = []
    if cmd.begin is not None:  # once per invocation, as PowerShell calls BeginProcessing
        cmd.begin(records[0].parameter_set if records else cmd.default_parameter_set, runtime)
    try:
        for record in records:
            before = len(runtime.errors)
            if record.error is not None:
                runtime.write_error(record.error.record)
            else:
                cmd.run(record.parameter_set, record.bound, runtime)
            if error_action in ("Stop", "Inquire") and len(runtime.errors) > before:
                raise _Stop
            if warning_action == "Stop" and runtime.warnings:
                raise TerminatingError(ErrorRecord(
                    f"The running command stopped because the preference variable \"WarningPreference\" or common "
                    f"parameter is set to Stop: {runtime.warnings[0]}", "ActionPreferenceStop",
                    ErrorCategory.OperationStopped, command=cmd.name))
        if cmd.end is not None:  # EndProcessing: not after a terminating error or a stop
            cmd.end(runtime)
    except _Stop:
        pass
    except PSError as exc:
        errors = runtime.errors + [exc.record]
        _finish(bound, runtime, errors)
        exc.errors = errors
        exc.output = _returned(runtime.output)
        raise
    errors = list(runtime.errors)
    _finish(bound, runtime, errors)
    if outcome is not None:
        outcome.update(errors=errors, error_action=error_action)
    elif errors and error_action not in ("SilentlyContinue", "Ignore"):
        if error_action == "Continue" and "ErrorAction" in bound:
            for e in errors:  # shown and kept going past, as the host does with -ErrorAction Continue
                print(f"{cmd.name}: {e.details_message or e.message}\n  FullyQualifiedErrorId: "
                      f"{e.fully_qualified_error_id}", file=sys.stderr)
                log.error("%s", e)
        else:
            error = CommandError(errors[0], errors)
            error.output = _returned(runtime.output)   # the items that succeeded are not lost
            raise error
    return _returned(runtime.output)


def _returned(output: list[Any]) -> Any:
    """What ``$x = <cmdlet>`` holds for the pipeline output ``output``: None, the object, or a list."""
    if not output:
        return None
    return output[0] if len(output) == 1 else list(output)


def _finish(bound: dict[str, Any], runtime: CommandRuntime, errors: list[ErrorRecord]) -> None:
    """Streams and variables, as the host would handle them when the command ends."""
    variables.update(runtime.variables)
    if bound.get("ErrorAction") != "Ignore":
        _store_variable(bound.get("ErrorVariable"), errors)
    _store_variable(bound.get("WarningVariable"), runtime.warnings)
    _store_variable(bound.get("InformationVariable"), runtime.information)
    _store_variable(bound.get("OutVariable"), runtime.output)
    if bound.get("WarningAction") not in ("SilentlyContinue", "Ignore"):
        for w in runtime.warnings:
            warnings.warn(w, PSWarning, stacklevel=4)
    if bound.get("Verbose"):
        for m in runtime.verbose:
            cmdlet_log.info("%s", m)
    if bound.get("Debug"):
        for m in runtime.debug:
            cmdlet_log.debug("%s", m)
    for m in runtime.information:
        log.info("%s", m)
