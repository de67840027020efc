"""Offline language identification restricted to the supported languages.

A character n-gram classifier is trained on the language-labelled training folders
(`nlu_data/<language>/`, where `ar-Latn`, `ur-Latn`, `bn-Latn` count as ar, ur, bn), so
it knows how these users write, romanized Arabic, Urdu and Bengali included. When it is
unsure, pycld2 (model bundled in the wheel) gives a second opinion among the supported
languages. The result is the parse result's top-level `language` field (ISO 639-1) and
`language_confidence`.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import numpy as np
import pycld2
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from ruamel.yaml import YAML
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline

from rasa_components.storage import read_artifact, write_artifact

MODEL_FILE = "language_detector.pkl"
LANGUAGE = "language"
LANGUAGE_CONFIDENCE = "language_confidence"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LanguageDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "corpus_dir": "nlu_data",
            # the service's languages (read when training; the model keeps its labels)
            "languages_file": "locales/languages.txt",
            "min_confidence": 0.55,
            "C": 20.0,
            # "lbfgs": LogisticRegression; "sgd": logistic loss by SGD (seconds to train)
            "solver": "lbfgs",
            "alpha": 1e-6,
            "random_state": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        data = read_artifact(model_storage, resource, MODEL_FILE)
        model = pickle.loads(data) if data else None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        supported = read_languages(Path(self._config["languages_file"]))
        texts, labels = labelled_corpus(Path(self._config["corpus_dir"]), supported)
        self._model = Pipeline(
            [
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
                ),
                ("classifier", language_model(self._config)),
            ]
        )
        self._model.fit(texts, labels)
        write_artifact(self._model_storage, self._resource, MODEL_FILE, pickle.dumps(self._model))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        probabilities = self._model.predict_proba(texts)
        classes = self._model.classes_
        for message, text, row in zip(messages, texts, probabilities, strict=True):
            language, confidence = self._decide(text, classes, row)
            message.set(LANGUAGE, language, add_to_output=True)
            message.set(LANGUAGE_CONFIDENCE, round(confidence, 3), add_to_output=True)
        return messages

    def _decide(self, text: str, classes: np.ndarray, row: np.ndarray) -> tuple[str, float]:
        best = int(np.argmax(row))
        if row[best] >= self._config["min_confidence"]:
            return str(classes[best]), float(row[best])
        second_opinion = cld2_language(text, [str(label) for label in classes])
        if second_opinion is not None:
            return second_opinion, float(row[list(classes).index(second_opinion)])
        return str(classes[best]), float(row[best])


def language_model(config: dict[str, Any]) -> Any:
    if config["solver"] == "sgd":
        return SGDClassifier(
            loss="log_loss", alpha=config["alpha"], max_iter=50, random_state=config["random_state"]
        )
    return LogisticRegression(C=config["C"], max_iter=2000, random_state=config["random_state"])


def read_languages(path: Path) -> list[str]:
    """The codes of `locales/languages.txt` (comments and blank lines skipped)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


ANNOTATION = re.compile(r"\[([^\]]*)\](?:\{[^}]*\}|\([^)]*\))")


def labelled_corpus(corpus_dir: Path, supported: list[str]) -> tuple[list[str], list[str]]:
    """Every example of `corpus_dir/<language>[-Script]/`, labelled with its language.

    Read with a plain YAML parser (entity annotations reduced to their text): Rasa's
    `load_data` validates each file against its schema, ~100 times slower, and the
    training data was validated once already by `rasa train`.
    """
    texts: list[str] = []
    labels: list[str] = []
    for folder in sorted(p for p in corpus_dir.iterdir() if p.is_dir()):
        language = folder.name.split("-")[0]
        if language not in supported:
            continue
        for path in sorted(folder.glob("*.yml")):
            content = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
            for item in content.get("nlu", []):
                if "intent" not in item:
                    continue
                for line in str(item.get("examples", "")).splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        texts.append(ANNOTATION.sub(r"\1", line[2:].strip()))
                        labels.append(language)
    return texts, labels


def cld2_language(text: str, supported: list[str]) -> str | None:
    """pycld2's best supported guess, if it considers it reliable."""
    try:
        reliable, _, details = pycld2.detect(text, bestEffort=True)
    except (pycld2.error, UnicodeEncodeError):
        return None
    code = details[0][1]
    return code if reliable and code in supported else None
