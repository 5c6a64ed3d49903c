"""A fresh install answers with the network cut off: no model, tokenizer or BPE file may
be fetched at run time, and no cache from an earlier download may be what makes it work.

Two ways of cutting the network, each a test id:
- ``netns``: the commands run in a new, empty network namespace (``unshare``); nothing
  can reach the network, Python or native code. Only where ``unshare -n`` works.
- ``socket-guard``: a ``sitecustomize`` first on PYTHONPATH makes every non-Unix socket
  connect and every name lookup from Python fail, and records the attempt. Always runs;
  native code (Rust, C++) opening its own sockets is only caught by ``netns``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import SEED_DIR, SEED_ID, clean_env, cli

QUESTION = "How many children were killed in western Aleppo?"

SITECUSTOMIZE = textwrap.dedent(
    '''
    """Test guard: no network from Python. Attempts are refused and written to $NETWORK_GUARD_LOG."""
    import os
    import socket

    _LOG = os.environ.get("NETWORK_GUARD_LOG")


    def _refuse(what, target):
        if _LOG:
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"{what} {target!r}\\n")
        raise OSError(f"network disabled by the test guard: {what} {target!r}")


    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex


    def connect(self, address):
        if self.family == socket.AF_UNIX:
            return _connect(self, address)
        _refuse("connect", address)


    def connect_ex(self, address):
        if self.family == socket.AF_UNIX:
            return _connect_ex(self, address)
        _refuse("connect_ex", address)


    def getaddrinfo(host, *args, **kwargs):
        _refuse("getaddrinfo", host)


    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo
    '''
)

# Where downloaded models and BPE files would be cached: a previous download must not count.
CACHE_ENV = (
    "XDG_CACHE_HOME",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE",
    "SENTENCE_TRANSFORMERS_HOME",
    "DATA_GYM_CACHE_DIR",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
)


def _unshare_prefix() -> list[str] | None:
    """The command that runs another in an empty network namespace here, if any."""
    if shutil.which("unshare") is None:
        return None
    candidates = [["unshare", "-n"], ["unshare", "-rn"]] if os.geteuid() == 0 else [["unshare", "-rn"]]
    for prefix in candidates:
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return None


UNSHARE = _unshare_prefix()
CUTS = (["netns"] if UNSHARE else []) + ["socket-guard"]


@pytest.fixture(params=CUTS)
def offline(request, tmp_path: Path):
    """(command prefix, environment, guard log) for running the CLI with no network."""
    home = tmp_path / "home"
    home.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = clean_env(
        DATA_DIR=str(tmp_path / "data"),
        DOCUMENTS_DIR=str(SEED_DIR),
        HOME=str(home),
        TMPDIR=str(scratch),  # tiktoken caches downloads under the temp folder
        TIKTOKEN_CACHE_DIR=str(tmp_path / "tiktoken-cache"),
    )
    for name in CACHE_ENV:
        env.pop(name, None)
    log = tmp_path / "network-attempts.log"
    if request.param == "netns":
        return list(UNSHARE), env, None
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env["PYTHONPATH"] = os.pathsep.join([str(guard), *filter(None, [env.get("PYTHONPATH")])])
    env["NETWORK_GUARD_LOG"] = str(log)
    return [], env, log


def run(prefix: list[str], command: list[str], env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *command], cwd=cwd, env=env, capture_output=True, text=True, timeout=180)


def test_the_network_really_is_cut(offline, tmp_path):
    prefix, env, _ = offline
    probe = run(
        prefix,
        [sys.executable, "-c", "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"],
        env,
        tmp_path,
    )
    assert probe.returncode != 0
    assert "OSError" in probe.stderr or "Error" in probe.stderr


@pytest.mark.slow
def test_ingest_and_ask_work_with_no_network(offline, tmp_path):
    prefix, env, log = offline

    ingest = run(prefix, cli("ingest", "--json", str(SEED_DIR)), env, tmp_path)

    assert ingest.returncode == 0, ingest.stderr
    assert json.loads(ingest.stdout)["added"] == [SEED_ID]

    asked = run(prefix, cli("ask", "--json", QUESTION), env, tmp_path)

    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout.strip().splitlines()[-1])
    assert answer["refused"] is False
    assert any(c["doc_id"] == SEED_ID and "17 children" in c["quote"] for c in answer["citations"]), answer
    if log is not None:
        attempts = log.read_text(encoding="utf-8") if log.exists() else ""
        assert attempts == "", f"the product tried to reach the network:\n{attempts}"
