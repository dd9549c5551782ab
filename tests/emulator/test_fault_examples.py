"""Fault paths match actions with or without ``microsoft.graph.`` (issue 15.8), and every
``emu.inject(...)`` example in the READMEs and the emulator's docstrings fires on the requests the
cmdlets really send."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import requests

from pwshcompat.emulator import Emulator

from .conftest import USER, Graph

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "README.md", ROOT / "pwshcompat" / "emulator" / "README.md",
           *sorted((ROOT / "pwshcompat" / "emulator").glob("*.py"))]

#: What the cmdlets send (the prefixed action names of the generated modules) and plain reads.
CMDLET_REQUESTS = [
    ("POST", f"/beta/communications/presences/{USER}/microsoft.graph.setUserPreferredPresence",
     {"availability": "Busy", "activity": "Busy"}),
    ("POST", f"/v1.0/users/{USER}/presence/microsoft.graph.setPresence",
     {"sessionId": "app", "availability": "Available", "activity": "Available"}),
    ("GET", f"/v1.0/users/{USER}/presence", None),
    ("GET", f"/beta/users/{USER}/presence", None),
]


def examples() -> list[tuple[str, str]]:
    """Every ``emu.inject(...)`` call written in the sources, with where it was found."""
    found = []
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        for match in re.finditer(r"emu\.inject\(", text):
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
            call = text[match.start():end + 1]
            if "..." in call or "kind" in call.split("(", 1)[1].split(",")[0]:
                continue   # a signature, not an example
            ast.parse(call)
            found.append((f"{source.name}:{text.count(chr(10), 0, match.start()) + 1}", call))
    return found


EXAMPLES = examples()


def test_the_sources_have_examples():
    assert len(EXAMPLES) >= 5, EXAMPLES
    assert any("*/setUserPreferredPresence" in call for _, call in EXAMPLES)


@pytest.mark.parametrize("call", [call for _, call in EXAMPLES], ids=[where for where, _ in EXAMPLES])
def test_each_example_fires_on_what_the_cmdlets_send(call):
    with Emulator(seed=1) as emu:
        rule = eval(call, {"emu": emu})    # the example exactly as documented
        client = Graph(emu, emu.issue_token())
        for _ in range(60):                # probability examples fire within a few tries (seeded)
            for method, path, body in CMDLET_REQUESTS:
                try:
                    client.call(method, path, body, timeout=0.5)
                except requests.exceptions.RequestException:
                    pass                   # reset and slow faults end the request on the client side
                if rule.fired:
                    return
        pytest.fail(f"{call} never fired on {[p for _, p, _ in CMDLET_REQUESTS]}")


@pytest.mark.parametrize("pattern", ["*/setUserPreferredPresence", "*/microsoft.graph.setUserPreferredPresence",
                                     "/beta/communications/presences/*/setUserPreferredPresence",
                                     "*/microsoft.graph.setUser*"])
@pytest.mark.parametrize("action", ["setUserPreferredPresence", "microsoft.graph.setUserPreferredPresence"])
def test_patterns_match_with_or_without_the_prefix(graph, emu, pattern, action):
    emu.inject("503", path=pattern, count=1)
    response = graph.post(f"/beta/communications/presences/{USER}/{action}", {"availability": "Busy", "activity": "Busy"})
    assert response.status_code == 503


def test_a_pattern_for_another_action_does_not_match(graph, emu):
    emu.inject("503", path="*/setPresence")
    response = graph.post(f"/beta/communications/presences/{USER}/microsoft.graph.setUserPreferredPresence",
                          {"availability": "Busy", "activity": "Busy"})
    assert response.status_code == 200
