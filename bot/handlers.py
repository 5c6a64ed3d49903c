"""What the bot does for each thing a user does: one handler per action, and one error
handler. ``bot.app.build_application`` wires them up.

Handlers reach the engine and the bot's state through ``context.bot_data`` (a typed
``bot.state.BotData``) and run every blocking call (engine, SQLite, files) in a thread
with ``asyncio.to_thread``, so one slow answer or a long /reload never holds up other
chats; the engine's progress reaches the event loop with ``call_soon_threadsafe``. Who may run admin commands is decided in the handler wiring (``bot.app``), not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.access import addressed_to_bot, chat_allowed, command_argument, mentions_bot, replies_to_bot, without_mention
from bot.conversations import AnsweredQuestion, thread_after
from bot.state import BotContext
from bot.telegram_format import (
    answer_messages,
    as_plain_text,
    escape,
    help_message,
    ingest_message,
    sources_page,
    stats_message,
    upload_message,
)
from bot.uploads import UploadRejected, add_upload, check_before_download
from retrieval import SUPPORTED_SUFFIXES, IngestBusyError, human_size

log = logging.getLogger(__name__)

TYPING_REPEAT_SECONDS = 4.0  # Telegram shows "typing…" for about 5 s after each action
DOWNLOAD_TIMEOUT_SECONDS = 60  # an upload may be up to 20 MB
FEEDBACK_DATA = re.compile(r"^fb:(up|down):(\d+)$")
SOURCES_DATA = re.compile(r"^src:(\d+)$")

PRIVATE_BOT = "This bot is private."
ADMINS_ONLY = "Sorry, {what} is for admins only."
ADMIN_ACTIONS = {"reload": "/reload", "stats": "/stats"}  # anything else an admin does is adding documents
EMPTY_QUESTION = "Send me a question about the reports, e.g. <i>How many people were killed in western Aleppo?</i>"
ASK_USAGE = "Write your question after the command, e.g. <code>/ask How many people were displaced?</code>"
TOO_LONG = (
    "That message is {length} characters long; please keep questions under {limit} characters "
    "and ask about one thing at a time."
)
INDEX_BUSY = "A reload or upload is already running; try again when it has finished."
TEXT_ONLY = "I can only read text questions (and, from admins, documents). Send your question as a message."
UNKNOWN_COMMAND = "I don't know that command. Send your question as a message, or see /help."
UPLOAD_HOW = (
    "To add a report, send it to me as a file ({suffixes}; up to {limit}). "
    "I check it, store it in the documents folder and index it."
)
VOTE_THANKS = "Thanks for the feedback"
VOTE_TOO_OLD = "Sorry, that answer is too old to rate."
SOMETHING_WENT_WRONG = "Sorry, something went wrong while handling that. Please try again in a moment."


# sending ----------------------------------------------------------------------


async def reply_html(message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> Message:
    """Sends text as an HTML reply to message (HTML, quoting and no link previews are the
    application's ``Defaults``), or as plain text if Telegram refuses the HTML."""
    try:
        return await message.reply_text(text, reply_markup=reply_markup)
    except BadRequest as e:
        log.warning("Telegram refused an HTML message (%s); sending it as plain text", e.message)
        return await message.reply_text(as_plain_text(text), parse_mode=None, reply_markup=reply_markup)


@contextlib.asynccontextmanager
async def typing_shown(context: BotContext, message: Message) -> AsyncIterator[None]:
    """Shows "typing…" in the message's chat, repeated while the block runs."""
    done = asyncio.Event()
    thread_id = message.message_thread_id if message.is_topic_message else None

    async def keep_typing() -> None:
        while not done.is_set():
            try:
                await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING, message_thread_id=thread_id)
            except TelegramError as e:  # only cosmetic: never let it cost the answer
                log.debug("could not show typing in chat %s: %s", message.chat_id, e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), TYPING_REPEAT_SECONDS)

    # Not cancelled at the end: an action already on its way is let through, then it stops.
    context.application.create_task(keep_typing(), name=f"typing:{message.chat_id}:{message.message_id}")
    try:
        yield
    finally:
        done.set()


