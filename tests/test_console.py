"""The question console, driven as a person would: the real command on a pseudo-terminal,
typing lines and control keys."""

from __future__ import annotations

import shutil
from pathlib import Path

import pexpect
import pytest

from tests.conftest import SEED_DIR, clean_env, cli

PROMPT = r"\n\? "
QUESTION = "How many children were killed in western Aleppo?"
FOLLOW_UP_MARK = "(a follow-up of:"


@pytest.fixture
def console_env(tmp_path: Path) -> dict[str, str]:
    docs = tmp_path / "docs"
    shutil.copytree(SEED_DIR, docs)
    return clean_env(DATA_DIR=str(tmp_path / "data"), DOCUMENTS_DIR=str(docs), TERM="xterm")


def open_console(env: dict[str, str], cwd: Path) -> pexpect.spawn:
    command, *args = cli("ask")
    console = pexpect.spawn(command, args, env=env, cwd=str(cwd), encoding="utf-8", timeout=180, dimensions=(40, 200))
    console.expect("1 report indexed")  # "1 reports" no more
    console.expect(PROMPT)
    return console


def ask(console: pexpect.spawn, line: str) -> str:
    """Type a line; what the console printed before its next prompt."""
    console.sendline(line)
    console.expect(PROMPT)
    return console.before


def test_console_keys_follow_ups_and_history(console_env, tmp_path):
    console = open_console(console_env, tmp_path)

    # An empty line does nothing: the console asks again.
    assert "Sources" not in ask(console, "")
    assert console.isalive()

    # Ctrl-C drops what was typed; the next line is asked on its own.
    console.send("half a question about Hama")
    console.expect("about Hama")  # seen on the screen, as a person would before pressing Ctrl-C
    console.sendcontrol("c")
    console.expect(PROMPT)
    answered = ask(console, QUESTION)
    assert "17 children" in answered and FOLLOW_UP_MARK not in answered

    # A question opening with "and" or a pronoun follows up the one before.
    follow_up = ask(console, "And who gave that figure?")
    assert f"{FOLLOW_UP_MARK} {QUESTION})" in follow_up
    assert "Syrian Observatory" in follow_up
    also = ask(console, "Their source is named?")
    assert f"{FOLLOW_UP_MARK} And who gave that figure?)" in also

    # /new starts over.
    assert "Starting over" in ask(console, "/new")
    assert FOLLOW_UP_MARK not in ask(console, "Those children were killed where?")
    assert FOLLOW_UP_MARK not in ask(console, "Who counted the dead?")

    # Ctrl-D quits.
    console.sendcontrol("d")
    console.expect(pexpect.EOF)
    console.close()
    assert console.exitstatus == 0

    history = (tmp_path / "data" / "console_history").read_text(encoding="utf-8").splitlines()
    assert history == [
        QUESTION,
        "And who gave that figure?",
        "Their source is named?",
        "/new",
        "Those children were killed where?",
        "Who counted the dead?",
    ]

    # The next session has the history: the up arrow brings back the last question.
    again = open_console(console_env, tmp_path)
    again.send("\x1b[A\x1b[A\r")
    again.expect(PROMPT)
    assert "Those children were killed where?" in again.before
    assert "Sources" in again.before or "do not" in again.before or "don't" in again.before
    again.sendcontrol("d")
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 0
