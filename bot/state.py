"""What the bot keeps while it runs, typed: ``context.bot_data`` is a ``BotData``
(python-telegram-bot's ``ContextTypes``), so handlers read ``context.bot_data.engine``
instead of string keys."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from telegram.ext import CallbackContext, ExtBot

from bot.access import PrivacyNotices
from bot.conversations import RecentAnswers
from bot.feedback_store import FeedbackStore
from retrieval import Engine, Settings

# Answering is CPU-bound: more at once only slows each down, and leaving the rest of the
# default thread pool free keeps quick calls (SQLite, stats) from queueing behind answers.
ENGINE_CONCURRENCY = 4
MAX_LISTINGS_REMEMBERED = 1_000


@dataclass
class BotData:
    """Shared by every handler. PTB creates it empty; ``build_application`` binds the
    engine, the settings and the feedback store before the bot starts."""

    engine: Engine = field(init=False)
    settings: Settings = field(init=False)
    feedback: FeedbackStore = field(init=False)
    answers: RecentAnswers = field(default_factory=RecentAnswers)
    index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one /reload or upload at a time
    engine_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(ENGINE_CONCURRENCY))
    privacy_notices: PrivacyNotices = field(default_factory=PrivacyNotices)
    # The filter each /sources listing was asked with, so its pages turn within it.
    source_filters: OrderedDict[tuple[int, int], str] = field(default_factory=OrderedDict)
    started_at: float = field(default_factory=time.monotonic)

    def remember_source_filter(self, chat_id: int, message_id: int, text: str) -> None:
        self.source_filters[(chat_id, message_id)] = text
        while len(self.source_filters) > MAX_LISTINGS_REMEMBERED:
            self.source_filters.popitem(last=False)

    def bind(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.feedback = FeedbackStore(settings.state_dir / "feedback.sqlite3")


BotContext = CallbackContext[ExtBot, dict, dict, BotData]
