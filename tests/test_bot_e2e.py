"""incident-bot as Telegram users see it: the real Application, engine and index, over
HTTP to the local Bot API stand-in (tests/telegram_stub.py).

One engine (index on disk) serves the whole module; each test starts its own stub and
Application, with the bot's state in the test's own folder. Assertions are on what users
receive: text, parse mode, reply target, buttons.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import math
import re
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import RedactToken, build_application
from bot.feedback_store import FeedbackStore
from retrieval.engine import Engine
from retrieval.settings import Settings
from tests.bot_process import BotProcess
from tests.conftest import SEED_DIR, build_settings, clean_env
from tests.incident_cluster import FIGURES_QUESTION, TIMELINE_QUESTION, write_cluster
from tests.telegram_stub import Chat, TelegramStub, User

TOKEN = "123:SeCrEtToKeN"
SECRET = TOKEN.split(":")[1]
BOT_NAME = "incident_test_bot"
UPLOAD_LIMIT = 100_000

ADMIN = User(1, "Ada", "ada")
ANN = User(11, "Ann", "ann")
BOB = User(12, "Bob")
EVE = User(66, "Eve")

ALEPPO = "How many people were killed in western Aleppo?"
DERNA_Q = "How many people were killed in the Derna flood?"
RHODES = "How many tourists were evacuated from Rhodes?"

DERNA = """Derna flood: two dams collapse after Storm Daniel

Two dams above the Libyan city of Derna collapsed on the night of 10 September after Storm Daniel brought torrential rain to the coast. At least 3,800 people were killed in the flood, according to the World Health Organization, and more than 10,000 people are still missing. Whole neighbourhoods along the Wadi Derna were swept into the sea.

"The scale of the destruction is beyond anything our teams have seen," said Tamer Ramadan, the head of the IFRC delegation in Libya. Rescue teams from Egypt, Turkey and the United Arab Emirates reached the city on 12 September.
"""

BULLETINS = [
    ("b01", "Earthquake strikes Herat province", "2023-10-07", "UN OCHA",
     "A magnitude 6.3 earthquake struck Herat province in western Afghanistan. More than 1,400 people were killed, according to the Taliban disaster ministry."),
    ("b02", "Cholera cases rise in Sanaa", "2019-04-02", "WHO EMRO",
     "Suspected cholera cases in Sanaa rose to 108,000 in the first quarter, the World Health Organization said."),
    ("b03", "Wildfires force evacuation of Rhodes", "2023-07-22", "Reuters",
     "About 19,000 tourists and residents were evacuated from the south of Rhodes as wildfires spread, according to the Greek coast guard."),
    ("b04", "Cyclone Freddy hits southern Malawi", "2023-03-13", "Malawi Red Cross",
     "Cyclone Freddy killed at least 326 people in southern Malawi, according to the Department of Disaster Management Affairs."),
    ("b05", "Landslides bury villages in Wayanad", "2024-07-30", "The Hindu",
     "Landslides in Wayanad district of Kerala buried the villages of Mundakkai and Chooralmala, killing more than 200 people, officials said."),
    ("b06", "Fire destroys shelters in Cox's Bazar camp", "2023-03-05", "UNHCR",
     "A fire in camp 11 in Cox's Bazar destroyed about 2,000 shelters and left 12,000 Rohingya refugees without a home, according to UNHCR."),
    ("b07", "Ferry capsizes on Lake Kivu", "2022-06-11", "Radio Okapi",
     "A passenger ferry capsized on Lake Kivu near Goma with 60 people on board; 21 bodies were recovered, the provincial governor said."),
    ("b08", "Mine collapse in Zacatecas", "2021-09-02", "El Universal",
     "A collapse at a gold mine in Zacatecas trapped nine miners; rescuers reached them after three days, the state civil protection agency said."),
    ("b09", "Heatwave deaths in Andalusia", "2022-07-19", "El País",
     "The Carlos III Health Institute attributed 510 deaths in Andalusia to the July heatwave."),
    ("b10", "Floods & landslides <update> in Porto Alegre", "2024-05-06", "G1 & Globo",
     "Floods in Rio Grande do Sul displaced 150,000 people, according to the state civil defence."),
    ("b11", "Volcano eruption near Grindavik", "2023-12-19", "RUV",
     "A fissure eruption began north of Grindavik; the town of 3,700 people had been evacuated in November, the Icelandic Met Office said."),
    ("b12", "Bridge collapse in Morbi", "2022-10-31", "Indian Express",
     "The suspension bridge over the Machchhu river in Morbi collapsed, killing 135 people, according to Gujarat police."),
]

BEIRUT = """Beirut port explosion

A fire in warehouse 12 of the port of Beirut set off 2,750 tonnes of ammonium nitrate on 4 August 2020. The blast killed 218 people and injured about 7,000, according to Human Rights Watch.
"""

KAKHOVKA = b"""# Kakhovka dam breach

