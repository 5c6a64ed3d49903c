"""Every accepted format loads into reports whose text can be quoted verbatim, bad files
are refused with a message naming the file and the problem, and chunking keeps every
passage an exact, bounded span of one report."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas

from retrieval.index.chunking import make_splitter, split_report
from retrieval.index.documents import DocumentError, Report, clean_text, find_files, load_file
from retrieval.index.tokens import count_tokens
from tests.conftest import CORPUS_FILES, SEED_DIR, SEED_ID

# Punctuation-stripped like the seed: no sentence ends anywhere.
STRIPPED = (
    "Up to 48 people including 17 children have been killed in civilian areas of "
    "governmentcontrolled western Aleppo since the offensive began according to the "
    "Syrian Observatory of Human Rights"
)


def assert_quotable(text: str) -> None:
    """What the index stores: no carriage returns, tabs, invisible characters, runs of
    spaces, padded lines or more than one blank line."""
    for bad in ("\r", "\t", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00", "  ", "\n\n\n"):
        assert bad not in text, f"{bad!r} left in the stored text"
    assert all(line == line.strip() for line in text.split("\n"))
    assert text == text.strip()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def only_report(path: Path, root: Path | None = None) -> Report:
    reports = load_file(path, root)
    assert len(reports) == 1
    return reports[0]


# formats -------------------------------------------------------------------------


def test_txt_punctuation_stripped_text_is_kept_word_for_word(tmp_path):
    report = only_report(write(tmp_path / "aleppo.txt", STRIPPED + "\n"))

    assert report.text == STRIPPED
    assert report.title == STRIPPED[:120].rsplit(" ", 1)[0] + "…"
    assert report.doc_id == "aleppo"
    assert report.source == "aleppo.txt"
    assert report.origin == str((tmp_path / "aleppo.txt").resolve())


def test_txt_white_space_and_invisible_characters_are_cleaned_but_words_and_punctuation_kept(tmp_path):
    raw = (
        "\ufeffShelling in\tIdlib\r\n"
        "\r\n\r\n\r\n"
        "Syria\u2019s  health   ministry said \u201c12 were killed\u201d;\u200b  rescuers\u200d disagree.  \r\n"
        "   Al-Manar: 7\u00a0dead\r\n"
    )
    report = only_report(write(tmp_path / "idlib.txt", raw))

    assert report.text == (
        "Shelling in Idlib\n\n"
        "Syria\u2019s health ministry said \u201c12 were killed\u201d; rescuers disagree.\n"
        "Al-Manar: 7 dead"
    )
    assert_quotable(report.text)
    assert report.title == "Shelling in Idlib"


def test_txt_in_a_legacy_encoding_is_read_in_that_encoding(tmp_path):
    text = "Explosion au Caf\xe9 de la Gare: trois bless\xe9s, selon la pr\xe9fecture de Cr\xe9teil."
    path = write(tmp_path / "latin1.txt", text.encode("latin-1"))
    (report,) = load_file(path)
    assert report.text == text


WIDE_TEXT = "Explosion au Caf\xe9 de la Gare: 3 bless\xe9s \u2014 \u0642\u0627\u0644 \u0627\u0644\u0645\u0631\u0635\u062f"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b"\xff\xfe"),  # Windows Notepad's "Unicode"
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
        ("utf-32-le", b""),
        ("utf-8", b"\xef\xbb\xbf"),
    ],
)
@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_utf16_and_utf32_files_with_or_without_a_byte_order_mark_are_read_as_text(tmp_path, encoding, bom, suffix):
    body = f"<html><body><p>{WIDE_TEXT}</p></body></html>" if suffix == ".html" else f"# Caf\xe9 de la Gare\r\n\r\n{WIDE_TEXT}\r\n"
    path = write(tmp_path / f"notepad{suffix}", bom + body.encode(encoding))

    report = only_report(path)

    assert WIDE_TEXT in report.text
    assert_quotable(report.text)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path / "big.txt", b"pump restart ok\n" * 10_000)
    with pytest.raises(DocumentError, match=r"big\.txt is 160\.0 KB, over the 100\.0 KB limit \(MAX_DOCUMENT_BYTES\)"):
        load_file(path, max_bytes=100_000)


def test_a_collection_line_over_the_size_limit_is_refused_naming_the_line(tmp_path):
    lines = [{"id": "a", "title": "A", "text": "short"}, {"id": "b", "title": "B", "text": "x " * 60_000}]
    path = write(tmp_path / "c.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(DocumentError, match=r"c\.jsonl line 2 is .* over the 100\.0 KB limit"):
        load_file(path, max_bytes=100_000)


def test_markdown_title_comes_from_the_heading(tmp_path):
    path = write(
        tmp_path / "outage.md",
        "Draft, do not circulate\n\n# Storage outage in us-east-1\n\nA config push at 09:14 UTC took down 3 clusters.\n",
    )
    report = only_report(path)

    assert report.title == "Storage outage in us-east-1"
    assert "A config push at 09:14 UTC took down 3 clusters." in report.text
    assert_quotable(report.text)


def test_html_title_comes_from_the_title_tag_and_scripts_and_styles_are_dropped(tmp_path):
    path = write(
        tmp_path / "page.html",
        """<!doctype html><html><head><title>Car bomb in  Qamishli</title>
        <style>body { color: red }</style><script>var tracker = "ga-123";</script></head>
        <body><h1>Breaking</h1><p>A truck bomb killed <b>44</b> people,
        according to   the Kurdish Asayish.</p><noscript>Enable JavaScript</noscript>
        <p>Syria&#8217;s state media gave a lower toll.</p></body></html>""",
    )
    report = only_report(path)

    assert report.title == "Car bomb in Qamishli"
    assert "color: red" not in report.text
    assert "tracker" not in report.text
    assert "Enable JavaScript" not in report.text
    assert "Car bomb in Qamishli" not in report.text  # the title tag is not body text
    assert "Syria\u2019s state media gave a lower toll." in report.text
    assert "according to the Kurdish Asayish." in report.text
    assert_quotable(report.text)


