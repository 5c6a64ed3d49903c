"""The Telegram bot: ``incident-bot run`` starts it with ``run(settings)``.

It polls the Bot API at TELEGRAM_API_BASE_URL, answers questions through the engine,
and goes through a rate limiter that retries Telegram's flood-control errors. Read top to
bottom: the command lists, ``build_application`` (every handler the bot has, in the
order they are tried) and ``run``.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import handlers
from bot.access import is_upload_caption, mentions_bot
from bot.state import BotData
from retrieval import Engine, IndexMismatchError, Settings

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3  # retries of a request Telegram answered with "retry after" (429)

PUBLIC_COMMANDS = [
    BotCommand("start", "What I know and how to ask"),
    BotCommand("help", "What I know and how to ask"),
    BotCommand("ask", "Ask a question (in groups: /ask your question)"),
    BotCommand("sources", "List the indexed reports"),
]
ADMIN_COMMANDS = [
    BotCommand("reload", "Re-index the documents folder"),
    BotCommand("stats", "Reports, questions, feedback, uptime"),
    BotCommand("upload", "How to add a report (send it as a file)"),
]


class RedactToken(logging.Filter):
    """Replaces the bot token in log records (httpx and PTB log request URLs, which
    contain it). Attach it to handlers, so records from every logger pass through it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "<token>")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class UploadForTheBot(filters.MessageFilter):
    """A document meant for the bot: any in a private chat; in a group, one whose caption
    is /upload (or /upload@<this bot>) or mentions the bot. Other files shared in a group
    are not the bot's business."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == "private":
            return True
        username = message.get_bot().username
        return is_upload_caption(message, username) or mentions_bot(message, username)


async def _start_up(application: Application) -> None:
    """Registers the command lists and warns when anyone may query the documents."""
    settings = application.bot_data.settings
    application.bot_data.started_at = time.monotonic()
    bot = application.bot
    try:
        await bot.set_my_commands(PUBLIC_COMMANDS)
    except TelegramError as e:
        log.warning("could not register the command list: %s", e)
    for admin_id in sorted(settings.bot_admin_ids):
        try:
            await bot.set_my_commands(PUBLIC_COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id))
        except TelegramError as e:  # e.g. the admin has not started a chat with the bot yet
            log.warning("could not register the admin commands for user %s: %s", admin_id, e)
    if not settings.bot_allowed_chat_ids:
        log.warning(
            "BOT_ALLOWED_CHAT_IDS is empty: anyone who finds @%s can query the documents", bot.username
        )
    log.info("@%s is running; %d admin(s)", bot.username, len(settings.bot_admin_ids))


async def _shut_down(application: Application) -> None:
    """Closes the bot's state file."""
    await asyncio.to_thread(application.bot_data.feedback.close)


def build_application(settings: Settings, engine: Engine) -> Application:
    """The bot, wired to engine and to the Bot API at settings.telegram_api_base_url."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather")
    root = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                do_quote=True,
                allow_sending_without_reply=True,
            )
        )
        .context_types(ContextTypes(bot_data=BotData))
        .concurrent_updates(True)
        .post_init(_start_up)
        .post_shutdown(_shut_down)
        .build()
    )
    application.bot_data.bind(settings, engine)

    message = filters.UpdateType.MESSAGE  # edits of old messages are not new questions
    private = filters.ChatType.PRIVATE
    admin = filters.User(user_id=settings.bot_admin_ids, allow_empty=False)
    upload = message & filters.Document.ALL & UploadForTheBot()
    application.add_handler(TypeHandler(Update, handlers.enforce_allowlist), group=-1)
    application.add_handlers(
        [
            CommandHandler(["start", "help"], handlers.show_help, filters=message),
            CommandHandler("ask", handlers.ask_command, filters=message),
            CommandHandler("sources", handlers.list_sources, filters=message),
            CommandHandler("reload", handlers.reload_documents, filters=message & admin),
            CommandHandler("stats", handlers.show_stats, filters=message & admin),
            CommandHandler("upload", handlers.explain_upload, filters=message & admin),
            MessageHandler(upload & admin, handlers.receive_document),
            # the same actions from anyone else: "admins only", and nothing changes
            CommandHandler(["reload", "stats", "upload"], handlers.refuse_non_admin, filters=message),
            MessageHandler(upload, handlers.refuse_non_admin),
            MessageHandler(message & private & filters.TEXT & ~filters.COMMAND, handlers.answer_private_message),
            MessageHandler(message & filters.ChatType.GROUPS & filters.TEXT & ~filters.COMMAND, handlers.answer_group_message),
            MessageHandler(message & private & filters.COMMAND, handlers.unknown_command),
            MessageHandler(message & private & ~filters.StatusUpdate.ALL, handlers.ask_for_text),
            CallbackQueryHandler(handlers.record_feedback, pattern=handlers.FEEDBACK_DATA),
            CallbackQueryHandler(handlers.turn_sources_page, pattern=handlers.SOURCES_DATA),
        ]
    )
    application.add_error_handler(handlers.report_error)
    return application


def _log_progress(every_seconds: float = 10.0):
    """Ingest progress as a log line every few seconds (the bot has no terminal)."""
    last = [0.0]

    def report(done: int, expected: int) -> None:
        now = time.monotonic()
        if done < expected and now - last[0] < every_seconds:
            return
        last[0] = now
        log.info("indexing: %d of %d reports", done, expected)

    return report


def run(settings: Settings) -> int:
    """Start the bot and poll until interrupted (Ctrl-C, SIGTERM)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set; get a token from @BotFather")
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redact = RedactToken(settings.telegram_bot_token.get_secret_value())
    for handler in root.handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bot_log = logging.getLogger("bot")
    if bot_log.getEffectiveLevel() > logging.INFO:
        bot_log.setLevel(logging.INFO)  # one line per question and per admin action

    try:
        engine = Engine(settings)
    except (IndexMismatchError, ConnectionError) as e:
        raise SystemExit(f"incident-bot: {e}") from e
    try:
        if engine.stats()["reports"] == 0 or engine.is_stale():
            log.info("indexing %s", settings.documents_dir)
            summary = engine.ingest(progress=_log_progress())
            log.info("indexed %s: %s", settings.documents_dir, summary.line())
            for error in summary.errors:
                log.warning("skipped: %s", error)
        application = build_application(settings, engine)
        application.run_polling(allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY])
    finally:
        engine.close()
    return 0
