"""Answers as Telegram HTML: escaped, valid for Telegram's parser, within 4096 characters,
split between sources, quotes verbatim (or a verbatim prefix and "…")."""

from __future__ import annotations

import re

import pytest

from bot.telegram_format import (
    MAX_MESSAGE_CHARS,
    answer_messages,
    as_plain_text,
    help_message,
    ingest_message,
    sources_page,
    utf16_length,
    verbatim_prefix,
)
from retrieval.answer.types import Answer, Citation
from retrieval.index.catalog import ReportInfo
from retrieval.index.ingest import IngestSummary
from tests.telegram_stub import parse_html, utf16_len


def citation(n: int, quote: str = "Up to 48 people including 17 children have been killed", **fields: object) -> Citation:
    values = {
        "n": n,
        "doc_id": f"doc{n}",
        "title": f"Report {n}",
        "source": "Amnesty International",
        "published": "2016-10-31",
        "url": None,
        "quote": quote,
        "start": 0,
        "end": len(quote),
        "attributed_to": "the Syrian Observatory for Human Rights",
    }
    values.update(fields)
    return Citation(**values)


def telegram_view(message: str) -> tuple[str, list[dict]]:
    """What Telegram makes of the message, checking it would accept it."""
    text, entities = parse_html(message)
    assert utf16_len(text.strip()) <= MAX_MESSAGE_CHARS
    return text, entities


def shown_quotes(text: str) -> list[str]:
    return re.findall(r"\u201c(.*?)\u201d", text, flags=re.DOTALL)


def test_a_short_answer_is_one_message_with_sources_quote_and_attribution() -> None:
    answer = Answer(question="q", text="Up to 48 people were killed [1]", refused=False, citations=[citation(1)])

    [message] = answer_messages(answer)
    text, entities = telegram_view(message)

    assert text.startswith("Up to 48 people were killed [1]")
    assert "Sources\n[1] Report 1\nAmnesty International, 2016-10-31" in text
    assert shown_quotes(text) == ["Up to 48 people including 17 children have been killed"]
    assert text.endswith("according to the Syrian Observatory for Human Rights")
    assert {"bold", "italic", "blockquote"} <= {e["type"] for e in entities}


def test_user_and_document_text_is_escaped() -> None:
    nasty = 'Fire & flood <b>"update"</b> </blockquote>'
    answer = Answer(
        question=nasty,
        text=f"{nasty} [1]",
        refused=False,
        citations=[citation(1, quote=nasty, title=nasty, source=nasty, attributed_to=nasty, url=f"https://x.org/?q={nasty}")],
        notes=[nasty],
    )

    [message] = answer_messages(answer)
    text, entities = telegram_view(message)

    assert text.count(nasty) == 6  # answer, note, title, outlet, quote, attribution
    [link] = [e for e in entities if e["type"] == "text_link"]
    assert link["url"] == f"https://x.org/?q={nasty}"


def test_only_web_links_are_linked() -> None:
    answer = Answer(question="q", text="x [1] [2]", refused=False, citations=[
        citation(1, url="javascript:alert(1)"), citation(2, url="https://example.org/a?b=1&c=2"),
    ])

    _, entities = telegram_view(answer_messages(answer)[0])

    assert [e["url"] for e in entities if e["type"] == "text_link"] == ["https://example.org/a?b=1&c=2"]


def test_a_refusal_lists_the_related_passages() -> None:
    answer = Answer(question="q", text="The reports I have don't answer that.", refused=True, related=[citation(1)])

    text, _ = telegram_view(answer_messages(answer)[0])

    assert "Related passages" in text and "Sources" not in text
    assert shown_quotes(text) == [citation(1).quote]


def test_many_sources_are_split_between_sources_in_order() -> None:
    quotes = [f"passage {n} " + "word " * 150 for n in range(1, 31)]
    answer = Answer(
        question="q",
        text=" ".join(f"claim [{n}]" for n in range(1, 31)),
        refused=False,
        citations=[citation(n, quote=q.strip()) for n, q in enumerate(quotes, start=1)],
    )

    messages = answer_messages(answer)
    texts = [telegram_view(m)[0] for m in messages]

    assert len(messages) > 1
    assert texts[0].startswith("claim [1]")
    assert sum(t.count("Sources") for t in texts) == 1
    assert [q for t in texts for q in shown_quotes(t)] == [q.strip() for q in quotes]  # all whole, in order
    for t in texts[1:]:
        assert re.match(r"\[\d+\] Report \d+", t)  # each continuation starts at a source


