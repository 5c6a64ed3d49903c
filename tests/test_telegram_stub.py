"""The Bot API stand-in, driven by a real python-telegram-bot Application over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.telegram_stub import Chat, EntityParseError, TelegramStub, User, parse_html

TOKEN = "123:ABC"
BOT_NAME = "incident_test_bot"
ANN = User(11, "Ann", "ann")
BOB = User(12, "Bob")
OPS_GROUP = Chat(-1001, "supergroup", "Ops")


@contextlib.asynccontextmanager
async def running_bot(
    stub: TelegramStub, *handlers: BaseHandler, max_retries: int = 0
) -> AsyncIterator[Application]:
    """A polling Application configured the way incident-bot runs, pointed at ``stub``."""
    app = (
        ApplicationBuilder()
        .token(stub.token)
        .base_url(f"{stub.root}/bot")
        .base_file_url(f"{stub.root}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=max_retries))
        .concurrent_updates(True)
        .build()
    )
    app.add_handlers(handlers)
    await app.initialize()
    await app.updater.start_polling()
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@contextlib.asynccontextmanager
async def bot_client(stub: TelegramStub) -> AsyncIterator[Bot]:
    """A bare ``Bot`` on ``stub``, for tests of single API calls that need no polling."""
    async with Bot(stub.token, base_url=f"{stub.root}/bot") as bot:
        yield bot


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows typing, then quotes the user's text back in HTML."""
    await update.effective_chat.send_action(ChatAction.TYPING)
    reply = await update.message.reply_text(
        f"<b>You said:</b> {html.escape(update.message.text)}",
        parse_mode=ParseMode.HTML,
        do_quote=True,
    )
    context.bot_data.setdefault("replies", asyncio.Queue()).put_nowait(reply)


ECHO = MessageHandler(filters.TEXT & ~filters.COMMAND, echo)


@pytest.mark.asyncio
async def test_a_text_message_gets_an_html_reply_quoting_it() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(stub, ECHO) as app:
        question = stub.send_text(Chat(ANN.id), ANN, "Was <the> dam breached & when?")

        [answer] = await stub.wait_for_messages(chat_id=ANN.id)

        assert answer["reply_to_message_id"] == question["message_id"]
        assert answer["parse_mode"] == "HTML"
        assert answer["text"] == "<b>You said:</b> Was &lt;the&gt; dam breached &amp; when?"
        assert answer["message"]["text"] == "You said: Was <the> dam breached & when?"
        assert answer["message"]["entities"] == [{"type": "bold", "offset": 0, "length": 9}]
        assert stub.chat_actions == [{"chat_id": ANN.id, "action": "typing"}]
        replies = app.bot_data.setdefault("replies", asyncio.Queue())
        reply = await asyncio.wait_for(replies.get(), 5)
        assert reply.message_id == answer["message_id"] != question["message_id"]
        assert reply.from_user.username == BOT_NAME
        assert reply.reply_to_message.message_id == question["message_id"]
        assert reply.text_html == answer["text"]


