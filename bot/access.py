"""Who may use the bot, and which group messages are meant for it.

- Admins (BOT_ADMIN_IDS) may /reload, /stats and upload documents.
- With BOT_ALLOWED_CHAT_IDS set, the bot answers only in those chats (and in its admins'
  private chats, so an admin can always reach it); elsewhere it says once per chat that
  it is private and then stays silent.
- In groups it reacts only to messages addressed to it: its commands, a mention of its
  @username, or a reply to one of its own messages.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from telegram import Message, MessageEntity, User

from retrieval import Settings

MAX_CHATS_REMEMBERED = 10_000


def is_admin(settings: Settings, user: User | None) -> bool:
    return user is not None and user.id in settings.bot_admin_ids


def chat_allowed(settings: Settings, chat_id: int, user: User | None) -> bool:
    if not settings.bot_allowed_chat_ids or chat_id in settings.bot_allowed_chat_ids:
        return True
    return is_admin(settings, user) and user is not None and chat_id == user.id


def replies_to_bot(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


def mentions_bot(message: Message, bot_username: str) -> bool:
    wanted = f"@{bot_username}".lower()
    found = message.parse_entities([MessageEntity.MENTION]) if message.text else message.parse_caption_entities([MessageEntity.MENTION])
    return any(text.lower() == wanted for text in found.values())


def command_for_bot(message: Message, bot_username: str) -> bool:
    """Whether the message starts with /command or /command@<this bot>."""
    text = message.text or message.caption or ""
    if not text.startswith("/"):
        return False
    command = text.split(maxsplit=1)[0]
    _, at, target = command.partition("@")
    return not at or target.lower() == bot_username.lower()


def is_upload_caption(message: Message, bot_username: str) -> bool:
    """A group file is for the bot when its caption is /upload (or /upload@<this bot>)."""
    caption = message.caption or ""
    return command_for_bot(message, bot_username) and caption.split(maxsplit=1)[0].split("@")[0] == "/upload"


def addressed_to_bot(message: Message, bot_id: int, bot_username: str) -> bool:
    """Private messages always are; in groups, commands for it, mentions and replies."""
    if message.chat.type == "private":
        return True
    return (
        command_for_bot(message, bot_username)
        or mentions_bot(message, bot_username)
        or replies_to_bot(message, bot_id)
    )


def without_mention(text: str, bot_username: str) -> str:
    """The question in a message that mentions the bot: '@bot, how many…' -> 'how many…'."""
    text = re.sub(rf"(?<![\w@])@{re.escape(bot_username)}(?!\w)", " ", text, flags=re.IGNORECASE)
    return re.sub(r"[^\S\n]+", " ", text).strip().lstrip(",:;-–— ").strip()


def command_argument(text: str) -> str:
    """What follows '/ask' or '/ask@bot', line breaks kept."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


class PrivacyNotices:
    """The chats already told 'This bot is private.' (bounded, oldest forgotten first)."""

    def __init__(self, max_chats: int = MAX_CHATS_REMEMBERED) -> None:
        self.max_chats = max_chats
        self._told: OrderedDict[int, None] = OrderedDict()

    def first_time(self, chat_id: int) -> bool:
        """True once per chat: whether to send the notice now."""
        if chat_id in self._told:
            return False
        self._told[chat_id] = None
        if len(self._told) > self.max_chats:
            self._told.popitem(last=False)
        return True