@contextlib.asynccontextmanager
async def progress_drafted(context: BotContext, message: Message) -> AsyncIterator[Callable[[str], None]]:
    """Shows what the engine is doing as a draft in a private chat ("Searching 985
    reports…"). Yields the callable the engine's thread reports to; the newest report is
    shown. Best effort: a refused draft ends the drafts of this answer and costs nothing
    else. The last draft has gone out when the block ends, so the answer sent next
    replaces it."""
    loop = asyncio.get_running_loop()
    latest = [""]
    changed = asyncio.Event()
    finished = False
    thread_id = message.message_thread_id if message.is_topic_message else None

    def take(text: str) -> None:
        if not finished:
            latest[0] = text
            changed.set()

    def report(text: str) -> None:  # called in the engine's thread
        loop.call_soon_threadsafe(take, text)

    async def show_latest() -> None:
        while True:
            await changed.wait()
            changed.clear()
            if finished:
                return
            try:
                await context.bot.send_message_draft(
                    message.chat_id, message.message_id, escape(latest[0]), message_thread_id=thread_id
                )
            except TelegramError as e:  # the rate limiter has already waited out any RetryAfter
                log.debug("could not show a draft in chat %s: %s", message.chat_id, e)
                return

    drafts = asyncio.create_task(show_latest(), name=f"drafts:{message.chat_id}:{message.message_id}")
    try:
        yield report
    finally:
        finished = True
        changed.set()
        await drafts


def feedback_keyboard(answer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[
            InlineKeyboardButton("👍", callback_data=f"fb:up:{answer_id}"),
            InlineKeyboardButton("👎", callback_data=f"fb:down:{answer_id}"),
        ]]
    )


def sources_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀ Prev", callback_data=f"src:{page - 1}"))
    if page < pages - 1:
        buttons.append(InlineKeyboardButton("Next ▶", callback_data=f"src:{page + 1}"))
    return InlineKeyboardMarkup([buttons]) if buttons else None


# access -------------------------------------------------------------------------


async def enforce_allowlist(update: Update, context: BotContext) -> None:
    """Stops updates from chats outside BOT_ALLOWED_CHAT_IDS; each such chat hears once that the bot is private."""
    settings = context.bot_data.settings
    if not settings.bot_allowed_chat_ids:
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat_allowed(settings, chat.id, user):
        return
    notices = context.bot_data.privacy_notices
    if update.callback_query is not None:
        await update.callback_query.answer(PRIVATE_BOT)
    elif (
        chat is not None
        and update.message is not None
        and addressed_to_bot(update.message, context.bot.id, context.bot.username)
        and notices.first_time(chat.id)
    ):
        await reply_html(update.message, PRIVATE_BOT)
    log.info("ignored an update from chat %s: not in BOT_ALLOWED_CHAT_IDS", chat.id if chat else None)
    raise ApplicationHandlerStop


# questions ----------------------------------------------------------------------


async def answer_question(update: Update, context: BotContext, question: str) -> None:
    """Replies with a cited answer and 👍 / 👎 buttons; a reply to an answer continues its thread."""
    message = update.effective_message
    state = context.bot_data
    settings, engine, answers, feedback = state.settings, state.engine, state.answers, state.feedback
    question = question.strip()
    if not question:
        await reply_html(message, EMPTY_QUESTION)
        return
    if len(question) > settings.max_question_chars:
        await reply_html(message, TOO_LONG.format(length=len(question), limit=settings.max_question_chars))
        return
    earlier = None
    if replies_to_bot(message, context.bot.id):
        earlier = answers.replied_to(message.chat_id, message.reply_to_message.message_id)
    previous = list(earlier.thread) if earlier is not None else []

    started = time.perf_counter()
    # Drafts exist in private chats only; there they also say what is being done.
    drafts = progress_drafted(context, message) if message.chat.type == ChatType.PRIVATE else contextlib.nullcontext()
    async with typing_shown(context, message), drafts as progress:
        async with state.engine_slots:
            answer = await asyncio.to_thread(engine.ask, question, previous, progress=progress)
        try:
            answer_id = await asyncio.to_thread(feedback.count_answer, answer.refused)
        except sqlite3.Error:
            # The answer matters more than the counter: send it without feedback buttons.
            log.exception("could not count the answer; sending it without feedback buttons")
            answer_id = None
    parts = answer_messages(answer)
    sent = []
    for number, part in enumerate(parts, start=1):
        buttons = feedback_keyboard(answer_id) if number == len(parts) and answer_id is not None else None
        sent.append(await reply_html(message, part, buttons))
    doc_ids = tuple(c.doc_id for c in answer.citations)
    answers.add(
        AnsweredQuestion(
            answer_id=answer_id,
            chat_id=message.chat_id,
            question=question,
            thread=thread_after(earlier, question),
            answer_text=answer.text,
            doc_ids=doc_ids,
            refused=answer.refused,
        ),
        [m.message_id for m in sent],
    )
    log.info(
        "answered chat=%s ms=%d refused=%s sources=%s follow_up=%s messages=%d",
        message.chat_id,
        (time.perf_counter() - started) * 1000,
        answer.refused,
        ",".join(doc_ids) or "-",
        bool(previous),
        len(sent),
    )