The Kakhovka dam on the Dnipro river was destroyed in the early hours of 6 June 2023. About 80 settlements were flooded downstream, according to the Ukrainian Ministry of Internal Affairs.
"""


# fixtures ------------------------------------------------------------------------


@dataclass
class Library:
    """The shared engine and the documents folder it indexes."""

    settings: Settings
    engine: Engine
    documents: Path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    root = tmp_path_factory.mktemp("library")
    documents = root / "documents"
    documents.mkdir()
    for seed in SEED_DIR.glob("*.txt"):
        shutil.copy(seed, documents)
    (documents / "derna_flood.txt").write_text(DERNA)
    write_cluster(documents)
    with open(documents / "bulletins.jsonl", "w") as f:
        for doc_id, title, published, site, text in BULLETINS:
            record = {"id": doc_id, "title": title, "text": text, "published": published,
                      "source_site": site, "url": f"https://example.org/{doc_id}?a=1&b=2"}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    settings = build_settings(
        root / "data",
        documents,
        telegram_bot_token=TOKEN,
        bot_admin_ids=frozenset({ADMIN.id}),
        max_upload_bytes=UPLOAD_LIMIT,
    )
    engine = Engine(settings)
    engine.ingest()
    yield Library(settings, engine, documents)
    engine.close()


@dataclass
class RunningBot:
    stub: TelegramStub
    app: Application
    settings: Settings
    engine: Engine

    async def reply_to(self, message: dict, count: int = 1, timeout: float = 20) -> dict:
        """The bot's count-th reply to a user's message."""
        replies = await self.stub.wait_for_messages(
            chat_id=message["chat"]["id"],
            count=count,
            timeout=timeout,
            predicate=lambda sent: sent["reply_to_message_id"] == message["message_id"],
        )
        return replies[-1]

    async def ask(self, chat: Chat, user: User, text: str, reply_to: dict | None = None) -> dict:
        """user writes text in chat; returns the bot's reply."""
        return await self.reply_to(self.stub.send_text(chat, user, text, reply_to=reply_to))

    def replies_to(self, message: dict) -> list[dict]:
        """The bot's replies to a user's message (message ids count per chat)."""
        return [
            s for s in self.stub.sent
            if s["chat_id"] == message["chat"]["id"] and s["reply_to_message_id"] == message["message_id"]
        ]


@contextlib.asynccontextmanager
async def running_bot(library: Library, state: Path, **overrides: object) -> AsyncIterator[RunningBot]:
    """The Application polling a fresh stub; the bot's own state lives under state."""
    async with TelegramStub(TOKEN, BOT_NAME) as stub:
        settings = library.settings.model_copy(
            update={"telegram_api_base_url": stub.root, "data_dir": state, **overrides}
        )
        app = build_application(settings, library.engine)
        await app.initialize()
        await app.post_init(app)  # run_polling would call it
        await app.updater.start_polling(timeout=5)
        await app.start()
        try:
            yield RunningBot(stub, app, settings, library.engine)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await app.post_shutdown(app)


@pytest.fixture
async def bot(library: Library, tmp_path: Path) -> AsyncIterator[RunningBot]:
    async with running_bot(library, tmp_path) as running:
        yield running


def buttons(sent: dict) -> list[tuple[str, str]]:
    markup = sent["reply_markup"] or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row]


def entity_types(sent: dict) -> set[str]:
    return {e["type"] for e in sent["message"].get("entities", [])}


# answers ---------------------------------------------------------------------------


async def test_a_private_question_gets_a_cited_html_answer_with_feedback_buttons(bot: RunningBot) -> None:
    expected = bot.engine.ask(ALEPPO)

    answer = await bot.ask(Chat(ANN.id), ANN, ALEPPO)

    shown = answer["message"]["text"]
    assert answer["parse_mode"] == "HTML"
    assert "17 children" in shown and "[1]" in shown
    assert "Sources" in shown
    assert expected.citations[0].quote in shown  # verbatim
    assert "according to Syrian Observatory of Human Rights" in shown
    assert {"bold", "blockquote", "italic"} <= entity_types(answer)
    assert [text for text, _ in buttons(answer)] == ["👍", "👎"]
    assert all(len(data.encode()) <= 64 for _, data in buttons(answer))
    await bot.stub.wait_for(
        lambda: {"chat_id": ANN.id, "action": "typing"} in bot.stub.chat_actions, 5, "the typing action"
    )


async def test_a_toll_question_shows_the_figures_by_source_summary_first(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, FIGURES_QUESTION)

    shown = answer["message"]["text"]
    assert shown.startswith("From at least 12 to 35 people across 3 sources (3–6 May 2024); latest: 35 people")
    lines = shown.split("\n")
    figures = [line for line in lines if line.startswith("• ")]
    assert len(figures) == 3
    assert "At least 12 people" in figures[0] and "Kessel Tribune, 2024-05-03" in figures[0]
    assert "Harbor Gazette, 2024-05-06" in figures[-1]
    assert "Sources" in shown and "bold" in entity_types(answer)
    assert len(shown) <= 4096


