"""Errors shaped like PowerShell's ErrorRecord.

Every failure the product reports carries the fields a PowerShell user sees on ``$Error[0]``:
an error id, a category, a target object and the fully qualified error id built from them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class ErrorCategory(str, enum.Enum):
    """The subset of System.Management.Automation.ErrorCategory this product reports."""

    NotSpecified = "NotSpecified"
    InvalidArgument = "InvalidArgument"
    InvalidData = "InvalidData"
    InvalidOperation = "InvalidOperation"
    InvalidType = "InvalidType"
    ObjectNotFound = "ObjectNotFound"
    PermissionDenied = "PermissionDenied"
    AuthenticationError = "AuthenticationError"
    ConnectionError = "ConnectionError"
    OperationTimeout = "OperationTimeout"
    ResourceUnavailable = "ResourceUnavailable"
    LimitsExceeded = "LimitsExceeded"
    NotImplemented = "NotImplemented"
    OperationStopped = "OperationStopped"


@dataclass
class ErrorRecord:
    """One error as PowerShell would record it.

    ``command`` is the name that goes after the comma in the fully qualified id (for the Graph
    cmdlets, the internal ``..._SetExpanded`` type name). PowerShell drops the comma when the
    error id is empty, and so do we.
    """

    message: str
    error_id: str = ""
    category: ErrorCategory = ErrorCategory.NotSpecified
    target: Any = None
    command: str = ""
    exception_type: str = "System.Exception"
    details_message: str | None = None
    recommended_action: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fully_qualified_error_id(self) -> str:
        if not self.command:
            return self.error_id
        return f"{self.error_id},{self.command}" if self.error_id else self.command

    def __str__(self) -> str:
        return self.details_message or self.message


class PSError(Exception):
    """Base of every exception pwshcompat raises; carries the :class:`ErrorRecord`."""

    def __init__(self, record: ErrorRecord, errors: list[ErrorRecord] | None = None) -> None:
        super().__init__(record.message)
        self.record = record
        # Every error of the invocation (ErrorVariable-like), the first one being ``record``.
        self.errors: list[ErrorRecord] = errors if errors is not None else [record]
        # What the command wrote to the pipeline before the error was raised, shaped as the call would
        # have returned it (None, one object or a list): the items of a pipeline that succeeded.
        self.output: Any = None

    def __str__(self) -> str:
        return str(self.record)

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own pickling calls ``type(self)(*self.args)``, i.e. with the message text where
        # ``__init__`` takes an ErrorRecord (and subclasses take other arguments), so the copy failed to
        # load: pickle (a process pool returning the error), copy.copy and copy.deepcopy. Rebuild
        # without ``__init__`` instead, then restore the attributes (record, errors, notes).
        return (_restore, (type(self), self.args), self.__dict__)

    @property
    def error_id(self) -> str:
        return self.record.error_id

    @property
    def category(self) -> ErrorCategory:
        return self.record.category

    @property
    def target(self) -> Any:
        return self.record.target

    @property
    def fully_qualified_error_id(self) -> str:
        return self.record.fully_qualified_error_id


def _restore(cls: type[PSError], args: tuple[Any, ...]) -> PSError:
    """A :class:`PSError` subclass instance with ``args`` and no ``__init__`` run (for unpickling)."""
    return cls.__new__(cls, *args)


class ParameterBindingError(PSError, ValueError):
    """PowerShell's ParameterBindingException: the arguments do not fit the command.

    ``error_id`` is PowerShell's own (``NamedParameterNotFound``, ``AmbiguousParameter``,
    ``AmbiguousParameterSet``, ``MissingMandatoryParameter``, ...). Raised before any request.
    """


class CommandError(PSError):
    """A non-terminating error surfaced to a Python caller (PowerShell would WriteError)."""


class TerminatingError(PSError):
    """A terminating error (PowerShell would ThrowTerminatingError)."""


class PSWarning(UserWarning):
    """A cmdlet's warning (PowerShell's warning stream), issued through :mod:`warnings` to Python callers."""


class AuthenticationNeededError(TerminatingError, RuntimeError):
    """A Graph command ran before Connect-MgGraph."""