async def answer_private_message(update: Update, context: BotContext) -> None:
    """Answers any text sent in a private chat as a question."""
    await answer_question(update, context, update.effective_message.text)


async def answer_group_message(update: Update, context: BotContext) -> None:
    """Answers a group message that mentions the bot or replies to it; ignores the rest."""
    message = update.effective_message
    if mentions_bot(message, context.bot.username) or replies_to_bot(message, context.bot.id):
        await answer_question(update, context, without_mention(message.text, context.bot.username))


async def ask_command(update: Update, context: BotContext) -> None:
    """Answers the question written after /ask (or /ask@<bot>)."""
    message = update.effective_message
    question = without_mention(command_argument(message.text), context.bot.username)
    if not question:
        await reply_html(message, ASK_USAGE)
        return
    await answer_question(update, context, question)


async def show_help(update: Update, context: BotContext) -> None:
    """Explains what the bot knows (reports, sources, dates), how to ask it, its filters and
    commands (admins also see theirs)."""
    stats = await asyncio.to_thread(context.bot_data.engine.stats)
    in_group = update.effective_chat.type != ChatType.PRIVATE
    user = update.effective_user
    for_admin = user is not None and user.id in context.bot_data.settings.bot_admin_ids
    await reply_html(update.effective_message, help_message(stats, context.bot.username, in_group, for_admin))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Points a private chat's unknown /command to /help."""
    await reply_html(update.effective_message, UNKNOWN_COMMAND)


async def ask_for_text(update: Update, context: BotContext) -> None:
    """Asks for a text question when a private chat sends a photo, sticker or the like."""
    await reply_html(update.effective_message, TEXT_ONLY)


# sources and feedback -------------------------------------------------------------


async def list_sources(update: Update, context: BotContext) -> None:
    """Lists the indexed reports, ten a page, with Prev / Next buttons; "/sources
    source:SANA since:2016-10-01" (or "in October 2016") lists only those reports."""
    message = update.effective_message
    wanted = without_mention(command_argument(message.text or ""), context.bot.username)
    reports, described = await asyncio.to_thread(context.bot_data.engine.reports_matching, wanted)
    text, page, pages = sources_page(reports, 0, described)
    sent = await reply_html(message, text, sources_keyboard(page, pages))
    if described:
        context.bot_data.remember_source_filter(sent.chat_id, sent.message_id, wanted)


async def turn_sources_page(update: Update, context: BotContext) -> None:
    """Replaces the report list with the page the user asked for."""
    query = update.callback_query
    wanted = int(SOURCES_DATA.match(query.data).group(1))
    typed = context.bot_data.source_filters.get((query.message.chat_id, query.message.message_id), "")
    reports, described = await asyncio.to_thread(context.bot_data.engine.reports_matching, typed)
    text, page, pages = sources_page(reports, wanted, described)
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=sources_keyboard(page, pages))
    except BadRequest as e:
        if "not modified" not in e.message.lower():  # pressed twice: the page is already shown
            raise


async def record_feedback(update: Update, context: BotContext) -> None:
    """Records a 👍 / 👎 on an answer and thanks the user."""
    query = update.callback_query
    vote, answer_id = FEEDBACK_DATA.match(query.data).groups()
    answered = context.bot_data.answers.get(int(answer_id))
    if answered is None:
        await query.answer(VOTE_TOO_OLD)
        return
    await asyncio.to_thread(context.bot_data.feedback.record_vote, answered, query.from_user.id, vote)
    log.info("feedback chat=%s answer=%s vote=%s", answered.chat_id, answered.answer_id, vote)
    await query.answer(VOTE_THANKS)


