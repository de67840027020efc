"""Safeguarding: messages that suggest danger get emergency numbers at once and an urgent case.

The phrases live in data (`data/safeguarding.yml`), per category and language, so that
mediators and staff can extend them without touching code. A phrase matches when it occurs
in the message as whole words, after both are folded (lower case, no diacritics, Arabic
letter variants unified); Chinese phrases match as substrings.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from rasa_components.textfold import fold, is_han

LEXICON_FILE = Path(__file__).resolve().parent / "data" / "safeguarding.yml"


class Danger(enum.StrEnum):
    """In order of precedence when a message matches several."""

    EMERGENCY = "emergency"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    TRAFFICKING = "trafficking"


@dataclass(frozen=True)
class SafeguardingLexicon:
    patterns: dict[Danger, re.Pattern[str]]

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> SafeguardingLexicon:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        patterns: dict[Danger, re.Pattern[str]] = {}
        for danger in Danger:
            phrases = {
                fold(str(phrase)).strip()
                for by_language in [data.get(danger.value) or {}]
                for phrase_list in by_language.values()
                for phrase in phrase_list or []
            }
            alternatives = sorted((p for p in phrases if p), key=len, reverse=True)
            if alternatives:
                patterns[danger] = re.compile("|".join(_pattern(p) for p in alternatives))
        return cls(patterns)

    def match(self, text: str) -> Danger | None:
        folded = fold(text)
        for danger in Danger:
            pattern = self.patterns.get(danger)
            if pattern is not None and pattern.search(folded):
                return danger
        return None


def _pattern(phrase: str) -> str:
    escaped = r"\s+".join(re.escape(word) for word in phrase.split())
    if any(is_han(char) for char in phrase):
        return escaped
    return rf"(?<!\w){escaped}(?!\w)"
