"""What the user should see, computed from the catalogs and the database (never hard-coded)."""

from __future__ import annotations

import html
from functools import cache

from bot.i18n import Catalogs, Localizer


@cache
def catalogs() -> Catalogs:
    return Catalogs()


def loc(language: str) -> Localizer:
    return catalogs().localizer(language)


def translated(lang: str, msgid: str, **values: object) -> str:
    text = loc(lang).gettext(msgid)
    if lang != "en":
        assert text != msgid, f"{msgid!r} is not translated into {lang}"
    return text.format(**values) if values else text


def plain(text: str) -> str:
    return html.unescape(text)
