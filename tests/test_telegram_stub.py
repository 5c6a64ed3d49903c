"""The Bot API stand-in, where what the bot's users see depends on it behaving like Telegram."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, InvalidToken

from tests.telegram_stub import Chat, TelegramStub, User

TOKEN = "123:ABC"
ANN = User(11, "Ann", "ann")


@contextlib.asynccontextmanager
async def chat_with_ann() -> AsyncIterator[tuple[TelegramStub, Bot]]:
    """A stub in which Ann has written to the bot, and a bare ``Bot`` on it."""
    async with TelegramStub(TOKEN) as stub, Bot(TOKEN, base_url=f"{stub.root}/bot") as bot:
        stub.send_text(Chat(ANN.id), ANN, "hello")
        yield stub, bot


async def test_what_the_user_sees_is_the_html_after_parsing() -> None:
    async with chat_with_ann() as (stub, bot):
        html = (
            '😀 <b>Floods &amp; <i>landslides</i></b> <a href="https://example.org/?a=1&amp;b=2">'
            "src</a>\n<blockquote expandable>&quot;quote&quot;</blockquote> "
            '<span class="tg-spoiler">s</span> <code>/ask</code>'
        )

        sent = await bot.send_message(ANN.id, html, parse_mode=ParseMode.HTML)

    assert sent.text == '😀 Floods & landslides src\n"quote" s /ask'
    assert stub.sent[-1]["text"] == html
    assert stub.sent[-1]["message"]["text"] == sent.text
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 3, 19),  # offsets count UTF-16 units: the emoji is two
        ("italic", 12, 10),
        ("text_link", 23, 3),
        ("expandable_blockquote", 27, 7),
        ("spoiler", 35, 1),
        ("code", 37, 4),
    ]
    assert sent.entities[2].url == "https://example.org/?a=1&b=2"


@pytest.mark.parametrize(
    "html",
    [
        "<b>unclosed",
        "<p>unknown tag</p>",
        "<b>mis-nested <i>tags</b></i>",
        "closed</b> but never opened",
        "3 < 4",
        "<span>a span that is no spoiler</span>",
    ],
)
async def test_html_telegram_cannot_parse_is_refused_with_a_400(html: str) -> None:
    # The refusal is what sends the bot to its plain-text fallback (see test_bot_e2e).
    async with chat_with_ann() as (stub, bot):
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(ANN.id, html, parse_mode=ParseMode.HTML)

    assert stub.calls[-1]["error_code"] == 400
    assert stub.calls[-1]["description"].startswith("Bad Request: can't parse entities: ")
    assert stub.sent == []


async def test_the_length_limit_counts_utf16_units_of_the_text_after_parsing() -> None:
    async with chat_with_ann() as (stub, bot):
        sent = await bot.send_message(ANN.id, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")

        assert sent.text == "&" * 4096
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(ANN.id, "😀" * 2049)  # 2049 characters, 4098 units
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(ANN.id, "<b> </b>\n", parse_mode="HTML")


async def test_an_edit_that_changes_nothing_is_refused_as_not_modified() -> None:
    # The bot's sources pager relies on this description when a button is pressed twice.
    async with chat_with_ann() as (stub, bot):
        sent = await bot.send_message(ANN.id, "<b>page 1</b>", parse_mode="HTML")

        with pytest.raises(BadRequest, match="not modified"):
            await sent.edit_text("<b>page 1</b>", parse_mode="HTML")
        edited = await sent.edit_text("<b>page 2</b>", parse_mode="HTML")

    assert edited.text == "page 2"
    assert [e["message"]["text"] for e in stub.edits] == ["page 2"]


async def test_a_wrong_token_or_an_unimplemented_method_is_refused_like_telegram() -> None:
    # A bot with a wrong token must fail at start-up, and one that starts calling a method
    # the stub lacks must fail its tests.
    async with TelegramStub(TOKEN) as stub:
        with pytest.raises(InvalidToken):
            async with Bot("123:WRONG", base_url=f"{stub.root}/bot"):
                pass
        async with Bot(TOKEN, base_url=f"{stub.root}/bot") as bot:
            with pytest.raises(InvalidToken, match="Not Found: method not found"):  # PTB's mapping
                await bot.get_my_commands()
