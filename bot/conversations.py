"""Recent answers and the reply chains they belong to, so that a reply to an answer is
a follow-up of that answer's thread and a 👍 / 👎 knows what was answered.

Threads are keyed by (chat id, bot message id): two people replying to different answers
in one group never share context. Only the most recent answers are kept (least recently
used first out), in memory: after a restart a reply starts a new thread.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

MAX_ANSWERS_KEPT = 5_000
MAX_THREAD_QUESTIONS = 5  # the engine looks at the last few earlier questions only


@dataclass(frozen=True)
class AnsweredQuestion:
    """What the bot answered, as recorded with feedback."""

    answer_id: int
    chat_id: int
    question: str
    thread: tuple[str, ...]  # earlier questions of the reply chain, then this one
    answer_text: str
    doc_ids: tuple[str, ...]
    refused: bool


class RecentAnswers:
    """A bounded map of recent answers and the messages that carry them (used on the
    event loop only, so it needs no lock)."""

    def __init__(self, max_answers: int = MAX_ANSWERS_KEPT) -> None:
        self.max_answers = max_answers
        self._answers: OrderedDict[int, AnsweredQuestion] = OrderedDict()
        self._by_message: dict[tuple[int, int], int] = {}
        self._messages: dict[int, list[tuple[int, int]]] = {}

    def add(self, answered: AnsweredQuestion, message_ids: list[int]) -> None:
        self._answers[answered.answer_id] = answered
        keys = [(answered.chat_id, m) for m in message_ids]
        self._messages[answered.answer_id] = keys
        for key in keys:
            self._by_message[key] = answered.answer_id
        while len(self._answers) > self.max_answers:
            old_id, _ = self._answers.popitem(last=False)
            for key in self._messages.pop(old_id, []):
                if self._by_message.get(key) == old_id:
                    del self._by_message[key]

    def get(self, answer_id: int) -> AnsweredQuestion | None:
        answered = self._answers.get(answer_id)
        if answered is not None:
            self._answers.move_to_end(answer_id)
        return answered

    def replied_to(self, chat_id: int, message_id: int) -> AnsweredQuestion | None:
        """The answer a bot message belongs to, if it is still remembered."""
        answer_id = self._by_message.get((chat_id, message_id))
        return None if answer_id is None else self.get(answer_id)

    def __len__(self) -> int:
        return len(self._answers)


def thread_after(earlier: AnsweredQuestion | None, question: str) -> tuple[str, ...]:
    """The questions of a reply chain once question is added, capped in length."""
    previous = earlier.thread if earlier is not None else ()
    return (*previous, question)[-MAX_THREAD_QUESTIONS:]
