"""Answers as plain text for the terminal (Telegram HTML is ``bot.telegram_format``)."""

from __future__ import annotations

import textwrap

from bot.telegram_format import describe_origin
from retrieval import Answer


def answer_as_text(answer: Answer) -> str:
    """The answer, then figures by source or a timeline's events, notes and sources."""
    lines = [answer.summary, ""] if answer.summary else []
    if answer.by_source:
        for f in answer.figures:
            who = f" - {f.who}" if f.who else ""
            also = f"; also {', '.join(f.also_published_by)}" if f.also_published_by else ""
            lines.append(f"  {f.figure}{who} ({describe_origin(f.outlet, f.published)}{also}) [{f.n}]")
        lines.append("")
    elif answer.events:
        lines.append("Timeline")
        for e in answer.events:
            when = (e.date or "undated") + (" (report date)" if e.dated_by == "report" else "")
            lines += textwrap.wrap(f"{when}: {e.text} [{e.n}]", width=100, initial_indent="  ", subsequent_indent="    ")
        lines.append("")
    else:
        lines += [answer.text, ""]
    for note in answer.notes:
        lines += [f"Note: {note}", ""]
    listed = answer.citations or answer.related
    if listed:
        lines.append("Sources" if answer.citations else "Closest passages (they do not answer the question)")
    for c in listed:
        also = f"; also published by {', '.join(c.also_published_by)}" if c.also_published_by else ""
        lines.append(f"[{c.n}] {c.title} ({describe_origin(c.source, c.published)}{also})")
        lines += textwrap.wrap(f"\u201c{c.quote}\u201d", width=100, initial_indent="    ", subsequent_indent="    ")
        if c.attributed_to:
            lines.append(f"    according to {c.attributed_to}")
        if c.url:
            lines.append(f"    {c.url}")
    return "\n".join(lines).rstrip()