async def test_a_timeline_question_gets_dated_events_in_order(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, TIMELINE_QUESTION)

    shown = answer["message"]["text"]
    assert shown.startswith("Timeline")
    events = [line for line in shown.split("\n") if line.startswith("• ")]
    dates = [line[2:12] for line in events]
    assert len(events) >= 2 and dates == sorted(dates)
    assert any(line.startswith("• 2024-05-03") and "collapsed on Friday evening" in line for line in events)
    assert "Searched reports published 2024-05-03" in shown


async def test_a_filtered_question_cites_only_what_the_filter_lets_through_and_says_so(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, "source:Harbor how many people were killed in the Kessel bridge collapse?")

    shown = answer["message"]["text"]
    assert "Searched reports from Harbor: 1 report." in shown
    assert "Harbor Gazette, 2024-05-06" in shown
    assert "Kessel Tribune" not in shown and "Valley Radio" not in shown

    listing = await bot.ask(Chat(ANN.id), ANN, "/sources source:Tribune")
    assert "Only reports from Tribune" in listing["message"]["text"]
    assert "Kessel bridge collapses in rush hour" in listing["message"]["text"]
    assert "Inquiry opened" not in listing["message"]["text"]


async def test_report_text_is_escaped_and_titles_link_to_their_url(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, "How many people were displaced by the floods in Rio Grande do Sul?")

    assert "Floods &amp; landslides &lt;update&gt; in Porto Alegre" in answer["text"]
    assert "G1 &amp; Globo, 2024-05-06" in answer["text"]
    links = [e for e in answer["message"]["entities"] if e["type"] == "text_link"]
    assert links[0]["url"] == "https://example.org/b10?a=1&b=2"
    assert "150,000 people" in answer["message"]["text"]


async def test_a_question_the_reports_do_not_answer_shows_related_passages(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, "What is the capital of France?")

    shown = answer["message"]["text"]
    assert "don't answer" in shown
    assert "Related passages" in shown and "Sources" not in shown
    assert "blockquote" in entity_types(answer)
    assert [text for text, _ in buttons(answer)] == ["👍", "👎"]


async def test_start_and_help_say_what_the_bot_knows_and_how_to_ask(bot: RunningBot) -> None:
    stats = bot.engine.stats()
    group = Chat(-1002, "supergroup", "Desk")

    start = await bot.ask(Chat(ANN.id), ANN, "/start")
    group_help = await bot.ask(group, BOB, f"/help@{BOT_NAME}")
    bot.stub.send_text(group, BOB, "/help@other_bot")
    sentinel = await bot.ask(group, BOB, "/help")

    for reply in (start, group_help):
        text = reply["message"]["text"]
        assert f"{stats['reports']} reports from {stats['sources']} sources" in text
        assert f"published {stats['first_published']} to {stats['last_published']}" in text
        assert "follow-up" in text and "/sources" in text
    assert "Just send your question" in start["message"]["text"]
    assert "/ask your question" in group_help["message"]["text"]
    assert sentinel["message"]["text"] == group_help["message"]["text"]
    assert len(bot.stub.sent) == 3  # /help@other_bot got nothing


async def test_help_lists_every_command_and_filter_on_one_screen_and_admin_commands_for_admins(bot: RunningBot) -> None:
    registered = {json.dumps(c["scope"], sort_keys=True): [x["command"] for x in c["commands"]] for c in bot.stub.commands}
    everyone = registered[json.dumps({"type": "default"})]
    admins = registered[json.dumps({"chat_id": ADMIN.id, "type": "chat"}, sort_keys=True)]

    for_ann = (await bot.ask(Chat(ANN.id), ANN, "/help"))["message"]["text"]
    for_admin = (await bot.ask(Chat(ADMIN.id), ADMIN, "/help"))["message"]["text"]

    assert all(f"/{command}" in for_ann for command in everyone if command != "start")
    assert all(f"/{command}" in for_admin for command in admins if command != "start")
    assert not [command for command in set(admins) - set(everyone) if f"/{command}" in for_ann]
    for text in (for_ann, for_admin):
        assert "source:" in text and "since:" in text and "until:" in text
        assert len(text.splitlines()) <= 20 and len(text) <= 1500  # one phone screen


async def test_in_groups_the_bot_answers_only_what_is_addressed_to_it(bot: RunningBot) -> None:
    ops = Chat(-1001, "supergroup", "Ops")
    stub = bot.stub
    ignored = [
        stub.send_text(ops, BOB, "chatting among ourselves about western Aleppo"),
        stub.send_text(ops, BOB, f"/ask@other_bot {ALEPPO}"),
    ]

    by_command = await bot.ask(ops, ANN, f"/ask {ALEPPO}")
    by_named_command = await bot.ask(ops, BOB, f"/ask@{BOT_NAME} {RHODES}")
    by_mention = await bot.ask(ops, ANN, f"@{BOT_NAME} how many people were killed in the Derna flood?")
    ignored.append(stub.send_text(ops, BOB, "thanks, that helps", reply_to=by_mention["message"]["reply_to_message"]))
    by_reply = await bot.ask(ops, BOB, "and who reported it?", reply_to=by_named_command["message"])
    sentinel = await bot.ask(ops, ANN, f"/ask@{BOT_NAME} {DERNA_Q}")

    assert "17 children" in by_command["message"]["text"]
    assert "19,000 tourists" in by_named_command["message"]["text"]
    assert "3,800 people" in by_mention["message"]["text"]
    assert "19,000 tourists" in by_reply["message"]["text"]
    assert "3,800 people" in sentinel["message"]["text"]
    assert all(sent["parse_mode"] == "HTML" for sent in stub.sent)
    assert all(bot.replies_to(message) == [] for message in ignored)
    assert len(stub.sent) == 5


