"""SQLAlchemy 2 models of the knowledge base and of the app's own tables."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCE_LANGUAGE = "it"


class Topic(enum.StrEnum):
    JOB = "job"
    HOUSING = "housing"
    COURSE = "course"
    DESK = "desk"


class Appointment(enum.StrEnum):
    """Whether a service receives people only by appointment ("" = the staff did not say)."""

    UNKNOWN = ""
    REQUIRED = "required"
    NOT_NEEDED = "not_needed"


class Cost(enum.StrEnum):
    """Whether a service costs the person anything ("" = the staff did not say)."""

    UNKNOWN = ""
    FREE = "free"
    PAID = "paid"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class City(Base):
    __tablename__ = "city"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))  # Italian name, the canonical value
    region: Mapped[str] = mapped_column(String(64), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)

    names: Mapped[list[CityName]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="CityName.id"
    )
    services: Mapped[list[Service]] = relationship(
        back_populates="city", cascade="all, delete-orphan", order_by="Service.id"
    )

    def display_name(self, language: str) -> str:
        """The city's name as written in `language` (its first listed name), else Italian."""
        for entry in self.names:
            if entry.language == language and entry.is_primary:
                return entry.name
        return self.name


class CityName(Base):
    """A way to write a city: per language (first = standard) or a language-less exonym."""

    __tablename__ = "city_name"
    __table_args__ = (UniqueConstraint("city_id", "language", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(128))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    city: Mapped[City] = relationship(back_populates="names")


class Service(Base):
    """A service or desk in a city, for one of the four topics."""

    __tablename__ = "service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(256))  # official Italian name
    address: Mapped[str] = mapped_column(String(256), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(128), default="")
    website: Mapped[str] = mapped_column(String(256), default="")
    languages_spoken: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # who answers for this information, where it comes from, until when it holds
    owner: Mapped[str] = mapped_column(String(256), default="", server_default="")
    source: Mapped[str] = mapped_column(String(512), default="", server_default="")
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    closed_on_public_holidays: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    appointment: Mapped[str] = mapped_column(String(16), default="", server_default="")
    cost: Mapped[str] = mapped_column(String(16), default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    city: Mapped[City] = relationship(back_populates="services")
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        order_by="(OpeningHours.weekday, OpeningHours.opens)",
    )
    texts: Mapped[list[ServiceText]] = relationship(
        back_populates="service", cascade="all, delete-orphan"
    )
    closures: Mapped[list[ServiceClosure]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceClosure.starts"
    )

    def is_expired(self, today: dt.date) -> bool:
        """Past its "valid until" date: not to be given as current information."""
        return self.valid_until is not None and self.valid_until < today

    def text_for(self, language: str) -> ServiceText | None:
        """The service's text in `language`, falling back to the Italian source."""
        by_language = {text.language: text for text in self.texts}
        return by_language.get(language) or by_language.get(SOURCE_LANGUAGE)


class OpeningHours(Base):
    """One opening interval on a weekday (0 = Monday)."""

    __tablename__ = "opening_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)

    service: Mapped[Service] = relationship(back_populates="hours")


class ServiceClosure(Base):
    """Days a service is closed besides its weekly hours (holidays, works, summer)."""

    __tablename__ = "service_closure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    starts: Mapped[dt.date] = mapped_column(Date)
    ends: Mapped[dt.date] = mapped_column(Date)  # inclusive
    reason: Mapped[str] = mapped_column(String(256), default="")

    service: Mapped[Service] = relationship(back_populates="closures")


class ServiceText(Base):
    """What the bot says about a service in one language."""

    __tablename__ = "service_text"
    __table_args__ = (UniqueConstraint("service_id", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(256), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    # fingerprint of the Italian source this translation was made from ("" = unknown)
    source_digest: Mapped[str] = mapped_column(String(64), default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    service: Mapped[Service] = relationship(back_populates="texts")

    def content_digest(self) -> str:
        """Fingerprint of what this text says (used on the Italian source)."""
        content = json.dumps(
            [self.label, self.description, list(self.documents or []), self.notes],
            ensure_ascii=False,
        )
        return hashlib.sha256(content.encode()).hexdigest()[:32]


class UnansweredMessage(Base):
    """A message the bot could not understand, kept (without its sender) for staff."""

    __tablename__ = "unanswered_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    language: Mapped[str] = mapped_column(String(8), index=True)
    text: Mapped[str] = mapped_column(Text)
    guessed_intent: Mapped[str] = mapped_column(String(64), default="")
    city_slug: Mapped[str | None] = mapped_column(String(64))


class BotUser(Base):
    """A person talking to the bot, known only by a keyed pseudonym."""

    __tablename__ = "bot_user"

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    city_id: Mapped[int | None] = mapped_column(ForeignKey("city.id", ondelete="SET NULL"))
    # consecutive messages the bot did not understand: at two, a person is offered
    misunderstood_in_a_row: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # when the bot last offered a mediator: "yes, connect me" is accepted only after an offer
    handoff_offered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    city: Mapped[City | None] = relationship()
