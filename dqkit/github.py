"""GitHub Actions workflow commands (``::error file=…,line=…::message``), the one place
their escaping lives: ``dqkit rules lint --format github`` and ``dqkit check --format
github`` both print them.

>>> annotation("warning", "50% of\\nlines", file="rules/de.yaml", line=3, title="a: b")
'::warning file=rules/de.yaml,line=3,title=a%3A b::50%25 of%0Alines'
"""

from __future__ import annotations


def escape_data(text: str) -> str:
    """The message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): also ``:`` and ``,``, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    title: str | None = None,
) -> str:
    """One ``::LEVEL props::message`` line; properties that are None are left out."""
    props = [
        f"{key}={escape_property(str(value))}"
        for key, value in (("file", file), ("line", line), ("col", col), ("title", title))
        if value is not None
    ]
    return f"::{level} {','.join(props)}::{escape_data(message)}" if props else f"::{level}::{escape_data(message)}"
