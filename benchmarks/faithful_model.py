"""A stand-in language model behind an OpenAI-compatible server on 127.0.0.1, written
apart from the verification code, as an adversary would write it.

It measures the LLM path without an LLM. For each question it knows the gold (the
question files' gold_answers, gold_attribution and gold_doc_ids; for figure questions
gold_figures) and answers from what is IN THE PROMPT the engine sends: the numbered
report windows ("[n] title (outlet, date)" then the text) and "Question: ...". The gold
reports (read from the corpus and the seeds) only tell it which sentences of the prompt
are the right ones; everything it says comes from the prompt.

It writes the way varied capable models write, one style per question, picked by a seed
made from the question id: the headline first then details, "According to X, ...",
"X said ...", "Al-Manar reported, citing X, that ...", bullets of figures by source
("- SOHR: at least 22 people killed [2]"), acronyms (SOHR, IS) when the report spells the
name out, possessives and apostrophes a stripped text lacks ("Syria's", "Hezbollah's"),
direct quotations in curly quotes, "Yes:"/"No:" openers for yes/no questions, and
paraphrase ("died" for "were killed", a trailing "on Tuesday" moved to the front), while
every figure, date and name stays as the report writes it. In structured mode each claim
copies its quote from the report, sometimes with the small differences real models make
(curly quote marks, a trimmed end, commas or apostrophes the stored text lacks). It says
"The reports do not say." (no claims) when no report of the prompt holds a gold answer.

The model name (LLM=openai:<name>) picks what it does: ``<mode>`` or ``<mode>-text``.

- ``faithful``: the answer above;
- ``plant-figure``: the same answer with one figure of one claim changed to another number
  that appears elsewhere in the same report; the quote stays the honest sentence;
- ``plant-figure-doctored``: the same lie with the quote doctored to carry the new number;
- ``plant-source``: one claim credited to a real outlet that only carried it (the
  report's outlet from its header, or a news agency the report mentions) in place of the
  one the report credits;
- ``plant-invented-source``: one claim credited to a source no report names;
- ``plant-citation``: one claim cited to another report of the prompt that holds
  neither its quote nor its figures.

Without ``-text`` the model honours ``response_format`` / ``tools`` (JSON claims, or a
tool call) and writes prose only when neither is asked for; with ``-text`` it writes prose
with [n] markers always, as models that ignore ``response_format`` do. Every reply is
recorded (``model.reply(name, question_id)``): the claims as the model made them and the
one lie it planted, so a benchmark can check what reached the user.

    with FaithfulModel(questions) as model:
        Engine(settings.model_copy(update={"llm": "openai:faithful", "llm_base_url": model.base_url}))

``benchmarks/faithful_eval.py`` runs questions through real engines, one per mode, and
counts what reached the user (``python -m benchmarks.faithful_eval --index DIR``).
"""

from __future__ import annotations

import json
import random
import re
import threading
import zlib
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from benchmarks.local_server import LocalServer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = PROJECT_ROOT.parent / "shared" / "corpus"
SEED_DIR = PROJECT_ROOT / "seeds"

REFUSAL = "The reports do not say."
LIES = ("plant-figure", "plant-figure-doctored", "plant-source", "plant-invented-source", "plant-citation")
MODES = ("faithful", *LIES)
TEXT = "-text"
INVENTED_SOURCES = (
    "the Levant Monitor for Civil Rights",
    "Karim Haddad, a spokesman for the Northern Relief Council",
    "the Euphrates Casualty Registry",
)
INVENTED_IT_SOURCES = (  # for postmortems
    "an independent review by Stratusphere Reliability Partners",
    "the Open Outage Registry",
)
# News agencies a report may mention as the carrier of someone else's claim.
AGENCIES = (
    "AFP", "Agence France-Presse", "Reuters", "Associated Press", "AP", "SANA", "Anadolu", "Anadolu Agency",
    "DPA", "TASS", "Sputnik", "Xinhua", "RIA Novosti", "Interfax", "Al Jazeera", "ANHA", "Hawar news agency",
    "Qasioun", "Smart news agency", "Fars", "IRNA", "Tasnim", "Al-Manar", "Al Mayadeen", "NNA",
)
ACRONYMS = (  # the long form as reports spell it, the acronym models use for it
    ("Syrian Observatory for Human Rights", "SOHR"),
    ("Syrian Observatory of Human Rights", "SOHR"),
    ("Islamic State of Iraq and the Levant", "ISIL"),
    ("Islamic State of Iraq and Syria", "ISIS"),
    ("Islamic State", "IS"),
    ("Syrian Arab News Agency", "SANA"),
    ("Syrian Democratic Forces", "SDF"),
    ("Free Syrian Army", "FSA"),
    ("Syrian Arab Red Crescent", "SARC"),
    ("International Committee of the Red Cross", "ICRC"),
    ("Syrian Network for Human Rights", "SNHR"),
    ("Violations Documentation Center", "VDC"),
    ("Syrian American Medical Society", "SAMS"),
    ("Doctors Without Borders", "MSF"),
    ("United Nations", "UN"),
)

DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS = {w: i + 1 for i, w in enumerate(_UNITS)} | {w: i + 10 for i, w in enumerate(_TEENS)}
NUMBER_WORDS |= {w: (i + 2) * 10 for i, w in enumerate(_TENS)} | {"hundred": 100}
_WORD_NUMBER = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(_UNITS)}))?|{'|'.join(_TEENS + _UNITS)}|hundred)"
)
# A number as a report writes it: 1,200 / 22 / 2.5 / Twenty-three / Fifty nine.
NUMBER = re.compile(rf"(?<![\w.,/:-])(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?|{_WORD_NUMBER})(?![\w/:-]|[.,]\d)", re.I)
QUALIFIER = r"(?:at least|more than|over|up to|nearly|almost|around|about|some|as many as|fewer than|less than|at most)"
SPEAKER_NOUNS = {
    "media", "television", "tv", "agency", "source", "sources", "official", "officials", "monitor", "group",
    "activists", "activist", "witnesses", "witness", "residents", "spokesman", "spokeswoman", "spokesperson",
    "ministry", "army", "police", "governor", "correspondent", "reporter", "observatory", "statement",
    "channel", "doctors", "doctor", "medics", "hospital", "director", "commander", "minister", "council",
    "office", "committee", "network", "centre", "center", "command", "government", "coalition", "report",
    "reports", "outlet", "site", "organisation", "organization", "defence", "defense", "authorities", "chief",
}
SPEAKER_MODIFIERS = {
    "state", "local", "medical", "military", "security", "official", "news", "opposition", "government",
    "pro-government", "rebel", "activist", "human", "rights", "war", "monitoring", "civil", "british-based",
    "britain-based", "uk-based", "syrian", "kurdish", "russian", "turkish", "health", "interior", "defence",
    "defense", "foreign", "the", "a", "an", "its", "other", "pro-opposition", "field", "hospital", "police",
}
REPORTING_VERBS = r"(?:said|says|told|reported|reports|announced|stated|added|claimed|confirmed|noted)"
# Words by which a sentence credits someone other than the outlet with what it says.
CREDIT_CUES = r"\b(?:said|says|say|told|tells|reported|reports|report|reporting|announced|stated|added|claimed|claims|confirmed|according|cited|citing|quoted|quoting|noted)\b"
ABBREVIATIONS = {"a.m", "p.m", "u.s", "u.n", "dr", "mr", "mrs", "ms", "st", "gen", "lt", "col", "sgt", "no", "vs",
                 "e.g", "i.e", "inc", "ltd", "co", "corp", "approx", "jan", "feb", "aug", "sept", "oct", "nov", "dec",
                 "u.k", "mt", "ft", "gov", "maj", "capt", "brig", "rev", "prof", "sen", "rep"}
STOPWORDS = set(
    "a an the of in on at to for from by with and or but is was were are be been has have had do does did how "
    "many much what which who whom whose when where why that this these those it its as after before during "
    "according said says reported report reports killed people into about than more least".split()
)


