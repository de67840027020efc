"""Mediators for tests: staff accounts with skills and duty hours, written to the database."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher

from bot.kb.db import Database
from bot.staff.models import Role, StaffAccount

_ids = itertools.count(900_001)
ALWAYS = [{"days": [0, 1, 2, 3, 4, 5, 6], "from": "00:00", "to": "23:59:59"}]


def not_today(time_zone: str = "Europe/Rome") -> list[dict[str, object]]:
    """Duty hours on another weekday than today: off duty now."""
    other_day = (dt.datetime.now(ZoneInfo(time_zone)).weekday() + 3) % 7
    return [{"days": [other_day], "from": "09:00", "to": "13:00"}]


async def add_mediator(
    database: Database,
    languages: Sequence[str],
    *,
    cities: Sequence[str] = (),
    on_duty: bool = True,
    password: str | None = None,
    name: str | None = None,
    supervisor: bool = False,
    duty_hours: list[dict[str, object]] | None = None,
) -> StaffAccount:
    """A mediator (on duty around the clock, or on another day; `duty_hours` to choose)."""
    number = next(_ids)
    account = StaffAccount(
        username=f"mediator{number}",
        display_name=name or f"Mediator {number}",
        password_hash=PasswordHasher().hash(password) if password else "",
        role=Role.MEDIATOR,
        languages=list(languages),
        city_slugs=list(cities),
        duty_hours=duty_hours if duty_hours is not None else ALWAYS if on_duty else not_today(),
        telegram_user_id=number,
        is_supervisor=supervisor,
    )
    async with database.session() as session:
        session.add(account)
        await session.commit()
    return account


async def add_staff(
    database: Database,
    role: Role,
    password: str,
    *,
    languages: Sequence[str] = (),
    cities: Sequence[str] = (),
) -> StaffAccount:
    """A workspace account: administrator, city editor or translator."""
    number = next(_ids)
    account = StaffAccount(
        username=f"{role.value}{number}",
        display_name=f"{role.value.replace('_', ' ').title()} {number}",
        password_hash=PasswordHasher().hash(password),
        role=role,
        languages=list(languages),
        city_slugs=list(cities),
        ui_language="en",
    )
    async with database.session() as session:
        session.add(account)
        await session.commit()
    return account