@pytest.mark.asyncio
async def test_group_commands_and_mentions_carry_the_entities_ptb_filters_need() -> None:
    handled = asyncio.Event()
    seen: list[int] = []

    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers /ask with the question it understood."""
        await update.message.reply_text(f"ask: {' '.join(context.args)}")

    async def mentioned(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answers a message that mentions the bot."""
        await update.message.reply_text("mentioned")

    async def count(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Notes that every handler of this update has finished."""
        seen.append(update.update_id)
        if len(seen) == 4:
            handled.set()

    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(
        stub,
        CommandHandler("ask", ask),
        MessageHandler(filters.Mention(BOT_NAME), mentioned),
    ) as app:
        app.add_handler(MessageHandler(filters.ALL, count), group=1)
        command = stub.send_text(OPS_GROUP, ANN, f"/ask@{BOT_NAME} how many displaced?")
        stub.send_text(OPS_GROUP, BOB, "/ask@some_other_bot not for us")
        stub.send_text(OPS_GROUP, BOB, "chatting among ourselves")
        mention = stub.send_text(OPS_GROUP, BOB, f"hey @{BOT_NAME} status?")
        await asyncio.wait_for(handled.wait(), 10)

    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert mention["entities"] == [{"type": "mention", "offset": 4, "length": 18}]
    assert sorted(m["text"] for m in stub.sent) == ["ask: how many displaced?", "mentioned"]
    assert {m["chat_id"] for m in stub.sent} == {OPS_GROUP.id}


@pytest.mark.parametrize(
    ("text", "description"),
    [
        (
            "<b>unclosed",
            'can\'t parse entities: Can\'t find end tag corresponding to start tag "b"',
        ),
        ("<p>para</p>", 'can\'t parse entities: Unsupported start tag "p" at byte offset 0'),
        ("3 < 4", 'can\'t parse entities: Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", '
         'found "</i>"'),
        ("done</b>", "can't parse entities: Unexpected end tag at byte offset 4"),
        ("<b>  </b>\n", "message text is empty"),
        ("<i>" + "x" * 4097 + "</i>", "message is too long"),
    ],
)
@pytest.mark.asyncio
async def test_html_telegram_would_reject_is_refused_with_its_description(
    text: str, description: str
) -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, bot_client(stub) as bot:
        stub.send_text(Chat(ANN.id), ANN, "hello")

        with pytest.raises(BadRequest):
            await bot.send_message(ANN.id, text, parse_mode=ParseMode.HTML)

        assert stub.calls[-1]["error_code"] == 400
        assert stub.calls[-1]["description"] == f"Bad Request: {description}"
        assert stub.sent == []


@pytest.mark.asyncio
async def test_the_length_limit_counts_text_after_entity_parsing() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, bot_client(stub) as bot:
        stub.send_text(Chat(ANN.id), ANN, "hello")

        sent = await bot.send_message(ANN.id, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")

        assert sent.text == "&" * 4096
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(ANN.id, "😀" * 2049)


@pytest.mark.asyncio
async def test_replies_to_unknown_messages_and_chats_are_refused() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, bot_client(stub) as bot:
        stub.send_text(Chat(ANN.id), ANN, "hello")

        with pytest.raises(BadRequest, match="Message to be replied not found"):
            await bot.send_message(ANN.id, "hi", reply_to_message_id=999)
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(4242, "hi")
        sent = await bot.send_message(
            ANN.id, "hi", reply_to_message_id=999, allow_sending_without_reply=True
        )

        assert sent.reply_to_message is None
        assert [m["text"] for m in stub.sent] == ["hi"]


def test_parse_html_reports_utf16_offsets_and_telegram_entity_types() -> None:
    text, entities = parse_html(
        '😀 <b>bold</b> <a href="https://example.org/?a=1&amp;b=2">src</a> '
        '<pre><code class="language-python">x = 1</code></pre> <tg-spoiler>s</tg-spoiler>'
    )

    assert text == "😀 bold src x = 1 s"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 3, "url": "https://example.org/?a=1&b=2"},
        {"type": "pre", "offset": 12, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 18, "length": 1},
    ]
    with pytest.raises(EntityParseError, match='Unsupported start tag "p" at byte offset 5'):
        parse_html("😀 <p>")


@pytest.mark.asyncio
async def test_a_sent_document_can_be_downloaded_by_the_bot() -> None:
    async def receive(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Downloads the document and reports its size and first line."""
        document = update.message.document
        file = await document.get_file()
        data = await file.download_as_bytearray()
        first_line = data.decode().splitlines()[0]
        await update.message.reply_text(f"{document.file_name}: {len(data)} bytes, {first_line}")

    report = "Dam breach report\nAt least 40 villages flooded.\n".encode()
    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(
        stub, MessageHandler(filters.Document.ALL, receive)
    ):
        upload = stub.send_document(
            Chat(ANN.id), ANN, "breach.txt", report, "text/plain", caption="/upload"
        )

        [answer] = await stub.wait_for_messages(chat_id=ANN.id)

    assert answer["text"] == f"breach.txt: {len(report)} bytes, Dam breach report"
    assert upload["document"]["file_size"] == len(report)
    assert upload["caption_entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert [c["method"] for c in stub.calls if c["method"] == "getFile"] == ["getFile"]


@pytest.mark.asyncio
async def test_pressing_an_inline_button_reaches_the_bot_which_answers_and_edits() -> None:
    async def offer_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Asks the user whether the answer helped."""
        keyboard = [[InlineKeyboardButton("Yes", callback_data="vote:yes"),
                     InlineKeyboardButton("No", callback_data="vote:no")]]
        await update.message.reply_text("Helpful?", reply_markup=InlineKeyboardMarkup(keyboard))

    async def record_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Thanks the user and replaces the buttons with their vote."""
        query = update.callback_query
        await query.answer("Thanks")
        await query.edit_message_text(f"Voted {query.data.removeprefix('vote:')}")

    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(
        stub, MessageHandler(filters.TEXT, offer_vote), CallbackQueryHandler(record_vote)
    ):
        stub.send_text(Chat(ANN.id), ANN, "What happened in Derna?")
        [offer] = await stub.wait_for_messages(chat_id=ANN.id)
        with pytest.raises(ValueError, match="no button"):
            stub.press_button(Chat(ANN.id), ANN, offer, "vote:maybe")

        query = stub.press_button(Chat(ANN.id), ANN, offer, "vote:yes")
        await stub.wait_for(lambda: bool(stub.edits), description="the vote edit")

    assert offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "vote:yes"
    assert stub.callback_answers[0]["callback_query_id"] == query["id"]
    assert stub.callback_answers[0]["text"] == "Thanks"
    [edit] = stub.edits
    assert (edit["message_id"], edit["text"]) == (offer["message_id"], "Voted yes")
    assert "reply_markup" not in edit["message"]


@pytest.mark.asyncio
async def test_flood_control_is_retried_by_the_rate_limiter() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(stub, ECHO, max_retries=1):
        stub.fail_next("sendMessage", error_code=429, retry_after=1)
        started = time.monotonic()
        stub.send_text(Chat(ANN.id), ANN, "casualty count?")

        [answer] = await stub.wait_for_messages(chat_id=ANN.id)

    assert time.monotonic() - started >= 1
    sends = [c for c in stub.calls if c["method"] == "sendMessage"]
    assert [(c["ok"], c.get("error_code")) for c in sends] == [(False, 429), (True, None)]
    assert sends[0]["description"] == "Too Many Requests: retry after 1"
    assert answer["text"].endswith("casualty count?")


@pytest.mark.asyncio
async def test_a_dozen_chats_at_once_each_get_their_own_replies() -> None:
    users = [User(100 + n, f"User{n}") for n in range(12)]
    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(stub, ECHO):
        questions = {
            user.id: [stub.send_text(Chat(user.id), user, f"q{turn} from {user.id}")["message_id"]
                      for turn in range(2)]
            for user in users
        }

        answers = await asyncio.gather(
            *(stub.wait_for_messages(chat_id=user.id, count=2) for user in users)
        )

    for user, replies in zip(users, answers):
        assert sorted(r["reply_to_message_id"] for r in replies) == questions[user.id]
        assert all(f"from {user.id}" in r["text"] for r in replies)
    assert len(stub.sent) == 24
    assert stub.pending_updates == []


async def _call(
    session: aiohttp.ClientSession, url: str, **kwargs: object
) -> tuple[int, dict]:
    async with session.post(url, **kwargs) as response:
        return response.status, await response.json()


@pytest.mark.asyncio
async def test_long_polling_honours_offset_limit_and_timeout() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, aiohttp.ClientSession() as session:
        api = f"{stub.root}/bot{TOKEN}"
        poll = asyncio.create_task(_call(session, f"{api}/getUpdates", json={"timeout": 10}))
        await stub.wait_for(lambda: bool(stub.calls), description="the poll to arrive")
        started = time.monotonic()
        first = stub.send_text(Chat(ANN.id), ANN, "one")

        status, body = await poll

        assert status == 200 and time.monotonic() - started < 5
        [update] = body["result"]
        assert update["message"]["message_id"] == first["message_id"]
        for text in ("two", "three"):
            stub.send_text(Chat(ANN.id), ANN, text)
        after_first = update["update_id"] + 1
        form = {"offset": str(after_first), "limit": "2"}
        _, body = await _call(session, f"{api}/getUpdates", data=form)
        assert [u["message"]["text"] for u in body["result"]] == ["two", "three"]
        _, body = await _call(session, f"{api}/getUpdates", params={"offset": after_first + 1})
        assert [u["message"]["text"] for u in body["result"]] == ["three"]
        _, body = await _call(session, f"{api}/getUpdates", json={"offset": after_first + 2})
        assert body == {"ok": True, "result": []}


@pytest.mark.asyncio
async def test_a_second_long_poll_ends_the_first_with_a_conflict() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, aiohttp.ClientSession() as session:
        api = f"{stub.root}/bot{TOKEN}"
        first = asyncio.create_task(_call(session, f"{api}/getUpdates", json={"timeout": 10}))
        await stub.wait_for(lambda: len(stub.calls) == 1, description="the first poll")
        second = asyncio.create_task(_call(session, f"{api}/getUpdates", json={"timeout": 10}))

        status, body = await first
        stub.send_text(Chat(ANN.id), ANN, "hello")

        assert status == 409 and body["description"].startswith("Conflict: terminated")
        assert [u["message"]["text"] for u in (await second)[1]["result"]] == ["hello"]


@pytest.mark.asyncio
async def test_every_request_encoding_ptb_or_others_may_use_is_understood() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, aiohttp.ClientSession() as session:
        api = f"{stub.root}/bot{TOKEN}"
        stub.send_text(Chat(ANN.id), ANN, "hello")
        multipart = aiohttp.FormData({"chat_id": str(ANN.id), "text": "multipart"})
        multipart.add_field("extra", b"bytes", filename="extra.bin")
        urlencoded = {"chat_id": str(ANN.id), "text": "form"}

        results = [
            await _call(session, f"{api}/sendMessage", json={"chat_id": ANN.id, "text": "json"}),
            await _call(session, f"{api}/sendMessage", data=urlencoded),
            await _call(session, f"{api}/SENDMESSAGE", data=multipart),
        ]
        query = {"chat_id": ANN.id, "text": "get"}
        async with session.get(f"{api}/sendMessage", params=query) as response:
            results.append((response.status, await response.json()))

    assert [status for status, _ in results] == [200] * 4
    assert [m["text"] for m in stub.sent] == ["json", "form", "multipart", "get"]
    assert [m["message_id"] for m in stub.sent] == [2, 3, 4, 5]


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method_are_refused_like_telegram() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, aiohttp.ClientSession() as session:
        unauthorized = await _call(session, f"{stub.root}/bot123:WRONG/getMe")
        unknown = await _call(session, f"{stub.root}/bot{TOKEN}/sendPigeon")

        assert unauthorized == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        assert unknown == (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
        )
        bot = Bot("123:WRONG", base_url=f"{stub.root}/bot")
        with pytest.raises(InvalidToken):
            await bot.initialize()
        await bot.shutdown()


@pytest.mark.asyncio
async def test_wait_for_messages_explains_what_arrived_when_it_times_out() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, running_bot(stub, ECHO):
        stub.send_text(Chat(ANN.id), ANN, "hello")
        await stub.wait_for_messages(chat_id=ANN.id)

        expected = r"expected 2 bot message\(s\) in chat 11"
        with pytest.raises(AssertionError, match=expected) as error:
            await stub.wait_for_messages(chat_id=ANN.id, count=2, timeout=0.2)

    assert "You said:" in str(error.value)


@pytest.mark.asyncio
async def test_bot_commands_are_kept_per_scope() -> None:
    async with TelegramStub(TOKEN, BOT_NAME) as stub, bot_client(stub) as bot:
        await bot.set_my_commands([("ask", "Ask the reports a question")])
        await bot.set_my_commands(
            [("reload", "Re-index the documents")], scope=BotCommandScopeChat(ANN.id)
        )

        default = await bot.get_my_commands()
        await bot.delete_my_commands()
        after_delete = await bot.get_my_commands()

    assert [c.command for c in default] == ["ask"]
    assert after_delete == ()
    assert [c["scope"] for c in stub.commands] == [
        {"type": "default"},
        {"type": "chat", "chat_id": ANN.id},
    ]