def test_a_huge_quote_is_cut_to_a_verbatim_prefix_and_an_ellipsis() -> None:
    quote = "😀 casualty figures " * 600  # 11,400 characters, 12,000 UTF-16 units
    answer = Answer(question="q", text="Figures [1]", refused=False, citations=[citation(1, quote=quote)])

    messages = answer_messages(answer)
    texts = [telegram_view(m)[0] for m in messages]

    [shown] = [q for t in texts for q in shown_quotes(t)]
    assert shown.endswith("…") and len(shown) > 1000
    assert quote.startswith(shown[:-1])
    assert texts[-1].endswith("according to the Syrian Observatory for Human Rights")


def test_a_very_long_answer_text_is_split_at_word_boundaries() -> None:
    words = [f"w{n}" for n in range(3000)]
    answer = Answer(question="q", text=" ".join(words), refused=False, citations=[citation(1)])

    texts = [telegram_view(m)[0] for m in answer_messages(answer)]

    body = " ".join(t for t in texts if "Sources" not in t) + " " + texts[-1].split("\n\nSources")[0]
    assert len(texts) >= 3
    assert body.split()[: len(words)] == words


def test_the_plain_text_fallback_is_what_telegram_shows_of_the_html() -> None:
    answer = Answer(question="q", text="A & B <c> [1]", refused=False, citations=[citation(1, url="https://a.org/?x=1&y=2")])

    for message in answer_messages(answer):
        assert as_plain_text(message) == parse_html(message)[0]
        assert "<" not in as_plain_text(message).replace("<c>", "")


def test_verbatim_prefix_counts_utf16_and_never_splits_a_character() -> None:
    assert verbatim_prefix("😀😀😀", 3) == "😀"
    assert verbatim_prefix("one two three", 9) == "one two"
    assert utf16_length("😀a") == 3


def test_sources_pages_are_clamped_escaped_and_numbered() -> None:
    reports = [ReportInfo(f"r{n}", f"Title {n} <&>", "Outlet & Co", None, None, 3) for n in range(1, 24)]

    first, page, pages = sources_page(reports, 0)
    last, last_page, _ = sources_page(reports, 99)

    assert (page, pages, last_page) == (0, 3, 2)
    text, _ = telegram_view(first)
    assert "page 1 of 3" in text and "1. Title 1 <&>" in text and "10. Title 10" in text and "11." not in text
    assert "21. Title 21" in telegram_view(last)[0] and "Outlet & Co, undated" in telegram_view(last)[0]


def test_a_reload_summary_fits_one_message_however_much_changed() -> None:
    summary = IngestSummary(
        added=[f"collection/report-{'x' * 200}-{n}" for n in range(500)],
        updated=[f"u{n}" for n in range(40)],
        removed=[f"r{n}<&>" for n in range(40)],
        unchanged=7,
        errors=[f"file{n}.pdf: not a readable PDF ({'x' * 1000})" for n in range(50)],
    )

    text, _ = telegram_view(ingest_message(summary, "Reload finished"))

    assert "500 added, 40 updated, 40 removed, 7 unchanged" in text
    assert "and 490 more" in text and "r0<&>" in text and "Skipped 50 files" in text


def test_help_describes_the_collection() -> None:
    stats = {"reports": 12, "sources": 5, "first_published": "2016-10-31", "last_published": "2023-09-12"}

    private, _ = telegram_view(help_message(stats, "incident_bot", in_group=False))
    group, _ = telegram_view(help_message(stats, "incident_bot", in_group=True))
    empty, _ = telegram_view(help_message({"reports": 0}, "incident_bot", in_group=False))

    assert "12 reports from 5 sources, published 2016-10-31 to 2023-09-12" in private
    assert "Just send your question" in private and "@incident_bot your question" in group
    assert "no reports yet" in empty
    assert "/reload" not in private and "/reload" in telegram_view(help_message(stats, "incident_bot", False, for_admin=True))[0]


@pytest.mark.parametrize("limit", [1000, 2000, MAX_MESSAGE_CHARS])
def test_every_message_fits_the_limit_it_is_given(limit: int) -> None:
    answer = Answer(
        question="q",
        text="claim " * 400,
        refused=False,
        citations=[
            citation(n, quote="quote " * 300, title="T" * 5000, source="S" * 5000, attributed_to="A" * 5000)
            for n in range(1, 6)
        ],
        notes=["note " * 100],
    )

    for message in answer_messages(answer, max_chars=limit):
        parse_html(message)
        assert utf16_length(as_plain_text(message).strip()) <= limit
