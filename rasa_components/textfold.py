"""Shared text folding and name matching: the one module the app imports from
`rasa_components` (the import contract in pyproject.toml names it). Stdlib only, so that it
runs in both environments: Rasa's (.venv-rasa) and the app's (.venv).

Folding: script-aware normalisation for matching, with offsets back into the original text.

Find known names (cities and their exonyms, in any script) in free text.

Matching is done on folded text (`fold` above), on word boundaries, with three
script-specific allowances:
- Han: no word boundaries exist, so names match anywhere;
- Arabic script: one-letter prefixes glued to the word (و ف ب ل ك, optionally + ال);
- Cyrillic and Bengali: case endings (up to three letters) after the listed form, so
  "Мілан" also finds "Мілані" and "Міланом", and "মিলান" finds "মিলানে".
Longest matches win; matches never overlap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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


# --- finding known names ----------------------------------------------------------


ARABIC_GLUED_PREFIXES = ("وب", "ول", "فب", "فل", "و", "ف", "ب", "ل", "ك")
ARABIC_ARTICLE = "ال"
MAX_ENDING = 3
MIN_NAME_LENGTH = 2


@dataclass(frozen=True)
class NameMatch:
    start: int  # offsets in the original text
    end: int
    text: str
    value: str


class Gazetteer:
    """Names (any spelling) mapped to canonical values."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self._values: dict[str, str] = {}
        for name, value in names.items():
            key = fold(name).strip()
            if len(key) >= MIN_NAME_LENGTH:
                self._values.setdefault(key, value)
        # longest first, so that "San Salvario" beats "San"
        self._keys = sorted(self._values, key=len, reverse=True)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Gazetteer:
        return cls(dict(pairs))

    def __len__(self) -> int:
        return len(self._values)

    @property
    def values(self) -> set[str]:
        return set(self._values.values())

    def find(self, text: str) -> list[NameMatch]:
        folded, offsets = fold_with_offsets(text)
        taken = [False] * len(folded)
        matches: list[NameMatch] = []
        for key in self._keys:
            for start, end in _occurrences(folded, key):
                if any(taken[start:end]):
                    continue
                for i in range(start, end):
                    taken[i] = True
                original_start, original_end = offsets[start], offsets[end - 1] + 1
                matches.append(
                    NameMatch(
                        start=original_start,
                        end=original_end,
                        text=text[original_start:original_end],
                        value=self._values[key],
                    )
                )
        return sorted(matches, key=lambda match: match.start)

    def first_value(self, text: str) -> str | None:
        matches = self.find(text)
        return matches[0].value if matches else None


def _occurrences(folded: str, key: str) -> Iterable[tuple[int, int]]:
    """(start, end) in `folded` of each acceptable occurrence of `key`, whole word."""
    position = folded.find(key)
    while position != -1:
        span = _accept(folded, key, position)
        if span is not None:
            yield span
        position = folded.find(key, position + 1)


def _accept(folded: str, key: str, position: int) -> tuple[int, int] | None:
    if is_han(key[0]):
        return position, position + len(key)
    start = _word_start(folded, key, position)
    end = _word_end(folded, key, position + len(key))
    if start is None or end is None:
        return None
    return start, end


def _word_start(folded: str, key: str, position: int) -> int | None:
    if position == 0 or not is_word_char(folded[position - 1]):
        return position
    if not is_arabic_script(key[0]):
        return None
    word_start = position
    while word_start > 0 and is_word_char(folded[word_start - 1]):
        word_start -= 1
    prefix = folded[word_start:position]
    bare = prefix[: -len(ARABIC_ARTICLE)] if prefix.endswith(ARABIC_ARTICLE) else prefix
    if bare == "" or bare in ARABIC_GLUED_PREFIXES:
        return word_start
    return None


def _word_end(folded: str, key: str, end: int) -> int | None:
    if end == len(folded) or not is_word_char(folded[end]):
        return end
    same_script = next((test for test in (is_cyrillic, is_bengali) if test(key[-1])), None)
    if same_script is None:
        return None
    ending_end = end
    while ending_end < len(folded) and is_word_char(folded[ending_end]):
        ending_end += 1
    if ending_end - end <= MAX_ENDING and all(same_script(c) for c in folded[end:ending_end]):
        return ending_end
    return None