# admins ---------------------------------------------------------------------------


async def refuse_non_admin(update: Update, context: BotContext) -> None:
    """Tells someone who is not an admin that the command or upload is for admins only."""
    message = update.effective_message
    command = (message.text or "").split(maxsplit=1)[0].lstrip("/").split("@")[0] if message.text else ""
    what = ADMIN_ACTIONS.get(command, "adding documents")
    log.info("refused %s to user=%s: not an admin", what, update.effective_user and update.effective_user.id)
    await reply_html(message, ADMINS_ONLY.format(what=what))


async def free_index_lock(context: BotContext, message: Message) -> asyncio.Lock | None:
    """The lock that keeps reloads and uploads one at a time, or None (and a reply) if busy."""
    lock = context.bot_data.index_lock
    if lock.locked():
        await reply_html(message, INDEX_BUSY)
        return None
    return lock


async def reload_documents(update: Update, context: BotContext) -> None:
    """Re-indexes DOCUMENTS_DIR for an admin and replies with what changed."""
    message = update.effective_message
    lock = await free_index_lock(context, message)
    if lock is None:
        return
    async with lock:
        await reply_html(message, "Re-indexing the documents folder…")
        try:
            summary = await asyncio.to_thread(context.bot_data.engine.ingest)
        except IngestBusyError:
            await reply_html(message, "Another ingest (e.g. <code>incident-bot ingest</code>) is running; try again when it has finished.")
            return
    log.info("reload by user=%s: %s", update.effective_user.id, summary.line())
    await reply_html(message, ingest_message(summary, "Reload finished"))


async def show_stats(update: Update, context: BotContext) -> None:
    """Shows an admin the index size, questions answered, refusals, feedback and uptime."""
    state = context.bot_data
    stats = await asyncio.to_thread(state.engine.stats)
    counts = await asyncio.to_thread(state.feedback.counts)
    uptime = time.monotonic() - state.started_at
    await reply_html(update.effective_message, stats_message(stats, counts, uptime))


async def explain_upload(update: Update, context: BotContext) -> None:
    """Tells an admin how to add a report (send the file)."""
    limit = human_size(context.bot_data.settings.max_upload_bytes)
    await reply_html(update.effective_message, UPLOAD_HOW.format(suffixes=" ".join(SUPPORTED_SUFFIXES), limit=limit))


async def receive_document(update: Update, context: BotContext) -> None:
    """Stores a document an admin sends in DOCUMENTS_DIR, indexes it and says what was added."""
    message = update.effective_message
    settings = context.bot_data.settings
    document = message.document
    try:
        name = check_before_download(document.file_name, document.file_size, settings.max_upload_bytes)
    except UploadRejected as e:
        await reply_html(message, f"Could not add the file: {escape(str(e))}. Nothing was changed.")
        return
    lock = await free_index_lock(context, message)
    if lock is None:
        return
    async with lock:
        file = await document.get_file()
        data = await file.download_as_bytearray(read_timeout=DOWNLOAD_TIMEOUT_SECONDS)
        try:
            upload = await asyncio.to_thread(
                add_upload, context.bot_data.engine, settings.documents_dir, name, bytes(data), settings.max_upload_bytes
            )
        except UploadRejected as e:
            log.info("upload %s by user=%s refused: %s", name, update.effective_user.id, e)
            await reply_html(message, f"Could not add {escape(name)}: {escape(str(e))}. Nothing was changed.")
            return
    log.info("upload %s by user=%s: %s", name, update.effective_user.id, upload.summary.line())
    await reply_html(message, upload_message(upload.name, upload.reports, upload.summary, upload.already_present))


# errors ---------------------------------------------------------------------------


async def report_error(update: object, context: BotContext) -> None:
    """Logs the error with its traceback and tells the user, briefly, that it failed."""
    if update is None and isinstance(context.error, NetworkError):
        # polling hiccups: PTB retries getUpdates by itself
        log.warning("network error while polling Telegram: %s", context.error)
        return
    log.error("error while handling update %s", getattr(update, "update_id", None), exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(SOMETHING_WENT_WRONG)
        elif update.effective_message is not None:
            await reply_html(update.effective_message, SOMETHING_WENT_WRONG)
    except TelegramError:
        log.warning("could not tell chat %s about the error", update.effective_chat and update.effective_chat.id, exc_info=True)
