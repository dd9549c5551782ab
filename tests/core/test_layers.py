"""The layers of pwshcompat (shared/DESIGN.md: data flows top to bottom, never back up), pinned.

Read from the source: every ``import`` and ``from ... import`` of every module, at the top or inside
a function (the lazy ones count: they run too), and every string that names a module of the package
outside a docstring (what ``importlib.import_module`` may load, such as the command table's names).
A rule names a part of the package and what it must never import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "pwshcompat"

# The ways in: each may import anything below it; nothing below may import them.
FACES = ("pwshcompat.api", "pwshcompat.cli", "pwshcompat.bridge", "pwshcompat.__main__", "pwshcompat._generated")
# What the commands are made of, from the ground up.
BASE = ("pwshcompat.errors", "pwshcompat.conversion", "pwshcompat.runtime", "pwshcompat.cancellation",
        "pwshcompat.hostvalues", "pwshcompat.spec", "pwshcompat.binder")
ABOVE_BASE = ("pwshcompat.graph", "pwshcompat.auth", "pwshcompat.cmdlets", "pwshcompat.commands",
              "pwshcompat.operation", "pwshcompat.install", *FACES)

# (part, what it never imports, why)
RULES = [
    ("pwshcompat.graph",
     ("pwshcompat.auth", "pwshcompat.cmdlets", "pwshcompat.commands", "pwshcompat.operation", *FACES),
     "the Graph client takes the connection from graph.connection; sign-in and the commands sit above it"),
    ("pwshcompat.operation", ("pwshcompat.auth", "pwshcompat.cmdlets", "pwshcompat.commands", *FACES),
     "the generic runner reaches Graph through the client alone and knows no code cmdlet"),
    ("pwshcompat.auth", ("pwshcompat.cmdlets", "pwshcompat.commands", "pwshcompat.operation", *FACES),
     "sign-in is a library the commands use; it registers no command"),
    ("pwshcompat.cmdlets", ("pwshcompat.operation", *FACES),
     "the code cmdlets sit beside the generic runner, below the ways in"),
    ("pwshcompat.commands", FACES, "the command table sits below the ways in"),
    *[(base, ABOVE_BASE, "the ground floor imports nothing above it") for base in BASE],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every pwshcompat module ``path`` imports (a ``from X import name`` counts as X and X.name)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if node.value in MODULES:
                found.add(node.value)
    return {m for m in found if m == "pwshcompat" or m.startswith("pwshcompat.")}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
IMPORTS = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def within(module: str, part: str) -> bool:
    return module == part or module.startswith(part + ".")


def test_the_reader_sees_imports_of_every_kind() -> None:
    """The rules below are only as good as this reader: top-level, relative, lazy and importlib imports."""
    assert "pwshcompat.graph.client" in IMPORTS["pwshcompat.operation.runner"]  # from ..graph import client
    assert "pwshcompat.auth.token_cache" in IMPORTS["pwshcompat.cmdlets.connection"]  # inside a function
    assert "pwshcompat.cmdlets.request_context" in IMPORTS["pwshcompat.commands"]  # the command table, by name
    assert "pwshcompat.graph.connection" in IMPORTS["pwshcompat.auth.context"]
    assert len(IMPORTS) > 50


@pytest.mark.parametrize("part,forbidden,why", RULES, ids=[rule[0] for rule in RULES])
def test_a_layer_never_imports_one_above_it(part: str, forbidden: tuple[str, ...], why: str) -> None:
    modules = [m for m in IMPORTS if within(m, part)]
    assert modules, f"no module is in {part}"
    broken = sorted(f"{m} imports {target}" for m in modules for target in IMPORTS[m]
                    if any(within(target, f) for f in forbidden))
    assert not broken, f"{part}: {why}:\n" + "\n".join(broken)


def test_the_emulator_imports_nothing_of_the_client_side() -> None:
    """The emulator is a server with the same HTTP contract as Graph: it shares no code with what talks to it."""
    broken = sorted(f"{m} imports {target}" for m in IMPORTS if within(m, "pwshcompat.emulator")
                    for target in IMPORTS[m] if target != "pwshcompat" and not within(target, "pwshcompat.emulator"))
    assert not broken, "\n".join(broken)


def test_the_graph_client_and_the_runner_run_without_sign_in_code() -> None:
    """The same, at run time: a fresh interpreter imports the client and the runner and loads no auth module."""
    script = ("import sys, pwshcompat.graph.client, pwshcompat.operation\n"
              "print(sorted(m for m in sys.modules if m.startswith(('pwshcompat.auth', 'pwshcompat.cmdlets'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PACKAGE.parent,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
