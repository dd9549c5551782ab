"""The entry point the PowerShell module calls in-process through pythonnet.

PowerShell's own binder has already resolved the parameter set and bound the values; the module
converts them to plain Python values (str, int, bool, float, list, dict, None, and
:class:`~pwshcompat.conversion.TimeSpan`-like ticks) and calls :func:`invoke` once per record.
The result is a plain dict that the module replays into PowerShell's streams.
"""

from __future__ import annotations

from typing import Any, Callable

from . import commands
from .errors import ErrorRecord, PSError
from .runtime import CommandRuntime


def _record(record: ErrorRecord) -> dict[str, Any]:
    return {
        "message": record.message,
        "error_id": record.error_id,
        "category": record.category.value,
        "target": record.target,
        "fully_qualified_error_id": record.fully_qualified_error_id,
        "details_message": record.details_message,
        "recommended_action": record.recommended_action,
    }


def invoke(name: str, parameter_set: str, bound: dict[str, Any],
           should_process: Callable[[str, str], bool] | None = None) -> dict[str, Any]:
    cmd = commands.get(name)
    runtime = CommandRuntime(cmd.name, should_process_hook=should_process)
    terminating = None
    try:
        cmd.run(parameter_set, bound, runtime)
    except PSError as exc:
        terminating = _record(exc.record)
    return {
        "output": runtime.output,
        "errors": [_record(r) for r in runtime.errors],
        "warnings": runtime.warnings,
        "verbose": runtime.verbose,
        "debug": runtime.debug,
        "information": runtime.information,
        "variables": runtime.variables,
        "terminating": terminating,
    }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return str(value)


def invoke_json(name: str, parameter_set: str, bound: dict[str, Any]) -> str:
    """:func:`invoke` with the result as JSON text: one crossing back into PowerShell."""
    import json

    return json.dumps(invoke(name, parameter_set, bound), default=_jsonable)
