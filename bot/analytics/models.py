"""Tables of the statistics: counters in cells, never one row per person or per message.

A cell is a combination of dimensions (time bucket, channel, language, city, ...) and a
count. Nothing in a cell is text, a pseudonym, an id or a time finer than the bucket
(a week cut at month ends; the hour of the week is kept apart, without topic or outcome).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.kb.models import Base, TZDateTime

ANY = "*"  # a wildcard cell of the people-reached sketches (every channel, language, city)


class TurnCell(Base):
    """Assistant turns: what people asked about and whether the bot could answer."""

    __tablename__ = "stat_turn"

    # the key's order: the dimensions a query fixes first, the period's range after them
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    city: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" = not known
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" = none
    result: Mapped[str] = mapped_column(String(16), primary_key=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)


class HourCell(Base):
    """When people write and when they start waiting for a mediator, by hour of the week."""

    __tablename__ = "stat_hour"

    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0 = Monday
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # Europe/Rome
    turns: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)


class HandoffCell(Base):
    """Handoff events: offered, opened, queued, taken (with the wait), transferred,
    closed (outcome, handling time), rated, safeguarding (category)."""

    __tablename__ = "stat_handoff"

    event: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    topic: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16), primary_key=True)
    detail: Mapped[str] = mapped_column(String(32), primary_key=True)  # outcome or category
    rating: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 0 = none
    minutes: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # a bin; -1 = none
    events: Mapped[int] = mapped_column(Integer, default=0)


class ReachRegister(Base):
    """One register of a HyperLogLog sketch of the people of a cell (`*` = every value),
    for a week's bucket, a month or a year (`grain`, `bucket` = its first day)."""

    __tablename__ = "stat_reach"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)  # w(eek), m(onth), y(ear)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    city: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    register: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    rank: Mapped[int] = mapped_column(SmallInteger, default=0)


class ReachSalt(Base):
    """The key of a year's sketches; deleted once the year is over (`close_years`)."""

    __tablename__ = "stat_salt"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary)


class StatMark(Base):
    """One-off facts about the statistics themselves (e.g. the backfill was done)."""

    __tablename__ = "stat_mark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now())


class QuestionGroup(Base):
    """Unanswered messages of one language that look alike. Its counts outlive the texts."""

    __tablename__ = "question_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    city_slug: Mapped[str | None] = mapped_column(String(64))  # "needs new content" for it
    total: Mapped[int] = mapped_column(Integer, default=0)
    weekly: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # Monday → count
    first_seen: Mapped[dt.date] = mapped_column(Date)
    last_seen: Mapped[dt.date] = mapped_column(Date)


class QuestionMember(Base):
    """A kept unanswered message in a group; goes with the message (retention)."""

    __tablename__ = "question_member"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("unanswered_message.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("question_group.id", ondelete="CASCADE"), index=True
    )
