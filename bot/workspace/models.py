"""The audit trail of the staff workspace."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from bot.kb.models import Base, TZDateTime


class AuditEntry(Base):
    """One change by one staff member: the state of the thing before and after it."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now(), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # create, update, delete, import, undo
    entity: Mapped[str] = mapped_column(String(32))  # service, city
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    city_slug: Mapped[str] = mapped_column(String(64), default="", index=True)
    summary: Mapped[str] = mapped_column(String(512), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    undone_by_id: Mapped[int | None] = mapped_column(Integer)


class StaffUpload(Base):
    """A file a staff member uploaded for a preview, kept until they confirm or it expires:
    the confirmation refers to it instead of sending the file again."""

    __tablename__ = "staff_upload"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("staff_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "po"
    language: Mapped[str] = mapped_column(String(8), default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now())
    expires_at: Mapped[dt.datetime] = mapped_column(TZDateTime(), index=True)
