"""Staff accounts. A mediator has skills: languages, cities and duty hours."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from bot.kb.models import Base, TZDateTime


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    CITY_EDITOR = "city_editor"
    TRANSLATOR = "translator"
    MEDIATOR = "mediator"


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    role: Mapped[str] = mapped_column(String(32), default=Role.MEDIATOR)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the language of the workspace pages
    ui_language: Mapped[str] = mapped_column(String(8), default="it")
    # what the person speaks / where they work; empty cities = every city
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    city_slugs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"days": [0, 1, 2, 3, 4], "from": "09:00", "to": "13:00"}, ...], Europe/Rome time
    duty_hours: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    # the mediator's own Telegram account, to recognise them in the mediators' group
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now())

    def speaks(self, language: str) -> bool:
        return language in self.languages

    def covers(self, city_slug: str | None) -> bool:
        return not self.city_slugs or city_slug is None or city_slug in self.city_slugs


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; the database keeps its hash, so
    that signing out, a new password, a disabled account or a new role end it at once."""

    __tablename__ = "staff_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(TZDateTime(), index=True)


class CannedReply(Base):
    """A ready answer mediators can send, per language; edited by staff."""

    __tablename__ = "canned_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    language: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
