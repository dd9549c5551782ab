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
from .runner import begin_processing, end_processing, run

__all__ = ["GraphObject", "is_graph_command", "processing_for", "run", "runner_for"]


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


def processing_for(name: str) -> tuple[Any, Any]:
    """``(begin, end)`` of the Graph cmdlet ``name``: ``begin(parameter_set, runtime)`` and
    ``end(runtime)`` write what the original's BeginProcessing and EndProcessing write, once per
    invocation around its records."""
    spec = spec_module.load(name)

    def begin(parameter_set: str, runtime: CommandRuntime) -> None:
        begin_processing(spec, parameter_set, runtime)

    def end(runtime: CommandRuntime) -> None:
        end_processing(spec, runtime)

    return begin, end
