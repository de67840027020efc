"""Handoff cases and their messages. Every message is stored before it is relayed."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.kb.models import Base, City
from bot.staff.models import StaffAccount


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"  # confirmed by the person, waiting for their one-line description
    WAITING = "waiting"  # queued for mediators
    ACTIVE = "active"  # a mediator has it
    CLOSED = "closed"


OPEN_STATUSES = (CaseStatus.DRAFT, CaseStatus.WAITING, CaseStatus.ACTIVE)


class CaseReason(enum.StrEnum):
    REQUESTED = "requested"
    NOT_UNDERSTOOD = "not_understood"
    SAFEGUARDING = "safeguarding"


class Sender(enum.StrEnum):
    PERSON = "person"
    MEDIATOR = "mediator"


class HandoffCase(Base):
    __tablename__ = "handoff_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # the case number
    user_pseudonym: Mapped[str] = mapped_column(
        ForeignKey("bot_user.pseudonym", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    # where the person's messages come from and go to (e.g. a Telegram chat id),
    # encrypted at rest: see `bot.handoff.addresses`
    delivery_address: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8))
    bridge_language: Mapped[str | None] = mapped_column(String(8))
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"))
    topic: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(16), default=CaseReason.REQUESTED)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.DRAFT, index=True)
    mediator_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    forum_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # set once mediators have been told (topic created / console notified)
    announced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # the person was told a mediator took the case / the case was closed
    person_told_taken: Mapped[bool] = mapped_column(Boolean, default=False)
    person_told_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    # mediators' surfaces were told the case closed (topic closed)
    mediators_told_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(Integer)
    # web chat: a keyed hash of the client's network address while the case is open, to cap
    # the open cases one address can create (never the address itself)
    client_tag: Mapped[str | None] = mapped_column(String(32), index=True)

    city: Mapped[City | None] = relationship()
    mediator: Mapped[StaffAccount | None] = relationship()
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMessage.id"
    )
    notes: Mapped[list[CaseNote]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseNote.id"
    )
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.id"
    )

    @property
    def languages(self) -> list[str]:
        """The person's language, then the bridge language they accepted."""
        return [self.language] + ([self.bridge_language] if self.bridge_language else [])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseMessage(Base):
    """One message of a case, either way. `origin` makes storing it idempotent."""

    __tablename__ = "case_message"
    __table_args__ = (UniqueConstraint("case_id", "sender", "origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_case.id", ondelete="CASCADE"), index=True
    )
    sender: Mapped[str] = mapped_column(String(16))
    # e.g. "tg:1234" (a Telegram message id in the sender's chat), "web:<uuid>"
    origin: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # text, photo, document, voice, location...
    text: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[str | None] = mapped_column(String(256))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    case: Mapped[HandoffCase] = relationship(back_populates="messages")
    author: Mapped[StaffAccount | None] = relationship()


class CaseNote(Base):
    """A mediator's private note on a case; never shown to the person."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_case.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    case: Mapped[HandoffCase] = relationship(back_populates="notes")
    author: Mapped[StaffAccount | None] = relationship()


class CaseAction(enum.StrEnum):
    """What happened to a case, for its history."""

    OPENED = "opened"
    QUEUED = "queued"
    TAKEN = "taken"
    RELEASED = "released"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    NOTE = "note"
    LEFT = "left"  # the person went back to the assistant


class CaseEvent(Base):
    """One line of a case's history: who did what, or tried to and was refused."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("handoff_case.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(16))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    # e.g. "ar → it, Roma" for a transfer, the outcome for a close
    detail: Mapped[str] = mapped_column(String(128), default="")

    case: Mapped[HandoffCase] = relationship(back_populates="events")
    actor: Mapped[StaffAccount | None] = relationship()


class HeldMedia(Base):
    """A voice note, photo or file a person sent outside a case, held while the bot offers a
    mediator: attached to the case (first) if they accept, deleted if they decline, and
    deleted by retention if the offer is never answered. The channel's file id only: the
    file itself stays with the channel (Telegram)."""

    __tablename__ = "held_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    origin: Mapped[str] = mapped_column(String(64))  # e.g. "tg:1234", as CaseMessage.origin
    kind: Mapped[str] = mapped_column(String(16))  # voice, audio, video_note, photo, document…
    caption: Mapped[str] = mapped_column(Text, default="")
    file_id: Mapped[str | None] = mapped_column(String(256))
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
