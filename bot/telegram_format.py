"""Telegram HTML for everything the bot says: answers with their sources, help, the
report list, statistics and admin summaries.

Every piece of text that came from a user or a document goes through ``html.escape``.
Telegram refuses a message over 4096 characters (counted after entity parsing, in UTF-16
code units), so answers are split between sources, never inside a tag; a single quote
too long for one message is cut to a verbatim prefix followed by "…".
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from telegram.constants import MessageLimit

from retrieval import Answer, Citation, IngestSummary, Report, ReportInfo, counted

MAX_MESSAGE_CHARS = MessageLimit.MAX_TEXT_LENGTH
ELLIPSIS = "…"
# Titles, outlets and attributions are shortened so that a source block's fixed parts stay
# small and the rest of a message is left for the quote.
TITLE_MAX_CHARS = 200
OUTLET_MAX_CHARS = 100
ATTRIBUTION_MAX_CHARS = 200
# A reload summary names at most this much, so it always fits in one message.
LISTED_IDS_MAX = 10
ID_MAX_CHARS = 80
LISTED_ERRORS_MAX = 5
ERROR_MAX_CHARS = 200
SOURCES_PER_PAGE = 10
# Quotes longer than this are folded into an expandable blockquote: a phone shows their
# first lines and the reader taps for the rest.
EXPANDABLE_QUOTE_CHARS = 280

SOURCES_HEADING = "<b>Sources</b>"
RELATED_HEADING = "<b>Related passages</b> <i>(the closest the reports come; they do not answer the question)</i>"

_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Text as Telegram HTML: only &, < and > are special outside attributes."""
    return html.escape(text, quote=False)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's message limit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def as_plain_text(message: str) -> str:
    """What the user reads of an HTML message: the same text without markup. Used when
    Telegram refuses the HTML; exact because our text never contains a raw '<'."""
    return html.unescape(_TAG.sub("", message))


def visible_length(message: str) -> int:
    """How long Telegram considers an HTML message."""
    return utf16_length(as_plain_text(message).strip())


def shorten(text: str, max_chars: int) -> str:
    """At most max_chars characters, cut at a word boundary and marked with "…"."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if " " in cut[max_chars // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS


def verbatim_prefix(text: str, max_units: int) -> str:
    """The longest prefix of text within max_units UTF-16 units, preferably ending at a
    word boundary. Always a prefix of text, so a truncated quote stays verbatim."""
    units, end = 0, 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > max_units:
            break
        end = i + 1
    prefix = text[:end]
    if end < len(text):
        boundary = prefix.rfind(" ")
        if boundary >= max(1, len(prefix) - 100):
            prefix = prefix[:boundary]
    return prefix.rstrip()


# answers ---------------------------------------------------------------------


def _link(title: str, url: str | None) -> str:
    shown = escape(shorten(title, TITLE_MAX_CHARS))
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(url, quote=True)}">{shown}</a>'
    return shown


def describe_origin(source: str | None, published: str | None) -> str:
    """'outlet, date' as shown under a title."""
    return ", ".join(p for p in (shorten(source or "unknown outlet", OUTLET_MAX_CHARS), published) if p)


def source_block(citation: Citation, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """One numbered source: linked title, outlet and date, where else the story was
    published, the verbatim quote (folded away on a phone when long) and who made the
    claim; the quote is truncated so the block fits in max_chars."""
    origin = describe_origin(citation.source, citation.published)
    if citation.also_published_by:
        origin += "; also published by " + ", ".join(shorten(s, OUTLET_MAX_CHARS) for s in citation.also_published_by)
    top = f"<b>[{citation.n}]</b> {_link(citation.title, citation.url)}\n<i>{escape(origin)}</i>\n"
    tail = ""
    if citation.attributed_to:
        tail = f"\n<i>according to {escape(shorten(citation.attributed_to, ATTRIBUTION_MAX_CHARS))}</i>"
    opening = "<blockquote expandable>" if len(citation.quote) > EXPANDABLE_QUOTE_CHARS else "<blockquote>"

    def block(quote: str) -> str:
        return f"{top}{opening}\u201c{escape(quote)}\u201d</blockquote>{tail}"

    full = block(citation.quote)
    if visible_length(full) <= max_chars:
        return full
    room = max_chars - visible_length(block("")) - utf16_length(ELLIPSIS)
    return block(verbatim_prefix(citation.quote, max(room, 0)) + ELLIPSIS)


def _text_pieces(text: str, max_chars: int) -> list[str]:
    """Plain text in escaped pieces of at most max_chars, split at line or word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        if utf16_length(rest) <= max_chars:
            pieces.append(rest)
            break
        head = verbatim_prefix(rest, max_chars)
        newline = head.rfind("\n")
        if newline > len(head) // 2:
            head = head[:newline]
        if not head:  # one unbreakable character wider than the limit cannot happen; be safe
            head = rest[:1]
        pieces.append(head.rstrip())
        rest = rest[len(head) :].lstrip()
    return [escape(p) for p in pieces]