# -- text helpers ------------------------------------------------------------------


def norm(text: str) -> str:
    """Lower case, one space, quote marks made straight: for comparing what is shown."""
    text = text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    return " ".join(text.lower().split())


def bare(text: str) -> str:
    """Only letters and digits, one space: for finding a sentence in a stored report."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def find(text: str, needle: str) -> re.Match | None:
    """needle in text, case-insensitive, any white space, not inside a word or number."""
    words = needle.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(w) for w in words)
    return re.search(rf"(?<![\w]){pattern}(?![\w])", text, re.I)


def contains(text: str, needle: str) -> bool:
    return find(norm(text), norm(needle)) is not None


def number_value(token: str) -> float | None:
    t = token.lower().replace(",", "")
    try:
        return float(t)
    except ValueError:
        pass
    parts = re.split(r"[- ]", t)
    if all(p in NUMBER_WORDS for p in parts):
        return float(sum(NUMBER_WORDS[p] for p in parts))
    return None


def is_date_number(text: str, match: re.Match) -> bool:
    """Whether a number is part of a date, a year or a time (not a figure)."""
    token = match.group(0)
    before = text[max(0, match.start() - 14) : match.start()].lower()
    after = text[match.end() : match.end() + 14].lower()
    if re.fullmatch(r"(1[89]|20)\d\d", token):
        return True
    if re.match(r"\s*(?:st|nd|rd|th)?\s*(?:of\s+)?(" + "|".join(MONTHS) + r")\b", after):
        return True
    if re.search(r"\b(" + "|".join(MONTHS) + r")\.?\s*$", before):
        return True
    if re.match(r"\s*(?:a\.m|p\.m|am\b|pm\b|utc|gmt|pdt|pst|jst|est|local time|hours\b|hrs\b)", after):
        return True
    return bool(re.search(r"\d[:/.-]$", before) or re.match(r"[:/]\d", after))


_NOT_NOUNS = set(
    "were was and or in of on at by to had have has dead died with as from for after since while during into "
    "earlier later today yesterday tonight overnight "
    "than who which that the a an over under near per are is be been this these those its their his her".split()
)


def figures_in(text: str) -> list[str]:
    """Every figure of a text as it writes it: a qualifier, the number, the noun after it."""
    return [f for f, _ in figure_spans(text)]


def figure_spans(text: str) -> list[tuple[str, int]]:
    found = []
    for m in NUMBER.finditer(text):
        if is_date_number(text, m):
            continue
        if m.group(0).lower() == "one" and re.match(r"\s+(?:of|another)\b", text[m.end() :], re.I):
            continue
        start, end = m.start(), m.end()
        if start and text[start - 1] in "$£€":
            start -= 1
        unit = re.match(r"(?:%| percent\b| per cent\b| (?:million|billion|thousand)\b)", text[end:])
        if unit:
            end += unit.end()
        q = re.search(rf"\b{QUALIFIER}\s+$", text[max(0, start - 15) : start], re.I)
        if q:
            start = max(0, start - 15) + q.start()
        noun = re.match(r"\s+([a-z][a-z-]+)", text[end:])
        if noun and (noun.group(1) in _NOT_NOUNS or noun.group(1).endswith(("ed", "ing", "ly"))):
            noun = None
        if noun:
            end += noun.end()
        found.append((text[start:end], start))
    return found


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of a window as (start, end) spans; never across a line break or an
    elision (" … "), and never splitting after an abbreviation such as "a.m."."""
    spans = []
    for seg in re.finditer(r"[^\n…]+", text):
        s0, seg_text = seg.start(), seg.group(0)
        start = 0
        for m in re.finditer(r"[.!?][\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])", seg_text):
            word = re.search(r"([\w.]+)[.!?]$", seg_text[: m.start() + 1])
            w = (word.group(1) if word else "").lower().rstrip(".")
            if w in ABBREVIATIONS or (len(w) == 1 and w.isalpha()):
                continue
            end = m.start() + len(m.group(0).rstrip())
            spans.append((s0 + start, s0 + end))
            start = m.end()
        if seg_text[start:].strip():
            spans.append((s0 + start, s0 + len(seg_text.rstrip())))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        if b - a > 1:
            out.append((a, b))
    return out


def lower_first(text: str, window: str) -> str:
    """text with its first word in lower case when the window writes that word in lower
    case somewhere (so "At least" -> "at least", "Rami" stays "Rami")."""
    first = re.match(r"[A-Za-z][\w-]*", text)
    if not first or first.group(0).isupper() and len(first.group(0)) > 1:
        return text
    word = first.group(0)
    if word in _OPENERS or word.lower().split("-")[0] in NUMBER_WORDS or re.search(rf"(?<![\w]){re.escape(word.lower())}(?![\w])", window):
        return word.lower() + text[len(word) :]
    return text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def end_sentence(text: str) -> str:
    text = text.strip().rstrip(",;: ")
    return text if text[-1:] in ".!?”\"" else text + "."


def tidy_quotes(text: str) -> str:
    """Straight double quotes as a model writes them in its own sentence: pairs as curly
    quotes, a stray one (its pair is in another sentence) left out."""
    if text.count('"') % 2:
        return " ".join(text.replace('"', " ").split())
    return re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text)


def restore_possessives(text: str, window: str) -> str:
    """Apostrophes a stripped text lost: "Syrias north" -> "Syria's north" where the window
    names "Syria"; "the armys air force" -> "the army's air force"."""
    names = set(re.findall(r"\b[A-Z][\w-]+\b", window))

    def proper(m: re.Match) -> str:
        base = m.group(1)
        if base in names and len(base) >= 3 and not base.endswith(("s", "an", "ite", "ist")):
            return f"{base}'s"
        return m.group(0)

    text = re.sub(r"\b([A-Z][a-z][\w-]*?)s\b(?= (?!and\b|of\b|for\b|the\b|in\b|on\b|at\b|to\b|were\b|was\b|are\b|had\b|have\b|said\b)[a-z])", proper, text)
    return re.sub(r"\b([a-z]+[b-df-hj-np-tv-z]y)s\b(?= [a-z])", r"\1's", text)


def restore_commas(text: str) -> str:
    """Commas a stripped text lacks: before "according to", before a participle that
    follows a clause ("... in Damascus killing eight people"), before a trailing "X said"."""
    text = re.sub(r"(?<=[\w)])\s+(according to\b)", r", \1", text)
    text = re.sub(r"(?<=[a-z])(?<!\band)(?<!\bor)(?<!\bby)(?<!\bthe)\s+((?:killing|injuring|wounding|leaving|including)\b)", r", \1", text)
    return text


def apply_acronyms(text: str, window: str, first_mention: bool) -> tuple[str, bool]:
    """Names the window spells out, as their acronyms ("SOHR", "IS"); with first_mention
    the first one is "the long form (ACRONYM)"."""
    changed = False
    for long, short in ACRONYMS:
        if find(window, long) is None:
            continue
        m = find(text, long)
        if m is None:
            continue
        if first_mention and not changed:
            text = text[: m.end()] + f" ({short})" + text[m.end() :]
            rest = m.end() + len(short) + 3
            text = text[:rest] + re.sub(rf"(?<![\w]){re.escape(long)}(?![\w])", short, text[rest:], flags=re.I)
        else:
            text = re.sub(rf"(?:the )?(?<![\w]){re.escape(long)}(?![\w])", short, text, flags=re.I)
        changed = True
    return text, changed


# -- the prompt --------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    n: int
    title: str
    outlet: str  # as the header gives it: "Al-Manar (almanar.com.lb)"
    published: str
    also: str  # "also published by ..." or ""
    text: str

    @property
    def outlet_name(self) -> str | None:
        """The outlet as a model names it ("Al-Manar"); None for a file name."""
        if re.search(r"\.(?:jsonl|txt|md|html|pdf|docx)$", self.outlet) or self.outlet == "unknown outlet":
            return None
        return re.sub(r"\s*\([^()]*\)\s*$", "", self.outlet).strip() or self.outlet


