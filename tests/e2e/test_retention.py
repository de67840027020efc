"""Retention: what people leave behind is deleted after the configured days, open cases
are kept, and Rasa's old conversations go too."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from sqlalchemy import create_engine, select, text

from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase, HeldMedia, Sender
from bot.kb.models import BotUser, UnansweredMessage
from bot.privacy.retention import purge
from tests.conftest import Stack

_numbers = itertools.count(1)
NOW = dt.datetime.now(dt.UTC)
OLD = NOW - dt.timedelta(days=400)


def person() -> str:
    return f"retention-person-{next(_numbers)}-{NOW.timestamp()}"


async def test_old_cases_questions_and_profiles_are_deleted_and_open_cases_kept(
    stack: Stack, tmp_path: Path
) -> None:
    old_closed, recent_closed, old_open = person(), person(), person()
    async with stack.database.session() as session:
        cases = {
            old_closed: HandoffCase(
                user_pseudonym=old_closed, language="ar", status=CaseStatus.CLOSED, closed_at=OLD
            ),
            recent_closed: HandoffCase(
                user_pseudonym=recent_closed, language="uk", status=CaseStatus.CLOSED, closed_at=NOW
            ),
            old_open: HandoffCase(
                user_pseudonym=old_open, language="bn", status=CaseStatus.WAITING, queued_at=OLD
            ),
        }
        for case in cases.values():
            case.channel = "telegram"
        for pseudonym in cases:
            session.add(
                BotUser(
                    pseudonym=pseudonym,
                    channel="telegram",
                    language="it",
                    created_at=OLD,
                    updated_at=OLD,
                )
            )
        await session.flush()
        session.add_all(cases.values())
        await session.flush()
        session.add(
            CaseMessage(
                case_id=cases[old_closed].id,
                sender=Sender.PERSON,
                origin="tg:1",
                kind="text",
                text="il mio indirizzo è via Roma 1",
            )
        )
        session.add(UnansweredMessage(language="ar", text="old question", received_at=OLD))
        session.add(UnansweredMessage(language="ar", text="new question", received_at=NOW))
        await session.commit()
        ids = {pseudonym: case.id for pseudonym, case in cases.items()}

    tracker = tmp_path / "tracker.db"
    engine = create_engine(f"sqlite:///{tracker}")
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
                "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
            )
        )
        for sender, moment in (("gone", OLD), ("gone", OLD), ("kept", OLD), ("kept", NOW)):
            connection.execute(
                text(
                    "INSERT INTO events (sender_id, type_name, timestamp) VALUES (:s, 'user', :t)"
                ),
                {"s": sender, "t": moment.timestamp()},
            )

    report = await purge(stack.database, 180, f"sqlite:///{tracker}")

    assert report.cases >= 1 and report.conversations == 1
    async with stack.database.session() as session:
        assert await session.get(HandoffCase, ids[old_closed]) is None
        assert await session.get(HandoffCase, ids[recent_closed]) is not None
        assert await session.get(HandoffCase, ids[old_open]) is not None
        messages = await session.scalars(
            select(CaseMessage).where(CaseMessage.case_id == ids[old_closed])
        )
        assert messages.all() == []
        texts = set(await session.scalars(select(UnansweredMessage.text)))
        assert "old question" not in texts and "new question" in texts
        assert await session.get(BotUser, old_closed) is None
        assert await session.get(BotUser, old_open) is not None  # their case is still open
        assert await session.get(BotUser, recent_closed) is not None  # a recent case
    with engine.connect() as connection:
        senders = connection.execute(text("SELECT DISTINCT sender_id FROM events")).scalars()
        assert list(senders) == ["kept"]
    engine.dispose()


async def test_media_held_for_an_offer_never_answered_goes_after_a_day(stack: Stack) -> None:
    stale, fresh = person(), person()
    async with stack.database.session() as session:
        session.add_all(
            [
                HeldMedia(
                    user_pseudonym=stale,
                    origin="tg:1",
                    kind="voice",
                    file_id="v1",
                    received_at=NOW - dt.timedelta(days=2),
                ),
                HeldMedia(user_pseudonym=fresh, origin="tg:2", kind="photo", file_id="p1"),
            ]
        )
        await session.commit()
    report = await purge(stack.database, 180)
    assert report.held_media >= 1
    async with stack.database.session() as session:
        left = set(await session.scalars(select(HeldMedia.user_pseudonym)))
    assert stale not in left and fresh in left