def _fit(html_lines: str, max_chars: int) -> list[str]:
    """HTML made of whole lines, split between lines into pieces that fit a message."""
    if visible_length(html_lines) <= max_chars:
        return [html_lines]
    pieces, current = [], ""
    for line in html_lines.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if current and visible_length(candidate) > max_chars:
            pieces.append(current)
            candidate = line
        current = candidate
    return pieces + ([current] if current else [])


def pack(pieces: Sequence[str], max_chars: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Join pieces (each within max_chars) into as few messages as fit, in order."""
    messages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if visible_length(candidate) <= max_chars:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = piece
    if current:
        messages.append(current)
    return messages


def _figure_lines(answer: Answer) -> list[str]:
    """Figures by source as a compact list: the figure, who gives it, outlet and date."""
    lines = []
    for f in answer.figures:
        who = f" — {escape(shorten(f.who, ATTRIBUTION_MAX_CHARS))}" if f.who else ""
        origin = escape(describe_origin(f.outlet, f.published))
        also = f"; also {escape(', '.join(f.also_published_by))}" if f.also_published_by else ""
        lines.append(f"• <b>{escape(f.figure)}</b>{who} <i>({origin}{also})</i> [{f.n}]")
    return lines


def _event_lines(answer: Answer) -> list[str]:
    """A timeline as a compact list: the date (said to be the report's when the text gives
    none), then the event."""
    lines = []
    for e in answer.events:
        when = e.date or "undated"
        if e.dated_by == "report":
            when += " (report date)"
        lines.append(f"• <b>{escape(when)}</b> {escape(shorten(e.text, TITLE_MAX_CHARS))} [{e.n}]")
    return lines


def answer_messages(answer: Answer, max_chars: int = MAX_MESSAGE_CHARS) -> list[str]:
    """An answer as one or more Telegram HTML messages. Figures by source: the summary
    first, then a line per report; a timeline: its dated events; otherwise the answer
    text with its [n] markers. Then any notes, then "Sources" (or, for a refusal, the
    related passages)."""
    if answer.by_source:
        pieces = [f"<b>{escape(answer.summary)}</b>"] if answer.summary else []
        pieces += ["\n".join(_figure_lines(answer))]
    elif answer.events:
        pieces = ["<b>Timeline</b>\n" + "\n".join(_event_lines(answer))]
    else:
        pieces = _text_pieces(answer.text, max_chars) or [escape("(no answer)")]
    pieces = [piece for chunk in pieces for piece in _fit(chunk, max_chars)]
    pieces += [f"<i>{p}</i>" for note in answer.notes for p in _text_pieces(note, max_chars - 2)]
    listed = answer.citations or answer.related
    heading = SOURCES_HEADING if answer.citations else RELATED_HEADING
    for i, citation in enumerate(listed):
        if i == 0:  # the heading stays with the first source
            room = max_chars - visible_length(heading) - 1
            pieces.append(f"{heading}\n{source_block(citation, room)}")
        else:
            pieces.append(source_block(citation, max_chars))
    return pack(pieces, max_chars)


# help, sources, stats --------------------------------------------------------


def describe_collection(stats: dict) -> str:
    """'12 reports from 5 sources, published 2016-10-31 to 2023-09-12'."""
    if not stats.get("reports"):
        return "no reports yet (an admin can add some)"
    text = f"{counted(stats['reports'], 'report')} from {counted(stats.get('sources') or 0, 'source')}"
    first, last = stats.get("first_published"), stats.get("last_published")
    if first and last:
        text += f", published {first} to {last}" if first != last else f", published {first}"
    return text


def help_message(stats: dict, bot_username: str, in_group: bool, for_admin: bool = False) -> str:
    """What /start and /help say, on one screen: what the bot knows, how to ask, the
    filters a question can carry, and every command (admin ones only for admins)."""
    mention = f"@{escape(bot_username)}"
    lines = [
        "<b>Questions about incident reports, answered with sources</b>",
        "",
        f"I know {escape(describe_collection(stats))}. Every answer quotes the reports word for word "
        "and says who in the report made each claim. If the reports don't answer a question, I say so "
        "and show the closest passages.",
        "",
        "<b>How to ask</b>",
    ]
    if in_group:
        lines += [
            f"• <code>/ask your question</code>, or mention me: <code>{mention} your question</code>",
            "• Reply to one of my answers to ask a follow-up.",
        ]
    else:
        lines += [
            "• Just send your question, e.g. <i>How many people were killed in western Aleppo?</i>",
            "• Reply to one of my answers to ask a follow-up (\u201cand who reported it?\u201d).",
            f"• In a group: <code>/ask your question</code> or <code>{mention} your question</code>.",
        ]
    lines += [
        "• Narrow it with <code>source:SANA</code>, <code>since:2016-10-01</code>, <code>until:2016-10-31</code> "
        "or dates in words (\u201cin October 2016\u201d); /sources takes them too.",
        "• 👍 / 👎 under an answer tells the team whether it helped.",
        "",
        "<b>Commands</b>",
        "/ask <i>question</i> \u2013 ask (in groups) \u00b7 /sources \u2013 list the reports \u00b7 /help \u2013 this message",
    ]
    if for_admin:
        lines += [
            "<b>Admin</b>: /reload \u2013 re-index the documents folder \u00b7 /stats \u2013 usage and index size "
            "\u00b7 /upload \u2013 how to add a report (send the file)",
        ]
    return "\n".join(lines)


def sources_page(
    reports: Sequence[ReportInfo], page: int, described: str | None = None, per_page: int = SOURCES_PER_PAGE
) -> tuple[str, int, int]:
    """One page of the report list (narrowed as described, if it was): (HTML, page shown,
    number of pages). A syndicated copy says which report it copies."""
    pages = max(1, math.ceil(len(reports) / per_page))
    page = min(max(page, 0), pages - 1)
    if not reports:
        return (f"No {escape(described)}." if described else "No reports are indexed yet."), 0, 1
    heading = f"<b>Indexed reports</b> ({len(reports)}), page {page + 1} of {pages}"
    lines = [heading, f"<i>Only {escape(described)}</i>" if described else ""]
    titles = {r.doc_id: r.title for r in reports}
    start = page * per_page
    for number, report in enumerate(reports[start : start + per_page], start=start + 1):
        origin = escape(describe_origin(report.source, report.published or "undated"))
        copy = ""
        if report.copy_of:
            copy = f"; a copy of {escape(shorten(titles.get(report.copy_of, report.copy_of), TITLE_MAX_CHARS))}"
        lines.append(f"{number}. {_link(report.title, report.url)}\n    <i>{origin}{copy}</i>")
    return "\n".join(lines), page, pages


def stats_message(stats: dict, counts: dict, uptime_seconds: float) -> str:
    """What /stats shows admins."""
    hours, rest = divmod(int(uptime_seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return "\n".join(
        [
            "<b>Statistics</b>",
            f"Reports: {stats.get('reports', 0)} ({counted(stats.get('passages', 0), 'passage')}, "
            f"{counted(stats.get('sources') or 0, 'source')})",
            f"Questions answered: {counts['questions']} (refused: {counts['refusals']})",
            f"Feedback: 👍 {counts['up']} / 👎 {counts['down']}",
            f"Uptime: {hours}h {minutes:02d}m {seconds:02d}s",
        ]
    )


def _id_list(label: str, ids: Sequence[str]) -> str:
    shown = ", ".join(escape(shorten(i, ID_MAX_CHARS)) for i in ids[:LISTED_IDS_MAX])
    more = f" and {len(ids) - LISTED_IDS_MAX} more" if len(ids) > LISTED_IDS_MAX else ""
    return f"{label} ({len(ids)}): {shown}{more}"


def ingest_message(summary: IngestSummary, heading: str) -> str:
    """An ingest summary for admins: counts, the ids that changed, skipped files
    (bounded by the LISTED_* limits, so it fits in one message)."""
    lines = [
        f"<b>{escape(heading)}</b>",
        f"{len(summary.added)} added, {len(summary.updated)} updated, {len(summary.removed)} removed, "
        f"{summary.unchanged} unchanged; {counted(summary.passages, 'passage')} indexed in {summary.seconds:.1f} s",
    ]
    for label, ids in (("Added", summary.added), ("Updated", summary.updated), ("Removed", summary.removed)):
        if ids:
            lines.append(_id_list(label, ids))
    if summary.errors:
        lines.append(f"<b>Skipped {counted(len(summary.errors), 'file')}:</b>")
        lines += [f"• {escape(shorten(e, ERROR_MAX_CHARS))}" for e in summary.errors[:LISTED_ERRORS_MAX]]
        if len(summary.errors) > LISTED_ERRORS_MAX:
            lines.append(f"… and {len(summary.errors) - LISTED_ERRORS_MAX} more")
    return "\n".join(lines)


def upload_message(name: str, reports: Sequence[Report], summary: IngestSummary, already_present: bool) -> str:
    """What an admin reads after an upload: which reports can now be cited."""
    if already_present and not summary.changed:
        heading = f"{name} is already in the documents folder and indexed; nothing changed"
    else:
        heading = f"Added {name}"
    lines = [
        f"<b>{escape(heading)}</b>",
        f"{len(summary.added)} added, {len(summary.updated)} updated; "
        f"{counted(summary.passages, 'passage')} indexed in {summary.seconds:.1f} s",
    ]
    changed = set(summary.added) | set(summary.updated)
    shown = [r for r in reports if r.doc_id in changed]
    if shown:
        lines.append("Now citable:")
        lines += [
            f"• {escape(shorten(r.title, TITLE_MAX_CHARS))} <i>({escape(shorten(r.doc_id, ID_MAX_CHARS))})</i>"
            for r in shown[:LISTED_IDS_MAX]
        ]
        if len(shown) > LISTED_IDS_MAX:
            lines.append(f"… and {len(shown) - LISTED_IDS_MAX} more")
    return "\n".join(lines)
