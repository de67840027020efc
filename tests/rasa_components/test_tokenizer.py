"""MultiScriptTokenizer on every script (runs in .venv-rasa: `make test`)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_components.tokenizer import MultiScriptTokenizer


def tokens(text: str) -> list[tuple[str, int, int]]:
    tokenizer = MultiScriptTokenizer(MultiScriptTokenizer.get_default_config())
    result = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    for token in result:
        assert text[token.start : token.end] == token.text
    return [(t.text, t.start, t.end) for t in result]


def words(text: str) -> list[str]:
    return [word for word, _, _ in tokens(text)]


def test_chinese_is_segmented_into_words_with_exact_offsets() -> None:
    assert words("我在米兰找工作") == ["我", "在", "米兰", "找", "工作"]


def test_chinese_words_next_to_latin_and_punctuation_are_kept() -> None:
    # Rasa's emoji pattern would drop the Han-only words here
    assert words("我有OSS证书，能找护工的工作吗") == [
        "我",
        "有",
        "OSS",
        "证书",
        "能",
        "找",
        "护工",
        "的",
        "工作",
        "吗",
    ]


def test_chinese_with_italian_words_and_spaces() -> None:
    assert words("permesso 在 questura 怎么 续签") == ["permesso", "在", "questura", "怎么", "续签"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أبحث عن عمل في ميلانو", ["أبحث", "عن", "عمل", "في", "ميلانو"]),
        ("مجھے روم میں کام چاہیے", ["مجھے", "روم", "میں", "کام", "چاہیے"]),
        ("می‌خواهم ایتالیایی یاد بگیرم", ["می‌خواهم", "ایتالیایی", "یاد", "بگیرم"]),
        ("Шукаю житло в Генуї", ["Шукаю", "житло", "в", "Генуї"]),
        ("আমি কাজ খুঁজছি", ["আমি", "কাজ", "খুঁজছি"]),
        ("fin nl9a khdma f torino", ["fin", "nl9a", "khdma", "f", "torino"]),
    ],
)
def test_other_scripts_are_split_on_whitespace_and_not_mangled(
    text: str, expected: list[str]
) -> None:
    assert words(text) == expected


def test_emoji_tokens_are_dropped() -> None:
    assert words("lavoro 🙏") == ["lavoro"]