async def test_a_reply_to_an_answer_is_a_follow_up_of_that_thread(bot: RunningBot) -> None:
    # Alone, the follow-up is not answerable: only the thread's earlier question makes it so.
    assert bot.engine.ask("and who reported it?").refused
    chat = Chat(ANN.id)

    first = await bot.ask(chat, ANN, ALEPPO)
    follow_up = await bot.ask(chat, ANN, "and who reported it?", reply_to=first["message"])
    second = await bot.ask(chat, ANN, "how many of them were children?", reply_to=follow_up["message"])
    unthreaded = await bot.ask(chat, ANN, "and who reported it?")

    assert "don't answer" not in follow_up["message"]["text"]
    assert "Syrian Observatory of Human Rights" in follow_up["message"]["text"]
    assert "17 children" in follow_up["message"]["text"]
    assert "17 children" in second["message"]["text"]
    assert "don't answer" in unthreaded["message"]["text"]


async def test_two_people_in_one_group_keep_separate_threads(bot: RunningBot) -> None:
    desk = Chat(-1003, "supergroup", "Desk")

    ann_answer = await bot.ask(desk, ANN, f"/ask {ALEPPO}")
    bob_answer = await bot.ask(desk, BOB, f"/ask {DERNA_Q}")
    ann_follow_up = bot.stub.send_text(desk, ANN, "and who reported it?", reply_to=ann_answer["message"])
    bob_follow_up = bot.stub.send_text(desk, BOB, "and who reported it?", reply_to=bob_answer["message"])
    for_ann = (await bot.reply_to(ann_follow_up))["message"]["text"]
    for_bob = (await bot.reply_to(bob_follow_up))["message"]["text"]

    assert "Syrian Observatory" in for_ann and "Derna" not in for_ann
    assert "World Health Organization" in for_bob and "Aleppo" not in for_bob


STAGE = re.compile(r"(Searching|Reading) [\d,]+ reports?…|Checking [\d,]+ claims?…")


async def test_while_answering_a_private_chat_sees_what_is_done_as_a_draft_the_answer_replaces(bot: RunningBot) -> None:
    question = bot.stub.send_text(Chat(ANN.id), ANN, ALEPPO)
    answer = await bot.reply_to(question)

    drafts = bot.stub.drafts
    assert drafts, "no draft was shown"
    assert all(STAGE.fullmatch(d["shown"]) for d in drafts), drafts  # stages only, never the model's text
    assert all(d["draft_id"] == question["message_id"] and d["chat_id"] == ANN.id for d in drafts)
    assert all(d["sent_before"] <= bot.stub.sent.index(answer) for d in drafts)  # all before the answer
    assert bot.stub.shown_draft(ANN.id) is None  # the answer replaced it
    assert "17 children" in answer["message"]["text"]


async def test_in_a_group_the_bot_shows_typing_and_no_draft(bot: RunningBot) -> None:
    ops = Chat(-1010, "supergroup", "Ops")

    answer = await bot.ask(ops, ANN, f"/ask {ALEPPO}")

    assert "17 children" in answer["message"]["text"]
    assert bot.stub.drafts == [] and not [c for c in bot.stub.calls if c["method"] == "sendMessageDraft"]
    await bot.stub.wait_for(
        lambda: {"chat_id": ops.id, "action": "typing"} in bot.stub.chat_actions, 5, "the typing action"
    )


def test_the_engine_reports_each_stage_of_an_answer(library: Library) -> None:
    stages: list[str] = []

    library.engine.ask(ALEPPO, progress=stages.append)

    assert len(stages) == 3, stages
    assert stages[0] == f"Searching {library.engine.stats()['reports']} reports…"
    assert re.fullmatch(r"Reading \d+ reports?…", stages[1])
    assert re.fullmatch(r"Checking \d+ claims?…", stages[2])


