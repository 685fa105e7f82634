"""HTML and WARC input (dqkit[web]): saved pages, WARC records and a column of HTML go through
trafilatura's main-text extraction into the usual stages; every page ends in clean or rejects."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import polars as pl
import pytest

from conftest import BODIES, read_outputs, write_jsonl

from dqkit.io.shards import plan_shards
from dqkit.io.sources import discover
from dqkit.io.web import decode_html, extract_page

pytest.importorskip("trafilatura")
pytest.importorskip("warcio")

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

CHROME = ("Startseite", "Impressum", "Datenschutz", "Newsletter abonnieren", "Kommentar von Leser")


def page(title: str, paragraphs: list[str], head: str = "") -> str:
    """A news page: navigation, the article, a comment and a footer around it."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Tageblatt</title>{head}</head><body>"
        '<header><nav><ul><li><a href="/">Startseite</a></li><li><a href="/politik">Politik</a></li>'
        '<li><a href="/sport">Sport</a></li></ul></nav></header>'
        f"<main><article><h1>{title}</h1>{body}</article></main>"
        '<section id="comments" class="comments"><h3>Kommentare</h3>'
        '<div class="comment"><p>Kommentar von Leser Horst: Endlich tut sich was in dieser Stadt!</p></div></section>'
        '<footer><p><a href="/impressum">Impressum</a> | <a href="/datenschutz">Datenschutz</a></p>'
        '<p><a href="/newsletter">Newsletter abonnieren</a></p></footer></body></html>'
    )


CANONICAL = '<link rel="canonical" href="https://tageblatt.example/politik/haushalt">'
OG_URL = '<meta property="og:url" content="https://tageblatt.example/lokales/sturm">'
EMPTY = '<!DOCTYPE html><html><head><title>Leer</title></head><body><img src="galerie.jpg"></body></html>'


def test_decoding_tries_utf8_then_the_declared_charset_then_windows_1252():
    assert decode_html("<p>Grüße</p>".encode()) == "<p>Grüße</p>"
    assert decode_html("<p>Grüße</p>".encode("latin-1"), "iso-8859-1") == "<p>Grüße</p>"
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>'.encode() + "Мир".encode("koi8-r")
    assert decode_html(meta).endswith("Мир")
    assert decode_html(b"<p>\x93quoted\x94</p>") == "<p>\u201cquoted\u201d</p>"  # undeclared: windows-1252
    assert decode_html(b"<p>\x81\x8d</p>") is None  # bytes windows-1252 leaves undefined


def test_extraction_keeps_the_article_one_block_a_line_and_finds_the_url():
    found = extract_page(page("Haushalt beschlossen", BODIES[:2], CANONICAL))
    assert found.failure is None and found.url == "https://tageblatt.example/politik/haushalt"
    assert found.text is not None
    assert found.text.split("\n") == ["Haushalt beschlossen", *BODIES[:2]]
    assert extract_page(page("Sturm", BODIES[1:2], OG_URL)).url == "https://tageblatt.example/lokales/sturm"
    empty = extract_page(EMPTY)
    assert (empty.text, empty.failure) == (None, "trafilatura found no main text")
    assert extract_page(f"<p>{BODIES[3]}</p>").text == BODIES[3]  # a fragment: the body of a page


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "haushalt.html").write_text(page("Haushalt beschlossen", BODIES[0:2], CANONICAL), encoding="utf-8")
    (folder / "sturm.htm").write_text(page("Sturm über der Stadt", BODIES[1:3], OG_URL), encoding="utf-8")
    (folder / "museum.html.gz").write_bytes(gzip.compress(page("Neue Ausstellung", BODIES[2:4]).encode()))
    (folder / "leer.html").write_text(EMPTY, encoding="utf-8")
    return folder


def test_a_folder_of_saved_pages_gives_their_articles_without_the_chrome(pages, tmp_path, dqkit):
    result = dqkit("clean", pages, "-o", tmp_path / "out", "-q")
    assert result.code == 0, result.err
    outputs = read_outputs(tmp_path / "out")
    clean = {row["id"]: row for row in outputs["clean"].iter_rows(named=True)}
    assert sorted(clean) == ["haushalt.html", "museum.html.gz", "sturm.htm"]
    assert clean["haushalt.html"]["text"] == "\n".join(["Haushalt beschlossen", *BODIES[0:2]])
    assert BODIES[2] in clean["museum.html.gz"]["text"] and BODIES[3] in clean["museum.html.gz"]["text"]
    assert not [c for row in clean.values() for c in CHROME if c in row["text"]]
    assert {i: row["url"] for i, row in clean.items()} == {
        "haushalt.html": "https://tageblatt.example/politik/haushalt",
        "sturm.htm": "https://tageblatt.example/lokales/sturm",
        "museum.html.gz": None,
    }
    rejected = outputs["rejects"].row(0, named=True)
    assert outputs["rejects"].height == 1
    assert (rejected["id"], rejected["reason"], rejected["text"]) == ("leer.html", "not_extracted", EMPTY)
    documents = outputs["report"]["documents"]
    assert (documents["in"], documents["kept"], documents["rejected"]) == (4, 3, 1)