@dataclass(frozen=True)
class Prompt:
    question: str
    reports: dict[int, Report]


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


def parse_header(line: str) -> tuple[str, str, str, str] | None:
    """(title, outlet, published, also) of "title (outlet, published[; also published by X])"."""
    if not line.endswith(")"):
        return None
    body = line[:-1]
    also = ""
    if "; also published by " in body:
        body, also = body.rsplit("; also published by ", 1)
    m = re.search(r", (undated|[^,()]*\d{4}[^,()]*)$", body)
    if not m:
        return None
    head = body[: m.start()]
    for split in (i for i in range(len(head)) if head.startswith(" (", i)):
        outlet = head[split + 2 :]
        if _balanced(outlet):
            return head[:split], outlet, m.group(1), also
    return None


def parse_prompt(messages: list[dict]) -> Prompt:
    """The question and the numbered reports of the engine's prompt."""
    text = "\n".join(_content(m) for m in messages)
    question = text.rsplit("Question:", 1)[-1].strip() if "Question:" in text else ""
    body = text.rsplit("Question:", 1)[0]
    headers = []
    expected = 1
    for m in re.finditer(r"^\[(\d+)\] (.+)$", body, re.M):
        if int(m.group(1)) == expected and parse_header(m.group(2).rstrip()):
            headers.append(m)
            expected += 1
    reports = {}
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(body)
        title, outlet, published, also = parse_header(m.group(2).rstrip())
        reports[int(m.group(1))] = Report(int(m.group(1)), title, outlet, published, also, body[m.end() + 1 : end].strip("\n"))
    return Prompt(question, reports)


def _content(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content)


# -- what the model says -----------------------------------------------------------


@dataclass
class ModelClaim:
    statement: str
    report: int
    quote: str
    said_by: str | None
    figures: list[str]
    tags: tuple[str, ...] = ()  # how it was written: "according", "acronym", "died", ...
    sentence: str = ""  # the report's sentence it rests on, verbatim

    def to_json(self) -> dict:
        return {"statement": self.statement, "report": self.report, "quote": self.quote, "said_by": self.said_by, "figures": self.figures}


@dataclass(frozen=True)
class Plant:
    """The one lie of an answer: which claim, what it now says, and what to look for."""

    kind: str  # "figure", "outlet", "agency", "invented", "citation"
    claim: int  # index into the reply's claims
    statement: str
    planted: str  # the changed figure, the lying credit, or the wrong report number
    original: str  # the figure, the real speaker (or ""), or the right report number
    wrong_report: Report | None = None


@dataclass
class Reply:
    question_id: str | None
    mode: str
    structured: bool  # answered as JSON claims (else prose)
    claims: list[ModelClaim]
    text: str  # what was sent back (the JSON or the prose)
    planted: Plant | None = None
    plantable: dict[str, bool] = field(default_factory=dict)  # for a faithful reply: which lies could be planted
    prompt: Prompt | None = None
    every_gold_figure: bool = False  # a figure question whose prompt gave the model every gold figure

    @property
    def refused(self) -> bool:
        return not self.claims


@dataclass
class Finding:
    """A sentence of a report in the prompt that answers the question."""

    report: Report
    start: int
    end: int
    gold: str  # the gold answer (or gold figure) it holds, as the window writes it
    speaker: str | None
    figure_source: str | None = None  # for figure questions: the gold figure's source

    @property
    def sentence(self) -> str:
        return self.report.text[self.start : self.end]


