"""City entity extractor: every spelling of every partner city, normalised to its Italian name.

Trained from the city synonyms and lookup table that `python -m bot.kb export-nlu`
generates from the knowledge base (and from the city annotations of the examples), it
finds names in any script with `Gazetteer` (glued Arabic prefixes, Cyrillic case endings,
Chinese without spaces) and sets the entity value to the Italian name ("в Генуї" → Genova).

It runs before the featurizers and masks city tokens (their lemma becomes `citytoken`,
which the count featurizers use), in training data and in live messages alike, so that
the intent classifier learns "a city is named here" rather than which city: otherwise
"a room in Milan" leans towards `inform_city` just because "Milan" is a city.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.storage import read_artifact, write_artifact
from rasa_components.textfold import Gazetteer

NAMES_FILE = "city_names.json"
CITY_TOKEN = "citytoken"


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=True,
)
class CityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # "gazetteer": textfold.Gazetteer; "spacy": spaCy's PhraseMatcher (spacy_pieces)
        return {"entity": "city", "city_matcher": "gazetteer"}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        names: dict[str, str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._names = names or {}
        self._gazetteer = self._matcher(self._names)

    def _matcher(self, names: dict[str, str]) -> Any:
        if self._config["city_matcher"] == "spacy":
            from rasa_components.spacy_pieces import PhraseGazetteer

            return PhraseGazetteer(names)
        return Gazetteer(names)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CityExtractor:
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        self._names = names_from_training_data(training_data, self._config["entity"])
        self._gazetteer = self._matcher(self._names)
        data = json.dumps(self._names, ensure_ascii=False).encode()
        write_artifact(self._model_storage, self._resource, NAMES_FILE, data)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CityExtractor:
        data = read_artifact(model_storage, resource, NAMES_FILE)
        return cls(config, model_storage, resource, json.loads(data) if data else {})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            entities = [
                {
                    "entity": self._config["entity"],
                    "start": match.start,
                    "end": match.end,
                    "value": match.value,
                    "confidence_entity": 1.0,
                }
                for match in self._gazetteer.find(message.get(TEXT) or "")
            ]
            mask_tokens(message, [(e["start"], e["end"]) for e in entities])
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name(entities),
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Mask annotated and recognised cities in the examples the classifier learns from."""
        for example in training_data.training_examples:
            spans = [
                (entity["start"], entity["end"])
                for entity in example.get(ENTITIES, [])
                if entity.get("entity") == self._config["entity"]
            ]
            spans += [(m.start, m.end) for m in self._gazetteer.find(example.get(TEXT) or "")]
            mask_tokens(example, spans)
        return training_data


def mask_tokens(message: Message, spans: list[tuple[int, int]]) -> None:
    for token in message.get(TOKENS_NAMES[TEXT]) or []:
        if any(token.start < end and start < token.end for start, end in spans):
            token.lemma = CITY_TOKEN


def names_from_training_data(training_data: TrainingData, entity: str) -> dict[str, str]:
    """Spelling → canonical value, from the lookup table, synonyms and annotations."""
    canonical = set(
        next((t["elements"] for t in training_data.lookup_tables if t["name"] == entity), [])
    )
    names = {value: value for value in canonical}
    for spelling, value in training_data.entity_synonyms.items():
        if value in canonical:
            names.setdefault(spelling, value)
    for example in training_data.entity_examples:
        for annotated in example.get(ENTITIES, []):
            value = annotated.get("value")
            if annotated.get("entity") == entity and value in canonical:
                text = example.get(TEXT)[annotated["start"] : annotated["end"]]
                names.setdefault(text, value)
    return names
