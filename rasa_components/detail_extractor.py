"""Entities of a follow-up question: which `detail` of a service (phone, hours, cost …) and
which `weekday`, e.g. "e il sabato è aperto?" → detail `open_day`, weekday `saturday`.

Trained from the annotated examples only (no hand-written lexicon in code):
- a lexicon per entity: every annotated span, folded, mapped to its value, and found in
  messages with the city extractor's `Gazetteer` (whole words; Arabic glued prefixes,
  Cyrillic and Bengali case endings, Chinese without spaces);
- for `detail`, a small TF-IDF character n-gram classifier over the examples of the
  follow-up intent, used only when that intent was recognised and the lexicon found no
  detail ("a che ora chiudete" has no word of the lexicon but clearly asks for the hours).

It runs after the intent classifier, so it can see the intent, and after the unknown-words
gate, so that a detail word alone never lets gibberish through.
"""

from __future__ import annotations

import pickle
from collections import Counter
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rasa_components.storage import read_artifact, write_artifact
from rasa_components.textfold import ARABIC_ARTICLE, ARABIC_GLUED_PREFIXES, Gazetteer, fold

MODEL_FILE = "detail_extractor.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class DetailExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "entities": ["detail", "weekday"],
            "classified_entity": "detail",
            "intent": "ask_service_detail",
            "min_confidence": 0.35,
            "char_ngram_range": [1, 4],
            "C": 10.0,
            "random_state": 42,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: DetailModel | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model or DetailModel({}, None)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DetailExtractor:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> DetailExtractor:
        data = read_artifact(model_storage, resource, MODEL_FILE)
        model = pickle.loads(data) if data else None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        examples = list(training_data.training_examples)
        lexicons = {
            entity: lexicon_from_examples(examples, entity) for entity in self._config["entities"]
        }
        classifier = self._train_classifier(examples)
        self._model = DetailModel(lexicons, classifier)
        write_artifact(self._model_storage, self._resource, MODEL_FILE, pickle.dumps(self._model))
        return self._resource

    def _train_classifier(self, examples: list[Message]) -> dict[str, Any] | None:
        texts, labels = labelled_examples(
            examples, self._config["intent"], self._config["classified_entity"]
        )
        if len(set(labels)) < 2:
            return None
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self._config["char_ngram_range"]),
            sublinear_tf=True,
            lowercase=False,
        )
        classifier = LogisticRegression(
            C=self._config["C"],
            max_iter=2000,
            class_weight="balanced",
            random_state=self._config["random_state"],
        )
        classifier.fit(vectorizer.fit_transform(texts), labels)
        return {"vectorizer": vectorizer, "classifier": classifier}

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = (message.get(INTENT) or {}).get("name")
            entities = self._model.entities(
                message.get(TEXT) or "",
                classify=intent == self._config["intent"],
                classified_entity=self._config["classified_entity"],
                min_confidence=self._config["min_confidence"],
            )
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(entities),
                add_to_output=True,
            )
        return messages


class DetailModel:
    """Lexicons (entity → spelling → value) and the optional fallback classifier."""

    def __init__(self, lexicons: dict[str, dict[str, str]], classifier: dict[str, Any] | None):
        self.lexicons = lexicons
        self.classifier = classifier
        self._gazetteers = {entity: Gazetteer(names) for entity, names in lexicons.items()}

    def __getstate__(self) -> dict[str, Any]:
        return {"lexicons": self.lexicons, "classifier": self.classifier}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["lexicons"], state["classifier"])  # type: ignore[misc]

    def entities(
        self, text: str, *, classify: bool, classified_entity: str, min_confidence: float
    ) -> list[dict[str, Any]]:
        found = [
            {
                "entity": entity,
                "start": match.start,
                "end": match.end,
                "value": match.value,
                "confidence_entity": 1.0,
            }
            for entity, gazetteer in self._gazetteers.items()
            for match in gazetteer.find(text)
        ]
        if classify and not any(e["entity"] == classified_entity for e in found):
            guess = self.classify(text, min_confidence)
            if guess is not None:
                value, confidence = guess
                found.append(
                    {"entity": classified_entity, "value": value, "confidence_entity": confidence}
                )
        return sorted(found, key=lambda e: e.get("start", len(text)))

    def classify(self, text: str, min_confidence: float) -> tuple[str, float] | None:
        if self.classifier is None or not text.strip():
            return None
        features = self.classifier["vectorizer"].transform([fold(text)])
        row = self.classifier["classifier"].predict_proba(features)[0]
        best = int(row.argmax())
        if row[best] < min_confidence:
            return None
        return str(self.classifier["classifier"].classes_[best]), float(row[best])


def lexicon_from_examples(examples: list[Message], entity: str) -> dict[str, str]:
    """Annotated spelling → value; a spelling annotated with several values keeps the commonest."""
    votes: dict[str, Counter[str]] = {}
    for example in examples:
        text = example.get(TEXT) or ""
        for annotated in example.get(ENTITIES) or []:
            if annotated.get("entity") != entity or "start" not in annotated:
                continue
            spelling = fold(text[annotated["start"] : annotated["end"]]).strip()
            value = str(annotated.get("value") or spelling)
            for variant in spelling_variants(spelling):
                votes.setdefault(variant, Counter())[value] += 1
    return {spelling: counter.most_common(1)[0][0] for spelling, counter in votes.items()}


def spelling_variants(spelling: str) -> list[str]:
    """The annotated spelling and, for an Arabic word glued to a one-letter prefix before the
    article ("والسبت"), the word with its article alone ("السبت"), which the gazetteer then
    finds after any prefix ("بالسبت")."""
    if not spelling:
        return []
    for prefix in ARABIC_GLUED_PREFIXES:
        rest = spelling[len(prefix) :]
        if spelling.startswith(prefix) and rest.startswith(ARABIC_ARTICLE) and len(rest) > 3:
            return [spelling, rest]
    return [spelling]


def labelled_examples(
    examples: list[Message], intent: str, entity: str
) -> tuple[list[str], list[str]]:
    """Folded texts of the intent's examples that name exactly one value of `entity`."""
    texts: list[str] = []
    labels: list[str] = []
    for example in examples:
        if example.get(INTENT) != intent:
            continue
        values = {
            str(e.get("value")) for e in example.get(ENTITIES) or [] if e.get("entity") == entity
        }
        if len(values) == 1:
            texts.append(fold(example.get(TEXT) or ""))
            labels.append(values.pop())
    return texts, labels
