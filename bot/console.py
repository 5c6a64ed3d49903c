"""The question console: ``incident-bot ask`` on a terminal.

Line editing and a history kept across sessions (readline; the history file lives in
DATA_DIR), and the keys a shell user expects: an empty line does nothing, Ctrl-C clears
the line (or stops an answer), Ctrl-D quits. A question that opens with "and" or a
pronoun ("and in Idlib?", "who said it?" does not) is read with the questions before it,
as the Telegram bot reads a reply to an answer; ``/new`` starts over.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bot.conversations import MAX_THREAD_QUESTIONS
from retrieval import counted

log = logging.getLogger(__name__)

HISTORY_FILE = "console_history"
HISTORY_LENGTH = 1000
NEW_THREAD = "/new"
PROMPT = "? "
# The opening words that make a question lean on the one before it.
_FOLLOW_UP = re.compile(
    r"(?:and|it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those)\b", re.IGNORECASE
)


def is_follow_up(question: str) -> bool:
    """True when the question opens with "and" or a pronoun ("And in Idlib?", "Their source?")."""
    return bool(_FOLLOW_UP.match(question))


def _open_history(path: Path) -> ModuleType | None:
    """readline with the saved history loaded, or None where Python has no readline."""
    try:
        import readline
    except ImportError:
        return None
    readline.set_history_length(HISTORY_LENGTH)
    try:
        readline.read_history_file(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("could not read the console history %s: %s", path, e)
    return readline


def _save_history(readline: ModuleType, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
        os.chmod(path, 0o600)  # questions can be confidential
    except OSError as e:
        log.warning("could not save the console history %s: %s", path, e)


def run_console(answer: Callable[[str, list[str]], None], reports: int, history: Path) -> int:
    """Read questions until Ctrl-D; answer(question, previous) prints each answer."""
    readline = _open_history(history)
    print(
        f"{counted(reports, 'report')} indexed. Ask a question; one that starts with \"and\", \"it\", "
        f"\"they\"… follows up the one before, {NEW_THREAD} starts over. Ctrl-D quits."
    )
    thread: list[str] = []
    try:
        while True:
            try:
                question = input(PROMPT).strip()
            except KeyboardInterrupt:  # Ctrl-C: drop the line, ask again
                print()
                continue
            except EOFError:  # Ctrl-D
                print()
                return 0
            if not question:
                continue
            if question == NEW_THREAD:
                thread = []
                print("Starting over: the next question stands on its own.")
                continue
            previous = thread if is_follow_up(question) else []
            if previous:
                print(f"(a follow-up of: {previous[-1]})")
            try:
                answer(question, previous)
            except KeyboardInterrupt:
                print("\n(stopped)")
            thread = [*previous, question][-MAX_THREAD_QUESTIONS:]
    finally:
        if readline is not None:
            _save_history(readline, history)
