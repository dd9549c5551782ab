"""Headless chromium as the user's browser for sign-in tests, and a small DevTools client to click.

Run as a script it is a ``BROWSER`` command (``BROWSER="python3 headless_browser.py %s"``): it starts
Debian's chromium headless (``--no-sandbox``, a fresh ``--user-data-dir``, DevTools on a free port)
on the URL, records the URL, the process id and the DevTools port in ``$PWSHCOMPAT_TEST_BROWSER_DIR``,
and exits once the browser runs (as a desktop's browser command does). The emulator's certificate
is trusted by the public key of its CA (``--ignore-certificate-errors-spki-list``, with
``$PWSHCOMPAT_TEST_BROWSER_CA``): only that CA, verification stays on for everything else.

Imported, :class:`Browsers` gives a test that directory, the ``BROWSER`` value, the launches so
far, a real mouse click on an element through the DevTools protocol (``Input.dispatchMouseEvent``),
and stops every browser it started at the end.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _spki_hash(ca_file: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(Path(ca_file).read_bytes())
    der = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def launch(url: str) -> int:
    state = Path(os.environ["PWSHCOMPAT_TEST_BROWSER_DIR"])
    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=state))
    args = [CHROMIUM, "--headless", "--no-sandbox", f"--user-data-dir={profile}", "--remote-debugging-port=0",
            "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    if os.environ.get("PWSHCOMPAT_TEST_BROWSER_CA"):
        args.append(f"--ignore-certificate-errors-spki-list={_spki_hash(os.environ['PWSHCOMPAT_TEST_BROWSER_CA'])}")
    with open(profile / "chromium.log", "wb") as log:
        proc = subprocess.Popen(args + [url], stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not port_file.exists() or not port_file.read_text().strip():
        if proc.poll() is not None or time.monotonic() > deadline:
            return 1
        time.sleep(0.05)
    launch_record = {"url": url, "pid": proc.pid, "devtools": int(port_file.read_text().split()[0]),
                     "profile": str(profile)}
    with open(state / "launches.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(launch_record) + "\n")
    return 0


class Browsers:
    """The browsers one test started (see the module docstring)."""

    def __init__(self, directory: Path, ca_bundle: str | None) -> None:
        self.directory = directory
        self.ca_bundle = ca_bundle
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def browser_variable(self) -> str:
        return f"{sys.executable} {Path(__file__).resolve()} %s"

    def environment(self) -> dict[str, str]:
        env = {"BROWSER": self.browser_variable, "PWSHCOMPAT_TEST_BROWSER_DIR": str(self.directory)}
        if self.ca_bundle:
            env["PWSHCOMPAT_TEST_BROWSER_CA"] = self.ca_bundle
        return env

    def launches(self) -> list[dict[str, Any]]:
        path = self.directory / "launches.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def wait_for_launch(self, count: int = 1, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while len(self.launches()) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no browser was launched within {timeout} s")
            time.sleep(0.05)
        return self.launches()[count - 1]

    def click(self, launch_record: dict[str, Any], selector: str, *, select: tuple[str, str] | None = None,
              timeout: float = 60) -> None:
        """Wait for ``selector`` on the browser's page and click it with the mouse (DevTools protocol).

        ``select`` = (select element selector, option value) picks an option first.
        """
        import requests
        import websocket

        deadline = time.monotonic() + timeout
        page = None
        while page is None:
            targets = requests.get(f"http://127.0.0.1:{launch_record['devtools']}/json/list", timeout=10).json()
            page = next((t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t), None)
            if page is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("the browser shows no page")
                time.sleep(0.05)
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
        ids = iter(range(1, 1_000_000))

        def call(method: str, **params: Any) -> dict[str, Any]:
            message_id = next(ids)
            ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == message_id:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})

        try:
            where = ("(() => { const e = document.querySelector(%s); if (!e) return null; const r = "
                     "e.getBoundingClientRect(); return JSON.stringify([r.x + r.width / 2, r.y + r.height / 2]); })()"
                     % json.dumps(selector))
            point = None
            while point is None:
                value = call("Runtime.evaluate", expression=where, returnByValue=True)["result"].get("value")
                if value:
                    point = json.loads(value)
                elif time.monotonic() > deadline:
                    raise TimeoutError(f"{selector} did not appear on the page")
                else:
                    time.sleep(0.05)
            if select is not None:
                call("Runtime.evaluate", expression="document.querySelector(%s).value = %s" % (
                    json.dumps(select[0]), json.dumps(select[1])))
            x, y = point
            call("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
            call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
            call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left", clickCount=1)
        finally:
            ws.close()

    def page_text(self, launch_record: dict[str, Any], expect: str = "", wait: float = 30.0) -> str:
        """The text the browser shows (for checks of the final page).

        With ``expect``, asks again until the text holds it or ``wait`` seconds passed: the loopback
        listener has answered before the browser has parsed and painted that answer, which takes a
        while on a loaded machine. The last text read is returned either way.
        """
        deadline = time.monotonic() + wait
        while True:
            text = self._page_text_now(launch_record)
            if not expect or expect in text or time.monotonic() >= deadline:
                return text
            time.sleep(0.1)

    def _page_text_now(self, launch_record: dict[str, Any]) -> str:
        import requests
        import websocket

        targets = requests.get(f"http://127.0.0.1:{launch_record['devtools']}/json/list", timeout=10).json()
        page = next(t for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        try:
            ws.send(json.dumps({"id": 1, "method": "Runtime.evaluate",
                                "params": {"expression": "document.body ? document.body.innerText : ''",
                                           "returnByValue": True}}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == 1:
                    return str(message["result"]["result"].get("value", ""))
        finally:
            ws.close()

    def stop_all(self) -> None:
        for record in self.launches():
            try:
                os.killpg(record["pid"], signal.SIGTERM)  # the browser's own session: it and its helpers
            except (ProcessLookupError, PermissionError):
                pass
        for record in self.launches():
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(record["pid"], 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(launch(sys.argv[1]))
