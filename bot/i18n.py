"""Gettext catalogs, language negotiation and locale-aware formatting.

Source strings (msgids) are English; `locales/<lang>/LC_MESSAGES/messages.po` hold the
translations. A missing translation falls back to the English source, never to nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGES_FILE = LOCALES_DIR / "languages.txt"


def read_languages(path: Path = LANGUAGES_FILE) -> tuple[str, ...]:
    """The service's languages, from the one file that lists them (both environments read it)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return tuple(line for line in lines if line)


SUPPORTED_LANGUAGES: tuple[str, ...] = read_languages()
RTL_LANGUAGES = frozenset({"ar", "ur", "fa"})
FSI, PDI = "\u2068", "\u2069"  # first-strong isolate / pop directional isolate


def gettext_noop(message: str) -> str:
    """Marks a string for extraction without translating it (translated later, per user)."""
    return message


N_ = gettext_noop


# other codes for a supported language: Filipino is how many devices name Tagalog
LANGUAGE_ALIASES = {"fil": "tl"}


def negotiate_language(
    preferences: Sequence[str | None], default: str, supported: Sequence[str] = SUPPORTED_LANGUAGES
) -> str:
    """The best supported language for IETF tags such as Telegram's `language_code`.

    The primary subtag decides first ("uk-UA" → uk, "fil" → tl); Babel's negotiation is
    the fallback. Babel alone would turn "tl" into "fil_PH", which has no catalog.
    """
    tags = [tag.replace("_", "-") for tag in preferences if tag]
    for tag in tags:
        primary = tag.split("-")[0].lower()
        primary = LANGUAGE_ALIASES.get(primary, primary)
        if primary in supported:
            return primary
    negotiated = Locale.negotiate(tags, list(supported), sep="-")
    if negotiated is None:
        return default
    language = LANGUAGE_ALIASES.get(negotiated.language, negotiated.language)
    return language if language in supported else default


def language_name(language: str) -> str:
    """A language's name written in that language and script, e.g. "українська"."""
    name = str(Locale.parse(language).languages.get(language, language))
    return name[:1].upper() + name[1:]


def is_rtl(language: str) -> bool:
    return language in RTL_LANGUAGES


@dataclass(frozen=True)
class Localizer:
    """Everything needed to speak to one user in their language."""

    language: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.language)

    def isolate(self, text: str) -> str:
        """Isolate a left-to-right run (address, phone, URL) inside right-to-left text."""
        return f"{FSI}{text}{PDI}" if self.rtl and text else text

    def time(self, value: dt.time) -> str:
        return format_time(value, format="short", locale=self.locale)

    def date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def weekday(self, weekday: int) -> str:
        return str(self.locale.days["format"]["abbreviated"][weekday])

    def kilometres(self, metres: float) -> str:
        return format_decimal(round(metres / 1000, 1), format="#,##0.0", locale=self.locale)

    def language_in_my_language(self, code: str) -> str:
        return str(self.locale.languages.get(code, code))


class Catalogs:
    """The compiled catalogs of all supported languages, loaded once."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translations: dict[str, NullTranslations] = {
            language: Translations.load(str(locales_dir), [language], DOMAIN)
            for language in SUPPORTED_LANGUAGES
        }

    def localizer(self, language: str) -> Localizer:
        if language not in self._translations:
            language = "en"
        return Localizer(language=language, translations=self._translations[language])
