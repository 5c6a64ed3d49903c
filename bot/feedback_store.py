"""The bot's own state in SETTINGS.state_dir/feedback.sqlite3: 👍 / 👎 votes with what
was answered, and the counters /stats shows.

Questions are not logged: a question, its answer and the cited report ids are stored only
when someone votes on that answer. The methods block (SQLite); handlers call them through
``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.conversations import AnsweredQuestion

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    doc_ids TEXT NOT NULL,
    refused INTEGER NOT NULL,
    voted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (answer_id, user_id)
);
"""

VOTES = ("up", "down")


@dataclass(frozen=True)
class Vote:
    answer_id: int
    user_id: int
    chat_id: int
    vote: str
    question: str
    answer: str
    doc_ids: list[str]
    refused: bool
    voted_at: str


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def _bump(self, name: str) -> int:
        row = self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1)"
            " ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return int(row[0])

    def count_answer(self, refused: bool) -> int:
        """Count one answered question; returns its answer id, unique across restarts
        (so a button under an old answer never rates a newer one)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                answer_id = self._bump("questions")
                if refused:
                    self._bump("refusals")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return answer_id

    def record_vote(self, answered: AnsweredQuestion, user_id: int, vote: str) -> None:
        """One vote per person and answer; voting again replaces the earlier vote."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO feedback (answer_id, user_id, chat_id, vote, question, answer, doc_ids, refused)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    answered.answer_id,
                    user_id,
                    answered.chat_id,
                    vote,
                    answered.question,
                    answered.answer_text,
                    json.dumps(list(answered.doc_ids)),
                    int(answered.refused),
                ),
            )

    def counts(self) -> dict[str, int]:
        """questions, refusals, up, down: everything since the state folder was created."""
        with self._lock:
            counters = dict(self._db.execute("SELECT name, value FROM counters").fetchall())
            votes = dict(self._db.execute("SELECT vote, COUNT(*) FROM feedback GROUP BY vote").fetchall())
        return {
            "questions": counters.get("questions", 0),
            "refusals": counters.get("refusals", 0),
            "up": votes.get("up", 0),
            "down": votes.get("down", 0),
        }

    def votes(self) -> list[Vote]:
        """Every recorded vote, oldest first (for review and export)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT answer_id, user_id, chat_id, vote, question, answer, doc_ids, refused, voted_at"
                " FROM feedback ORDER BY voted_at, answer_id"
            ).fetchall()
        return [Vote(*row[:6], json.loads(row[6]), bool(row[7]), row[8]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
