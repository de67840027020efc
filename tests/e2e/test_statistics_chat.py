"""Facts written on the real chat path (Telegram double → app → Rasa → app): what people
wrote reaches no statistics table, and neither does their pseudonym; the turns are
counted in their language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.analytics.models import HandoffCell, HourCell, ReachRegister, TurnCell
from bot.kb.models import BotUser
from tests.conftest import Stack


async def turns_in(stack: Stack, language: str, result: str) -> int:
    async with stack.database.session() as session:
        return int(
            await session.scalar(
                select(func.coalesce(func.sum(TurnCell.turns), 0)).where(
                    TurnCell.language == language,
                    TurnCell.result == result,
                    TurnCell.channel == "*",
                    TurnCell.city == "*",
                )
            )
            or 0
        )


async def test_chat_turns_are_counted_without_text_or_pseudonym(
    stack: Stack, chat_factory: Any
) -> None:
    person = chat_factory("en")
    answered, fallback = (
        await turns_in(stack, "en", "answered"),
        await turns_in(stack, "en", "fallback"),
    )
    markers = ["qxvkmarkerone zzplq", "wwqmarkertwo bbrtz"]
    await person.say(markers[0])
    await person.say(markers[1], expect=2)  # the second misunderstanding offers a person
    await person.say("I am looking for a job in Torino", expect=lambda r: len(r) >= 2)
    assert await turns_in(stack, "en", "fallback") == fallback + 2
    assert await turns_in(stack, "en", "answered") == answered + 1
    async with stack.database.session() as session:
        pseudonyms = list(await session.scalars(select(BotUser.pseudonym)))
        rows = [
            repr(tuple(row))
            for model in (TurnCell, HourCell, HandoffCell, ReachRegister)
            for row in (await session.execute(select(model.__table__))).all()
        ]
    dump = "\n".join(rows)
    assert pseudonyms
    for forbidden in [*markers, *(m.split()[0] for m in markers), *pseudonyms]:
        assert forbidden not in dump
