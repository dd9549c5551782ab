"""The process-wide connection context that Connect-MgGraph creates and Graph commands use."""

from __future__ import annotations

from dataclasses import dataclass, field

from .environments import Environment


@dataclass
class GraphContext:
    environment: Environment
    auth_type: str
    token_credential_type: str
    _access_token: str = field(repr=False, default="")

    def get_token(self) -> str:
        return self._access_token


_current: GraphContext | None = None


def current() -> GraphContext | None:
    return _current


def set_current(context: GraphContext | None) -> None:
    global _current
    _current = context
