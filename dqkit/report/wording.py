"""Counts in words for report.html and report.md: "1 hit", "2 hits", never "1 hits".

>>> counted(1, "hit"), counted(20780, "document"), counted(1, "guess", "guesses")
('1 hit', '20,780 documents', '1 guess')
>>> counted(0, "line removed", "lines removed")
'0 lines removed'
"""

from __future__ import annotations


def noun(n: object, singular: str, plural: str | None = None) -> str:
    """``singular`` when ``n`` is 1, else ``plural`` (default: ``singular`` and an s)."""
    return singular if isinstance(n, int) and n == 1 else plural or singular + "s"


def counted(n: object, singular: str, plural: str | None = None) -> str:
    """``n`` (thousands separated when it is a number) and the :func:`noun` that fits it."""
    number = f"{n:,}" if isinstance(n, (int, float)) and not isinstance(n, bool) else str(n)
    return f"{number} {noun(n, singular, plural)}"


def passed_over_note(passed_over: dict[str, int]) -> str:
    """The note on the WARC records that are not pages, by kind.

    >>> passed_over_note({"request": 1})
    '1 WARC record that is not an HTML page was passed over: request 1.'
    """
    passed = sum(passed_over.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in passed_over.items())
    return (
        f"{counted(passed, 'WARC record')} that {noun(passed, 'is', 'are')} not "
        f"{noun(passed, 'an HTML page', 'HTML pages')} {noun(passed, 'was', 'were')} passed over: {kinds}."
    )
