"""Topic answers: the services of the person's city, the city question, nearest places."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import (
    HUMAN,
    INTENT_TOPICS,
    knowledge_base,
    known_city,
    mentioned_city,
    metadata,
)
from actions.details import shown_events
from bot.core.contract import AskCity, AskLocation, CitySet, NearbyItem, Nearest, Services
from bot.kb.models import City, Topic
from bot.kb.queries import nearest_city, nearest_services, resolve_city, services_for

NEAREST_LIMIT = 3


async def answer_topic(
    session: AsyncSession, dispatcher: CollectingDispatcher, topic: str, city: City
) -> list[EventType]:
    """Send the services for `topic` in `city` and remember the city."""
    service_topic = Topic.DESK.value if topic == HUMAN else topic
    services = await services_for(session, city.id, service_topic)
    answer = Services(
        kind="human" if topic == HUMAN else "services",
        topic=Topic(service_topic),
        city=city.slug,
        service_ids=[service.id for service in services],
    )
    dispatcher.utter_message(json_message=answer.dump())
    return [
        SlotSet("city", city.name),
        SlotSet("pending_topic", None),
        *shown_events(answer.service_ids, service_topic, city),
    ]


def ask_for_city(dispatcher: CollectingDispatcher, topic: str, *, unknown: bool) -> list[EventType]:
    answer = AskCity(kind="unknown_city" if unknown else "ask_city", topic=topic)
    dispatcher.utter_message(json_message=answer.dump())
    return [SlotSet("pending_topic", topic)]


async def answer_for_city_in_context(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str
) -> list[EventType]:
    """The city named in the message wins; then the known one; else ask for it."""
    async with knowledge_base().session() as session:
        named = mentioned_city(tracker)
        city = await resolve_city(session, named) if named else await known_city(session, tracker)
        if city is None:
            return ask_for_city(dispatcher, topic, unknown=named is not None)
        return await answer_topic(session, dispatcher, topic, city)


class ActionAnswerTopic(Action):
    def name(self) -> str:
        return "action_answer_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        topic = INTENT_TOPICS.get(intent, Topic.DESK.value)
        return await answer_for_city_in_context(dispatcher, tracker, topic)


class ActionSetCity(Action):
    """The person said their city: answer the question they asked before, or confirm it."""

    def name(self) -> str:
        return "action_set_city"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = tracker.get_slot("pending_topic")
        async with knowledge_base().session() as session:
            named = mentioned_city(tracker) or tracker.latest_message.get("text") or ""
            city = await resolve_city(session, named)
            if city is None:
                return ask_for_city(dispatcher, pending or "", unknown=True)
            if pending:
                return await answer_topic(session, dispatcher, pending, city)
        dispatcher.utter_message(json_message=CitySet(city=city.slug).dump())
        return [SlotSet("city", city.name)]


class ActionNearestServices(Action):
    """A shared location: the nearest places for the pending topic (or any topic)."""

    def name(self) -> str:
        return "action_nearest_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        location = metadata(tracker).get("location") or {}
        latitude, longitude = location.get("latitude"), location.get("longitude")
        if latitude is None or longitude is None:  # asked in words: ask for the location
            dispatcher.utter_message(json_message=AskLocation().dump())
            return []
        pending = tracker.get_slot("pending_topic")
        topic = Topic.DESK.value if pending == HUMAN else pending
        async with knowledge_base().session() as session:
            city = await nearest_city(session, float(latitude), float(longitude))
            nearby = await nearest_services(
                session, float(latitude), float(longitude), topic, NEAREST_LIMIT
            )
        answer = Nearest(
            topic=Topic(topic) if topic else None,
            city=city.slug if city else None,
            items=[NearbyItem(id=i.service.id, distance_m=round(i.distance_m)) for i in nearby],
        )
        dispatcher.utter_message(json_message=answer.dump())
        events: list[EventType] = [
            SlotSet("pending_topic", None),
            *shown_events([item.id for item in answer.items], topic, city),
        ]
        if city is not None:
            events.append(SlotSet("city", city.name))
        return events
