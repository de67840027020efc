"""The app's memory of each person: language and city, by pseudonym."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.kb.db import Database
from bot.kb.models import BotUser, City


@dataclass(frozen=True)
class Profile:
    pseudonym: str
    language: str
    language_chosen: bool
    city_slug: str | None
    city_name: str | None  # Italian name, as Rasa and the actions know it
    is_new: bool = False
    misunderstood_in_a_row: int = 0
    handoff_offered_at: dt.datetime | None = None

    def offered_a_mediator_since(self, moment: dt.datetime) -> bool:
        offered = self.handoff_offered_at
        return offered is not None and offered >= moment


class UserStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def get_or_create(self, pseudonym: str, channel: str, language: str) -> Profile:
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym, options=[selectinload(BotUser.city)])
            if user is not None:
                return _profile(user)
            user = BotUser(pseudonym=pseudonym, channel=channel, language=language)
            session.add(user)
            await session.commit()
            return Profile(pseudonym, language, False, None, None, is_new=True)

    async def set_language(self, pseudonym: str, language: str, *, chosen: bool = True) -> None:
        """Set the language: `chosen` by the person, or followed from how they write."""
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym)
            if user is not None:
                user.language = language
                user.language_chosen = user.language_chosen or chosen
                await session.commit()

    async def set_misunderstood(self, pseudonym: str, count: int) -> None:
        """How many messages in a row the bot did not understand."""
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym)
            if user is not None and user.misunderstood_in_a_row != count:
                user.misunderstood_in_a_row = count
                await session.commit()

    async def set_handoff_offered(self, pseudonym: str, offered: bool) -> None:
        """Remember that a mediator was offered (or that the offer was used up)."""
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym)
            if user is not None:
                user.handoff_offered_at = dt.datetime.now(dt.UTC) if offered else None
                await session.commit()

    async def set_city(self, pseudonym: str, city_slug: str) -> City | None:
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym)
            city = await session.scalar(select(City).where(City.slug == city_slug))
            if user is not None and city is not None:
                user.city_id = city.id
                await session.commit()
            return city


def _profile(user: BotUser) -> Profile:
    return Profile(
        pseudonym=user.pseudonym,
        language=user.language,
        language_chosen=user.language_chosen,
        city_slug=user.city.slug if user.city else None,
        city_name=user.city.name if user.city else None,
        misunderstood_in_a_row=user.misunderstood_in_a_row,
        handoff_offered_at=user.handoff_offered_at,
    )