def load_documents(corpus_dir: Path = CORPUS_DIR, seed_dir: Path = SEED_DIR) -> dict[str, str]:
    """doc_id -> text of the corpus and the seeds (what the gold ids name)."""
    docs = {}
    for path in sorted(corpus_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                docs[record["id"]] = record.get("text") or ""
    for path in sorted(seed_dir.glob("*")) if seed_dir.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            docs[path.stem] = path.read_text(encoding="utf-8", errors="replace")
    return docs


class Author:
    """Writes the answers: faithful ones, and the same with one lie planted."""

    def __init__(self, questions: list[dict], documents: dict[str, str] | None = None) -> None:
        self.questions = {q["id"]: q for q in questions}
        self.by_text = {norm(q["question"]): q for q in questions}
        documents = documents if documents is not None else load_documents()
        wanted = {d for q in questions for d in q.get("gold_doc_ids", [])}
        wanted |= {g["doc_id"] for q in questions for g in q.get("gold_figures", [])}
        self.gold_text = {d: bare(documents.get(d, "")) for d in wanted}
        self._attribution: str | None = None
        self.figures_found = 0

    def question_for(self, asked: str) -> dict | None:
        q = self.by_text.get(norm(asked))
        if q is not None:
            return q
        words = set(bare(asked).split())
        best, score = None, 0.0
        for text, candidate in self.by_text.items():
            other = set(bare(text).split())
            overlap = len(words & other) / max(1, len(words | other))
            if overlap > score:
                best, score = candidate, overlap
        return best if score >= 0.8 else None

    # finding the answer in the prompt

    def _in_gold(self, sentence: str, doc_ids) -> bool:
        needle = bare(sentence)
        return bool(needle) and any(needle in self.gold_text.get(d, "") for d in doc_ids)

    def _spans_with(self, report: Report, gold: str) -> list[tuple[int, int, re.Match]]:
        """Spans (sentences, or a stretch of words in an unpunctuated text) holding gold."""
        out = []
        for a, b in sentence_spans(report.text):
            a = _after_dateline(report.text, a, b, report.title)
            matches = list(_find_all(report.text[a:b], gold))
            if not matches:
                continue
            if len(matches) > 1 and len(report.text[a:b].split()) > 30:  # a title run into the lede repeats it
                s0, s1 = _stretch(report.text, a + matches[-1].start(), a + matches[-1].end(), a + matches[0].end(), b, self._attribution)
                out.append((s0, s1, find(report.text[s0:s1], gold)))
                continue
            if len(report.text[a:b].split()) <= 60:
                out.append((a, b, matches[0]))
                continue
            for m in matches:  # no full stops: a stretch of words around each
                s0, s1 = _stretch(report.text, a + m.start(), a + m.end(), a, b, self._attribution)
                out.append((s0, s1, find(report.text[s0:s1], gold)))
        return out

    def findings(self, q: dict, prompt: Prompt) -> list[Finding]:
        found: list[Finding] = []
        self._attribution = q.get("gold_attribution")
        self.figures_found = 0
        if q.get("gold_figures"):
            for gold in q["gold_figures"]:
                best = None
                for report in prompt.reports.values():
                    for a, b, _ in self._spans_with(report, gold["figure"]):
                        if not self._in_gold(report.text[a:b], [gold["doc_id"]]):
                            continue
                        rank = (report.outlet != gold["outlet"], report.published != gold.get("published"), report.n)
                        if best is None or rank < best[0]:
                            best = (rank, report, a, b)
                if best is None:
                    continue
                self.figures_found += 1
                _, report, a, b = best
                source = gold.get("source")
                if source and find(report.text, source) is None:
                    source = None  # the window does not give who said it
                speaker = source or speaker_of(report.text[a:b], report.text, None)
                f = Finding(report, a, b, _as_written(report.text[a:b], gold["figure"]), speaker, figure_source=source)
                if not any(g.report.n == f.report.n and g.start == f.start and norm(g.gold) == norm(f.gold) for g in found):
                    found.append(f)
            return found
        golds = q.get("gold_answers") or []
        doc_ids = q.get("gold_doc_ids") or []
        attribution = q.get("gold_attribution")
        question_words = _content_words(q["question"])
        scored = []
        for report in prompt.reports.values():
            for gold in golds:
                for a, b, m in self._spans_with(report, gold):
                    sentence = report.text[a:b]
                    if not self._in_gold(sentence, doc_ids):
                        continue
                    score = len(question_words & _content_words(sentence))
                    score += 3 if attribution and find(sentence, attribution) else 0
                    score -= 6 if _headline_like(sentence) or _headline_like(sentence[: m.start()]) else 0
                    score -= 2 if len(sentence.split()) > 45 else 0
                    speaker = speaker_of(sentence, report.text, attribution)
                    scored.append((-score, report.n, a, Finding(report, a, b, _as_written(sentence, gold), speaker)))
        scored.sort(key=lambda s: s[:3])
        seen_sentences: set[str] = set()
        seen_reports: set[int] = set()
        multi = q.get("kind") == "multi"
        for *_, f in scored:
            key = bare(f.sentence)
            if key in seen_sentences or f.report.n in seen_reports:
                continue
            if found and not multi:
                break
            seen_sentences.add(key)
            seen_reports.add(f.report.n)
            found.append(f)
            if len(found) >= 5:
                break
        found.sort(key=lambda f: (f.report.n, f.start))
        return found

    # writing the answer

    def faithful(self, q: dict, prompt: Prompt) -> list[ModelClaim]:
        findings = self.findings(q, prompt)
        if not findings:
            return []
        rng = random.Random(zlib.crc32(f"{q['id']}|{q['question']}".encode()))
        style = Style.pick(rng, q, len(findings))
        claims: list[ModelClaim] = []
        for i, f in enumerate(findings):
            claims += write_claims(f, q, prompt, style, rng, first=i == 0, alone=len(findings) == 1)
        if style.yes_no and claims:
            opener = "No: " if re.search(r"\b(?:no|not|never|denied|none)\b", claims[0].sentence, re.I) else "Yes: "
            claims[0].statement = opener + lower_first(claims[0].statement, claims[0].sentence + " " + prompt.reports[claims[0].report].text)
            claims[0].tags += ("yes-no",)
        return claims[:6]

    def reply(self, name: str, messages: list[dict], structured_asked: bool) -> Reply:
        mode, text_only = (name[: -len(TEXT)], True) if name.endswith(TEXT) else (name, False)
        mode = mode if mode in MODES else "faithful"
        structured = structured_asked and not text_only
        prompt = parse_prompt(messages)
        q = self.question_for(prompt.question)
        claims = self.faithful(q, prompt) if q is not None else []
        reply = Reply(q["id"] if q else None, name, structured, claims, "", prompt=prompt)
        if q is not None and q.get("gold_figures"):
            reply.every_gold_figure = bool(claims) and self.figures_found == len(q["gold_figures"])
        if q is not None and claims:
            seed = zlib.crc32(f"{q['id']}|lie".encode())
            if mode == "faithful":
                reply.plantable = {lie: plant(lie, claims, prompt, random.Random(seed), structured) is not None for lie in LIES}
            else:
                planted = plant(mode, claims, prompt, random.Random(seed), structured)
                if planted is not None:
                    reply.claims, reply.planted = planted
        rng = random.Random(zlib.crc32(f"{q['id'] if q else prompt.question}|render".encode()))
        reply.text = json.dumps({"claims": [c.to_json() for c in reply.claims]}) if structured else render_text(reply.claims, rng)
        return reply


def _content_words(text: str) -> set[str]:
    return {w for w in bare(text).split() if w not in STOPWORDS and len(w) > 2}


def _headline_like(sentence: str) -> bool:
    """A dateline and title ("26-01-2016 Bombs Kill 22 at ...") rather than a sentence."""
    if re.match(r"\s*(?:\d{1,2}[-/]\d{1,2}[-/]\d{2,4}|\w+day \d{1,2} \w+ \d{4}|\d{1,2} \w+ \d{4})", sentence):
        return True
    words = re.findall(r"[A-Za-z][\w'-]*", sentence)
    caps = sum(w[0].isupper() for w in words if w.lower() not in {"of", "in", "at", "on", "and", "the", "to", "for", "a"})
    return len(words) >= 5 and caps / len(words) > 0.6


def _as_written(sentence: str, gold: str) -> str:
    m = find(sentence, gold)
    return sentence[m.start() : m.end()] if m else gold


_FUNCTION_WORDS = {"the", "of", "to", "for", "in", "at", "by", "a", "an", "and", "from", "on", "with", "as"}


def _sentence_start(words: list[re.Match], i: int, lower: set[str]) -> bool:
    """Whether words[i] likely starts a sentence of an unpunctuated text: a capital after
    a lower-case word that is not a function word, where the text writes the word in lower
    case elsewhere (so a capital that only a sentence start explains: "The", "Video")."""
    word, prev = words[i].group(0), words[i - 1].group(0)
    if not word[:1].isupper() or prev.lower() in _FUNCTION_WORDS:
        return False
    if word in _OPENERS:
        return True
    if word.lower() not in lower:
        return False
    return prev[:1].islower() or len(word) > 3 and word.lower() not in _NAME_PARTS


_OPENERS_LOWER = {"the", "a", "an", "at", "up", "about", "over", "some", "nearly", "more", "killing", "least"}
_OPENERS = set(
    "The A An Up In On At It He She They This These There Such Their His Her Its We Our More Some According But "
    "However Meanwhile After Since While When Two Three Four Five Six Seven Eight Nine Ten Video Armed".split()
)
_NAME_PARTS = set(
    "human rights state news agency observatory international general forces army council ministry defence "
    "defense democratic free islamic red crescent cross civil health united nations national security".split()
)


def _stretch(text: str, g0: int, g1: int, a: int, b: int, attribution: str | None) -> tuple[int, int]:
    """The words around text[g0:g1] within [a, b) of a text without full stops: from the
    likely start of its sentence (up to 20 words before) to the end of its credit when one
    follows ("... according to X", "X said") or to the likely start of the next sentence
    (up to 20 words after)."""
    lower = set(re.findall(r"\b[a-z][\w-]*", text[a:b]))
    all_before = [m for m in re.finditer(r"\S+", text[a:g0])]
    before = all_before[-30:]
    if len(all_before) <= 30:
        start = before[0].start() + a if before else g0  # the start of the span
    else:
        start = before[-12].start() + a
    for i in range(len(before) - 1, 0, -1):
        if _sentence_start(before, i, lower):
            start = before[i].start() + a
            break
    after = [m for m in re.finditer(r"\S+", text[g1:b])][:35]
    tail = text[g0 : after[-1].end() + g1] if after else text[g0:g1]
    if attribution:
        m = find(tail, attribution)
        if m and len(tail[: m.start()].split()) <= 25:
            end = g0 + m.end()
            said = re.match(rf"(?:\s+(?:have|has|had))?\s+{REPORTING_VERBS}\b", text[end:])
            return start, end + (said.end() if said else 0)
    m = re.search(r"\baccording to ", tail)
    if m and len(tail[: m.start()].split()) <= 20:
        np = _np_forward(tail[m.end() :], lower)
        if np:
            return start, g0 + m.end() + len(np)
    end = after[min(len(after), 30) - 1].end() + g1 if after else g1
    for i in range(1, min(len(after), 30)):
        if _sentence_start(after, i, lower):
            end = after[i - 1].end() + g1
            break
    return start, end


def _find_all(text: str, needle: str):
    pattern = r"\s+".join(re.escape(w) for w in needle.split())
    return re.finditer(rf"(?<![\w]){pattern}(?![\w])", text, re.I)


def _after_dateline(text: str, a: int, b: int, title: str = "") -> int:
    """The start of a sentence past a title and dateline the stored text runs into it
    ("21 killed as ... Monitor AFP Friday 23 May 2014 Syrian Islamist rebels ...")."""
    span = text[a:b]
    if title and len(title.split()) >= 4:
        t = find(span[: len(title) + 120], title.rstrip("…. "))
        if t and len(span[: t.start()].split()) <= 12 and len(span[t.end() :].split()) >= 6:
            rest = re.match(r"[\s.:-]*", span[t.end() :])
            return _after_dateline(text, a + t.end() + rest.end(), b)
    m = None
    months = "|".join(m.capitalize() for m in MONTHS)
    junk = re.search(r"Get short URL(?: \d+)*\s+(?=[A-Z])|\bTopic [^()]{3,80}\(\d+\)(?: \d+)*\s+(?=[A-Z])", span)
    if junk and len(span[: junk.start()].split()) <= 30:
        return a + junk.end()
    lead = re.match(r"(?:\([^()]{2,40}\)|Tags(?: [A-Z][\w-]*)+?(?= (?:A|An|The|At|In|On|More|Some|Up|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten)\b))\s*[-–—]?\s*(?=[A-Z\"“])", span)
    if lead and len(span[lead.end() :].split()) >= 6:
        return _after_dateline(text, a + lead.end(), b)
    city = re.match(r"[A-Z]{3,}(?:[ -][A-Z]{3,})*,?(?: [A-Z][a-z]+ \d{1,2})? \([^()]{2,40}\)\s*[-–—]?\s*(?=[A-Z\"“])", span)
    if city and len(span[city.end() :].split()) >= 6:
        return a + city.end()
    for m in re.finditer(rf"(?:\b\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|\b\d{{1,2}} (?:{months})\.? \d{{4}}|\b(?:{months})\.? \d{{1,2}},? \d{{4}})(?: \d{{1,2}}:\d{{2}})?\s+(?=[A-Z\"“])", span):
        if len(span[: m.start()].split()) > 30:
            m = None
        break
    if m is None or len(span[m.end() :].split()) < 6:
        return a
    return a + m.end()


def speaker_of(sentence: str, window: str, attribution: str | None) -> str | None:
    """Who the sentence credits, as the report names them: the gold attribution when the
    sentence names it; "according to X", "X said", "said X" otherwise; the gold
    attribution again when the sentence points to a speaker the window names ("the
    monitor said")."""
    if attribution and find(sentence, attribution):
        return _as_written(sentence, attribution)
    m = re.search(r"\baccording to ((?:the |a |an )?[\w'-]+(?: [\w'-]+){0,7})", sentence, re.I)
    if m:
        np = _np_forward(m.group(1), set(re.findall(r"\b[a-z][\w-]*", window)))
        if np:
            return np
    for m in re.finditer(rf"\b{REPORTING_VERBS}\b", sentence):
        np = _np_backward(sentence[: m.start()])
        if np:
            return np
    m = re.search(r"\b(?:said|told \w+) ((?:(?:[A-Z][\w'-]+|[a-z]+) ?){2,8})", sentence)
    if m:
        words = m.group(1).split()
        np: list[str] = []
        for w in words:
            if w[:1].isupper() or w.lower() in _TITLE_WORDS | SPEAKER_MODIFIERS | SPEAKER_NOUNS | {"of", "for"}:
                np.append(w)
            else:
                break
        while np and not np[-1][:1].isupper():
            np.pop()
        if np and any(w[:1].isupper() for w in np):
            return " ".join(np).strip(".,")
    pointer = rf"\b(?:(?:the|that) (?:monitor|observatory|group|source|ministry|agency|organisation|organization)|it|he|she|they) {REPORTING_VERBS}"
    if attribution and find(window, attribution) and re.search(pointer, sentence.strip(), re.I):
        return _as_written(window, attribution)
    return None


def _np_forward(text: str, lower: set[str] | None = None) -> str | None:
    words = text.split()
    out: list[str] = []
    for i, w in enumerate(words):
        clean = w.strip(".,;:")
        low = clean.lower()
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if out and clean[:1].isupper() and (clean in _OPENERS or lower and low in lower and low not in _NAME_PARTS):
            break
        if low in {"of", "for", "and", "al"} and out and nxt[:1].isupper():
            out.append(clean)
        elif clean[:1].isupper() and low not in DAYS | MONTHS:
            out.append(clean)
        elif low in SPEAKER_MODIFIERS or low in SPEAKER_NOUNS:
            out.append(clean)
        else:
            break
        if w != clean:
            break
    while out and out[-1].lower() in {"of", "for", "and", "the", "a", "an", "al"}:
        out.pop()
    np = " ".join(out)
    return np if out and (any(w[:1].isupper() for w in out) or out[-1].lower() in SPEAKER_NOUNS) else None


def _np_backward(text: str) -> str | None:
    words = text.split()
    out: list[str] = []
    for i in range(len(words) - 1, max(-1, len(words) - 13), -1):
        w = words[i]
        if re.search(r"[.,;:]$", w) and out:
            break
        clean = w.strip(".,;:\"“”")
        low = clean.lower()
        prev = words[i - 1] if i > 0 else ""
        if not out:
            if clean[:1].isupper() and low not in DAYS | MONTHS and not NUMBER.fullmatch(clean) or low in SPEAKER_NOUNS:
                out.insert(0, clean)
                continue
            return None
        if low in {"the", "a", "an", "its"}:
            out.insert(0, clean)
            if i >= 2 and words[i - 1].lower() == "and" and (words[i - 2].strip(",")[:1].isupper() or words[i - 2].lower() in SPEAKER_NOUNS):
                continue
            break
        if low == "and" and out and out[0].lower() in {"the", "a", "an"}:
            out.insert(0, clean)
            continue
        if low in {"of", "for", "and"} and prev[:1].isupper() or low == "of" and prev.lower() in {"head", "director", "spokesman", "chief", "member"}:
            out.insert(0, clean)
        elif clean[:1].isupper() and low not in DAYS | MONTHS and not NUMBER.fullmatch(clean):
            out.insert(0, clean)
        elif low in SPEAKER_MODIFIERS or low in SPEAKER_NOUNS or low in {"head", "director", "spokesman", "chief", "member"}:
            out.insert(0, clean)
        else:
            break
    while out and out[0].lower() in {"of", "for", "and"}:
        out.pop(0)
    if out and out[0][:1].islower() and out[0].lower() not in {"the", "a", "an", "its"}:
        named = next((i for i, w in enumerate(out) if w[:1].isupper()), None)
        if named is not None and all(w[:1].isupper() or w.lower() in {"of", "for", "and", "al"} for w in out[named:]):
            out = out[named:]
    if not out or out[-1].lower() in {"the", "a", "an"}:
        return None
    if len(out) == 1 and out[0].lower() in {"it", "he", "she", "they", "this"}:
        return None
    return " ".join(out)


@dataclass(frozen=True)
class Style:
    frame: str  # plain, according, trailing, outlet, quote, bullets
    paraphrase: bool
    acronym: bool
    possessive: bool
    commas: bool
    headline: bool
    yes_no: bool
    flaws: float  # share of structured quotes with a small difference from the report

    @staticmethod
    def pick(rng: random.Random, q: dict, count: int) -> Style:
        several = bool(q.get("gold_figures")) or count > 1
        frames = ["plain", "according", "trailing", "outlet", "quote"] + (["bullets", "bullets"] if several else [])
        return Style(
            frame=rng.choice(frames),
            paraphrase=rng.random() < 0.5,
            acronym=rng.random() < 0.5,
            possessive=rng.random() < 0.7,
            commas=rng.random() < 0.5,
            headline=not several and rng.random() < 0.35,
            yes_no=bool(re.match(r"(?:did|was|were|is|are|has|have|had|does|do|could|can)\b", q["question"], re.I)),
            flaws=rng.choice((0.0, 0.3, 0.6)),
        )


_SYNONYMS = (
    (r"\bhave been killed\b", "have died"),
    (r"\bhad been killed\b", "had died"),
    (r"\bwere killed\b(?! and)", "died"),
    (r"\bwas killed\b(?! and)", "died"),
    (r"\bwere injured\b", "were wounded"),
    (r"\bwere wounded\b", "were injured"),
    (r"\bneighborhood\b", "district"),
    (r"\bcarried out\b", "conducted"),
)


def _without_speaker(sentence: str, speaker: str | None) -> str | None:
    """The sentence with its credit taken out ("... on Tuesday state media said." ->
    "... on Tuesday"), or None when the credit cannot be lifted out cleanly."""
    if not speaker:
        return None
    s = sentence.strip().rstrip(".!?").rstrip()
    sp = re.escape(speaker).replace(r"\ ", r"\s+")
    for pattern in (
        rf",?\s+according\s+to\s+{sp}\s*$",
        rf",?\s+{sp}\s+{REPORTING_VERBS}\s*$",
        rf",?\s+{REPORTING_VERBS}\s+{sp}\s*$",
        rf"^according\s+to\s+{sp},?\s+",
        rf"^{sp}\s+(?:said|says|reported|announced|stated|claimed)\s+(?:that\s+)?(?=\S)",
        r"^(?:he|she|it|they)\s+(?:said|says|added|told\s+\w+)\s+(?:that\s+)?(?=\S)",
    ):
        m = re.search(pattern, s, re.I)
        if m:
            rest = (s[: m.start()] + s[m.end() :]).strip(" ,")
            if len(rest.split()) >= 4 and _clean_cut(s, m):
                return rest
    m = re.search(rf",?\s+according\s+to\s+{sp}(?=\s)", s, re.I)
    if m:
        rest = (s[: m.start()] + s[m.end() :]).strip(" ,")
        if len(rest.split()) >= 4 and _clean_cut(s, m):
            return rest
    return None


_TITLE_WORDS = {
    "figure", "spokesman", "spokeswoman", "head", "chief", "director", "activist", "journalist", "official",
    "minister", "ambassador", "envoy", "governor", "commander", "monitor", "group", "agency", "leader",
    "member", "president", "secretary", "general", "correspondent", "reporter", "doctor", "nurse", "resident",
    "witness", "coordinator", "analyst", "expert", "founder", "manager", "officer", "representative",
}


def _clean_cut(s: str, m: re.Match) -> bool:
    """Whether taking m out of s leaves no piece of the credit behind: no title word
    ("leading opposition figure George Sabra said") or unbalanced quote or bracket."""
    before = s[: m.start()].split()
    if before and before[-1].lower().strip(",") in _TITLE_WORDS | SPEAKER_MODIFIERS | _FUNCTION_WORDS | {"or", "but"}:
        return False
    after = s[m.end() :].split()
    if after and m.start() == 0 and after[0].lower() in _TITLE_WORDS:
        return False
    rest = s[: m.start()] + s[m.end() :]
    return rest.count('"') % 2 == 0 and rest.count("(") == rest.count(")")


def _front_time(core: str, window: str) -> str:
    """A trailing "on Tuesday" moved to the front: "On Tuesday, ..."."""
    m = re.search(r"\s+(on (?:" + "|".join(d.capitalize() for d in DAYS) + r"))$", core)
    if m and not re.search(rf"\b(?:{REPORTING_VERBS}|according)\b", core, re.I):
        return f"{upper_first(m.group(1))}, {lower_first(core[: m.start()], window)}"
    return core


def write_claims(f: Finding, q: dict, prompt: Prompt, style: Style, rng: random.Random, first: bool, alone: bool) -> list[ModelClaim]:
    """One finding as the model's claim(s)."""
    report, sentence = f.report, f.sentence.strip()
    window = report.text
    tags: list[str] = [style.frame]
    speaker = f.speaker
    core = _without_speaker(sentence, speaker)
    said_by = speaker
    shown_speaker = speaker
    if speaker and style.acronym:
        shown_speaker, changed = apply_acronyms(speaker, window, first_mention=False)
        tags += ["acronym"] if changed else []
    body = tidy_quotes(core if core is not None else sentence.strip().rstrip("."))
    full = tidy_quotes(sentence.strip().rstrip("."))
    outlet = report.outlet_name
    frame = style.frame
    if frame in ("according", "trailing") and (core is None or not speaker):
        frame = "plain" if not (outlet and frame == "trailing") else "outlet"
    if frame == "outlet" and not outlet:
        frame = "plain"
    if frame == "bullets" and not speaker and re.search(CREDIT_CUES, sentence, re.I):
        frame = "plain"  # the sentence credits someone this cannot name: no "Outlet: figure"
    if frame == "quote" and _quotable(sentence, f.gold, speaker) is None:
        frame = "plain"
    tags[0] = frame
    if frame == "plain":
        body = full
    if style.paraphrase:
        for pattern, repl in _SYNONYMS:
            new = re.sub(pattern, repl, body, count=1)
            if new != body:
                tags.append("synonym:" + repl)
                body = new
                break
        moved = _front_time(body, window)
        tags += ["fronted-time"] if moved != body else []
        body = moved
    if style.acronym and (shown_speaker == speaker or frame == "plain"):
        body2, changed = apply_acronyms(body, window, first_mention=False)
        if changed:
            body, tags = body2, tags + ["acronym"]
    if style.possessive:
        new = restore_possessives(body, window)
        tags += ["possessive"] if new != body else []
        body = new
    if style.commas:
        new = restore_commas(body)
        tags += ["commas"] if new != body else []
        body = new
    statement: str
    if frame == "bullets" and f.gold:
        who = shown_speaker or outlet or "The report"
        figure = _figure_phrase(sentence, f.gold)
        if find(f.gold, figure) and len(f.gold) > len(figure):
            figure = f.gold
        verb = _verb_near(sentence, figure)
        statement = f"{upper_first(who)}: {figure}{' ' + verb if verb else ''}"
        if not speaker and outlet:
            said_by = outlet
        tags.append("bullet")
    elif frame == "according":
        statement = f"According to {shown_speaker}, {lower_first(body, window)}"
    elif frame == "trailing":
        statement = f"{upper_first(body)}, {'according to ' + shown_speaker if rng.random() < 0.5 else shown_speaker + ' said'}"
    elif frame == "outlet":
        if speaker and core is not None:
            statement = f"{outlet} reported, citing {shown_speaker}, that {lower_first(body, window)}"
        elif speaker:
            statement = f"{outlet} reported that {lower_first(body, window)}"
        else:
            statement = f"{outlet} reported that {lower_first(body, window)}"
            if not re.search(CREDIT_CUES, sentence, re.I):
                said_by = outlet
    elif frame == "quote":
        clause = _quotable(sentence, f.gold, speaker)
        if clause is None:
            statement = upper_first(body)
        else:
            lead = f"{shown_speaker} said" if speaker and speaker.lower() not in clause.lower() else f"The report {'from ' + outlet + ' ' if outlet else ''}says"
            statement = f"{upper_first(lead)} \u201c{clause}\u201d"
            tags.append("curly-quotation")
    else:
        statement = upper_first(body)
    statement = end_sentence(statement)
    claim = ModelClaim(statement, report.n, _quote_of(sentence, rng, style), said_by, figures_in(statement), tuple(tags), sentence)
    claim.tags += _quote_tags(claim.quote, sentence)
    out = [claim]
    if style.headline and alone and frame not in ("bullets", "quote"):
        headline = _headline(body, f.gold)
        if headline:
            head_statement = headline
            if speaker and core is not None:
                head_statement = f"{headline}, {'according to ' + shown_speaker}"
            head = ModelClaim(end_sentence(upper_first(head_statement)), report.n, claim.quote, said_by, figures_in(head_statement), ("headline",) + tuple(tags[1:]), sentence)
            details = _details(f, q)
            if details is not None:
                a, b = details
                detail_sentence = window[a:b].strip()
                detail_text = tidy_quotes(restore_possessives(detail_sentence, window) if style.possessive else detail_sentence)
                detail = ModelClaim(end_sentence(upper_first(detail_text.rstrip("."))), report.n, detail_sentence, speaker_of(detail_sentence, window, None), figures_in(detail_text), ("details",), detail_sentence)
                out = [head, detail]
            else:
                out = [head, claim]
    return out


def _figure_phrase(sentence: str, gold: str) -> str:
    """The gold answer with the qualifier and noun the sentence gives it ("at least 22
    people" for "22"), as the sentence writes them."""
    m = find(sentence, gold)
    number = NUMBER.search(gold)
    if m is None or number is None:
        return gold
    at = m.start() + number.start()
    for figure, start in figure_spans(sentence):
        if start <= at < start + len(figure):
            return figure
    return gold


def _verb_near(sentence: str, gold: str) -> str:
    m = find(sentence, gold)
    after = sentence[m.end() : m.end() + 60] if m else ""
    v = re.search(r"\b(killed|dead|died|wounded|injured|hurt|missing|executed|detained|displaced|arrested)\b", after, re.I)
    if v and not re.search(r"\b(?:killed|dead|died|wounded|injured)\b", gold, re.I):
        return v.group(1).lower()
    return ""


def _quotable(sentence: str, gold: str, speaker: str | None) -> str | None:
    """The verbatim clause of the sentence that holds gold, to quote directly."""
    s = sentence.strip().rstrip(".")
    if speaker:
        core = _without_speaker(s, speaker)
        if core is not None and core in s:
            s = core
    if find(s, gold) is None or len(s.split()) > 35 or re.search(r"[\"“”]", s):
        return None
    s = s.strip(" ,;:")
    return s if len(s.split()) >= 5 else None


def _headline(body: str, gold: str) -> str | None:
    """The clause of the sentence up to the gold answer and its verb ("At least 22 people
    were killed" of "At least 22 people were killed in a double suicide bomb attack ...")."""
    m = find(body, gold)
    if m is None or not NUMBER.search(gold):
        return None
    after = body[m.end() :]
    verb = re.match(r"(?:\s+[a-z-]+)?\s+(?:were|was|have|has|had|are|died|killed|wounded|injured)\b", after)
    verb_before = re.search(r"\b(?:killed|killing|wounded|wounding|injured|injuring)\s+$", body[: m.start()])
    if verb is None and verb_before is None:
        return None
    if len(body[: m.start()].split()) > 10:
        return None
    cut = re.search(r"\s+(?:in|at|on|after|when|as|near|during|while|including|and|with|by|from|since)\s+", body[m.end() :])
    if cut is None:
        return None
    head = body[: m.end() + cut.start()].strip(" ,")
    words = head.split()
    if len(words) < 4 or len(words) > len(body.split()) - 3:
        return None
    if not re.search(r"\b(?:were|was|have|has|had|are|is|died|killed|said|reported|\w+ed)\b", head, re.I):
        return None
    return head


def _details(f: Finding, q: dict) -> tuple[int, int] | None:
    """The next sentence of the report when it is about the same incident (shares two
    words of the question), for the details after a headline."""
    spans = sentence_spans(f.report.text)
    words = _content_words(q["question"])
    credit = set(bare((f.report.outlet or "") + " " + (f.speaker or "")).split())
    places = {w.lower() for w in re.findall(r"(?<!^)\b[A-Z][\w-]+", q["question"])} - credit - STOPWORDS
    for a, b in spans:
        if a <= f.start:
            continue
        text = f.report.text[a:b]
        if bare(text) == bare(f.sentence) or _headline_like(text) or len(text.split()) > 45:
            continue
        shared = words & _content_words(text)
        return (a, b) if len(shared) >= 2 and shared & places else None
    return None


def _quote_of(sentence: str, rng: random.Random, style: Style) -> str:
    """The report's sentence as a model copies it: verbatim, or with one small difference
    (curly quote marks, a trimmed end, commas or apostrophes the stored text lacks)."""
    quote = sentence.strip()
    if rng.random() >= style.flaws:
        return quote
    flaws = ["trim-end", "commas", "apostrophes"]
    if re.search(r"[\"']", quote):
        flaws.append("quote-marks")
    for flaw in rng.sample(flaws, len(flaws)):
        if flaw == "quote-marks":
            new = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", quote).replace("'", "\u2019")
        elif flaw == "trim-end":
            words = quote.rstrip(".").split()
            new = " ".join(words[: max(6, len(words) - 3)]) + "..." if len(words) > 12 and rng.random() < 0.5 else quote.rstrip(".")
        elif flaw == "commas":
            new = restore_commas(quote)
        else:
            new = restore_possessives(quote, quote)
        if new != quote:
            return new
    return quote


def _quote_tags(quote: str, sentence: str) -> tuple[str, ...]:
    if quote == sentence.strip():
        return ()
    if "\u201c" in quote or "\u2019" in quote:
        return ("quote:quote-marks",)
    if quote.endswith("...") or bare(quote) != bare(sentence) and bare(sentence).startswith(bare(quote)):
        return ("quote:trimmed",)
    if "," in quote and quote.count(",") > sentence.count(","):
        return ("quote:commas",)
    if "'" in quote:
        return ("quote:apostrophes",)
    return ("quote:trimmed",)


def render_text(claims: list[ModelClaim], rng: random.Random) -> str:
    """The claims as prose with [n] markers after sentences, or the refusal."""
    if not claims:
        return REFUSAL
    marker = rng.choice(("inside", "after", "tight"))
    lines = []
    bullets = any("bullet" in c.tags for c in claims)
    for c in claims:
        s = c.statement.rstrip()
        if bullets:
            lines.append(f"- {s.rstrip('.')} [{c.report}]")
        elif marker == "inside" and s.endswith("."):
            lines.append(f"{s[:-1]} [{c.report}].")
        elif marker == "after":
            lines.append(f"{s} [{c.report}]")
        else:
            lines.append(f"{s}[{c.report}]")
    if bullets:
        intro = rng.choice(("", "The reports give these figures:", "Reports differ:"))
        return "\n".join(([intro] if intro else []) + lines)
    return (" " if rng.random() < 0.6 else "\n").join(lines)


# -- lies --------------------------------------------------------------------------


def plant(mode: str, claims: list[ModelClaim], prompt: Prompt, rng: random.Random, structured: bool) -> tuple[list[ModelClaim], Plant] | None:
    """The claims with one lie of the mode's kind in one of them (the others unchanged),
    or None when this answer leaves no room for that lie."""
    order = list(range(len(claims)))
    rng.shuffle(order)
    for i in order:
        c = claims[i]
        others = [o for j, o in enumerate(claims) if j != i]
        others_text = " ".join(o.statement + " " + o.quote + " " + (o.said_by or "") for o in others)
        report = prompt.reports.get(c.report)
        if report is None:
            continue
        made = None
        if mode in ("plant-figure", "plant-figure-doctored"):
            made = _plant_figure(c, report, others_text, rng, doctored=mode.endswith("doctored"))
        elif mode == "plant-source":
            made = _plant_credit(c, report, prompt, others_text, rng)
        elif mode == "plant-invented-source":
            made = _plant_invented(c, prompt, rng)
        elif mode == "plant-citation":
            made = _plant_citation(c, prompt, claims, rng)
        if made is not None:
            new_claim, lie = made
            out = [replace(o) for o in claims]
            out[i] = new_claim
            return out, replace(lie, claim=i)
    return None


def _named_number(text: str, m: re.Match) -> bool:
    """Whether a number is part of a name ("Ariane 4", "IMP 50", "Division 17")."""
    before = text[: m.start()].split()
    return bool(before) and before[-1][:1].isupper() and before[-1].lower() not in _OPENERS_LOWER and not before[-1].endswith((":", ","))


def _plant_figure(c: ModelClaim, report: Report, others_text: str, rng: random.Random, doctored: bool):
    targets = [
        m for m in NUMBER.finditer(c.statement)
        if not is_date_number(c.statement, m) and find(c.sentence, m.group(0)) and not _named_number(c.statement, m)
    ]
    if not targets:
        return None
    target = targets[0]
    value = number_value(target.group(0))
    sentence_start = report.text.find(c.sentence)
    candidates = []
    for m in NUMBER.finditer(report.text):
        if sentence_start <= m.start() < sentence_start + len(c.sentence) or is_date_number(report.text, m) or _named_number(report.text, m):
            continue
        token = m.group(0)
        v = number_value(token)
        if v is None or v == value or v < 2 or token.lower() == "one":
            continue
        if find(c.sentence, token) or find(c.statement, token) or find(others_text, token):
            continue
        if any(number_value(t) == v for t in (x.group(0) for x in NUMBER.finditer(c.sentence))):
            continue
        candidates.append(token)
    if not candidates:
        return None
    new = rng.choice(sorted(set(candidates)))
    if target.start() == 0 or c.statement[: target.start()].endswith(("“", ": ")):
        new_shown = upper_first(new) if not new[0].isdigit() else new
    else:
        new_shown = new.lower() if not new[0].isdigit() and new[0].isupper() else new
    statement = c.statement[: target.start()] + new_shown + c.statement[target.end() :]
    quote = c.quote
    if doctored:
        m = find(quote, target.group(0))
        if m is None:
            return None
        quote = quote[: m.start()] + new_shown + quote[m.end() :]
    claim = replace(c, statement=statement, quote=quote, figures=figures_in(statement))
    return claim, Plant("figure", 0, statement, new_shown, target.group(0))


def _credited(c: ModelClaim, report: Report, credit: str) -> str | None:
    """The claim's statement crediting credit instead of the source it gives (or, when it
    gives none, with "According to credit, " in front); nothing else changes."""
    statement = c.statement
    outlet = report.outlet_name
    if c.said_by and outlet and statement.startswith(f"{outlet} reported, citing "):
        m = re.match(rf"{re.escape(outlet)} reported, citing .+?, that ", statement)
        if m:
            rest = statement[m.end() :]
            return upper_first(f"{credit} reported that {rest}") if credit != outlet else f"According to {credit}, {rest}"
    if outlet and credit != outlet and statement.startswith(f"{outlet} reported that ") and not re.search(CREDIT_CUES, statement[len(outlet) + 14 :], re.I):
        return upper_first(credit) + statement[len(outlet) :]
    if c.said_by:
        forms = [c.said_by] + [short for long, short in ACRONYMS if contains(c.said_by, long)]
        for form in forms:
            f = re.escape(form).replace(r"\ ", r"\s+")
            clean = re.search(
                rf"(?:^|(?<=according to )|(?<=According to )|(?<=citing ))(?:[Tt]he )?{f}(?=,|:|\s+(?:said|says|reported|told|stated|added)\b|\.?$)",
                statement,
            )
            if clean:
                return upper_first(statement[: clean.start()] + credit + statement[clean.end() :])
        core = _without_speaker(c.sentence, c.said_by)
        if core is None:
            return None  # the statement names its source in a way this cannot rewrite
        return f"According to {credit}, {lower_first(core, report.text)}"
    if credit == outlet:
        return None  # the outlet is who makes an uncredited claim: crediting it is no lie
    return f"According to {credit}, {lower_first(statement, report.text)}"


def _plant_credit(c: ModelClaim, report: Report, prompt: Prompt, others_text: str, rng: random.Random):
    real = c.said_by
    options = []
    outlet = report.outlet_name
    if real and outlet and not contains(real, outlet) and not contains(outlet, real):
        options.append(("outlet", outlet))
    for agency in AGENCIES:
        if find(report.text, agency) is None or (outlet and (contains(outlet, agency) or contains(agency, outlet))):
            continue
        if real and (contains(real, agency) or contains(agency, real)):
            continue
        # the agency must not be the one the sentence credits ("SANA reported ...")
        if re.search(rf"\b{re.escape(agency)}\s+(?:news agency\s+)?{REPORTING_VERBS}|according to (?:the )?{re.escape(agency)}\b", c.sentence, re.I):
            continue
        options.append(("agency", agency))
    options = [(k, o) for k, o in options if not find(others_text, o) and not find(c.statement, o)]
    rng.shuffle(options)
    for kind, credit in options:
        statement = _credited(c, report, credit)
        if statement is not None:
            statement = end_sentence(statement)
            return replace(c, statement=statement, said_by=credit, figures=figures_in(statement)), Plant(kind, 0, statement, credit, real or "")
    return None


def _plant_invented(c: ModelClaim, prompt: Prompt, rng: random.Random):
    everything = " ".join(r.text + " " + r.title for r in prompt.reports.values())
    report = prompt.reports[c.report]
    pool = INVENTED_IT_SOURCES if "postmortem" in report.outlet else INVENTED_SOURCES
    names = [s for s in pool if not any(find(everything, w) for w in re.findall(r"[A-Z][a-z]{3,}", s))]
    if not names:
        return None
    credit = rng.choice(names)
    statement = _credited(c, report, credit)
    if statement is None:
        return None
    statement = end_sentence(statement)
    return replace(c, statement=statement, said_by=credit, figures=figures_in(statement)), Plant("invented", 0, statement, credit, c.said_by or "")


def _plant_citation(c: ModelClaim, prompt: Prompt, claims: list[ModelClaim], rng: random.Random):
    cited = {o.report for o in claims}
    numbers = [m.group(0) for m in NUMBER.finditer(c.statement) if not is_date_number(c.statement, m)]
    wrong = []
    for n, report in prompt.reports.items():
        if n in cited:
            continue
        if bare(c.quote) in bare(report.text) or bare(c.sentence) in bare(report.text):
            continue
        if any(find(report.text, x) for x in numbers):
            continue
        if bare(report.title) == bare(prompt.reports[c.report].title):
            continue
        wrong.append(n)
    if not wrong:
        return None
    n = rng.choice(wrong)
    return replace(c, report=n), Plant("citation", 0, c.statement, str(n), str(c.report), wrong_report=prompt.reports[n])


# -- the server --------------------------------------------------------------------


class FaithfulModel(Author, LocalServer):
    """The stand-in server; a context manager that serves on a free port of 127.0.0.1."""

    def __init__(self, questions: list[dict], documents: dict[str, str] | None = None) -> None:
        super().__init__(questions, documents)
        self.replies: dict[tuple[str, str | None], Reply] = {}  # (model name, question id) -> last reply
        self.requests = 0
        self._lock = threading.Lock()
        LocalServer.__init__(self, self._handler())

    def reply_for(self, name: str, question_id: str) -> Reply | None:
        return self.replies.get((name, question_id))

    def respond(self, request: dict) -> dict:
        """The chat completion body for one request."""
        name = str(request.get("model") or "faithful")
        tools = request.get("tools") or []
        response_format = request.get("response_format") or {}
        structured_asked = bool(tools) or response_format.get("type") in ("json_schema", "json_object")
        reply = self.reply(name, request.get("messages") or [], structured_asked)
        with self._lock:
            self.requests += 1
            self.replies[(name, reply.question_id)] = reply
        message: dict = {"role": "assistant", "content": reply.text}
        finish = "stop"
        if reply.structured and tools and not response_format:
            choice = request.get("tool_choice")
            tool = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
            tool = tool or tools[0].get("function", {}).get("name", "AnswerOut")
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "call_0", "type": "function", "function": {"name": tool, "arguments": reply.text}}],
            }
            finish = "tool_calls"
        return {
            "id": f"chatcmpl-{self.requests}",
            "object": "chat.completion",
            "created": 0,
            "model": name,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    def _handler(self):
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self.send_error(404)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.dumps(model.respond(json.loads(self.rfile.read(length) or b"{}"))).encode()
                except Exception as e:  # a bug of the stand-in shows as a server error, never as an answer
                    self.send_error(500, str(e)[:200])
                    raise
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