def _warc(path: Path, pages: list[tuple[str, bytes, str]], gzipped: bool = True) -> dict[str, str]:
    """A WARC file of a warcinfo record, then per page a request and a response (``content_type``)
    record; returns each response's WARC-Record-ID by its URI."""
    ids = {}
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzipped)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "dqkit tests"}))
        for uri, body, content_type in pages:
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "tageblatt.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), http_headers=request))
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
            ids[uri] = record.rec_headers.get_header("WARC-Record-ID")
    return ids


def _crawl(n_articles: int = 4) -> list[tuple[str, bytes, str]]:
    articles = [
        (f"https://tageblatt.example/a{k}", page(f"Meldung {k}", [BODIES[k % 6], BODIES[(k + 1) % 6]]).encode(),
         "text/html; charset=utf-8")
        for k in range(n_articles)
    ]  # fmt: skip
    latin = page("Grüße aus Köln", [BODIES[5].replace("Bibliothek", "Bücherei")]).encode("latin-1")
    return [
        *articles,
        ("https://tageblatt.example/logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        ("https://tageblatt.example/leer", EMPTY.encode(), "text/html"),
        ("https://tageblatt.example/koeln", latin, "text/html; charset=ISO-8859-1"),
    ]


def test_a_warc_file_gives_one_document_per_html_response_and_counts_the_other_records(tmp_path, dqkit):
    ids = _warc(tmp_path / "crawl.warc.gz", _crawl())
    result = dqkit("clean", tmp_path / "crawl.warc.gz", "-o", tmp_path / "out")
    assert result.code == 0, result.err
    outputs = read_outputs(tmp_path / "out")
    clean, rejects = outputs["clean"], outputs["rejects"]
    html = {uri: i for uri, i in ids.items() if not uri.endswith(".png")}
    assert sorted([*clean["id"], *rejects["id"]]) == sorted(html.values())  # every page once, nothing else
    assert dict(clean.select("id", "url").iter_rows()) == {i: uri for uri, i in html.items() if uri in clean["url"]}
    koeln = clean.filter(pl.col("url") == "https://tageblatt.example/koeln")["text"].item()
    assert "Bücherei" in koeln and "Grüße aus Köln" in koeln  # the declared charset
    empty = rejects.filter(pl.col("reason") == "not_extracted").row(0, named=True)
    assert (empty["id"], empty["url"], empty["text"]) == (html["https://tageblatt.example/leer"],
                                                          "https://tageblatt.example/leer", EMPTY)
    assert empty["origin"].startswith(f"{tmp_path / 'crawl.warc.gz'}:record 13 (byte ")
    report = outputs["report"]
    assert report["inputs"]["passed_over"] == {"request": 7, "response_not_html": 1, "warcinfo": 1}
    assert report["inputs"]["files"][0]["passed_over"] == report["inputs"]["passed_over"]
    assert report["documents"]["in"] == 6 and report["documents"]["balanced"]
    assert "9 WARC record(s) that are not HTML pages passed over" in result.err
    assert "9 WARC records that are not HTML pages were passed over" in (tmp_path / "out" / "report.md").read_text()


def test_warc_records_go_through_the_shard_plan_and_workers_change_nothing(tmp_path, dqkit):
    (tmp_path / "in").mkdir()
    _warc(tmp_path / "in" / "crawl.warc", _crawl(7), gzipped=False)
    plan = plan_shards(discover([str(tmp_path / "in")]).files, shard_docs=3)
    assert [s.documents for s in plan] == [3, 3, 3]  # 7 articles, the empty page and the Cologne one
    # record 1 is the warcinfo, then a request and a response per page; a range starts at its first page
    assert [(s.part.start, s.part.stop) for s in plan] == [(0, 8), (8, 14), (14, 21)]
    data = (tmp_path / "in" / "crawl.warc").read_bytes()
    assert all(data[s.part.byte_start :].startswith(b"WARC/1.") for s in plan)
    runs = {}
    for name, args in {"whole": ["--workers", "1"], "sharded": ["--shard-docs", "3", "--workers", "2"]}.items():
        assert dqkit("clean", tmp_path / "in", "-o", tmp_path / name, "-q", *args).code == 0
        runs[name] = {f: (tmp_path / name / f).read_bytes() for f in ("clean.jsonl", "rejects.jsonl", "report.json")}
    assert runs["whole"] == runs["sharded"]
    assert json.loads(runs["whole"]["report.json"])["documents"]["in"] == 9


def test_a_column_of_html_is_cleaned_as_its_main_text(tmp_path, dqkit):
    records = [
        {"id": "r1", "html": page("Haushalt beschlossen", BODIES[0:2], CANONICAL), "text": "teaser"},
        {"id": "r2", "html": page("Sturm", BODIES[1:3]), "url": "https://feed.example/sturm"},
        {"id": "r3", "html": EMPTY},
    ]
    write_jsonl(tmp_path / "pages.jsonl", records)
    pl.DataFrame(records).write_parquet(tmp_path / "pages.parquet")
    for name in ("pages.jsonl", "pages.parquet"):
        out = tmp_path / f"out-{name}"
        result = dqkit("clean", tmp_path / name, "-o", out, "--html-field", "html", "--output-format", "parquet", "-q")
        assert result.code == 0, result.err
        outputs = read_outputs(out)
        clean = {row["id"]: row for row in outputs["clean"].iter_rows(named=True)}
        assert clean["r1"]["text"] == "\n".join(["Haushalt beschlossen", *BODIES[0:2]])
        assert (clean["r1"]["url"], clean["r2"]["url"]) == ("https://tageblatt.example/politik/haushalt",
                                                            "https://feed.example/sturm")  # the record's own
        assert clean["r1"]["input_text"] == "teaser" and "html" not in outputs["clean"].columns
        assert outputs["rejects"].select("id", "reason", "text").rows() == [("r3", "not_extracted", EMPTY)]
        assert outputs["report"]["options"]["html_field"] == "html"
    write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "text": "no html here"}])
    result = dqkit("clean", tmp_path / "bad.jsonl", "-o", tmp_path / "bad", "--html-field", "html")
    assert result.code == 1 and "html field 'html' is missing; fields present: id, text (choose one with --html-field)" in result.err


