"""A wheel of the project, installed outside the checkout, works from any directory:
its prompts, default settings and seed documents ship inside it, and it keeps its index
and documents in the user data folder, not in the directory it is run from."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, clean_env

SEED_QUESTION = "How many children have been killed in western Aleppo since the offensive began?"


def wheel_env(**overrides: str) -> dict[str, str]:
    """clean_env without PYTHONPATH: a checkout on it would be imported instead of the wheel."""
    env = clean_env(**overrides)
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with only the built wheel of incident-bot installed.
    Its dependencies come from the test environment's site-packages, added as a plain
    path: that folder's .pth files (among them the checkout's editable install) are not
    read, so the product can only be found in the wheel."""
    root = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(root), str(REPO_ROOT)],
        capture_output=True,
        text=True,
        env=wheel_env(),
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = root.glob("incident_bot-*.whl")
    environment = root / "venv"
    venv.create(environment, with_pip=False)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(environment / "bin" / "python"), "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        env=wheel_env(),
    )
    assert installed.returncode == 0, installed.stderr
    # Only now: pip would take the editable install found there for this wheel, and skip it.
    packages = next(environment.glob("lib/python*/site-packages"))
    (packages / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return environment


def run(environment: Path, cwd: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    """The installed command, with home as the user's home (and so its data folder)."""
    return subprocess.run(
        [str(environment / "bin" / "incident-bot"), *args],
        cwd=cwd,
        env=wheel_env(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share")),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_an_installed_wheel_indexes_its_seed_and_answers_from_another_directory(installed_wheel: Path, tmp_path: Path):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    located = subprocess.run(
        [str(installed_wheel / "bin" / "python"), "-c", "import retrieval; print(retrieval.__file__)"],
        cwd=work,
        env=wheel_env(),
        capture_output=True,
        text=True,
    )
    assert str(installed_wheel) in located.stdout, "the product was imported from outside the wheel"

    shown = run(installed_wheel, work, "--version", home=home)
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert shown.stdout.strip() == f"incident-bot {project['version']}"

    ingested = run(installed_wheel, work, "ingest", "--json", home=home)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["added"] == ["000_4690d2a678555c89"]

    asked = run(installed_wheel, work, "ask", "--json", SEED_QUESTION, home=home)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"]
    assert "17 children" in " ".join(c["quote"] for c in answer["citations"])

    assert list(work.iterdir()) == [], "the command created files where it was run"
    data = home / ".local" / "share" / "incident-bot"
    assert (data / "documents" / "000_4690d2a678555c89.txt").is_file()
    assert (data / "index").is_dir()
