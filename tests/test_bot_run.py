"""`incident-bot run` as whoever deploys it sees it: webhook mode, a Bot API that cannot be
reached or refuses the token, and settings that cannot work, each said in one line.

Each test runs the real command in a subprocess against the Bot API stand-in
(tests/telegram_stub.py) and reads its stderr as an operator would.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import aiohttp
import pytest

from tests.bot_process import START_SECONDS, BotProcess
from tests.conftest import SEED_DIR, clean_env
from tests.telegram_stub import Chat, TelegramStub, User
from tests.test_chroma_server import free_port

TOKEN = "123:SeCrEtToKeN"
SECRET = TOKEN.split(":")[1]
ANN = User(11, "Ann", "ann")
ALEPPO = "How many people were killed in western Aleppo?"
UNREACHABLE = "cannot reach the Telegram Bot API"


@pytest.fixture
def bot_env(tmp_path: Path):
    """The environment of a bot on a copy of the seed, its state under tmp_path."""
    documents = tmp_path / "documents"
    documents.mkdir()
    for seed in SEED_DIR.glob("*.txt"):
        shutil.copy(seed, documents)

    def build(root: str, **overrides: str) -> dict[str, str]:
        return clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=root,
            DOCUMENTS_DIR=str(documents),
            DATA_DIR=str(tmp_path / "data"),
            **overrides,
        )

    return build


# webhook mode ------------------------------------------------------------------------


async def test_with_webhook_url_the_bot_sets_its_webhook_and_answers_what_telegram_posts(tmp_path, bot_env):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-updates"
    async with TelegramStub(TOKEN) as stub:
        env = bot_env(stub.root, WEBHOOK_URL=url, WEBHOOK_LISTEN="127.0.0.1", WEBHOOK_PORT=str(port),
                      WEBHOOK_SECRET_TOKEN="only-telegram-knows")
        bot = await BotProcess.start(tmp_path, env)
        try:
            await stub.wait_for(lambda: stub.webhook is not None, START_SECONDS, "setWebhook")
            question = stub.send_text(Chat(ANN.id), ANN, ALEPPO)
            [answer] = await stub.wait_for_messages(chat_id=ANN.id, timeout=60)
            async with aiohttp.ClientSession() as session:
                forged = {"update_id": 1, "message": {**question, "text": "forged"}}
                wrong_secret = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
                async with session.post(url, json=forged, headers=wrong_secret) as response:
                    forged_status = response.status
        finally:
            status = await bot.interrupt()

    assert stub.webhook["url"] == url and stub.webhook["secret_token"] == "only-telegram-knows"
    delivered = [p["update"]["message"] for p in stub.webhook_posts if p["status"] == 200]
    assert question in delivered
    assert not [c for c in stub.calls if c["method"] == "getUpdates"]  # nothing polled
    assert answer["reply_to_message_id"] == question["message_id"] and "17 children" in answer["message"]["text"]
    assert forged_status == 403
    assert len(stub.sent) == 1  # the forged update was not answered
    assert status == 0, bot.log
    assert "Traceback" not in bot.log and SECRET not in bot.log and "only-telegram-knows" not in bot.log


async def test_a_webhook_port_in_use_is_one_line_naming_the_setting(tmp_path, bot_env):
    async with TelegramStub(TOKEN) as stub:
        port = int(stub.root.rsplit(":", 1)[1])  # the stub itself holds it
        env = bot_env(stub.root, WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", WEBHOOK_PORT=str(port))
        bot = await BotProcess.start(tmp_path, env)
        status = await bot.exit_status(timeout=START_SECONDS)

    assert status == 2
    assert "WEBHOOK_PORT" in bot.lines[-1] and f"127.0.0.1:{port}" in bot.lines[-1]
    assert "Traceback" not in bot.log


# a Bot API that cannot be reached or refuses the token ----------------------------------


async def test_an_unreachable_bot_api_is_tried_again_with_growing_waits_until_it_answers(tmp_path, bot_env):
    port = free_port()
    bot = await BotProcess.start(tmp_path, bot_env(f"http://127.0.0.1:{port}"))
    try:
        tries = await bot.wait_for_lines(UNREACHABLE, count=2)
        async with TelegramStub(TOKEN, port=port) as stub:
            answer = await ask_when_up(stub)
            status = await bot.interrupt()
    finally:
        if bot.process.returncode is None:
            bot.process.kill()

    waits = [int(re.search(r"again in (\d+) s", line).group(1)) for line in tries]
    assert waits == [1, 2]
    assert all("TELEGRAM_API_BASE_URL" in line for line in tries)
    assert "17 children" in answer["message"]["text"]
    assert status == 0, bot.log
    assert "Traceback" not in bot.log and SECRET not in bot.log


async def ask_when_up(stub: TelegramStub) -> dict:
    stub.send_text(Chat(ANN.id), ANN, ALEPPO)
    [answer] = await stub.wait_for_messages(chat_id=ANN.id, timeout=60)
    return answer


async def test_ctrl_c_while_waiting_for_the_bot_api_stops_cleanly(tmp_path, bot_env):
    bot = await BotProcess.start(tmp_path, bot_env(f"http://127.0.0.1:{free_port()}"))
    await bot.wait_for_lines(UNREACHABLE)

    status = await bot.interrupt()

    assert status == 0, bot.log
    assert "Traceback" not in bot.log and "KeyboardInterrupt" not in bot.log


async def test_a_refused_token_stops_with_one_line_and_status_2(tmp_path, bot_env):
    async with TelegramStub("123:TheRealOne") as stub:
        bot = await BotProcess.start(tmp_path, bot_env(stub.root))
        status = await bot.exit_status(timeout=START_SECONDS)

    assert status == 2
    [line] = bot.lines
    assert line.startswith("incident-bot: ") and "TELEGRAM_BOT_TOKEN" in line and "@BotFather" in line
    assert SECRET not in line
    assert not [c for c in stub.calls if c["method"] != "getMe"]


# settings that cannot work --------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "fix"),
    [
        ({"LLM": "foo"}, "provider:model"),
        ({"LLM": "openai:gpt-4o-mini"}, "OPENAI_API_KEY or LLM_API_KEY"),
        ({"LLM": "anthropic:claude-3-5-haiku-latest"}, "pip install 'incident-bot[anthropic]'"),
        ({"LLM": "ollama:llama3.1"}, "pip install 'incident-bot[ollama]'"),
        ({"MAX_QUESTION_CHARS": "many"}, "MAX_QUESTION_CHARS='many'"),
        ({"WEBHOOK_PORT": "eighty"}, "WEBHOOK_PORT='eighty'"),
        ({"WEBHOOK_SECRET_TOKEN": "has spaces"}, "WEBHOOK_SECRET_TOKEN"),
    ],
)
async def test_settings_that_cannot_work_stop_the_bot_with_one_line_and_status_2(tmp_path, bot_env, settings, fix):
    bot = await BotProcess.start(tmp_path, bot_env("http://127.0.0.1:9", **settings))
    status = await bot.exit_status(timeout=60)

    assert status == 2
    [line] = bot.lines
    assert line.startswith("incident-bot: ") and fix in line
    assert next(iter(settings)) in line
    assert "has spaces" not in line  # secrets are not echoed
