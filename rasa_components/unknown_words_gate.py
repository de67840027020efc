"""Don't guess on words never seen: a classifier on character n-grams is confident even on
gibberish ("xqzv brrp klmn" → thank, 0.60). If no word of a message occurs in the training
data and no city was recognised, this gate sets the intent confidence to 0 so that the
FallbackClassifier after it answers "not understood" (menu + a person) instead of a guess.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.storage import read_artifact, write_artifact
from rasa_components.textfold import fold

VOCABULARY_FILE = "vocabulary.json"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGate(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_word_length": 2}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: set[str] | None = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or set()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsGate:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsGate:
        data = read_artifact(model_storage, resource, VOCABULARY_FILE)
        return cls(config, model_storage, resource, set(json.loads(data) if data else []))

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.intent_examples:
            self._vocabulary.update(self._words(example))
        data = json.dumps(sorted(self._vocabulary), ensure_ascii=False).encode()
        write_artifact(self._model_storage, self._resource, VOCABULARY_FILE, data)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            words = self._words(message)
            if words and not (words & self._vocabulary) and not message.get(ENTITIES):
                intent = dict(message.get(INTENT) or {})
                intent["confidence"] = 0.0
                message.set(INTENT, intent, add_to_output=True)
                ranking = [
                    dict(entry, confidence=0.0) for entry in message.get(INTENT_RANKING_KEY) or []
                ]
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _words(self, message: Message) -> set[str]:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        minimum = self._config["min_word_length"]
        return {
            fold(token.text)
            for token in tokens
            if len(token.text) >= minimum and any(char.isalpha() for char in token.text)
        }
