"""A tokenizer for a model that mixes scripts: whitespace rules, plus jieba for Chinese.

Rasa's `WhitespaceTokenizer` turns a Chinese clause into a single token in a mixed
model (RasaHQ/rasa#6752) and `JiebaTokenizer` only accepts `language: zh`. This
tokenizer keeps whitespace tokenization for every script and segments each run of Han
characters with jieba, keeping character offsets exact.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_components.textfold import without_surrogates

HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultiScriptTokenizer(WhitespaceTokenizer):
    """Whitespace tokenization for all scripts; Han runs segmented into words by jieba."""

    @staticmethod
    def not_supported_languages() -> list[str] | None:
        return None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            # "none": whitespace rules; "xx" or "script": spaCy blank tokenizers (spacy_pieces)
            "spacy_tokenizer": "none",
            # lemmas from spaCy's lookup tables (spacy-lookups-data)
            "spacy_lemmas": False,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["jieba"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultiScriptTokenizer:
        return cls({**cls.get_default_config(), **config})

    def remove_emoji(self, text: str) -> str:
        """Rasa's emoji pattern also matches Han characters: never drop Chinese words."""
        return text if HAN_RUN.search(text) else super().remove_emoji(text)

    def process(self, messages: list[Message]) -> list[Message]:
        """The first component: no text goes on with a lone surrogate (it cannot be encoded)."""
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and text != (clean := without_surrogates(text)):
                message.set(TEXT, clean)
        return super().process(messages)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        mode = self._config.get("spacy_tokenizer", "none")
        if mode != "none":
            from rasa_components import spacy_pieces

            text = message.get(attribute) or ""
            tokens = [
                Token(word, start, start + len(word))
                for word, start in spacy_pieces.tokens(text, mode)
            ]
        else:
            tokens = super().tokenize(message, attribute)
        if self._config.get("spacy_lemmas"):
            from rasa_components import spacy_pieces

            for token in tokens:
                token.lemma = spacy_pieces.lemma(token.text) or token.text
        result: list[Token] = []
        for token in tokens:
            if HAN_RUN.search(token.text):
                result.extend(split_han(token))
            else:
                result.append(token)
        return result


def split_han(token: Token) -> list[Token]:
    """Split one token at Han runs, each run segmented into words by jieba."""
    pieces: list[Token] = []
    position = 0
    for run in HAN_RUN.finditer(token.text):
        if run.start() > position:
            pieces.append(_piece(token, position, run.start()))
        offset = run.start()
        for word in _jieba().cut(run.group(), HMM=True):
            pieces.append(_piece(token, offset, offset + len(word)))
            offset += len(word)
        position = run.end()
    if position < len(token.text):
        pieces.append(_piece(token, position, len(token.text)))
    return pieces


def _piece(token: Token, start: int, end: int) -> Token:
    return Token(token.text[start:end], token.start + start, token.start + end)


_JIEBA: Any = None


def _jieba() -> Any:
    """jieba, imported and initialised on first use (it loads a 5 MB dictionary)."""
    global _JIEBA
    if _JIEBA is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _JIEBA = jieba
    return _JIEBA
