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