def test_html_input_without_the_extra_stops_before_any_work(pages, tmp_path, dqkit, monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as if it were not installed
    result = dqkit("clean", pages, "-o", tmp_path / "out")
    assert result.code == 2
    assert "needs trafilatura, which cannot be imported" in result.err and "pip install 'dqkit[web]'" in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages"]  # no OUT, work folder or lock
    write_jsonl(tmp_path / "texts.jsonl", [{"id": "a", "text": BODIES[0]}])
    assert dqkit("clean", tmp_path / "texts.jsonl", "-o", tmp_path / "plain", "-q").code == 0  # text needs none of it
    assert dqkit("clean", tmp_path / "texts.jsonl", "-o", tmp_path / "x", "--html-field", "text").code == 2


@pytest.mark.parametrize("damage", ["cut in a record", "cut in a gzip trailer", "cut in a header", "garbage"])
def test_a_damaged_warc_names_the_file_and_the_record_and_writes_nothing(tmp_path, dqkit, damage):
    source = tmp_path / "whole.warc.gz"
    _warc(source, _crawl())
    data = source.read_bytes()
    second = data.index(b"\x1f\x8b", 10)  # the second gzip member: the first page's request record
    damaged = {
        "cut in a record": data[: len(data) // 2],
        "cut in a gzip trailer": data[:-4],
        "cut in a header": data[: second + 12],
        "garbage": data[:second] + b"WARC/9.9 not a record\r\n\r\n" + data[second:],
    }[damage]
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "crawl.warc.gz").write_bytes(damaged)
    result = dqkit("clean", corpus, "-o", tmp_path / "out", "--on-error", "skip")
    assert result.code == 1
    assert f"{corpus / 'crawl.warc.gz'}:record " in result.err and "(byte " in result.err, result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "whole.warc.gz"]  # no OUT, work folder or lock


def test_a_warc_gzipped_as_one_stream_is_refused_with_the_way_to_mend_it(tmp_path, dqkit):
    _warc(tmp_path / "plain.warc", _crawl(1), gzipped=False)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "crawl.warc.gz").write_bytes(gzip.compress((tmp_path / "plain.warc").read_bytes()))
    result = dqkit("clean", tmp_path / "in", "-o", tmp_path / "out")
    assert result.code == 1 and f"{tmp_path / 'in' / 'crawl.warc.gz'}:record 2: " in result.err
    assert "warcio recompress" in result.err and not (tmp_path / "out").exists()
