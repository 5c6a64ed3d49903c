"""The Telegram bot: ``incident-bot run`` starts it with ``run(settings)``.

It polls the Bot API at TELEGRAM_API_BASE_URL (or, with WEBHOOK_URL set, has Telegram
post updates to its webhook), answers questions through the engine, and goes through a
rate limiter that retries Telegram's flood-control errors. Read top to bottom: the
command lists, ``build_application`` (every handler the bot has, in the order they are
tried) and ``run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import signal
import time
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
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
from retrieval import Engine, IndexMismatchError, Settings, check_llm_settings

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3  # retries of a request Telegram answered with "retry after" (429)
CONNECT_FIRST_WAIT_SECONDS = 1.0  # then 2, 4 ... while the Bot API cannot be reached at start
CONNECT_LONGEST_WAIT_SECONDS = 60.0
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

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


class StartupError(Exception):
    """The bot cannot start as configured; the message is one line naming the setting and the fix."""


class OneLineErrors(logging.Filter):
    """Logs network and configuration errors (Telegram's, sockets') as one line, without
    their traceback; ``incident-bot -v`` keeps tracebacks. Other errors are bugs: their
    tracebacks stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (TelegramError, OSError)):
            record.msg, record.args = f"{record.getMessage()} ({type(error).__name__}: {error})", None
            record.exc_info, record.exc_text = None, None
        return True


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


def run(settings: Settings, verbose: bool = False) -> int:
    """Start the bot and take updates until interrupted (Ctrl-C, SIGTERM): by polling the
    Bot API, or through a webhook when WEBHOOK_URL is set.

    Raises LLMConfigError or StartupError (one line naming the setting and the fix) when the
    settings cannot work; a Bot API that cannot be reached is tried again until it answers.
    """
    if settings.telegram_bot_token is None:
        raise StartupError("set TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot; `incident-bot ask` works without it")
    check_llm_settings(settings)
    _set_up_logging(settings.telegram_bot_token.get_secret_value(), verbose)
    try:
        engine = Engine(settings)
    except (IndexMismatchError, ConnectionError, ValueError) as e:
        raise StartupError(str(e)) from e
    try:
        application = build_application(settings, engine)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # run_polling / run_webhook go on with this loop
        if not _run_until_signal(loop, _connect(application, settings.telegram_api_base_url)):
            log.info("stopped before the Bot API answered")
            loop.close()
            return 0
        try:
            if engine.stats()["reports"] == 0 or engine.is_stale():
                log.info("indexing %s", settings.documents_dir)
                summary = engine.ingest(progress=_log_progress())
                log.info("indexed %s: %s", settings.documents_dir, summary.line())
                for error in summary.errors:
                    log.warning("skipped: %s", error)
        except BaseException:
            loop.run_until_complete(application.shutdown())
            loop.close()
            raise
        _take_updates(application, settings)
    finally:
        engine.close()
    return 0


def _set_up_logging(token: str, verbose: bool) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if not verbose:
            handler.addFilter(OneLineErrors())
        handler.addFilter(RedactToken(token))  # after OneLineErrors, which adds the error's text
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bot_log = logging.getLogger("bot")
    if bot_log.getEffectiveLevel() > logging.INFO:
        bot_log.setLevel(logging.INFO)  # one line per question and per admin action


def _run_until_signal(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, None]) -> bool:
    """Runs coroutine on loop; Ctrl-C or SIGTERM stops it cleanly (False) rather than with a
    traceback. run_polling / run_webhook install their own handlers afterwards."""
    task = loop.create_task(coroutine)
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    with contextlib.suppress(NotImplementedError):  # event loops without signal handlers
        for stop_signal in stop_signals:
            loop.add_signal_handler(stop_signal, task.cancel)
    try:
        loop.run_until_complete(task)
        return True
    except asyncio.CancelledError:
        return False
    finally:
        with contextlib.suppress(NotImplementedError):
            for stop_signal in stop_signals:
                loop.remove_signal_handler(stop_signal)


async def _connect(application: Application, root: str) -> None:
    """Initializes the application (getMe), trying again with exponential backoff while the
    Bot API cannot be reached; StartupError if it refuses the token."""
    wait = CONNECT_FIRST_WAIT_SECONDS
    for attempt in itertools.count(1):
        try:
            await application.initialize()
            return
        except InvalidToken as e:  # its message holds the token: not repeated here
            raise StartupError(
                f"the Bot API at {root} refused TELEGRAM_BOT_TOKEN (getMe answered 401 or 404): copy the token "
                "from @BotFather again, and check TELEGRAM_API_BASE_URL if you run your own Bot API server"
            ) from e
        except RetryAfter as e:
            after, problem = e.retry_after, e.message
            delay = after.total_seconds() if isinstance(after, timedelta) else float(after)
        except NetworkError as e:  # unreachable, timed out, 5xx
            delay, wait, problem = wait, min(wait * 2, CONNECT_LONGEST_WAIT_SECONDS), e.message
        except TelegramError as e:
            raise StartupError(f"the Bot API at {root} (TELEGRAM_API_BASE_URL) answered getMe with an error: {e.message}") from e
        log.warning(
            "cannot reach the Telegram Bot API at %s (TELEGRAM_API_BASE_URL), try %d: %s; trying again in %.0f s",
            root, attempt, problem, delay,
        )
        await asyncio.sleep(delay)


def _take_updates(application: Application, settings: Settings) -> None:
    """Polls the Bot API, or with WEBHOOK_URL set, has Telegram post updates to a web server
    on WEBHOOK_LISTEN:WEBHOOK_PORT (the path is WEBHOOK_URL's), until Ctrl-C or SIGTERM."""
    if not settings.webhook_url:
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
        return
    # Without a configured secret, a new one each start: only Telegram, told by setWebhook, knows it.
    secret = settings.webhook_secret_token or SecretStr(secrets.token_urlsafe(32))
    try:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path,
            webhook_url=settings.webhook_url,
            secret_token=secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )
    except OSError as e:
        raise StartupError(
            f"cannot listen for the webhook on {settings.webhook_listen}:{settings.webhook_port} ({e.strerror or e}); "
            "change WEBHOOK_LISTEN or WEBHOOK_PORT"
        ) from e
    except TelegramError as e:
        raise StartupError(
            f"Telegram refused WEBHOOK_URL={settings.webhook_url} ({e.message}); it must be a public https:// "
            "address on port 443, 80, 88 or 8443 that reaches WEBHOOK_PORT"
        ) from e
