"""Routing by skill: who speaks the person's language, works for their city, is on duty now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.staff.models import StaffAccount

WEEK = range(7)


@dataclass(frozen=True)
class DutySlot:
    weekday: int  # 0 = Monday
    start: dt.time
    end: dt.time


def duty_slots(account: StaffAccount) -> list[DutySlot]:
    slots: list[DutySlot] = []
    for entry in account.duty_hours or []:
        days: list[int] = list(entry.get("days", WEEK))  # type: ignore[call-overload]
        start = dt.time.fromisoformat(str(entry["from"]))
        end = dt.time.fromisoformat(str(entry["to"]))
        slots.extend(DutySlot(int(day), start, end) for day in days)
    return slots


def on_duty(account: StaffAccount, now: dt.datetime) -> bool:
    """`now` is local time (the deployment's time zone)."""
    return account.active and any(
        slot.weekday == now.weekday() and slot.start <= now.time() < slot.end
        for slot in duty_slots(account)
    )


def skilled(
    accounts: Sequence[StaffAccount], language: str, city_slug: str | None
) -> list[StaffAccount]:
    return [a for a in accounts if a.active and a.speaks(language) and a.covers(city_slug)]


@dataclass(frozen=True)
class Availability:
    """Who could take a case in `language` for a city, now and in general."""

    language: str
    on_duty: list[StaffAccount]  # speak the language and are on duty now
    speakers: list[StaffAccount]  # speak it, on duty or not
    bridge_on_duty: dict[str, list[StaffAccount]]  # bridge language -> on duty now

    @property
    def anyone_on_duty(self) -> bool:
        return bool(self.on_duty)

    @property
    def bridge_languages_on_duty(self) -> list[str]:
        return [language for language, people in self.bridge_on_duty.items() if people]

    def hours(self) -> dict[int, list[tuple[dt.time, dt.time]]]:
        """The speakers' duty hours, merged per weekday."""
        by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for account in self.speakers:
            for slot in duty_slots(account):
                by_day.setdefault(slot.weekday, []).append((slot.start, slot.end))
        return {day: _merge(ranges) for day, ranges in sorted(by_day.items())}


def availability(
    accounts: Sequence[StaffAccount],
    language: str,
    city_slug: str | None,
    bridge_languages: Sequence[str],
    now: dt.datetime,
) -> Availability:
    speakers = skilled(accounts, language, city_slug)
    bridges = {
        bridge: [a for a in skilled(accounts, bridge, city_slug) if on_duty(a, now)]
        for bridge in bridge_languages
        if bridge != language
    }
    return Availability(
        language=language,
        on_duty=[a for a in speakers if on_duty(a, now)],
        speakers=speakers,
        bridge_on_duty=bridges,
    )


def _merge(ranges: list[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    merged: list[tuple[dt.time, dt.time]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
