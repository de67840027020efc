"""Talking to a person: the app runs the handoff; Rasa tells it what the person was asking."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import INTENT_TOPICS, knowledge_base, mentioned_city
from bot.core.contract import HandoffOffer
from bot.kb.models import Topic
from bot.kb.queries import resolve_city

TOPICS = frozenset(topic.value for topic in Topic)


def last_topic(tracker: Tracker) -> str | None:
    """The topic of the person's most recent topic question, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            if intent in INTENT_TOPICS:
                return INTENT_TOPICS[intent]
    pending = tracker.get_slot("pending_topic")
    return str(pending) if pending else None


class ActionTalkToPerson(Action):
    def name(self) -> str:
        return "action_talk_to_person"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = last_topic(tracker)
        events: list[EventType] = []
        city_slug = None
        named = mentioned_city(tracker)
        if named:
            async with knowledge_base().session() as session:
                city = await resolve_city(session, named)
            if city is not None:
                city_slug = city.slug
                events.append(SlotSet("city", city.name))
        offer = HandoffOffer(topic=Topic(topic) if topic in TOPICS else None, city=city_slug)
        dispatcher.utter_message(json_message=offer.dump())
        return events