def test_html_without_title_tag_uses_the_first_heading(tmp_path):
    report = only_report(write(tmp_path / "page.htm", "<h1>Hass school strike</h1><p>22 children killed</p>"))
    assert report.title == "Hass school strike"


def make_pdf(path: Path, title: str | None, pages: list[list[str]]) -> Path:
    """A PDF as reportlab writes it; title None keeps reportlab's placeholder "untitled"."""
    pdf = canvas.Canvas(str(path))
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return path


def test_pdf_title_comes_from_metadata_and_every_page_is_read(tmp_path):
    path = make_pdf(
        tmp_path / "report.pdf",
        "Hama chlorine attack",
        [["Rescuers said 3 people died", "after the barrel bomb hit Kafr Zita."], ["Page two: 40 were treated."]],
    )
    report = only_report(path)

    assert report.title == "Hama chlorine attack"
    assert "Rescuers said 3 people died" in report.text
    assert "after the barrel bomb hit Kafr Zita." in report.text
    assert "Page two: 40 were treated." in report.text
    assert_quotable(report.text)


def test_pdf_without_title_metadata_uses_the_first_line(tmp_path):
    report = only_report(make_pdf(tmp_path / "notitle.pdf", "", [["Deir Ezzor airstrike", "9 killed"]]))
    assert report.title == "Deir Ezzor airstrike"


def test_pdf_placeholder_title_is_not_shown_as_the_reports_title(tmp_path):
    """PDF writers fill /Title with placeholders (reportlab: "untitled"); citing a source
    as "untitled" tells the reader nothing, the first line does."""
    report = only_report(make_pdf(tmp_path / "scan-0042.pdf", None, [["Deir Ezzor airstrike", "9 killed"]]))
    assert report.title == "Deir Ezzor airstrike"


def test_docx_title_comes_from_core_properties_and_paragraphs_are_kept(tmp_path):
    document = docx.Document()
    document.core_properties.title = "Rashidin bus convoy bombing"
    document.add_paragraph("A car bomb hit buses carrying evacuees\tfrom Foua and Kefraya.")
    document.add_paragraph("")
    document.add_paragraph("The Syrian Observatory said 126 people were killed, including 68 children.")
    path = tmp_path / "convoy.docx"
    document.save(str(path))

    report = only_report(path)

    assert report.title == "Rashidin bus convoy bombing"
    assert report.text == (
        "A car bomb hit buses carrying evacuees from Foua and Kefraya.\n\n"
        "The Syrian Observatory said 126 people were killed, including 68 children."
    )


