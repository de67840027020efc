"""City names in every script, normalised to the Italian name."""

from __future__ import annotations

import pytest

from rasa_components.textfold import Gazetteer

NAMES = {
    "Genova": "Genova",
    "Genoa": "Genova",
    "Gênes": "Genova",
    "Генуя": "Genova",
    "Генуї": "Genova",
    "热那亚": "Genova",
    "جنوة": "Genova",
    "Milano": "Milano",
    "Мілан": "Milano",
    "Милан": "Milano",
    "ميلانو": "Milano",
    "میلان": "Milano",
    "米兰": "Milano",
    "মিলান": "Milano",
    "Bari": "Bari",
    "Roma": "Roma",
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(NAMES)


@pytest.mark.parametrize(
    ("text", "found", "value"),
    [
        ("cerco lavoro a genova", "genova", "Genova"),
        ("je suis à Genes", "Genes", "Genova"),  # accent missing
        ("шукаю житло в Генуї", "Генуї", "Genova"),
        ("живу в Мілані", "Мілані", "Milano"),  # Cyrillic case ending
        ("работа в Милане", "Милане", "Milano"),
        ("我在热那亚找工作", "热那亚", "Genova"),  # no spaces in Chinese
        ("أسكن بميلانو", "بميلانو", "Milano"),  # glued Arabic prefix
        ("وفي الميلانو", "الميلانو", "Milano"),  # article
        ("من در میلان کار می‌خواهم", "میلان", "Milano"),  # Persian letters
        ("আমি মিলানে থাকি", "মিলানে", "Milano"),  # Bengali case ending
        ("barista a Roma", "Roma", "Roma"),
    ],
)
def test_finds_cities_in_every_script(
    gazetteer: Gazetteer, text: str, found: str, value: str
) -> None:
    matches = gazetteer.find(text)
    assert [(m.text, m.value) for m in matches] == [(found, value)]
    assert text[matches[0].start : matches[0].end] == found


def test_word_boundaries_in_latin_script(gazetteer: Gazetteer) -> None:
    assert gazetteer.find("I work as a barista") == []
    assert [m.value for m in gazetteer.find("Barista in Bari")] == ["Bari"]


def test_two_cities_in_order(gazetteer: Gazetteer) -> None:
    assert [m.value for m in gazetteer.find("from Roma to Genoa")] == ["Roma", "Genova"]
