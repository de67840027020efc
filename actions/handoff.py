"""Talking to a person: for now, the desks of the person's city where mediators receive."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.context import HUMAN
from actions.services import answer_for_city_in_context


class ActionTalkToPerson(Action):
    def name(self) -> str:
        return "action_talk_to_person"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return await answer_for_city_in_context(dispatcher, tracker, HUMAN)
