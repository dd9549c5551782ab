"""The Python face of the cmdlets: ``invoke("Verb-Noun", **kwargs)``."""

from __future__ import annotations

from typing import Any

from . import commands
from .errors import CommandError
from .runtime import CommandRuntime


def invoke(name: str, **kwargs: Any) -> Any:
    """Run a cmdlet by name; return what ``$x = <cmdlet>`` would hold.

    ``None`` for no output, the object itself for one, a list for several. The first
    non-terminating error is raised as :class:`~pwshcompat.errors.CommandError`.
    """
    cmd = commands.get(name)
    runtime = CommandRuntime(cmd.name)
    cmd.run(cmd.default_parameter_set, dict(kwargs), runtime)
    if runtime.errors:
        raise CommandError(runtime.errors[0])
    if not runtime.output:
        return None
    return runtime.output[0] if len(runtime.output) == 1 else list(runtime.output)
