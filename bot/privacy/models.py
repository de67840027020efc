"""The privacy log: who on the staff touched whose data, and which cases people withdrew.

Every time a staff account opens a case, exports a person's data or erases it on their
behalf, a line is written here (who, when, which case); administrators read it in
/admin/privacy. When a person erases their data themselves, a line keeps only the case
numbers that went, so that the mediator who held the case is told why it disappeared.
No line holds a pseudonym or anything the person wrote.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.kb.models import Base, TZDateTime
from bot.staff.models import StaffAccount


class PrivacyAction(enum.StrEnum):
    CASE_VIEWED = "case_viewed"  # a staff account opened a case in the console
    DATA_EXPORTED = "data_exported"  # a staff account exported a person's data
    DATA_ERASED = "data_erased"  # a staff account erased a person's data on request
    WITHDRAWN = "withdrawn"  # the person erased their own data (/forget)


class PrivacyLogEntry(Base):
    __tablename__ = "privacy_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(TZDateTime(), server_default=func.now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_account.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(16))
    # the case concerned (no foreign key: the line outlives an erased case)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # what was done, in a few words ("3 casi, 12 messaggi"); never personal data
    detail: Mapped[str] = mapped_column(String(128), default="")

    actor: Mapped[StaffAccount | None] = relationship()
