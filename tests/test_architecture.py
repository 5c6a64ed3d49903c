"""The folder layout is the architecture: these import rules keep it so.

- ``retrieval.index`` (documents in, search out) never imports ``retrieval.answer``;
- ``retrieval`` never imports ``bot`` (the engine works without Telegram);
- ``bot`` uses the engine only through the public API that ``retrieval`` exports.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def imports_of(package: str) -> dict[str, set[str]]:
    """Module file -> every module it imports (absolute names), read from the source."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / package.replace(".", "/")).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
        found[str(path.relative_to(REPO_ROOT))] = names
    return found


def offenders(package: str, forbidden: str) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, names in imports_of(package).items()
        for name in sorted(names)
        if name == forbidden or name.startswith(forbidden + ".")
    ]


def test_the_index_never_imports_the_answer_step():
    assert offenders("retrieval.index", "retrieval.answer") == []


def test_the_engine_never_imports_the_bot():
    assert offenders("retrieval", "bot") == []


def test_the_bot_uses_only_the_public_api_of_the_engine():
    reached_inside = [
        f"{module} imports {name}"
        for module, names in imports_of("bot").items()
        for name in sorted(names)
        if name.startswith("retrieval.") and name.removeprefix("retrieval.") not in _public_names()
    ]
    assert reached_inside == []


def _public_names() -> set[str]:
    import retrieval

    return set(retrieval.__all__)


@pytest.mark.parametrize("name", sorted(_public_names()))
def test_every_public_name_resolves(name: str):
    assert getattr(importlib.import_module("retrieval"), name) is not None
