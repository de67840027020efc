"""A service as the bot shows it: its card, opening hours grouped by weekday, closures and
public holidays, contacts and a map link. Shared by the answers, the handoff's desk list
and the staff's previews."""

from __future__ import annotations

import datetime as dt
import functools
from itertools import groupby
from zoneinfo import ZoneInfo

import holidays

from bot.core.markup import Markup, bold, italic, join
from bot.core.messages import Button
from bot.i18n import Localizer
from bot.kb.models import Service, Topic

ITALY = ZoneInfo("Europe/Rome")
CLOSURE_HORIZON_DAYS = 21
TOPIC_ICONS = {Topic.JOB: "💼", Topic.HOUSING: "🏠", Topic.COURSE: "📚", Topic.DESK: "🏛"}


def today_in_italy() -> dt.date:
    return dt.datetime.now(ITALY).date()


def topic_label(loc: Localizer, topic: str) -> str:
    labels = {
        Topic.JOB: loc.gettext("Work"),
        Topic.HOUSING: loc.gettext("Housing"),
        Topic.COURSE: loc.gettext("Italian & civic courses"),
        Topic.DESK: loc.gettext("Help desks"),
    }
    return f"{TOPIC_ICONS[Topic(topic)]} {labels[Topic(topic)]}"


def services_header(loc: Localizer, topic: str, count: int, city: str) -> str:
    headers = {
        Topic.JOB: loc.ngettext(
            "Job services in {city}: {count} place", "Job services in {city}: {count} places", count
        ),
        Topic.HOUSING: loc.ngettext(
            "Housing help in {city}: {count} place", "Housing help in {city}: {count} places", count
        ),
        Topic.COURSE: loc.ngettext(
            "Italian and civic courses in {city}: {count} place",
            "Italian and civic courses in {city}: {count} places",
            count,
        ),
        Topic.DESK: loc.ngettext(
            "Help desks in {city}: {count} place", "Help desks in {city}: {count} places", count
        ),
    }
    return headers[Topic(topic)].format(city=city, count=count)


def map_url(service: Service) -> str | None:
    if service.latitude is None or service.longitude is None:
        return None
    lat, lon = service.latitude, service.longitude
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=18/{lat:.5f}/{lon:.5f}"
    )


def map_buttons(loc: Localizer, service: Service) -> list[list[Button]]:
    url = map_url(service)
    return [[Button("🗺 " + loc.gettext("Map"), url=url)]] if url else []


def service_card(loc: Localizer, service: Service, today: dt.date | None = None) -> Markup:
    today = today or today_in_italy()
    if service.is_expired(today):
        return expired_service_card(loc, service)
    text = service.text_for(loc.language)
    lines: list[str] = []
    if text and text.label:
        lines.append(bold(text.label))
    lines.append(loc.isolate(service.name))
    if text and text.description:
        lines.append(text.description)
    lines.append("")
    if service.address:
        lines.append(f"📍 {loc.isolate(service.address)}")
    lines.append(f"🕒 {loc.gettext('Opening hours')}:")
    lines.extend(f"   {line}" for line in opening_hours_lines(loc, service))
    lines.extend(f"   ⛔ {line}" for line in closure_lines(loc, service, today))
    lines.extend(contact_lines(loc, service))
    if service.languages_spoken:
        names = ", ".join(loc.language_in_my_language(code) for code in service.languages_spoken)
        lines.append(f"🗣 {loc.gettext('Languages spoken')}: {names}")
    if text and text.documents:
        lines.append(f"📄 {loc.gettext('What to bring')}:")
        lines.extend(f"   • {document}" for document in text.documents)
    if text and text.notes:
        lines.append(f"ℹ️ {text.notes}")
    if service.is_sample:
        notice = loc.gettext("Sample information, not yet checked by the desk staff.")
        lines.append(italic(f"⚠️ {notice}"))
    return join(lines)


def contact_lines(loc: Localizer, service: Service) -> list[str]:
    return [
        f"{icon} {loc.isolate(value)}"
        for icon, value in (("📞", service.phone), ("✉️", service.email), ("🌐", service.website))
        if value
    ]


def expired_service_card(loc: Localizer, service: Service) -> Markup:
    """Past its "valid until" date: only the desk's contacts, and that it is being checked."""
    text = service.text_for(loc.language)
    lines: list[str] = [bold(text.label)] if text and text.label else []
    lines.append(loc.isolate(service.name))
    if service.address:
        lines.append(f"📍 {loc.isolate(service.address)}")
    lines.extend(contact_lines(loc, service))
    notice = loc.gettext(
        "The details of this service are being checked. Please contact the desk before you go."
    )
    lines.append(italic(f"⚠️ {notice}"))
    return join(lines)


def closure_lines(loc: Localizer, service: Service, today: dt.date) -> list[str]:
    """Closures and public holidays in the coming weeks, then the rule for holidays."""
    horizon = today + dt.timedelta(days=CLOSURE_HORIZON_DAYS)
    spans = [
        (c.starts, c.ends) for c in service.closures if c.ends >= today and c.starts <= horizon
    ]
    if service.closed_on_public_holidays:
        spans.extend((day, day) for day in public_holidays(today, horizon))
    lines = []
    for starts, ends in sorted(set(spans)):
        if starts == ends:
            lines.append(loc.gettext("Closed on {date}").format(date=loc.date(starts)))
        else:
            lines.append(
                loc.gettext("Closed from {start} to {end}").format(
                    start=loc.date(starts), end=loc.date(ends)
                )
            )
    if service.closed_on_public_holidays and service.hours:
        lines.append(loc.gettext("Closed on public holidays"))
    return lines


def public_holidays(first: dt.date, last: dt.date) -> list[dt.date]:
    days = set().union(*(italian_holidays(year) for year in range(first.year, last.year + 1)))
    return sorted(day for day in days if first <= day <= last)


@functools.cache
def italian_holidays(year: int) -> frozenset[dt.date]:
    """Italy's public holidays in `year`, computed once (every card of every answer asks)."""
    return frozenset(holidays.country_holidays("IT", years=year))


def opening_hours_lines(loc: Localizer, service: Service) -> list[str]:
    """Weekdays with the same hours grouped: "Mon–Fri 09:00–12:30, 14:30–16:30"."""
    if not service.hours:
        return [loc.gettext("not available: please call before you go")]
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for interval in service.hours:
        by_day.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
    return weekly_hours_lines(loc, by_day)


def weekly_hours_lines(
    loc: Localizer, by_day: dict[int, list[tuple[dt.time, dt.time]]]
) -> list[str]:
    """One line per run of weekdays with the same time ranges."""
    ranges_by_day = {
        day: [f"{loc.time(start)}–{loc.time(end)}" for start, end in ranges]
        for day, ranges in by_day.items()
    }
    lines = []
    for days, ranges in _consecutive_runs(sorted(ranges_by_day), ranges_by_day):
        day_label = (
            loc.weekday(days[0])
            if len(days) == 1
            else f"{loc.weekday(days[0])}–{loc.weekday(days[-1])}"
        )
        lines.append(f"{day_label}: {', '.join(ranges)}")
    return lines


def _consecutive_runs(
    days: list[int], by_day: dict[int, list[str]]
) -> list[tuple[list[int], list[str]]]:
    runs: list[tuple[list[int], list[str]]] = []
    for _, group in groupby(
        enumerate(days), key=lambda pair: (pair[1] - pair[0], tuple(by_day[pair[1]]))
    ):
        members = [day for _, day in group]
        runs.append((members, by_day[members[0]]))
    return runs
