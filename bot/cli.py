"""The ``incident-bot`` command: ingest, ask, sources, show, remove, run.

    incident-bot ingest [PATH ...]          index files and folders (default DOCUMENTS_DIR)
    incident-bot ask "QUESTION" [--json]    answer one question; no QUESTION: one per stdin line,
                                            or a console on a terminal (bot/console.py)
    incident-bot sources [--json]           list the indexed reports
    incident-bot show DOC_ID [--json]       one report with its metadata and full text
    incident-bot remove DOC_ID ...          take reports out of the index
    incident-bot run                        start the Telegram bot
    incident-bot --version                  the installed version

Settings come from config/settings.toml, .env and the environment (see README).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from retrieval import counted


def _settings():
    from retrieval import Settings

    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(_setting_problem(error) for error in e.errors())
        print(f"incident-bot: invalid settings: {problems}", file=sys.stderr)
        raise SystemExit(2) from e


def _setting_problem(error: dict) -> str:
    """One invalid setting as its variable, the value given (unless secret) and what is wrong."""
    name = ".".join(str(part) for part in error["loc"]).upper()
    secret = any(word in name for word in ("TOKEN", "KEY", "SECRET"))
    return f"{name}{'' if secret else '=' + repr(error['input'])}: {error['msg']}"


def _model_or_extractive(settings):
    """The settings, with LLM=extractive in place of a model that cannot work (said once
    on stderr), and the note each answer then carries (or None)."""
    from retrieval import LLMConfigError, check_llm_settings

    try:
        check_llm_settings(settings)
    except LLMConfigError as e:
        print(f"incident-bot: {e}; answering without a language model", file=sys.stderr)
        return settings.model_copy(update={"llm": "extractive"}), f"Answered without a language model: {e}."
    return settings, None


def _engine(settings, rebuild: bool = False):
    from retrieval import Engine, IndexMismatchError

    try:
        return Engine(settings, rebuild=rebuild)
    except (IndexMismatchError, ConnectionError, ValueError) as e:
        raise SystemExit(f"incident-bot: {e}") from e


def cmd_ingest(args: argparse.Namespace) -> int:
    from retrieval import DocumentError, IngestBusyError

    settings = _settings()
    try:
        engine = _engine(settings, rebuild=args.rebuild)  # upgrading an older index takes the lock too
        summary = engine.ingest([Path(p) for p in args.paths] or None, rebuild=args.rebuild, progress=ProgressDisplay())
    except (DocumentError, IngestBusyError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2
    for error in summary.errors:
        print(f"skipped: {error}", file=sys.stderr)
    print(json.dumps(summary.to_json()) if args.json else summary.line())
    if summary.interrupted:
        return 130
    return 1 if summary.errors else 0


class ProgressDisplay:
    """Ingest progress on stderr: a bar with an estimate on a terminal, otherwise a line
    every few seconds."""

    LINE_EVERY_SECONDS = 5.0

    def __init__(self) -> None:
        self._bar = None
        self._started = time.monotonic()
        self._last_line = 0.0

    def __call__(self, done: int, expected: int) -> None:
        if sys.stderr.isatty():
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=expected, unit="report", desc="indexing", file=sys.stderr)
            self._bar.total = max(expected, done)
            self._bar.update(done - self._bar.n)
            if done >= expected:
                self._bar.close()
            return
        now = time.monotonic()
        if done < expected and now - self._last_line < self.LINE_EVERY_SECONDS:
            return
        self._last_line = now
        elapsed = now - self._started
        left = f", about {elapsed / done * (expected - done):.0f} s left" if 0 < done < expected else ""
        print(f"indexing: {done} of {counted(expected, 'report')}{left}", file=sys.stderr, flush=True)


def _ensure_indexed(engine) -> None:
    """A fresh clone answers out of the box: index DOCUMENTS_DIR on first use, showing
    progress, and say what was skipped."""
    from retrieval import DocumentError

    if engine.stats()["reports"] == 0:
        folder = engine.settings.documents_dir
        print(f"indexing {folder} for the first use (Ctrl-C stops and keeps what is done)", file=sys.stderr)
        try:
            summary = engine.ingest(progress=ProgressDisplay())
        except DocumentError as e:
            print(f"incident-bot: {e}; set DOCUMENTS_DIR or run `incident-bot ingest PATH`", file=sys.stderr)
            return
        for error in summary.errors:
            print(f"skipped: {error}", file=sys.stderr)
        print(f"indexed {folder}: {summary.line()}", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    from retrieval import SearchFilter

    settings, note = _model_or_extractive(_settings())
    engine = _engine(settings)
    _ensure_indexed(engine)
    where = SearchFilter(args.source, args.since, args.until)
    if args.question:
        if " ".join(args.question).strip():
            _answer(engine, " ".join(args.question).strip(), args.json, where, note)
    elif sys.stdin.isatty():
        from bot.console import HISTORY_FILE, run_console

        return run_console(
            lambda question, previous: _answer(engine, question, args.json, where, note, previous),
            engine.stats()["reports"],
            settings.data_dir / HISTORY_FILE,
        )
    else:  # batch: each answer in text follows its question, so the output reads on its own
        for question in (line.strip() for line in sys.stdin):
            if question:
                _answer(engine, question, args.json, where, note, echo=not args.json)
    return 0


def _answer(
    engine, question: str, as_json: bool, where, note: str | None = None, previous: list[str] | None = None, echo: bool = False
) -> None:
    """Print the answer to one question (read with the previous ones of its thread), or
    say why there is none, in the chosen format; note (why no model answers) is added to
    its notes; echo prints "Q: question" first."""
    from bot.render import answer_as_text

    if echo:
        print(f"Q: {question}")
    limit = engine.settings.max_question_chars
    if len(question) > limit:
        message = f"The question is longer than {limit} characters; please shorten it."
        if as_json:
            print(json.dumps({"question": question, "answer": message, "refused": True, "citations": [], "error": "too_long"}))
        else:
            print(message + "\n", flush=True)
        return
    answer = engine.ask(question, previous=previous, where=None if where.empty else where)
    if note:
        answer.notes.append(note)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
    else:
        print(answer_as_text(answer) + "\n", flush=True)


def cmd_sources(args: argparse.Namespace) -> int:
    from retrieval import SearchFilter

    settings = _settings()
    engine = _engine(settings)
    reports = engine.reports(SearchFilter(args.source, args.since, args.until))
    if args.json:
        for report in reports:
            print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    for report in reports:
        date = report.published or "undated"
        copy = f"\tcopy of {report.copy_of}" if report.copy_of else ""
        print(f"{report.doc_id}\t{date}\t{report.source or ''}\t{report.title}{copy}")
    print(counted(len(reports), "report"), file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from retrieval import UnknownReportError

    engine = _engine(_settings())
    try:
        report = engine.report(args.doc_id)
    except UnknownReportError as e:
        print(f"incident-bot: {e}; `incident-bot sources` lists them", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    fields = [
        ("title", report.title),
        ("outlet", report.source or "unknown"),
        ("published", report.published or "undated"),
        ("url", report.url or "none"),
        ("file", report.origin),
        ("copy of", report.copy_of),
        ("copies", ", ".join(report.copies)),
        ("passages", str(report.passages)),
        *((name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)) for name, value in report.metadata.items()),
        ("indexed", report.indexed_at),
    ]
    print(report.doc_id)
    for name, value in fields:
        if value:
            print(f"{name + ':':<10} {value}")
    print()
    print(report.text)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from retrieval import IngestBusyError, UnknownReportError

    engine = _engine(_settings())
    try:
        removed = engine.remove(args.doc_ids)
    except UnknownReportError as e:
        print(f"incident-bot: {e}; nothing was removed (`incident-bot sources` lists the reports)", file=sys.stderr)
        return 2
    except IngestBusyError as e:
        print(f"incident-bot: {e}; nothing was removed", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"removed": [r.doc_id for r in removed]}))
        return 0
    for report in removed:
        print(f"removed {report.doc_id}\t{report.title}\t{report.origin}")
    print(
        f"{len(removed)} removed. `incident-bot ingest` leaves them out until they are edited in their file.",
        file=sys.stderr,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import StartupError, run
    from retrieval import LLMConfigError

    try:
        return run(_settings(), verbose=args.verbose)
    except (StartupError, LLMConfigError) as e:
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2


def _iso_date(value: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"expected a date like 2016-10-31, got {value!r}") from e


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("incident-bot")
    except PackageNotFoundError:
        return "(not installed: run from a checkout without pip install)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incident-bot", description="Cited answers about incident reports.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="index files and folders (default: DOCUMENTS_DIR)")
    ingest.add_argument("paths", nargs="*", help=".txt .md .html .pdf .docx .jsonl files or folders")
    ingest.add_argument(
        "--rebuild",
        action="store_true",
        help="re-index every report the index holds, each from its file wherever it was ingested from (or from "
        "the text the index stored if the file is gone), and add what is new under PATH (default DOCUMENTS_DIR); "
        "removes nothing, and an interrupted rebuild is finished by the next one",
    )
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON")
    ingest.set_defaults(func=cmd_ingest)

    ask = sub.add_parser("ask", help="answer a question (no QUESTION: one per line from stdin)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--source", help="only reports from this outlet (substring, e.g. Reuters)")
    ask.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or after this date")
    ask.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or before this date")
    ask.set_defaults(func=cmd_ask)

    sources = sub.add_parser("sources", help="list the indexed reports")
    sources.add_argument("--json", action="store_true", help="one JSON object per report")
    sources.add_argument("--source", help="only reports from this outlet (substring)")
    sources.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or after this date")
    sources.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="only reports published on or before this date")
    sources.set_defaults(func=cmd_sources)

    show = sub.add_parser("show", help="print one report with its metadata and full text")
    show.add_argument("doc_id", metavar="DOC_ID", help="a report id, as `sources` lists them")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(func=cmd_show)

    remove = sub.add_parser(
        "remove", help="take reports out of the index; ingest leaves them out until they are edited in their file"
    )
    remove.add_argument("doc_ids", nargs="+", metavar="DOC_ID", help="report ids, as `sources` lists them")
    remove.add_argument("--json", action="store_true", help="print the removed ids as JSON")
    remove.set_defaults(func=cmd_remove)

    run = sub.add_parser("run", help="start the Telegram bot")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("httpx", "chromadb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except ConnectionError as e:  # a Chroma server that is down, found when first needed
        print(f"incident-bot: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