async def test_a_draft_telegram_refuses_or_rate_limits_never_costs_the_answer(bot: RunningBot) -> None:
    bot.stub.fail_next("sendMessageDraft", error_code=429, retry_after=1)
    limited = await bot.ask(Chat(ANN.id), ANN, ALEPPO)
    bot.stub.fail_next("sendMessageDraft", error_code=400, retry_after=None, description="Bad Request: injected")
    refused = await bot.ask(Chat(BOB.id), BOB, RHODES)

    def calls_in(chat: int) -> list[tuple[str, int | None]]:
        return [
            (c["method"], c.get("error_code"))
            for c in bot.stub.calls
            if c["method"] in ("sendMessageDraft", "sendMessage") and c["params"].get("chat_id") == str(chat)
        ]

    # Flood control: the draft waits and is tried again, and the answer only follows it.
    assert calls_in(ANN.id)[:2] == [("sendMessageDraft", 429), ("sendMessageDraft", None)]
    assert calls_in(ANN.id)[-1] == ("sendMessage", None)
    # A refused draft ends the drafts of that answer; the answer comes all the same.
    assert calls_in(BOB.id) == [("sendMessageDraft", 400), ("sendMessage", None)]
    assert "17 children" in limited["message"]["text"] and "19,000 tourists" in refused["message"]["text"]


# sources and feedback -----------------------------------------------------------------


async def test_sources_are_listed_in_pages_turned_in_place(bot: RunningBot) -> None:
    reports = bot.engine.reports()
    pages = math.ceil(len(reports) / 10)
    chat = Chat(ANN.id)

    listing = await bot.ask(chat, ANN, "/sources")
    assert f"page 1 of {pages}" in listing["message"]["text"]
    assert reports[0].title in listing["message"]["text"]
    assert [text for text, _ in buttons(listing)] == ["Next ▶"]

    bot.stub.press_button(chat, ANN, listing, "src:1")
    await bot.stub.wait_for(lambda: len(bot.stub.edits) == 1, 10, "the next page")
    [edit] = bot.stub.edits
    assert edit["message_id"] == listing["message_id"]
    assert f"page 2 of {pages}" in edit["message"]["text"]
    assert f"11. {reports[10].title}" in edit["message"]["text"]
    assert ("◀ Prev", "src:0") in buttons(edit)

    bot.stub.press_button(chat, ANN, edit["message"], "src:0")
    await bot.stub.wait_for(lambda: len(bot.stub.edits) == 2, 10, "the first page again")
    assert f"page 1 of {pages}" in bot.stub.edits[-1]["message"]["text"]
    assert len(bot.stub.callback_answers) == 2
    assert "Floods &amp; landslides &lt;update&gt;" in "".join(e["text"] for e in bot.stub.edits)


async def test_feedback_is_acknowledged_recorded_and_counted_in_stats(bot: RunningBot) -> None:
    answer = await bot.ask(Chat(ANN.id), ANN, ALEPPO)
    [(_, up), (_, down)] = buttons(answer)

    query = bot.stub.press_button(Chat(ANN.id), ANN, answer, up)
    await bot.stub.wait_for(lambda: bool(bot.stub.callback_answers), 10, "the callback answer")
    stats = await bot.ask(Chat(ADMIN.id), ADMIN, "/stats")

    assert bot.stub.callback_answers[0]["callback_query_id"] == query["id"]
    assert bot.stub.callback_answers[0]["text"] == "Thanks for the feedback"
    assert "Feedback: 👍 1 / 👎 0" in stats["message"]["text"]
    assert "Questions answered: 1 (refused: 0)" in stats["message"]["text"]
    assert f"Reports: {bot.engine.stats()['reports']}" in stats["message"]["text"]
    [vote] = await asyncio.to_thread(FeedbackStore(bot.settings.state_dir / "feedback.sqlite3").votes)
    assert (vote.vote, vote.user_id, vote.chat_id, vote.question) == ("up", ANN.id, ANN.id, ALEPPO)
    assert "17 children" in vote.answer and vote.doc_ids == [c.doc_id for c in bot.engine.ask(ALEPPO).citations]
    assert down.startswith("fb:down:")


# admins -----------------------------------------------------------------------------


async def test_an_admin_reload_indexes_a_new_report_which_is_then_cited(bot: RunningBot, library: Library) -> None:
    (library.documents / "beirut_port.txt").write_text(BEIRUT)
    admin = Chat(ADMIN.id)

    first = bot.stub.send_text(admin, ADMIN, "/reload")
    second = bot.stub.send_text(admin, ADMIN, "/reload")
    meanwhile = await bot.ask(Chat(ANN.id), ANN, RHODES)
    summary = await bot.stub.wait_for_messages(chat_id=ADMIN.id, predicate=lambda s: "Reload finished" in s["text"])
    busy = [s for s in bot.stub.sent if "already running" in s["text"]]
    answer = await bot.ask(Chat(ANN.id), ANN, "How many people did the blast in Beirut kill?")

    assert "19,000 tourists" in meanwhile["message"]["text"]
    assert "1 added" in summary[0]["message"]["text"] and "beirut_port" in summary[0]["message"]["text"]
    assert len(busy) == 1 and {summary[0]["reply_to_message_id"], busy[0]["reply_to_message_id"]} == {
        first["message_id"], second["message_id"]
    }
    assert "218 people" in answer["message"]["text"]
    assert "Beirut port explosion" in answer["message"]["text"]


