"""LanguageDetector on every script, romanized forms included (runs in .venv-rasa)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.agent import Agent

from rasa_components.language_detector import cld2_language, labelled_corpus

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "assistant.tar.gz"
SUPPORTED = ["it", "en", "fr", "es", "ar", "uk", "ru", "sq", "ro", "zh", "bn", "ur", "fa", "tl"]

SAMPLES = [
    ("it", "ho bisogno di aiuto per trovare una casa"),
    ("en", "where can I find a job centre near the station"),
    ("fr", "je voudrais apprendre l'italien le soir"),
    ("es", "necesito ayuda con los papeles de mi hijo"),
    ("sq", "ku mund te mesoj gjuhen italiane falas"),
    ("ro", "unde pot sa invat limba italiana gratuit"),
    ("tl", "saan po ako pwedeng mag-aral ng Italyano"),
    ("ar", "أين يمكنني تعلم اللغة الإيطالية مجانا"),
    ("ur", "مجھے اطالوی زبان سیکھنی ہے کہاں جاؤں"),
    ("fa", "کجا می‌توانم زبان ایتالیایی یاد بگیرم"),
    ("uk", "де можна безкоштовно вивчати італійську мову"),
    ("ru", "где можно бесплатно учить итальянский язык"),
    ("zh", "哪里可以免费学习意大利语"),
    ("bn", "আমি কোথায় বিনামূল্যে ইতালীয় ভাষা শিখতে পারি"),
    ("ar", "bghit nt3alem talyani fin nmchi"),  # Arabizi
    ("ur", "mujhe italian seekhni hai kahan jaun"),  # Roman Urdu
    ("bn", "ami italian bhasha shikhte chai kothay jabo"),  # Banglish
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    return Agent.load(str(MODEL))


@pytest.mark.parametrize(("language", "text"), SAMPLES)
def test_language_of_every_script(agent: Agent, language: str, text: str) -> None:
    result = asyncio.run(agent.parse_message(text))
    assert result["language"] == language
    assert 0.0 <= result["language_confidence"] <= 1.0


def test_cld2_second_opinion_is_restricted_to_supported_languages() -> None:
    assert cld2_language("Шукаю житло в Генуї для моєї родини", SUPPORTED) == "uk"
    assert cld2_language("Ich suche eine Wohnung in Genua für meine Familie", SUPPORTED) is None


def test_corpus_labels_romanized_folders_with_their_language() -> None:
    texts, labels = labelled_corpus(ROOT / "nlu_data", SUPPORTED)
    assert set(labels) == set(SUPPORTED)
    assert len(texts) == len(labels) > 5000
