"""Script-aware text normalisation for matching, with offsets back into the original text.

Stdlib only: imported both by Rasa components and by the app.
"""

from __future__ import annotations

import unicodedata

# Arabic-script letters folded to one form, so that Arabic, Persian and Urdu spellings meet.
_ARABIC_FOLD = {
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ے": "ي",
    "ة": "ه",
    "ۃ": "ه",
    "ہ": "ه",
    "ھ": "ه",
    "ک": "ك",
    "ـ": "",
}
_CHAR_FOLD = {"ß": "ss", "ё": "е", "ї": "і", "ґ": "г"}


def fold_char(char: str) -> str:
    """Lower-case, drop diacritics and fold spelling variants of one character."""
    lowered = char.lower()
    if lowered in _CHAR_FOLD:
        return _CHAR_FOLD[lowered]
    if lowered in _ARABIC_FOLD:
        return _ARABIC_FOLD[lowered]
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index in `text` it came from."""
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for piece in fold_char(char):
            folded.append(piece)
            offsets.append(index)
    return "".join(folded), offsets


def fold(text: str) -> str:
    return fold_with_offsets(text)[0]


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def is_arabic_script(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


def is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def is_bengali(char: str) -> bool:
    return "\u0980" <= char <= "\u09ff"


def is_word_char(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char) in ("Mn", "Mc")


def without_surrogates(text: str) -> str:
    """Text that can be encoded: a lone UTF-16 surrogate (from a JSON "\\ud800") becomes U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)