async def test_questions_are_answered_while_a_reload_runs(bot: RunningBot, library: Library) -> None:
    with open(library.documents / "logistics.jsonl", "w") as f:
        for n in range(60):
            text = f"Convoy {n} delivered {100 + n} tonnes of food to warehouse {n} in the northern district. " * 8
            f.write(json.dumps({"id": f"logistics-{n}", "title": f"Logistics bulletin {n}", "text": text}) + "\n")

    reload = bot.stub.send_text(Chat(ADMIN.id), ADMIN, "/reload")
    await bot.reply_to(reload)  # "Re-indexing…": the reload has started
    answer = await bot.ask(Chat(ANN.id), ANN, ALEPPO)
    summary = await bot.reply_to(reload, count=2, timeout=60)

    assert "17 children" in answer["message"]["text"]
    assert "60 added" in summary["message"]["text"]
    assert bot.stub.sent.index(answer) < bot.stub.sent.index(summary)


async def test_an_admin_upload_is_stored_indexed_and_then_cited(bot: RunningBot, library: Library) -> None:
    admin = Chat(ADMIN.id)

    upload = bot.stub.send_document(admin, ADMIN, "kakhovka_dam.md", KAKHOVKA, "text/markdown")
    added = await bot.reply_to(upload)
    answer = await bot.ask(Chat(ANN.id), ANN, "How many settlements were flooded after the Kakhovka dam was destroyed?")
    again = await bot.reply_to(bot.stub.send_document(admin, ADMIN, "kakhovka_dam.md", KAKHOVKA, "text/markdown"))
    clash = await bot.reply_to(bot.stub.send_document(admin, ADMIN, "kakhovka_dam.md", b"# Other\nother text", "text/markdown"))
    how = await bot.ask(admin, ADMIN, "/upload")

    assert "Added kakhovka_dam.md" in added["message"]["text"]
    assert "Kakhovka dam breach" in added["message"]["text"]
    assert (library.documents / "kakhovka_dam.md").read_bytes() == KAKHOVKA
    assert "80 settlements" in answer["message"]["text"]
    assert "Kakhovka dam breach" in answer["message"]["text"]
    assert "nothing changed" in again["message"]["text"]
    assert "a different file named kakhovka_dam.md" in clash["message"]["text"]
    assert "send it to me as a file" in how["message"]["text"] and ".pdf" in how["message"]["text"]
    assert (library.documents / "kakhovka_dam.md").read_bytes() == KAKHOVKA


async def test_non_admins_cannot_reload_upload_or_see_stats(bot: RunningBot, library: Library) -> None:
    pending = library.documents / "pending_report.txt"
    pending.write_text("Pending report\nA storm damaged 40 fishing boats in the harbour of Sfax, the port authority said.")
    before, files_before = bot.engine.stats(), sorted(library.documents.iterdir())
    chat = Chat(EVE.id)
    try:
        reload = await bot.ask(chat, EVE, "/reload")
        upload = await bot.reply_to(bot.stub.send_document(chat, EVE, "intruder.txt", b"Intruder\nhello", "text/plain"))
        stats = await bot.ask(chat, EVE, "/stats")
        how = await bot.ask(chat, EVE, "/upload")

        for reply in (reload, upload, stats, how):
            assert "admins only" in reply["message"]["text"]
        assert bot.engine.stats() == before
        assert sorted(library.documents.iterdir()) == files_before
        assert not [c for c in bot.stub.calls if c["method"] == "getFile"]
    finally:
        pending.unlink()


async def test_a_malformed_pdf_gets_a_clear_error_and_changes_nothing(bot: RunningBot, library: Library) -> None:
    before, files_before = bot.engine.stats(), sorted(library.documents.iterdir())

    upload = bot.stub.send_document(Chat(ADMIN.id), ADMIN, "broken.pdf", b"%PDF-1.4\nthis is not a PDF", "application/pdf")
    reply = (await bot.reply_to(upload))["message"]["text"]

    assert reply.startswith("Could not add broken.pdf:") and "PDF" in reply[len("Could not add broken.pdf:"):]
    assert reply.endswith("Nothing was changed.")
    assert bot.engine.stats() == before
    assert sorted(library.documents.iterdir(), key=str) == files_before  # no file, no staging folder left


