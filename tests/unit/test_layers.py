"""Layers only import downward (README, Development): core <- states <- audit <- auth <-
documents, questionnaires <- moderation, search <- admin, home, ops, demo, profiles. A lower layer that
must react to a higher one listens to a signal. Imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "coop_platform"
# The order written out here, not read from the product. `crypto` (keys, and the encryption of
# document files), `mail` (the outbox any domain writes to) and the module files at the
# package root that every layer uses (extensions) sit with core.
LAYER = {"core": 0, "crypto": 0, "extensions": 0, "mail": 0, "states": 1, "audit": 2, "auth": 3,
         "documents": 4, "questionnaires": 4, "moderation": 5, "search": 5, "admin": 6,
         "home": 6, "ops": 6, "demo": 6, "profiles": 6}
# The application factory and the model registry assemble every layer: they may import all.
ASSEMBLERS = {"__init__", "models"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "coop_platform" and len(parts) > 1:
                found.add(parts[1])
    return found


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        owner = relative.parts[0].removesuffix(".py")
        if owner in ASSEMBLERS:
            continue
        yield str(relative), owner, path


@pytest.mark.parametrize(("name", "owner", "path"), list(modules()),
                         ids=[m[0] for m in modules()])
def test_no_module_imports_a_higher_or_sibling_layer(name, owner, path):
    assert owner in LAYER, f"{name}: unknown layer {owner!r}; add it to the table"
    foundation = {p for p, level in LAYER.items() if level == 0}
    wrong = sorted(p for p in imported_packages(path) - {owner}
                   if p not in LAYER or LAYER[p] > LAYER[owner]
                   or (LAYER[p] == LAYER[owner] and owner not in foundation))
    assert not wrong, f"{name} ({owner}) imports {wrong}"
