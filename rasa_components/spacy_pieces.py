"""spaCy pieces that install without trained pipelines (spaCy 3.4, as Rasa 3.6 pins it):
blank-language tokenizers (each language's exceptions and prefix/suffix rules) and lookup
lemmatizer tables from `spacy-lookups-data`. Measured against the whitespace tokenizer in
docs/nlu-report.md; used only when config.yml asks for them.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

from rasa_components.textfold import fold, is_arabic_script, is_bengali, is_cyrillic, is_han

# The spaCy language whose rules tokenize a run of each script. Latin text is tokenized with
# Italian rules (elisions: l'ufficio, dell'impiego; they also split French j'ai, d'un).
SCRIPT_LANGUAGE = {"arabic": "ar", "cyrillic": "ru", "bengali": "bn", "latin": "it"}
# lookup tables per script, first listed wins for a word two languages share
LEMMA_TABLES = {"latin": ("it", "fr", "es", "en", "ro"), "cyrillic": ("ru",), "arabic": ("ur",)}


def script_of(text: str) -> str:
    for char in text:
        if is_arabic_script(char):
            return "arabic"
        if is_cyrillic(char):
            return "cyrillic"
        if is_bengali(char):
            return "bengali"
        if is_han(char):
            return "han"
    return "latin"


@cache
def blank(language: str) -> Any:
    import spacy

    return spacy.blank(language)


def tokens(text: str, mode: str) -> list[tuple[str, int]]:
    """(token, start offset) of the words of `text`, punctuation dropped.

    mode "xx": spaCy's multi-language tokenizer; "script": the language of the text's script.
    """
    language = "xx" if mode == "xx" else SCRIPT_LANGUAGE.get(script_of(text), "xx")
    return [
        (token.text, token.idx)
        for token in blank(language).tokenizer(text)
        if any(char.isalnum() for char in token.text)
    ]


@cache
def lemma_table(script: str) -> dict[str, str]:
    import spacy_lookups_data

    data = Path(spacy_lookups_data.__file__).parent / "data"
    table: dict[str, str] = {}
    for language in LEMMA_TABLES.get(script, ()):
        with gzip.open(data / f"{language}_lemma_lookup.json.gz") as handle:
            entries = json.load(handle)
        for word, lemma in entries.items():
            key = fold(word)
            if key not in table:
                table[key] = fold(lemma[0] if isinstance(lemma, list) else lemma)
    return table


def lemma(word: str) -> str | None:
    """The lookup lemma of a word (folded), or None when no table knows it."""
    key = fold(word)
    return lemma_table(script_of(word)).get(key)


class PhraseGazetteer:
    """City names found with spaCy's PhraseMatcher on folded text (the trial against
    `textfold.Gazetteer`, which adds Arabic glued prefixes, Cyrillic/Bengali endings and Han
    matching without word boundaries)."""

    def __init__(self, names: dict[str, str]) -> None:
        from spacy.matcher import PhraseMatcher

        self._nlp = blank("xx")
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        self._values: dict[str, str] = {}
        for name, value in names.items():
            key = fold(name).strip()
            if len(key) >= 2 and key not in self._values:
                self._values[key] = value
                self._matcher.add(key, [self._nlp.make_doc(key)])

    def find(self, text: str) -> list[Any]:
        from spacy.util import filter_spans

        from rasa_components.textfold import NameMatch, fold_with_offsets

        folded, offsets = fold_with_offsets(text)
        doc = self._nlp.make_doc(folded)
        spans = filter_spans([doc[start:end] for _, start, end in self._matcher(doc)])
        matches = []
        for span in spans:
            start, end = offsets[span.start_char], offsets[span.end_char - 1] + 1
            matches.append(NameMatch(start, end, text[start:end], self._values[span.text]))
        return matches