async def test_uploads_are_checked_before_download_and_stored_under_a_safe_name(bot: RunningBot, library: Library) -> None:
    admin = Chat(ADMIN.id)
    files_before = sorted(library.documents.iterdir())

    too_big = await bot.reply_to(bot.stub.send_document(admin, ADMIN, "huge.txt", b"x" * (UPLOAD_LIMIT + 1), "text/plain"))
    wrong_type = await bot.reply_to(bot.stub.send_document(admin, ADMIN, "tool.exe", b"MZ", "application/octet-stream"))
    hidden = await bot.reply_to(bot.stub.send_document(admin, ADMIN, ".profile.txt", b"Hidden\ntext", "text/plain"))
    downloads = [c for c in bot.stub.calls if c["method"] == "getFile"]
    traversal = await bot.reply_to(bot.stub.send_document(
        admin, ADMIN, "../../sinkhole.txt", b"Sinkhole in Guatemala City\nA sinkhole swallowed a three-storey building.", "text/plain"
    ))

    assert "the limit is 100.0 KB" in too_big["message"]["text"]
    assert "cannot be indexed" in wrong_type["message"]["text"]
    assert "not a usable file name" in hidden["message"]["text"]
    assert downloads == []
    assert "Added sinkhole.txt" in traversal["message"]["text"]
    assert sorted(library.documents.iterdir()) == sorted([*files_before, library.documents / "sinkhole.txt"])
    assert not (library.documents.parent / "sinkhole.txt").exists()


# robustness ---------------------------------------------------------------------------


async def test_overlong_and_empty_questions_get_a_polite_reply(bot: RunningBot) -> None:
    ops = Chat(-1004, "supergroup", "Ops")

    overlong = await bot.ask(Chat(ANN.id), ANN, "how many " * 556)  # 5,004 characters
    bare_mention = await bot.ask(ops, ANN, f"@{BOT_NAME}")
    bare_ask = await bot.ask(ops, ANN, "/ask")
    sticker_like = await bot.ask(Chat(ANN.id), ANN, "/frobnicate")

    assert "5003 characters" in overlong["message"]["text"] and "under 1000" in overlong["message"]["text"]
    assert "Send me a question" in bare_mention["message"]["text"]
    assert "/ask How many" in bare_ask["message"]["text"]
    assert "/help" in sticker_like["message"]["text"]
    assert all(buttons(s) == [] for s in bot.stub.sent)  # nothing was answered, nothing to rate


async def test_flood_control_on_send_is_retried_and_the_answer_arrives(bot: RunningBot) -> None:
    bot.stub.fail_next("sendMessage", error_code=429, retry_after=1)

    answer = await bot.ask(Chat(ANN.id), ANN, ALEPPO)

    sends = [c for c in bot.stub.calls if c["method"] == "sendMessage"]
    assert [(c["ok"], c.get("error_code")) for c in sends] == [(False, 429), (True, None)]
    assert "17 children" in answer["message"]["text"]


async def test_html_telegram_refuses_is_sent_again_as_plain_text(bot: RunningBot) -> None:
    bot.stub.fail_next(
        "sendMessage", error_code=400, retry_after=None,
        description="Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0",
    )

    answer = await bot.ask(Chat(ANN.id), ANN, ALEPPO)

    assert answer["parse_mode"] is None
    assert "17 children" in answer["text"] and "Sources" in answer["text"]
    assert "<b>" not in answer["text"] and "&amp;" not in answer["text"]
    assert [text for text, _ in buttons(answer)] == ["👍", "👎"]


