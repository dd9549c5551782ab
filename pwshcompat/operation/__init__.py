"""The Graph cmdlets: one generic runner interprets each cmdlet's spec at run time.

No Python is written per cmdlet. A cmdlet is its spec (``pwshcompat/spec/commands/<Name>.json``,
generated from its help page plus a few overlay lines) and the shared model definitions
(``pwshcompat/spec/models.json``); :func:`command` gives the command the registry runs for any
spec with a ``graph`` section, so a cmdlet is served the moment its spec exists.

* :mod:`.runner`: parameters -> request -> response -> what the original writes;
* :mod:`.models`: request bodies and response objects (:class:`GraphObject`) through per-property codecs;
* :mod:`.request`: path segments, query options, ``-Headers``;
* :mod:`.responses`: the original's error records and the response-headers variable.
"""

from __future__ import annotations

from typing import Any

from .. import spec as spec_module
from ..runtime import CommandRuntime
from .models import GraphObject
from .runner import run

__all__ = ["GraphObject", "is_graph_command", "run", "runner_for"]


def is_graph_command(name: str) -> bool:
    """Whether ``name`` has a spec with a ``graph`` section (served by the generic runner)."""
    try:
        return spec_module.load(name).graph is not None
    except KeyError:
        return False


def runner_for(name: str) -> Any:
    """The implementation ``(parameter_set, bound, runtime) -> None`` of the Graph cmdlet ``name``."""
    spec = spec_module.load(name)

    def implementation(parameter_set: str, bound: dict[str, Any], runtime: CommandRuntime) -> None:
        run(spec, parameter_set, bound, runtime)

    implementation.__name__ = spec.name.replace("-", "_")
    return implementation
