"""DetailExtractor: lexicon from annotations, fallback classifier, model storage round trip
(runs in .venv-rasa: `make test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_components.detail_extractor import DetailExtractor, lexicon_from_examples

FOLLOW_UP = "ask_service_detail"


def example(text: str, *spans: tuple[str, str, str], intent: str = FOLLOW_UP) -> Message:
    """An annotated example: spans are (entity, annotated text, value)."""
    entities: list[dict[str, Any]] = []
    for entity, span, value in spans:
        start = text.index(span)
        entities.append(
            {"entity": entity, "start": start, "end": start + len(span), "value": value}
        )
    return Message(data={TEXT: text, INTENT: intent, ENTITIES: entities})


TRAINING = [
    example("qual è il numero?", ("detail", "numero", "phone")),
    example("numero di telefono", ("detail", "numero di telefono", "phone")),
    example("mi dai il telefono", ("detail", "telefono", "phone")),
    example("orari?", ("detail", "orari", "hours")),
    example("a che ora apre", ("detail", "a che ora apre", "hours")),
    example("orario di apertura", ("detail", "orario", "hours")),
    example("serve appuntamento?", ("detail", "serve appuntamento", "appointment")),
    example("bisogna prenotare?", ("detail", "prenotare", "appointment")),
    example(
        "e il sabato è aperto?", ("weekday", "sabato", "saturday"), ("detail", "aperto", "open_day")
    ),
    example("والسبت مفتوح؟", ("weekday", "والسبت", "saturday"), ("detail", "مفتوح", "open_day")),
    example("а в суботу відкрито?", ("weekday", "суботу", "saturday")),
    example("周六开门吗", ("weekday", "周六", "saturday"), ("detail", "开门", "open_day")),
    example("kam baje khulta hai", ("detail", "kam baje khulta", "hours")),
    example("quanto costa?", ("detail", "quanto costa", "cost")),
    example("è gratis?", ("detail", "gratis", "cost")),
    example("cerco lavoro", intent="ask_job_services"),
]


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def trained(storage: LocalModelStorage) -> tuple[DetailExtractor, Resource]:
    resource = Resource("detail_extractor")
    context = ExecutionContext(GraphSchema({}), "test")
    component = DetailExtractor.create(
        DetailExtractor.get_default_config(), storage, resource, context
    )
    component.train(TrainingData(training_examples=TRAINING))
    return component, resource


def found(component: DetailExtractor, text: str, intent: str = FOLLOW_UP) -> set[tuple[str, str]]:
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.9}})
    component.process([message])
    return {(e["entity"], e["value"]) for e in message.get(ENTITIES)}


def test_annotated_words_are_found_in_new_sentences(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    assert found(component, "scusi, il numero dello sportello?") == {("detail", "phone")}
    assert ("weekday", "saturday") in found(component, "E IL SABATO?")


def test_a_weekday_and_a_detail_in_one_question(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    assert found(component, "sabato è aperto?") == {
        ("weekday", "saturday"),
        ("detail", "open_day"),
    }


def test_glued_arabic_prefix_cyrillic_ending_and_chinese(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    assert ("weekday", "saturday") in found(component, "بالسبت مفتوح؟")
    assert ("weekday", "saturday") in found(component, "в суботу працюють?")
    assert found(component, "他们周六开门吗") == {("weekday", "saturday"), ("detail", "open_day")}


def test_longest_annotation_wins(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    assert found(component, "numero di telefono?") == {("detail", "phone")}
    entities = Message(data={TEXT: "numero di telefono?", INTENT: {"name": FOLLOW_UP}})
    component.process([entities])
    assert [(e["start"], e["end"]) for e in entities.get(ENTITIES)] == [(0, 18)]


def test_the_classifier_guesses_a_detail_only_for_the_follow_up_intent(
    storage: LocalModelStorage,
) -> None:
    component, _ = trained(storage)
    # "costa" alone is not in the lexicon ("quanto costa" is): the classifier reads it
    assert found(component, "costa tanto?") == {("detail", "cost")}
    assert found(component, "costa tanto?", intent="ask_job_services") == set()


def test_no_detail_in_an_unrelated_message(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    assert found(component, "cerco lavoro a Bologna", intent="ask_job_services") == set()


def test_entities_of_earlier_extractors_are_kept(storage: LocalModelStorage) -> None:
    component, _ = trained(storage)
    city = {"entity": "city", "start": 0, "end": 7, "value": "Bologna"}
    message = Message(data={TEXT: "Bologna orari?", ENTITIES: [city]})
    component.process([message])
    assert [e["entity"] for e in message.get(ENTITIES)] == ["city", "detail"]


def test_the_trained_model_survives_storage(storage: LocalModelStorage) -> None:
    _, resource = trained(storage)
    context = ExecutionContext(GraphSchema({}), "test")
    loaded = DetailExtractor.load(DetailExtractor.get_default_config(), storage, resource, context)
    assert found(loaded, "e il sabato è aperto?") == {
        ("weekday", "saturday"),
        ("detail", "open_day"),
    }


def test_an_untrained_component_finds_nothing(storage: LocalModelStorage) -> None:
    context = ExecutionContext(GraphSchema({}), "test")
    component = DetailExtractor.load(
        DetailExtractor.get_default_config(), storage, Resource("never_trained"), context
    )
    assert found(component, "qual è il numero?") == set()


def test_a_spelling_annotated_with_two_values_keeps_the_commonest() -> None:
    examples = [
        example("aperto oggi", ("detail", "aperto", "open_day")),
        example("è aperto", ("detail", "aperto", "open_day")),
        example("aperto?", ("detail", "aperto", "open_now")),
    ]
    assert lexicon_from_examples(examples, "detail") == {"aperto": "open_day"}
