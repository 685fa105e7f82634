"""Main text of HTML pages, by trafilatura (the optional extra ``dqkit[web]``).

A page becomes a document whose text is what trafilatura keeps of it: the main text, one
block (paragraph, heading, list item, table row) per line, without comments, formatting,
links or images. Nothing is fetched and nothing depends on other pages: trafilatura's
cross-document deduplication stays off (its cache lives in the process, so the result
would depend on which pages a worker saw before). The page's own URL, its ``og:url`` or
``<link rel=canonical>``, is read from the same parsed tree.

A page that gives no text (no main text found, nothing lxml can parse, bytes that decode
in no charset tried) is not a document: :class:`Extraction` says why, and the reader makes
it a ``not_extracted`` reject holding its HTML.

>>> decode_html(b"<meta charset=iso-8859-1><p>Stra\\xdfe")
'<meta charset=iso-8859-1><p>Straße'
>>> decode_html("<p>café</p>".encode())
'<p>café</p>'
"""

from __future__ import annotations

import codecs
import importlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from dqkit.errors import OptionsError

EXTRA_HINT = "pip install 'dqkit[web]'"

# <meta charset="..."> or <meta http-equiv="Content-Type" content="text/html; charset=...">
# within the first bytes of a page, as the HTML standard's prescan looks for it.
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_PRESCAN_BYTES = 4096
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def web_module(name: str, what: str = "HTML input") -> Any:
    """The module ``name`` of the extra, or :class:`OptionsError` naming the extra when it
    cannot be imported (``what`` says which input needs it)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        package = name.split(".", 1)[0]
        raise OptionsError(f"{what} needs {package}, which cannot be imported ({exc}): {EXTRA_HINT}") from None


def require_web(what: str, modules: tuple[str, ...] = ("trafilatura",)) -> None:
    """:func:`web_module` for each of ``modules``, called by the driver of a run so that a
    missing or broken install stops it before any work, not in a worker."""
    for module in modules:
        web_module(module, what)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header.

    >>> charset_of('text/html; Charset="ISO-8859-1"')
    'ISO-8859-1'
    """
    found = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", content_type or "", re.IGNORECASE)
    return found.group(1) if found else None


def _decoded(data: bytes, charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):  # an unknown name, or bytes it does not take
        return None


def decode_html(data: bytes, declared: str | None = None) -> str | None:
    """The text of an HTML page's bytes, or None when no charset tried takes them all.

    Tried in turn: a byte-order mark; UTF-8 (pages often declare a charset their bytes are
    not in, and valid UTF-8 with non-ASCII bytes is hardly ever anything else); the charset
    ``declared`` by the HTTP header; the page's own ``<meta charset>``; windows-1252, which
    browsers assume for legacy pages that declare nothing.
    """
    for bom, with_bom in _BOMS:
        if data.startswith(bom):
            return _decoded(data, with_bom)
    meta = _META_CHARSET.search(data[:_PRESCAN_BYTES])
    for charset in ("utf-8", declared, meta.group(1).decode("ascii") if meta else None, "cp1252"):
        text = _decoded(data, charset)
        if text is not None:
            return text
    return None


@dataclass(frozen=True)
class Extraction:
    """What trafilatura made of one page: its main text (None when there is none, and
    ``failure`` says why) and the URL the page gives for itself (None when it gives none)."""

    text: str | None
    url: str | None
    failure: str | None = None


_trafilatura: Any = None


def _library() -> Any:
    """trafilatura's functions, imported once per process, its logging kept quiet: every
    page it gives up on would print a warning, and dqkit reports those pages as rejects."""
    global _trafilatura
    if _trafilatura is None:
        trafilatura, metadata, utils = (
            web_module(name) for name in ("trafilatura", "trafilatura.metadata", "trafilatura.utils")
        )
        log = logging.getLogger("trafilatura")
        log.addHandler(logging.NullHandler())
        log.propagate = False
        _trafilatura = (trafilatura.bare_extraction, utils.load_html, metadata.extract_opengraph, metadata.extract_url)
    return _trafilatura


def extract_page(html: str) -> Extraction:
    """The main text of one page and the URL it names for itself (see the module docstring).

    An exception of trafilatura or lxml on one page (a page nested too deeply, say) makes
    that page a failure, not the run's: a corpus holds pages no parser was written for.
    """
    bare_extraction, load_html, extract_opengraph, extract_url = _library()
    try:
        # trafilatura takes a whole page; a fragment (a record's article body) is read as a page's body
        tree = load_html(html)
        if tree is None:
            tree = load_html(f"<html><body>{html}</body></html>")
        if tree is None:
            return Extraction(None, None, "not HTML that lxml can parse")
        url = extract_opengraph(tree).get("url") or extract_url(tree)  # trafilatura's order: og:url, canonical
        document = bare_extraction(
            tree,
            include_comments=False,
            include_formatting=False,
            include_links=False,
            include_images=False,
            deduplicate=False,
            with_metadata=False,
        )
    except Exception as exc:  # any parser failure is this page's, see the docstring
        return Extraction(None, None, f"trafilatura failed on the page ({type(exc).__name__}: {exc})")
    text = getattr(document, "text", None)
    if not text or not text.strip():
        return Extraction(None, url, "trafilatura found no main text")
    return Extraction(text, url)
