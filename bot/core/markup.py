"""Outgoing HTML is `markupsafe.Markup`: a small subset (<b>, <i>) that Telegram and the web
chat both show. Data is escaped by construction: `Markup("<b>{}</b>").format(text)` escapes
`text`, `Markup("\\n").join(parts)` escapes every part that is not Markup already, and mypy
tells a `Markup` from a `str`. Right-to-left isolation (`Localizer.isolate`) works on plain
text, before it is escaped: always `isolate` first, then let Markup escape."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

__all__ = ["Markup", "bold", "escape", "italic", "join"]


def bold(text: str) -> Markup:
    return Markup("<b>{}</b>").format(text)


def italic(text: str) -> Markup:
    return Markup("<i>{}</i>").format(text)


def join(parts: Iterable[str], separator: str = "\n") -> Markup:
    """Lines of text and markup as one markup: plain strings are escaped."""
    return Markup(separator).join(parts)
