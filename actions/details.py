"""Follow-up questions about the services just shown ("qual è il numero?", "e il sabato?").

The context is kept in slots by every answer that shows services (`shown_services`,
`shown_topic`, `shown_city`). A follow-up answers for those services, unless the person has
moved to another city since (or names one now): then for the same topic in the new city.
A newer topic question still waiting for its city makes the bot ask for the city again;
with nothing shown yet, the person is asked for a topic (and a city).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncSession

from actions.context import knowledge_base, known_city, mentioned_city
from bot.core.contract import AskCity, AskContext, Detail, ServiceDetails
from bot.kb.models import City, Topic
from bot.kb.queries import resolve_city, services_for

TOPICS = frozenset(topic.value for topic in Topic)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
OPENING = frozenset({Detail.HOURS, Detail.OPEN_TODAY, Detail.OPEN_NOW, Detail.OPEN_DAY})
# a question naming no detail we recognise ("and that one?"): the essentials
DEFAULT_DETAILS = (Detail.ADDRESS, Detail.PHONE, Detail.HOURS)


def asked_details(
    values: Iterable[str], weekday_values: Iterable[str]
) -> tuple[list[Detail], int | None]:
    """The details to answer, in the order asked, and the weekday of `open_day`.

    A weekday turns any question about opening into "open on that day" ("e il sabato?",
    "orari del sabato"); "open" without a day means now; today's or now's status makes the
    weekly hours redundant."""
    details = list(dict.fromkeys(Detail(v) for v in values if v in Detail._value2member_map_))
    weekday = next((WEEKDAYS.index(w) for w in weekday_values if w in WEEKDAYS), None)
    if weekday is not None:
        details = [d for d in details if d not in OPENING]
        return [*details, Detail.OPEN_DAY], weekday
    if Detail.OPEN_DAY in details:
        details.remove(Detail.OPEN_DAY)
        if Detail.OPEN_TODAY not in details and Detail.OPEN_NOW not in details:
            details.append(Detail.OPEN_NOW)
    if Detail.HOURS in details and ({Detail.OPEN_TODAY, Detail.OPEN_NOW} & set(details)):
        details.remove(Detail.HOURS)
    return details or list(DEFAULT_DETAILS), None


@dataclass(frozen=True)
class Shown:
    """What the last answer showed, as the slots keep it."""

    service_ids: list[int]
    topic: str | None
    city: str | None  # Italian name, as the `city` slot

    @classmethod
    def of(cls, tracker: Tracker) -> Shown:
        ids = tracker.get_slot("shown_services") or []
        return cls(
            service_ids=[int(i) for i in ids if str(i).isdigit()],
            topic=tracker.get_slot("shown_topic"),
            city=tracker.get_slot("shown_city"),
        )


def needs_new_services(shown: Shown, city: City | None) -> bool:
    """The person is now in another city than the one of the services shown."""
    return bool(shown.topic and city is not None and city.name != shown.city)


def shown_events(ids: Sequence[int], topic: str | None, city: City | None) -> list[EventType]:
    """The slots every answer that shows services sets."""
    return [
        SlotSet("shown_services", list(ids)),
        SlotSet("shown_topic", topic),
        SlotSet("shown_city", city.name if city else None),
    ]


async def current_city(session: AsyncSession, tracker: Tracker) -> City | None:
    named = mentioned_city(tracker)
    if named:
        city = await resolve_city(session, named)
        if city is not None:
            return city
    return await known_city(session, tracker)


class ActionAnswerDetail(Action):
    def name(self) -> str:
        return "action_answer_detail"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        details, weekday = asked_details(
            tracker.get_latest_entity_values("detail"), tracker.get_latest_entity_values("weekday")
        )
        shown = Shown.of(tracker)
        pending = tracker.get_slot("pending_topic")
        if pending and mentioned_city(tracker) is None:
            # a newer question is waiting for its city: the services shown before are stale
            dispatcher.utter_message(json_message=AskCity(kind="ask_city", topic=pending).dump())
            return []
        events: list[EventType] = []
        async with knowledge_base().session() as session:
            city = await current_city(session, tracker)
            ids = shown.service_ids
            if needs_new_services(shown, city) or (not ids and shown.topic and city):
                assert city is not None and shown.topic is not None
                ids = [s.id for s in await services_for(session, city.id, shown.topic)]
                events = [SlotSet("city", city.name), *shown_events(ids, shown.topic, city)]
        if not ids:
            dispatcher.utter_message(
                json_message=AskContext(city=city.slug if city else None).dump()
            )
            return events
        answer = ServiceDetails(
            details=details,
            weekday=weekday,
            topic=Topic(shown.topic) if shown.topic in TOPICS else None,
            city=city.slug if city else None,
            service_ids=ids,
        )
        dispatcher.utter_message(json_message=answer.dump())
        return events