def test_jsonl_fields_become_report_attributes_and_extra_fields_metadata(tmp_path):
    records = [
        {
            "id": "r-1",
            "title": "Airstrike on  market",
            "text": "At least 30\tkilled in Maarat al-Numan market.\r\n",
            "published": "2016-04-19T10:00:00",
            "source_site": "Reuters (reuters.com)",
            "url": "https://example.org/r-1",
            "meta": {"location": "Idlib", "nb_children": 5},
            "fakes_label": 1,
        },
        {"id": "r-2", "title": "Outage", "text": "DNS failed for 2 hours.", "source": "Acme status page"},
        {"id": "r-3", "title": "Untitled outlet", "text": "Shelling in Daraa.", "published": "19/04/2016"},
    ]
    path = write(tmp_path / "reports.jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n")

    first, second, third = load_file(path)

    assert first.doc_id == "r-1"
    assert first.title == "Airstrike on market"
    assert first.text == "At least 30 killed in Maarat al-Numan market."
    assert first.published == "2016-04-19"
    assert first.source == "Reuters (reuters.com)"
    assert first.url == "https://example.org/r-1"
    assert first.metadata == {"meta": {"location": "Idlib", "nb_children": 5}, "fakes_label": 1}
    assert second.source == "Acme status page"
    assert second.published is None and second.url is None
    assert third.source == "reports.jsonl"  # no outlet given: cite the file
    assert third.published == "2016-04-19"


def test_jsonl_outlet_comes_from_the_best_field_there_is_and_the_date_from_a_dateline(tmp_path):
    records = [
        {"id": "a", "title": "T", "text": "DNS failed.", "source": "Acme status page", "publisher": "Acme Inc", "company": "Acme"},
        {"id": "b", "title": "T", "text": "DNS failed.", "publisher": "The Register", "company": "Acme"},
        {"id": "c", "title": "T", "text": "DNS failed.", "company": "Acme"},
        {"id": "d", "title": "T", "text": "ALEPPO 14 June 2016 Shelling killed 9", "company": "  "},
        {"id": "e", "title": "T", "text": "Wed Feb 3 2016 Car bomb in Homs", "published": "2016-02-04"},
    ]
    path = write(tmp_path / "mixed.jsonl", "".join(json.dumps(r) + "\n" for r in records))

    a, b, c, d, e = load_file(path)

    assert [a.source, b.source, c.source, d.source] == ["Acme status page", "The Register", "Acme", "mixed.jsonl"]
    assert c.metadata["company"] == "Acme"  # still there for whoever reads the metadata
    assert d.published == "2016-06-14"  # no published field: the dateline dates it
    assert e.published == "2016-02-04"  # a published field wins over the dateline


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("ALEPPO 14 June 2016\nShelling of the Old City killed 9 people", "2016-06-14"),
        ("Wed Feb 3 2016 Car bomb kills four in Damascus", "2016-02-03"),
        ("2016-10-31\nThe school was hit twice", "2016-10-31"),
        ("Hass school strike\nMonday 11 January 2016 18:41 Twenty-two children were killed", "2016-01-11"),
        ("DAMASCUS, SYRIA: 3 May 2016 - A car bomb", "2016-05-03"),
        # Dates that open a sentence date an event, not the report.
        ("On December 5, 2007, shortly after the release the cluster failed", None),
        ("On December 15th, 2021 at 00:17 UTC, we deployed a DNS change", None),
        ("In early August 2022, Honeycomb had incidents", None),
        ("Up to 48 people were killed in 2016 in Aleppo", None),
    ],
)
def test_a_dateline_opening_a_text_file_dates_the_report(tmp_path, text, published):
    report = only_report(write(tmp_path / "wire.txt", text))
    assert report.published == published
    assert report.source == "wire.txt"  # nothing better: the file names the source


