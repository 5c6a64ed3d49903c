"""The folder layout is the architecture: these import rules keep it so.

- ``retrieval.index`` (documents in, search out) never imports ``retrieval.answer``;
- ``retrieval`` never imports ``bot`` (the engine works without Telegram);
- ``bot`` uses the engine only through the public API that ``retrieval`` exports;
- every step of the answer pipeline takes a dataclass and returns one.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import typing
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


def _answer_steps() -> list[type]:
    """The classes of ``retrieval.answer`` with a ``run`` method: the pipeline's steps."""
    import retrieval.answer

    steps = []
    for module in pkgutil.walk_packages(retrieval.answer.__path__, "retrieval.answer."):
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if cls.__module__ == module.name and callable(getattr(cls, "run", None)):
                steps.append(cls)
    return steps


def test_the_answer_pipeline_has_its_steps():
    names = {cls.__name__ for cls in _answer_steps()}
    assert {"QuestionReader", "Retrieve", "Windows", "Compose", "Verify", "Shape"} <= names


@pytest.mark.parametrize("step", _answer_steps(), ids=lambda cls: cls.__name__)
def test_every_answer_step_takes_a_dataclass_and_returns_one(step):
    hints = typing.get_type_hints(step.run)
    returned = hints.pop("return")
    taken = [t for name, t in hints.items() if name != "progress"]
    assert taken and all(dataclasses.is_dataclass(t) for t in taken), (step.__name__, taken)
    assert dataclasses.is_dataclass(returned), (step.__name__, returned)


def test_every_package_of_the_code_ships_in_the_wheel():
    """setuptools lists packages by name: a new subpackage left out of pyproject.toml
    would be missing from an installed wheel."""
    import tomllib

    listed = set(tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(REPO_ROOT).parts) for top in ("bot", "retrieval") for p in (REPO_ROOT / top).rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
