"""Stopping a running command from its host: Ctrl+C, ``PowerShell.Stop()``.

The PowerShell host gives every call a :class:`CancellationToken` (``bridge.invoke_host``) and
cancels it when the pipeline is told to stop (``src/PwshCompat.Host/StopWatcher.cs``). The command
runs inside :func:`scope`, so whatever blocks on its behalf asks :func:`current` for the token:

* a request on a keep-alive connection registers a callback that shuts the socket down, which
  ends the blocked read at once (``pwshcompat.graph.transport``);
* a retry waits with :meth:`CancellationToken.wait` instead of ``time.sleep``;
* calls that cannot be interrupted from outside (``requests``, msal's sign-in flows) run through
  :func:`call`, which returns to the caller as soon as the token is cancelled and leaves the
  worker thread to end on its own (a device-code sign-in also has its polling told to stop).

A stopped command raises :class:`CommandStoppedError`, PowerShell's ``PipelineStoppedException``.
Without a host (the Python API, the command line) the token is :data:`NEVER`: nothing can cancel
it, :meth:`~CancellationToken.wait` is a plain sleep and :func:`call` calls directly, so nothing
costs a thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Any, Callable, Iterator, TypeVar

from .errors import ErrorCategory, ErrorRecord, PSError

__all__ = ["NEVER", "CancellationToken", "CommandStoppedError", "call", "current", "scope"]

T = TypeVar("T")


class CommandStoppedError(PSError):
    """The host stopped the command (PowerShell's PipelineStoppedException)."""

    def __init__(self) -> None:
        super().__init__(ErrorRecord("The pipeline has been stopped.", "", ErrorCategory.OperationStopped,
                                     exception_type="System.Management.Automation.PipelineStoppedException"))


class _Registration:
    """A registered callback; closing it (or leaving its ``with`` block) unregisters it."""

    def __init__(self, token: "CancellationToken", callback: Callable[[], None] | None) -> None:
        self._token, self._callback = token, callback

    def close(self) -> None:
        if self._callback is not None:
            self._token._unregister(self._callback)
            self._callback = None

    def __enter__(self) -> "_Registration":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CancellationToken:
    """Cancelled once by the host; thread-safe. Callbacks run on the cancelling thread."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @property
    def can_be_cancelled(self) -> bool:
        return True

    def cancel(self) -> None:
        """Cancel: wake every :meth:`wait`, then run the registered callbacks (errors ignored)."""
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - a callback's failure must not stop the others
                pass

    def register(self, callback: Callable[[], None]) -> _Registration:
        """Run ``callback`` on cancellation (at once when already cancelled) until the returned
        registration is closed."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return _Registration(self, callback)
        callback()
        return _Registration(self, None)

    def _unregister(self, callback: Callable[[], None]) -> None:
        with self._lock:
            try:
                self._callbacks.remove(callback)
            except ValueError:
                pass

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (early) when cancelled."""
        return self._event.wait(seconds)

    def raise_if_cancelled(self) -> None:
        """Raises :class:`CommandStoppedError` when cancelled."""
        if self._event.is_set():
            raise CommandStoppedError()


class _Never(CancellationToken):
    """The token of a caller that cannot cancel (no host)."""

    @property
    def can_be_cancelled(self) -> bool:
        return False

    def cancel(self) -> None:
        raise RuntimeError("NEVER cannot be cancelled")

    def register(self, callback: Callable[[], None]) -> _Registration:
        return _Registration(self, None)


NEVER: CancellationToken = _Never()
_current: contextvars.ContextVar[CancellationToken] = contextvars.ContextVar("pwshcompat_cancellation", default=NEVER)


def current() -> CancellationToken:
    """The token of the command running in this context (:data:`NEVER` outside a host's call)."""
    return _current.get()


@contextlib.contextmanager
def scope(token: CancellationToken | None) -> Iterator[CancellationToken]:
    """Make ``token`` the current one for the ``with`` block (None: leave it as it is)."""
    if token is None:
        yield current()
        return
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, returning as soon as the current token is cancelled.

    With a token that can be cancelled, ``fn`` runs on a daemon thread (in a copy of this context,
    so it sees the same token) and this thread waits for it or for the cancellation, which raises
    :class:`CommandStoppedError`; ``fn`` then finishes unobserved. Without one, a direct call.
    """
    token = current()
    if not token.can_be_cancelled:
        return fn(*args, **kwargs)
    token.raise_if_cancelled()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(run,), name="pwshcompat-cancellable", daemon=True)
    with token.register(done.set):
        worker.start()
        done.wait()
    if "error" in outcome:
        raise outcome["error"]
    if "value" in outcome:
        return outcome["value"]  # type: ignore[no-any-return]
    raise CommandStoppedError()