async def test_a_failed_update_gets_a_short_apology_and_the_bot_carries_on(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.stub.fail_next("sendMessage", error_code=500, retry_after=None, description="Internal Server Error: injected")

    failed = await bot.ask(Chat(ANN.id), ANN, ALEPPO)
    bot.stub.fail_next("sendChatAction", error_code=500, retry_after=None)
    later = await bot.ask(Chat(ANN.id), ANN, RHODES)

    assert failed["message"]["text"].startswith("Sorry, something went wrong")
    assert "injected" not in failed["message"]["text"] and "500" not in failed["message"]["text"]
    assert "19,000 tourists" in later["message"]["text"]
    [record] = [r for r in caplog.records if r.getMessage().startswith("error while handling update")]
    assert record.exc_info is not None and "injected" in str(record.exc_info[1])


async def test_fifty_questions_from_ten_chats_at_once_are_each_answered_once(bot: RunningBot) -> None:
    users = [User(200 + n, f"User{n}") for n in range(10)]
    questions = [ALEPPO, DERNA_Q, RHODES, "How many shelters did the fire in Cox's Bazar destroy?",
                 "How many people did Cyclone Freddy kill in Malawi?"]
    started = time.monotonic()

    # All 50 are queued before the bot's next poll, so they reach it in one batch.
    sent = [bot.stub.send_text(Chat(user.id), user, question) for user in users for question in questions]
    await bot.stub.wait_for_messages(count=50, timeout=60)
    elapsed = time.monotonic() - started
    sentinel = await bot.ask(Chat(users[0].id), users[0], RHODES)

    assert len(bot.stub.sent) == 51
    for question in sent:
        [reply] = bot.replies_to(question)
        assert reply["chat_id"] == question["chat"]["id"]
        assert [text for text, _ in buttons(reply)] == ["👍", "👎"]
    assert "19,000 tourists" in sentinel["message"]["text"]
    assert elapsed < 30


# access and start-up ---------------------------------------------------------------------


async def test_with_an_allowlist_other_chats_are_told_once_that_the_bot_is_private(
    library: Library, tmp_path: Path
) -> None:
    team = Chat(-1005, "supergroup", "Team")
    outsiders = Chat(-1006, "supergroup", "Outsiders")
    allowed = frozenset({ANN.id, team.id})
    async with running_bot(library, tmp_path, bot_allowed_chat_ids=allowed) as bot:
        stub = bot.stub
        first = stub.send_text(Chat(EVE.id), EVE, ALEPPO)
        second = stub.send_text(Chat(EVE.id), EVE, "hello?")
        chatter = stub.send_text(outsiders, BOB, "just chatting")
        outsider_ask = stub.send_text(outsiders, BOB, f"/ask {ALEPPO}")
        in_team = await bot.ask(team, BOB, f"/ask {ALEPPO}")
        admin_stats = await bot.ask(Chat(ADMIN.id), ADMIN, "/stats")
        sentinel = await bot.ask(Chat(ANN.id), ANN, ALEPPO)

        notices = [s for s in stub.sent if s["text"] == "This bot is private."]
        assert sorted(s["chat_id"] for s in notices) == sorted([EVE.id, outsiders.id])
        assert [s["reply_to_message_id"] for s in notices if s["chat_id"] == EVE.id] == [first["message_id"]]
        assert bot.replies_to(second) == [] and bot.replies_to(chatter) == []
        assert bot.replies_to(outsider_ask)[0]["text"] == "This bot is private."
        assert "17 children" in in_team["message"]["text"] and "17 children" in sentinel["message"]["text"]
        assert "Statistics" in admin_stats["message"]["text"]  # admins can always reach the bot privately
        assert len(stub.sent) == 5


async def test_the_command_lists_are_registered_for_everyone_and_for_admins(bot: RunningBot) -> None:
    scopes = {json.dumps(c["scope"], sort_keys=True): [x["command"] for x in c["commands"]] for c in bot.stub.commands}

    assert scopes[json.dumps({"type": "default"})] == ["start", "help", "ask", "sources"]
    admin_commands = scopes[json.dumps({"chat_id": ADMIN.id, "type": "chat"}, sort_keys=True)]
    assert {"reload", "stats"} <= set(admin_commands) and "ask" in admin_commands
    assert len(scopes) == 2


async def test_logs_have_one_line_per_question_and_never_the_token(library: Library, tmp_path: Path) -> None:
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.addFilter(RedactToken(TOKEN))
    root, httpx_log, bot_log = logging.getLogger(), logging.getLogger("httpx"), logging.getLogger("bot")
    levels = (httpx_log.level, bot_log.level)
    root.addHandler(handler)
    httpx_log.setLevel(logging.INFO)  # the worst case: request URLs, which carry the token
    bot_log.setLevel(logging.INFO)
    try:
        async with running_bot(library, tmp_path) as bot:
            await bot.ask(Chat(ANN.id), ANN, ALEPPO)
    finally:
        root.removeHandler(handler)
        httpx_log.setLevel(levels[0])
        bot_log.setLevel(levels[1])

    logged = output.getvalue()
    assert "getUpdates" in logged and "bot<token>/" in logged
    assert SECRET not in logged
    assert f"answered chat={ANN.id} ms=" in logged and "refused=False sources=000_" in logged
    assert "BOT_ALLOWED_CHAT_IDS is empty" in logged


async def test_incident_bot_run_indexes_the_documents_and_answers(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    for seed in SEED_DIR.glob("*.txt"):
        shutil.copy(seed, documents)
    async with TelegramStub(TOKEN, BOT_NAME) as stub:
        env = clean_env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=stub.root,
            DOCUMENTS_DIR=str(documents),
            DATA_DIR=str(tmp_path / "data"),
            BOT_ADMIN_IDS=str(ADMIN.id),
        )
        process = await BotProcess.start(tmp_path, env)
        try:
            question = stub.send_text(Chat(ANN.id), ANN, ALEPPO)
            [answer] = await stub.wait_for_messages(chat_id=ANN.id, timeout=60)
        finally:
            status = await process.interrupt()

    log = process.log
    assert answer["reply_to_message_id"] == question["message_id"]
    assert "17 children" in answer["message"]["text"]
    assert status == 0, log
    assert f"answered chat={ANN.id}" in log
    assert SECRET not in log


async def test_in_a_group_only_an_upload_caption_or_a_mention_adds_a_file(bot: RunningBot, library: Library) -> None:
    desk = Chat(-1009, "supergroup", "Desk")
    bot.stub.send_document(desk, ADMIN, "shared_minutes.txt", b"Minutes\nNothing to index.", "text/plain", caption="/help@incident_test_bot")
    upload = bot.stub.send_document(
        desk, ADMIN, "sfax_storm.txt", b"Sfax storm\nA storm damaged 40 fishing boats in Sfax.", "text/plain", caption="/upload"
    )
    added = await bot.reply_to(upload)

    assert "Added sfax_storm.txt" in added["message"]["text"]
    assert (library.documents / "sfax_storm.txt").exists()
    assert not (library.documents / "shared_minutes.txt").exists()
