"""The browser half of interactive sign-in: a loopback listener for the redirect, and opening a browser.

RFC 8252 (OAuth 2.0 for native apps) §7.3: the app listens on the loopback interface at a port
the system picks, sends the browser to the authorize URL with ``redirect_uri=http://localhost:<port>``
(the redirect the original's default app registers), and the sign-in endpoint sends the browser
back there with ``code`` and ``state`` (or ``error``). msal makes the request and redeems the code
with the PKCE verifier (:meth:`pwshcompat.auth.providers.UserProvider.sign_in_interactively`).

msal has a listener of its own; this one is used because it can be waited on with a deadline
without a thread left raising after the timeout, ignores requests that are not the answer
(favicon, pre-connects), and is closed, port and all, as soon as the sign-in ends.
"""

from __future__ import annotations

import html
import os
import shlex
import shutil
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

__all__ = ["LoopbackReceiver", "open_system_browser"]

_DONE = "Sign-in complete. You can close this window and return to PowerShell."
_FAILED = "Sign-in failed: {error}. {description} You can close this window."


class LoopbackReceiver:
    """An HTTP listener on ``127.0.0.1`` at a free port that waits for one authorization response.

    Use as a context manager: leaving it closes the port. :meth:`wait` returns the response's query
    parameters (``code`` and ``state``, or ``error`` and ``error_description``) once a request
    arrives whose ``state`` is the expected one, or None when ``timeout`` seconds pass first.
    """

    def __init__(self) -> None:
        self.state: str | None = None
        self._answer: dict[str, str] | None = None
        self._arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a browser's idle pre-connect must not hold a handler thread for long

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                is_answer = ("code" in params or "error" in params) and receiver.state is not None \
                    and params.get("state") == receiver.state and not receiver._arrived.is_set()
                if not is_answer:
                    self._page(404, "This address only takes the answer of the sign-in that is waiting for it.")
                    return
                receiver._answer = params
                if "code" in params:
                    self._page(200, _DONE)
                else:
                    self._page(200, _FAILED.format(error=params.get("error", ""),
                                                   description=params.get("error_description", "")))
                receiver._arrived.set()

            def _page(self, status: int, text: str) -> None:
                body = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pwshcompat sign-in"
                        f"</title></head><body><p>{html.escape(text)}</p></body></html>\n").encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="pwshcompat-sign-in-redirect", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://localhost:{self.port}"

    def wait(self, timeout: float) -> dict[str, str] | None:
        """The authorization response, or None after ``timeout`` seconds (bounded wait)."""
        deadline = time.monotonic() + timeout
        while not self._arrived.wait(min(0.1, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                return None
        return self._answer

    def close(self) -> None:
        """Stop listening: the port is closed when this returns."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "LoopbackReceiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_system_browser(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Open ``url`` in the user's browser; False when none could be started.

    ``BROWSER`` (read from ``environ`` now, not when :mod:`webbrowser` first looked) names the
    command, as :mod:`webbrowser` documents: entries separated by ``os.pathsep``, ``%s`` standing
    for the URL, a trailing ``&`` to run it in the background.
    """
    variables = os.environ if environ is None else environ
    choices: list[str | None] = [c for c in (variables.get("BROWSER") or "").split(os.pathsep) if c.strip()]
    for choice in choices or [None]:  # None: the browser webbrowser finds by itself
        try:
            if choice is None:
                browser = webbrowser.get()
            elif "%s" in choice or not shutil.which(shlex.split(choice)[0]):
                browser = webbrowser.get(choice)  # a command line with %s, or a browser webbrowser knows
            else:
                browser = webbrowser.GenericBrowser(shlex.split(choice) + ["%s"])  # a command: the URL goes last
            if browser.open(url):
                return True
        except (webbrowser.Error, OSError, ValueError, IndexError):
            continue
    return False


#: Opens a URL in a browser and says whether it could; a host or test may pass another.
BrowserOpener = Callable[[str], bool]
