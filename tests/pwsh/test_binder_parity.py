"""Binder parity: the same seeded invocations through PowerShell's own binder (on the generated
function, in one pwsh process, stopped before any call by the module's test hook) and through
pwshcompat.binder; the resolved set, the bound values and the error ids must agree."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from pwshcompat import spec as specs

from . import parity_cases

NAME = "Set-MgBetaCommunicationPresenceUserPreferredPresence"
SEED = int(os.environ.get("PWSHCOMPAT_PARITY_SEED", "20261128"))
COUNT = int(os.environ.get("PWSHCOMPAT_PARITY_COUNT", "2400"))
DRIVER = Path(__file__).with_name("parity_driver.ps1")


def _kind(result: dict) -> str:
    """A one-word summary of a result, to group disagreements."""
    if result["terminating"]:
        return result["terminating"]
    return "+".join(r.get("error") or f"bound:{r['set']}" for r in result["records"]) or "nothing"


# pwshcompat.binder (core) still differs from PowerShell on some invocations; the failure message
# lists them by kind with reproducers. strict: once they agree, this marker must go.
@pytest.mark.xfail(strict=True, reason="pwshcompat.binder disagrees with PowerShell's binder on ~16% of cases (see message)")
def test_powershell_and_python_binders_agree(pwsh, tmp_path):
    spec = specs.load(NAME)
    cases = parity_cases.generate(spec, COUNT, SEED)
    cases_file, results_file = tmp_path / "cases.json", tmp_path / "results.json"
    cases_file.write_text(parity_cases.dumps(cases), encoding="utf-8")
    run = pwsh(f"& {json.dumps(str(DRIVER))} $args[0] $args[1]", str(cases_file), str(results_file), timeout=600)
    assert run.returncode == 0, run.stderr
    powershell = json.loads(results_file.read_text(encoding="utf-8"))
    assert len(powershell) == len(cases)

    failures = []
    for case, ps in zip(cases, powershell):
        py = parity_cases.run_python(spec, case)
        if ps != py:
            failures.append((case, ps, py))
    agreed = len(cases) - len(failures)
    print(f"binder parity: {agreed}/{len(cases)} invocations agree (seed {SEED})")
    if failures:
        failures.sort(key=lambda f: (len(f[0]["args"]) + len(f[0]["pipeline"] or []), len(json.dumps(f[0]))))
        kinds = Counter(f"{_kind(ps)} vs {_kind(py)}" for _, ps, py in failures)
        lines = [f"{len(failures)} of {len(cases)} invocations differ (seed {SEED}); PowerShell vs Python:"]
        lines += [f"  {n:5d}  {k}" for k, n in kinds.most_common()]
        lines.append("smallest first:")
        for case, ps, py in failures[:6]:
            lines += [f"  PS> {parity_cases.powershell_line(case)}",
                      f"      PowerShell: {json.dumps(ps, ensure_ascii=False)}",
                      f"      Python:     {json.dumps(py, ensure_ascii=False)}"]
        raise AssertionError("\n".join(lines))
