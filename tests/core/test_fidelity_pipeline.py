"""Pipeline steps from Python (issue 13.5): -HttpPipelinePrepend/-HttpPipelineAppend take callables
``step(request, next) -> response`` that run as the original's steps do (AutoRest's order, once per
request, before the Graph client's headers and retries), against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from pwshcompat.errors import CommandError, ParameterBindingError

from ._support import PATH, call, emu, graph  # noqa: F401  (fixtures)

BUSY = {"Availability": "Busy", "Activity": "Busy"}


def _step(name: str, seen: list[str]) -> Any:
    def step(request: Any, next_: Any) -> Any:
        seen.append(f"{name}:{request.method}:{'authorization' in {k.lower() for k in request.headers}}")
        request.headers.setdefault("x-order", "")
        request.headers["x-order"] += name
        return next_(request)

    return step


def test_steps_run_in_the_originals_order_once_per_request(emu: Any) -> None:
    emu.inject("503", path="*/setUserPreferredPresence", count=1, retry_after=0)
    seen: list[str] = []
    assert call(PresenceId="u1", **BUSY, PassThru=True, HttpPipelinePrepend=[_step("A", seen), _step("B", seen)],
                HttpPipelineAppend=[_step("C", seen), _step("D", seen)]) is True
    assert seen == ["B:POST:False", "A:POST:False", "C:POST:False", "D:POST:False"]
    sent = [r for r in emu.requests if r.path == PATH.format("u1")]
    assert [r.status for r in sent] == [503, 200] and all(r.headers["x-order"] == "BACD" for r in sent)


def test_a_step_may_answer_itself_or_fail(emu: Any) -> None:
    def answer(request: Any, next_: Any) -> Any:
        return None

    def broken(request: Any, next_: Any) -> Any:
        raise RuntimeError("step broke")

    with pytest.raises(CommandError) as info:
        call(PresenceId="u1", **BUSY, HttpPipelineAppend=broken)
    assert (info.value.record.category.value, info.value.record.message) == ("NotSpecified", "step broke")
    with pytest.raises(CommandError, match="returned no response"):
        call(PresenceId="u1", **BUSY, HttpPipelineAppend=answer)
    assert emu.requests == []


def test_a_step_must_be_callable(emu: Any) -> None:
    with pytest.raises(ParameterBindingError) as info:
        call(PresenceId="u1", **BUSY, HttpPipelineAppend="{ param($r) }")
    assert info.value.error_id == "ParameterArgumentTransformationError" and emu.requests == []