def test_pdf_author_and_creation_date_become_the_outlet_and_date(tmp_path):
    from pypdf import PdfReader, PdfWriter

    drawn = make_pdf(tmp_path / "drawn.pdf", None, [["ALEPPO 14 June 2016", "Rescuers said 3 people died"]])
    writer = PdfWriter(clone_from=PdfReader(drawn))
    writer.add_metadata(
        {"/Author": "Amnesty International", "/Title": "Aleppo: rescuers count the dead", "/CreationDate": "D:20161031120000Z"}
    )
    with (tmp_path / "report.pdf").open("wb") as f:
        writer.write(f)

    report = only_report(tmp_path / "report.pdf")

    assert report.source == "Amnesty International"
    assert report.title == "Aleppo: rescuers count the dead"
    assert report.published == "2016-10-31"  # the metadata's date wins over the dateline


def test_pdf_placeholder_author_leaves_the_file_name_as_the_source(tmp_path):
    report = only_report(make_pdf(tmp_path / "scan-0042.pdf", None, [["Deir Ezzor airstrike", "9 killed"]]))
    assert report.source == "scan-0042.pdf"  # reportlab writes "anonymous"


def test_docx_author_title_and_created_become_the_reports(tmp_path):
    from datetime import datetime, timezone

    document = docx.Document()
    document.core_properties.title = "Rashidin bus convoy bombing"
    document.core_properties.author = "Syrian Observatory for Human Rights"
    document.core_properties.created = datetime(2017, 4, 15, 18, 0, tzinfo=timezone.utc)
    document.add_paragraph("A car bomb hit buses carrying evacuees from Foua and Kefraya.")
    document.save(str(tmp_path / "convoy.docx"))

    report = only_report(tmp_path / "convoy.docx")

    assert (report.title, report.source, report.published) == (
        "Rashidin bus convoy bombing", "Syrian Observatory for Human Rights", "2017-04-15",
    )


def test_docx_from_a_blank_template_keeps_no_template_author_or_date(tmp_path):
    """python-docx's template says author "python-docx", created 2013-12-23: neither is
    the report's."""
    document = docx.Document()
    document.add_paragraph("Wed Feb 3 2016 Car bomb kills four in Damascus")
    document.save(str(tmp_path / "plain.docx"))

    report = only_report(tmp_path / "plain.docx")

    assert report.source == "plain.docx"
    assert report.published == "2016-02-03"  # from the dateline, not the template


def test_html_meta_tags_give_the_outlet_date_and_title(tmp_path):
    path = write(
        tmp_path / "page.html",
        """<html><head><title>Car bomb in Qamishli | Example News</title>
        <meta property="og:site_name" content="Example News">
        <meta property="og:title" content="Car bomb in Qamishli">
        <meta property="article:published_time" content="2016-07-27T09:30:00+03:00">
        <meta name="author" content="Jane Reporter">
        </head><body><p>A truck bomb killed 44 people.</p></body></html>""",
    )
    report = only_report(path)

    assert (report.source, report.published, report.title) == ("Example News", "2016-07-27", "Car bomb in Qamishli")


def test_html_author_and_date_meta_are_the_fallbacks(tmp_path):
    path = write(
        tmp_path / "blog.html",
        """<html><head><title>Outage report</title><meta name="author" content="Acme SRE team">
        <meta name="date" content="October 31, 2016"></head><body><p>DNS failed for 2 hours.</p></body></html>""",
    )
    report = only_report(path)

    assert (report.source, report.published, report.title) == ("Acme SRE team", "2016-10-31", "Outage report")


@pytest.mark.parametrize(("name", "count"), [(CORPUS_FILES[0], 375), (CORPUS_FILES[1], 399), (CORPUS_FILES[2], 210)])
def test_real_corpus_files_load_as_they_are(corpus_dir, name, count):
    path = corpus_dir / name
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    reports = load_file(path)

    assert len(reports) == count == len(raw)
    by_id = {r.doc_id: r for r in reports}
    assert len(by_id) == count
    for record in raw:
        report = by_id[record["id"]]
        assert report.title == " ".join(record["title"].split())
        assert report.source == record.get("source_site") or record.get("company")
        assert report.published == (record["published"][:10] if record.get("published") else None)
        assert_quotable(report.text)
        # The corpus is already clean: storing it must not change a word.
        assert report.text.split() == record["text"].split()
        for key in ("meta", "company", "categories", "summary", "source_code"):
            if key in record:
                assert report.metadata[key] == record[key]


