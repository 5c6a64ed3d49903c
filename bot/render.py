"""Answers as plain text for the terminal (Telegram HTML is ``bot.telegram_format``)."""

from __future__ import annotations

import textwrap

from bot.telegram_format import describe_origin
from retrieval import Answer


def answer_as_text(answer: Answer) -> str:
    lines = [answer.text, ""]
    for note in answer.notes:
        lines += [f"Note: {note}", ""]
    listed = answer.citations or answer.related
    if listed:
        lines.append("Sources" if answer.citations else "Closest passages (they do not answer the question)")
    for c in listed:
        lines.append(f"[{c.n}] {c.title} ({describe_origin(c.source, c.published)})")
        lines += textwrap.wrap(f"\u201c{c.quote}\u201d", width=100, initial_indent="    ", subsequent_indent="    ")
        if c.attributed_to:
            lines.append(f"    according to {c.attributed_to}")
        if c.url:
            lines.append(f"    {c.url}")
    return "\n".join(lines).rstrip()
