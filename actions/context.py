"""What every action needs: the knowledge base, and the person's city and language."""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kb.db import Database
from bot.kb.models import City, Topic
from bot.kb.queries import resolve_city
from bot.settings import load_settings

INTENT_TOPICS = {
    "ask_job_services": Topic.JOB.value,
    "ask_housing_help": Topic.HOUSING.value,
    "ask_language_course": Topic.COURSE.value,
    "ask_help_desk": Topic.DESK.value,
}
HUMAN = "human"  # a pending "talk to a person" request, answered like a topic


@cache
def knowledge_base() -> Database:
    """The action server's database, created on first use (settings read once, then)."""
    return Database(load_settings().database_url)


def metadata(tracker: Tracker) -> dict[str, Any]:
    return dict(tracker.latest_message.get("metadata") or {})


def mentioned_city(tracker: Tracker) -> str | None:
    """The city entity of the latest message (already the Italian name), if any."""
    return next(tracker.get_latest_entity_values("city"), None)


async def known_city(session: AsyncSession, tracker: Tracker) -> City | None:
    """The person's city as the app knows it (metadata), else as this conversation does."""
    for name in (metadata(tracker).get("city"), tracker.get_slot("city")):
        if name:
            city = await resolve_city(session, str(name))
            if city is not None:
                return city
    return None