def test_seed_loads_with_an_id_that_matches_the_evaluation_set():
    (report,) = load_file(SEED_DIR / f"{SEED_ID}.txt", SEED_DIR)
    assert report.doc_id == SEED_ID
    assert "Up to 48 people including 17 children have been killed" in report.text
    assert report.title.endswith("…") and len(report.title) <= 121


def test_folders_are_searched_recursively_with_ids_relative_to_the_folder(tmp_path):
    write(tmp_path / "docs" / "2016" / "october" / "hass.md", "# Hass\n\nSchool hit")
    write(tmp_path / "docs" / "top.txt", "Top level")
    write(tmp_path / "docs" / ".drafts" / "secret.txt", "not published")
    write(tmp_path / "docs" / ".hidden.txt", "not published")
    write(tmp_path / "docs" / "notes.csv", "a,b")

    found, refused = find_files([tmp_path / "docs"])

    assert [p.name for p, _ in found] == ["hass.md", "top.txt"]
    assert refused == []
    ids = [load_file(p, root)[0].doc_id for p, root in found]
    assert ids == ["2016/october/hass", "top"]


def test_a_link_out_of_the_folder_is_refused_and_one_inside_is_followed(tmp_path):
    write(tmp_path / "elsewhere" / "secret.txt", "not for the bot")
    write(tmp_path / "docs" / "real.txt", "A report")
    (tmp_path / "docs" / "leak.txt").symlink_to(tmp_path / "elsewhere" / "secret.txt")
    (tmp_path / "docs" / "alias.txt").symlink_to(tmp_path / "docs" / "real.txt")

    found, refused = find_files([tmp_path / "docs"])

    assert sorted(p.name for p, _ in found) == ["alias.txt", "real.txt"]
    assert refused == [f"leak.txt: a link to a file outside {tmp_path / 'docs'}; skipped"]


# malformed input -------------------------------------------------------------


def jsonl(*lines: str) -> str:
    return "\n".join(lines) + "\n"


GOOD = json.dumps({"id": "a", "title": "T", "text": "Body"})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", jsonl(GOOD, "", '{"id": "b", "title": "T", "text": '), r"bad\.jsonl line 3: not valid JSON"),
        ("list.jsonl", jsonl(GOOD, '["a", "b"]'), r"list\.jsonl line 2: expected a JSON object"),
        ("nofield.jsonl", jsonl(GOOD, json.dumps({"id": "b", "title": "T"})), r"nofield\.jsonl line 2: missing field\(s\) text"),
        ("dup.jsonl", jsonl(GOOD, GOOD), r"dup\.jsonl line 2: duplicate id 'a'"),
        ("blank.jsonl", jsonl(json.dumps({"id": "a", "title": "T", "text": " \u200b\t "})), r"blank\.jsonl line 1: empty text"),
        ("empty.jsonl", "\n\n", r"empty\.jsonl: no reports in this file"),
        ("binary.txt", b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)), r"binary\.txt: looks like a binary file"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, r"image\.txt: looks like a binary file"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", r"broken\.pdf: not a readable PDF"),
        ("notazip.docx", b"this is plain text, not a Word document", r"notazip\.docx: not a readable Word document"),
        ("empty.md", "   \n\u200b\n", r"empty\.md: no text found"),
        ("table.csv", "id,title\n1,x\n", r"table\.csv: unsupported file type \.csv"),
        ("README", "no suffix", r"README: unsupported file type \(none\)"),
    ],
)
def test_malformed_files_are_refused_naming_the_file_and_the_problem(tmp_path, name, content, message):
    path = write(tmp_path / name, content)
    with pytest.raises(DocumentError, match=message):
        load_file(path)


