"""Binder parity: the same seeded invocations through PowerShell's own binder (on the generated
function, in one pwsh process, stopped before any call by the module's test hook) and through
pwshcompat.binder; the resolved set, the bound values and the error ids must agree.

Where pwshcompat.binder is known to differ, the case is listed in parity_known_differences.json
(with both outcomes), so a *new* difference fails at once; a fixed one gives a warning until the
list is rewritten with PWSHCOMPAT_PARITY_UPDATE=1. A failure prints the smallest
differing invocations as PowerShell command lines.
"""

from __future__ import annotations

import json
import os
import warnings
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

from pwshcompat import spec as specs

from . import parity_cases

NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
SEED = int(os.environ.get("PWSHCOMPAT_PARITY_SEED", "20261128"))
COUNT = int(os.environ.get("PWSHCOMPAT_PARITY_COUNT", "2400"))
GENERAL_COUNT = int(os.environ.get("PWSHCOMPAT_PARITY_GENERAL_COUNT", "80"))
DRIVER = Path(__file__).with_name("parity_driver.ps1")
KNOWN = Path(__file__).with_name("parity_known_differences.json")


def _kind(result: dict[str, Any]) -> str:
    """A one-line summary of a result, to group differences."""
    if result["terminating"]:
        return result["terminating"]
    return "+".join(r.get("error") or f"bound:{r['set']}" for r in result["records"]) or "nothing"


def _known() -> dict[str, Any]:
    data = json.loads(KNOWN.read_text(encoding="utf-8")) if KNOWN.exists() else {}
    if data.get("seed") != SEED or data.get("count") != COUNT or data.get("general") != GENERAL_COUNT:
        return {}
    return data.get("cases", {})


def _reproducers(items: list[tuple[int, dict[str, Any], Any, Any]], limit: int = 6) -> list[str]:
    items = sorted(items, key=lambda f: (len(f[1]["args"]) + len(f[1]["pipeline"] or []), len(json.dumps(f[1]))))
    lines = []
    for index, case, ps, py in items[:limit]:
        lines += [f"  case {index}: PS> {parity_cases.powershell_line(case)}",
                  f"      Py> {parity_cases.python_call(case)}",
                  f"      PowerShell: {json.dumps(ps, ensure_ascii=False)}",
                  f"      Python:     {json.dumps(py, ensure_ascii=False)}"]
    return lines


def test_powershell_and_python_binders_agree(pwsh, tmp_path):
    spec = specs.load(NAME)
    cases = parity_cases.generate(spec, COUNT, SEED)
    # Every other command too (positional arguments, pipeline by property name, enums), fewer each.
    # Each command's cases come from its own seed (the seed and its name), so adding a command (a new
    # help page) adds its cases without changing any other command's.
    for other in (n for n in specs.names() if n != NAME):
        cases += parity_cases.generate_general(specs.load(other), GENERAL_COUNT, SEED + zlib.crc32(other.encode()))
    cases_file, results_file = tmp_path / "cases.json", tmp_path / "results.json"
    cases_file.write_text(parity_cases.dumps(cases), encoding="utf-8")
    run = pwsh(f"& {json.dumps(str(DRIVER))} $args[0] $args[1]", str(cases_file), str(results_file), timeout=600)
    assert run.returncode == 0, run.stderr
    powershell = json.loads(results_file.read_text(encoding="utf-8"))
    assert len(powershell) == len(cases) and COUNT >= 2000

    differ = []
    for index, (case, ps) in enumerate(zip(cases, powershell)):
        py = parity_cases.run_python(spec, case)
        if ps != py:
            differ.append((index, case, ps, py))
    print(f"binder parity: {len(cases) - len(differ)}/{len(cases)} invocations agree (seed {SEED}; "
          f"{COUNT} of {NAME}, {len(cases) - COUNT} of {len(specs.names()) - 1} other commands)")

    if os.environ.get("PWSHCOMPAT_PARITY_UPDATE"):
        KNOWN.write_text(json.dumps({
            "_comment": "Invocations where pwshcompat.binder differs from PowerShell's binder; written by "
                        "PWSHCOMPAT_PARITY_UPDATE=1 pytest tests/pwsh/test_binder_parity.py. Each is a binder bug to fix.",
            "seed": SEED, "count": COUNT, "general": GENERAL_COUNT, "commands": specs.names(),
            "cases": {str(i): f"PowerShell {_kind(ps)} / Python {_kind(py)}" for i, _, ps, py in differ},
        }, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return

    known = _known()
    new = [d for d in differ if str(d[0]) not in known]
    fixed = sorted(set(known) - {str(d[0]) for d in differ}, key=int)
    message = []
    if new:
        kinds = Counter(f"PowerShell {_kind(ps)} / Python {_kind(py)}" for _, _, ps, py in new)
        message.append(f"{len(new)} of {len(cases)} invocations differ and are not known differences (seed {SEED}):")
        message += [f"  {n:5d}  {k}" for k, n in kinds.most_common(12)]
        message.append("smallest first:")
        message += _reproducers(new)
    if fixed:
        # Not a failure (the binder may be ahead of the list), but the list should shrink.
        warnings.warn(f"binder parity: {len(fixed)} known differences now agree; shrink "
                      f"{KNOWN.name} with PWSHCOMPAT_PARITY_UPDATE=1", stacklevel=1)
    assert not message, "\n".join(message)
