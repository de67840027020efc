"""Custom actions, run directly with `Tracker.from_dict` + `CollectingDispatcher` on a real
SQLite knowledge base loaded with the sample data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import context
from actions.details import ActionAnswerDetail
from actions.handoff import ActionTalkToPerson
from actions.services import ActionAnswerTopic, ActionNearestServices, ActionSetCity
from tests.support.processes import prepare_database


@pytest.fixture(scope="module", autouse=True)
def knowledge_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    prepare_database(url)
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", url)
    context.knowledge_base.cache_clear()
    yield
    context.knowledge_base.cache_clear()
    patch.undo()


def tracker(
    intent: str,
    text: str = "",
    cities: tuple[str, ...] = (),
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    entities = [{"entity": "city", "value": city, "start": 0, "end": 1} for city in cities]
    return Tracker.from_dict(
        {
            "sender_id": "pseudonym-1",
            "slots": {"city": None, "pending_topic": None, **(slots or {})},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.9},
                "entities": entities,
                "metadata": metadata or {},
            },
            "events": events or [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, {})
    return [message["custom"] for message in dispatcher.messages], events


async def test_topic_with_a_named_city_lists_that_citys_services() -> None:
    (payload,), events = await run(
        ActionAnswerTopic(), tracker("ask_job_services", cities=("Bologna",))
    )
    assert (
        payload["kind"] == "services" and payload["topic"] == "job" and payload["city"] == "bologna"
    )
    assert payload["service_ids"]
    assert SlotSet("city", "Bologna") in events


async def test_topic_uses_the_city_the_app_knows() -> None:
    state = tracker("ask_housing_help", metadata={"language": "ar", "city": "Genova"})
    (payload,), _ = await run(ActionAnswerTopic(), state)
    assert payload["city"] == "genova" and payload["topic"] == "housing"


async def test_topic_without_a_city_asks_for_it_and_remembers_the_question() -> None:
    (payload,), events = await run(ActionAnswerTopic(), tracker("ask_language_course"))
    assert payload == {"kind": "ask_city", "topic": "course"}
    assert SlotSet("pending_topic", "course") in events


async def test_an_unknown_city_is_said_so() -> None:
    (payload,), _ = await run(
        ActionAnswerTopic(), tracker("ask_job_services", cities=("Pordenone",))
    )
    assert payload["kind"] == "unknown_city"


async def test_the_city_answers_the_pending_question() -> None:
    state = tracker(
        "inform_city", text="Torino", cities=("Torino",), slots={"pending_topic": "desk"}
    )
    (payload,), events = await run(ActionSetCity(), state)
    assert (
        payload["kind"] == "services" and payload["topic"] == "desk" and payload["city"] == "torino"
    )
    assert SlotSet("pending_topic", None) in events


async def test_a_city_in_any_script_is_found_in_the_text_when_no_entity_came() -> None:
    (payload,), _ = await run(ActionSetCity(), tracker("inform_city", text="我在米兰"))
    assert payload == {"kind": "city_set", "city": "milano"}


async def test_a_location_gives_the_nearest_places_and_city() -> None:
    state = tracker(
        "share_location", metadata={"location": {"latitude": 45.0703, "longitude": 7.6869}}
    )
    (payload,), events = await run(ActionNearestServices(), state)
    assert payload["kind"] == "nearest" and payload["city"] == "torino"
    distances = [item["distance_m"] for item in payload["items"]]
    assert len(distances) == 3 and distances == sorted(distances)
    assert SlotSet("city", "Torino") in events


async def test_nearest_asked_in_words_asks_for_the_location() -> None:
    (payload,), _ = await run(
        ActionNearestServices(), tracker("share_location", text="what is near me")
    )
    assert payload == {"kind": "ask_location"}


async def test_talk_to_a_person_offers_a_handoff_with_the_topic_asked_last() -> None:
    earlier = [
        {
            "event": "user",
            "text": "cerco casa",
            "parse_data": {"intent": {"name": "ask_housing_help"}},
        },
        {"event": "user", "text": "grazie", "parse_data": {"intent": {"name": "thank"}}},
    ]
    (payload,), events = await run(
        ActionTalkToPerson(), tracker("request_human", cities=("Palermo",), events=earlier)
    )
    assert payload == {"kind": "handoff_offer", "topic": "housing", "city": "palermo"}
    assert SlotSet("city", "Palermo") in events


async def test_talk_to_a_person_without_a_topic_leaves_it_open() -> None:
    (payload,), events = await run(ActionTalkToPerson(), tracker("request_human"))
    assert payload == {"kind": "handoff_offer"}
    assert events == []


# --- follow-up questions ------------------------------------------------------------------


def follow_up(
    details: tuple[str, ...] = (),
    weekday: str | None = None,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    cities: tuple[str, ...] = (),
) -> Tracker:
    state = tracker("ask_service_detail", cities=cities, slots=slots, metadata=metadata)
    entities = state.latest_message["entities"]
    entities += [{"entity": "detail", "value": d} for d in details]
    if weekday:
        entities.append({"entity": "weekday", "value": weekday})
    return state


async def shown_after(intent: str, city: str) -> dict[str, Any]:
    """The slots an answer about `intent` in `city` leaves behind."""
    _, events = await run(ActionAnswerTopic(), tracker(intent, cities=(city,)))
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


async def test_an_answer_keeps_the_services_it_showed_in_slots() -> None:
    slots = await shown_after("ask_job_services", "Bologna")
    assert slots["shown_services"] and slots["shown_topic"] == "job"
    assert slots["shown_city"] == "Bologna"


async def test_a_follow_up_answers_for_the_services_shown() -> None:
    slots = await shown_after("ask_job_services", "Bologna")
    state = follow_up(("phone",), slots=slots, metadata={"city": "Bologna"})
    (payload,), events = await run(ActionAnswerDetail(), state)
    assert payload == {
        "kind": "service_details",
        "details": ["phone"],
        "topic": "job",
        "city": "bologna",
        "service_ids": slots["shown_services"],
    }
    assert events == []


async def test_a_weekday_asks_whether_it_is_open_that_day() -> None:
    slots = await shown_after("ask_help_desk", "Genova")
    (payload,), _ = await run(ActionAnswerDetail(), follow_up(("open_day",), "saturday", slots))
    assert payload["details"] == ["open_day"] and payload["weekday"] == 5


async def test_after_a_change_of_city_the_follow_up_is_about_the_new_city() -> None:
    bologna = await shown_after("ask_job_services", "Bologna")
    genova = await shown_after("ask_job_services", "Genova")
    state = follow_up(("address",), slots=bologna, metadata={"city": "Genova"})
    (payload,), events = await run(ActionAnswerDetail(), state)
    assert payload["city"] == "genova" and payload["service_ids"] == genova["shown_services"]
    assert SlotSet("shown_services", genova["shown_services"]) in events
    assert SlotSet("shown_city", "Genova") in events


async def test_a_city_named_in_the_follow_up_wins() -> None:
    bologna = await shown_after("ask_housing_help", "Bologna")
    genova = await shown_after("ask_housing_help", "Genova")
    state = follow_up(("hours",), slots=bologna, cities=("Genova",))
    (payload,), _ = await run(ActionAnswerDetail(), state)
    assert payload["service_ids"] == genova["shown_services"]


async def test_with_nothing_shown_the_topic_and_city_are_asked() -> None:
    (payload,), events = await run(ActionAnswerDetail(), follow_up(("phone",)))
    assert payload == {"kind": "ask_context"} and events == []
    (payload,), _ = await run(ActionAnswerDetail(), follow_up(metadata={"city": "Roma"}))
    assert payload == {"kind": "ask_context", "city": "roma"}


async def test_a_newer_question_waiting_for_its_city_is_not_answered_with_old_services() -> None:
    slots = await shown_after("ask_job_services", "Bologna")
    state = follow_up(("phone",), slots={**slots, "pending_topic": "housing"})
    (payload,), events = await run(ActionAnswerDetail(), state)
    assert payload == {"kind": "ask_city", "topic": "housing"} and events == []