def test_truncated_pdf_is_refused(tmp_path):
    whole = make_pdf(tmp_path / "whole.pdf", "T", [["Some text"]]).read_bytes()
    path = write(tmp_path / "truncated.pdf", whole[: len(whole) // 3])
    with pytest.raises(DocumentError, match=r"truncated\.pdf"):
        load_file(path)


def test_a_missing_path_is_refused_by_name(tmp_path):
    with pytest.raises(DocumentError, match="nowhere.txt: no such file or folder"):
        find_files([tmp_path / "nowhere.txt"])


# chunking -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def all_reports(corpus_dir) -> list[Report]:
    reports = [r for name in CORPUS_FILES for r in load_file(corpus_dir / name)]
    return reports + load_file(SEED_DIR / f"{SEED_ID}.txt", SEED_DIR)


@pytest.mark.parametrize(("chunk_tokens", "overlap"), [(128, 32), (48, 12)])
def test_every_passage_is_an_exact_bounded_span_of_its_report(all_reports, chunk_tokens, overlap):
    splitter = make_splitter(chunk_tokens, overlap)
    chunk_ids: set[str] = set()
    for report in all_reports:
        passages = split_report(report, splitter)
        assert passages, report.doc_id
        assert [p.position for p in passages] == list(range(len(passages)))
        for p in passages:
            assert p.doc_id == report.doc_id
            assert report.text[p.start : p.end] == p.text
            assert p.text == p.text.strip() and p.text
            assert count_tokens(p.text) <= chunk_tokens, (p.chunk_id, count_tokens(p.text))
            assert p.chunk_id not in chunk_ids
            chunk_ids.add(p.chunk_id)


@pytest.mark.parametrize(("chunk_tokens", "overlap"), [(128, 32), (32, 8)])
def test_passages_follow_the_report_in_order_and_leave_out_no_text(all_reports, chunk_tokens, overlap):
    """The offsets are what a quote is traced back with, so passage n+1 must start after
    passage n does, and together they must cover the report (gaps only white space)."""
    splitter = make_splitter(chunk_tokens, overlap)
    misplaced = []
    for report in all_reports:
        passages = split_report(report, splitter)
        covered_to = 0
        for p in passages:
            if report.text[covered_to : p.start].strip() or (p.position and p.start <= passages[p.position - 1].start):
                misplaced.append((p.chunk_id, p.start, p.end, covered_to))
            covered_to = max(covered_to, p.end)
        assert not report.text[covered_to:].strip()
    assert not misplaced, f"{len(misplaced)} passage(s) located at the wrong offset, first: {misplaced[:3]}"


def test_punctuation_free_seed_chunks_into_several_overlapping_passages():
    (seed,) = load_file(SEED_DIR / f"{SEED_ID}.txt", SEED_DIR)
    assert ". " not in seed.text

    passages = split_report(seed, make_splitter(128, 32))

    assert len(passages) >= 5
    for previous, current in zip(passages, passages[1:]):
        shared = seed.text[current.start : previous.end]
        assert current.start < previous.end, "consecutive passages of the seed do not overlap"
        assert 0 < count_tokens(shared) <= 32
        # The split falls between words, never inside one.
        assert seed.text[current.start - 1] == " " and seed.text[previous.end] == " "


def test_a_passage_never_mixes_two_reports(tmp_path):
    alpha = " ".join(["alpha"] * 150 + ["ALPHA-END"])
    beta = " ".join(["BETA-START"] + ["beta"] * 150)
    path = write(
        tmp_path / "two.jsonl",
        jsonl(json.dumps({"id": "a", "title": "A", "text": alpha}), json.dumps({"id": "b", "title": "B", "text": beta})),
    )
    splitter = make_splitter(64, 16)

    for report in load_file(path):
        passages = split_report(report, splitter)
        assert len(passages) > 2
        own = "alpha" if report.doc_id == "a" else "beta"
        for p in passages:
            assert set(p.text.lower().split()) <= {own, f"{own}-end", f"{own}-start"}


def test_editing_a_report_gives_its_passages_new_ids_so_old_and_new_never_collide(tmp_path):
    splitter = make_splitter(128, 32)
    old = only_report(write(tmp_path / "a.txt", STRIPPED))
    new = only_report(write(tmp_path / "a.txt", STRIPPED.replace("17 children", "18 children")))

    old_ids = {p.chunk_id for p in split_report(old, splitter)}
    new_ids = {p.chunk_id for p in split_report(new, splitter)}

    assert old.doc_id == new.doc_id
    assert not old_ids & new_ids


def test_clean_text_is_idempotent_on_stored_text(all_reports):
    for report in all_reports:
        assert clean_text(report.text) == report.text
