"""Follow-up answers: one detail of a service ("the phone?", "open on Saturday?"), as lines
of one compact message, never the whole card again.

Open today / now / on a day counts the weekly hours, the staff's closures and Italy's public
holidays (the same rules as the card, `bot.core.cards`). A detail the knowledge base does not
hold is said to be unknown, followed by the desk's contacts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.core.cards import (
    ITALY,
    closure_lines,
    contact_lines,
    italian_holidays,
    map_url,
    opening_hours_lines,
)
from bot.core.contract import Detail
from bot.core.markup import Markup, bold, italic, join
from bot.core.messages import Button
from bot.i18n import Localizer
from bot.kb.models import Appointment, Cost, Service

NEXT_OPENING_HORIZON_DAYS = 14


def detail_label(loc: Localizer, detail: Detail) -> str:
    labels = {
        Detail.PHONE: loc.gettext("Phone number"),
        Detail.ADDRESS: loc.gettext("Address"),
        Detail.MAP: loc.gettext("Map"),
        Detail.HOURS: loc.gettext("Opening hours"),
        Detail.OPEN_TODAY: loc.gettext("Open today"),
        Detail.OPEN_NOW: loc.gettext("Open now"),
        Detail.OPEN_DAY: loc.gettext("Open on that day"),
        Detail.APPOINTMENT: loc.gettext("Appointment"),
        Detail.DOCUMENTS: loc.gettext("What to bring"),
        Detail.COST: loc.gettext("Cost"),
        Detail.LANGUAGES: loc.gettext("Languages spoken"),
        Detail.WEBSITE: loc.gettext("Website"),
    }
    return labels[detail]


def now_in_italy() -> dt.datetime:
    return dt.datetime.now(ITALY)


def service_title(loc: Localizer, service: Service) -> str:
    text = service.text_for(loc.language)
    return bold(text.label if text and text.label else loc.isolate(service.name))


def details_block(
    loc: Localizer,
    service: Service,
    details: Sequence[Detail],
    now: dt.datetime,
    weekday: int | None = None,
) -> Markup:
    """The service's name, then one or a few lines per detail asked."""
    lines: list[str] = [service_title(loc, service)]
    if service.is_expired(now.date()):
        notice = loc.gettext(
            "The details of this service are being checked. Please contact the desk before you go."
        )
        return join([*lines, italic(f"⚠️ {notice}"), *desk_contact(loc, service)])
    unknown = False
    for detail in details:
        known = detail_lines(loc, service, detail, now, weekday)
        if known is None:
            unknown = True
            text = loc.gettext("{detail}: I do not have this information.")
            lines.append("❔ " + text.format(detail=detail_label(loc, detail)))
        else:
            lines.extend(known)
    if unknown:
        lines.append(loc.gettext("Please ask the desk:"))
        lines.extend(desk_contact(loc, service))
    return join(lines)


def desk_contact(loc: Localizer, service: Service) -> list[str]:
    """Phone, e-mail and website; the address if the desk has none of them."""
    lines = contact_lines(loc, service)
    if not lines and service.address:
        lines = [f"📍 {loc.isolate(service.address)}"]
    return [f"   {line}" for line in lines]


def detail_lines(
    loc: Localizer, service: Service, detail: Detail, now: dt.datetime, weekday: int | None
) -> list[str] | None:
    """The lines answering `detail`, or None when the knowledge base does not hold it."""
    match detail:
        case Detail.PHONE:
            return [f"📞 {loc.isolate(service.phone)}"] if service.phone else None
        case Detail.ADDRESS:
            return [f"📍 {loc.isolate(service.address)}"] if service.address else None
        case Detail.MAP:
            return map_lines(loc, service)
        case Detail.HOURS:
            return hours_lines(loc, service, now.date())
        case Detail.OPEN_TODAY:
            return day_lines(loc, service, now.date(), today=now.date())
        case Detail.OPEN_NOW:
            return now_lines(loc, service, now)
        case Detail.OPEN_DAY:
            day = next_date_on(now.date(), weekday if weekday is not None else now.weekday())
            return day_lines(loc, service, day, today=now.date())
        case Detail.DOCUMENTS:
            return documents_lines(loc, service)
        case Detail.LANGUAGES:
            return languages_lines(loc, service)
        case Detail.WEBSITE:
            return [f"🌐 {loc.isolate(service.website)}"] if service.website else None
        case Detail.APPOINTMENT:
            return appointment_lines(loc, service)
        case Detail.COST:
            return cost_lines(loc, service)
    return None


def map_lines(loc: Localizer, service: Service) -> list[str] | None:
    if map_url(service) is None:
        return None
    where = f": {loc.isolate(service.address)}" if service.address else ""
    return [f"🗺 {detail_label(loc, Detail.MAP)}{where}"]


def map_buttons_for(loc: Localizer, services: Sequence[Service]) -> list[list[Button]]:
    """One map link per service that has a place on the map, named after it."""
    rows = []
    for service in services:
        url = map_url(service)
        if url:
            text = service.text_for(loc.language)
            name = text.label if text and text.label else service.name
            rows.append([Button(f"🗺 {name}", url=url)])
    return rows


def appointment_lines(loc: Localizer, service: Service) -> list[str] | None:
    match service.appointment:
        case Appointment.REQUIRED:
            text = loc.gettext("An appointment is needed. To book it, contact the desk:")
            return ["📅 " + text, *desk_contact(loc, service)]
        case Appointment.NOT_NEEDED:
            return ["📅 " + loc.gettext("No appointment needed: you can go during opening hours.")]
    return None


def cost_lines(loc: Localizer, service: Service) -> list[str] | None:
    match service.cost:
        case Cost.FREE:
            return ["💶 " + loc.gettext("Free of charge.")]
        case Cost.PAID:
            return ["💶 " + loc.gettext("There is a fee: please ask the desk how much it costs.")]
    return None


def hours_lines(loc: Localizer, service: Service, today: dt.date) -> list[str] | None:
    if not service.hours:
        return None
    lines = [f"🕒 {detail_label(loc, Detail.HOURS)}:"]
    lines.extend(f"   {line}" for line in opening_hours_lines(loc, service))
    lines.extend(f"   ⛔ {line}" for line in closure_lines(loc, service, today))
    return lines


def documents_lines(loc: Localizer, service: Service) -> list[str] | None:
    text = service.text_for(loc.language)
    if not text or not text.documents:
        return None
    return [f"📄 {detail_label(loc, Detail.DOCUMENTS)}:", *(f"   • {d}" for d in text.documents)]


def languages_lines(loc: Localizer, service: Service) -> list[str] | None:
    if not service.languages_spoken:
        return None
    names = ", ".join(loc.language_in_my_language(code) for code in service.languages_spoken)
    return [f"🗣 {detail_label(loc, Detail.LANGUAGES)}: {names}"]


# --- open or closed ----------------------------------------------------------------------


def next_date_on(today: dt.date, weekday: int) -> dt.date:
    """The next date falling on `weekday` (today, if today is that day)."""
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7)


def is_public_holiday(service: Service, day: dt.date) -> bool:
    return service.closed_on_public_holidays and day in italian_holidays(day.year)


def is_closure(service: Service, day: dt.date) -> bool:
    return any(closure.starts <= day <= closure.ends for closure in service.closures)


def ranges_on(service: Service, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The opening ranges of that date: none on a closure or a public holiday."""
    if is_closure(service, day) or is_public_holiday(service, day):
        return []
    return [(h.opens, h.closes) for h in service.hours if h.weekday == day.weekday()]


def day_name(loc: Localizer, day: dt.date, today: dt.date) -> str:
    if day == today:
        return loc.gettext("today")
    return f"{loc.weekday(day.weekday())} {loc.date(day)}"


def day_lines(loc: Localizer, service: Service, day: dt.date, today: dt.date) -> list[str] | None:
    if not service.hours:
        return None
    name = day_name(loc, day, today)
    if is_closure(service, day):
        return ["⛔ " + loc.gettext("Closed {day}: the desk is closed that day.").format(day=name)]
    if is_public_holiday(service, day):
        return ["⛔ " + loc.gettext("Closed {day}: public holiday.").format(day=name)]
    ranges = ranges_on(service, day)
    if not ranges:
        return ["⛔ " + loc.gettext("Closed {day}.").format(day=name)]
    hours = ", ".join(f"{loc.time(opens)}–{loc.time(closes)}" for opens, closes in ranges)
    return ["✅ " + loc.gettext("Open {day}: {hours}").format(day=name, hours=hours)]


def now_lines(loc: Localizer, service: Service, now: dt.datetime) -> list[str] | None:
    if not service.hours:
        return None
    moment = now.time().replace(tzinfo=None)
    for opens, closes in ranges_on(service, now.date()):
        if opens <= moment < closes:
            text = loc.gettext("Open now, until {time}.").format(time=loc.time(closes))
            return ["✅ " + text]
    opening = next_opening(service, now)
    if opening is None:
        return ["⛔ " + loc.gettext("Closed now.")]
    day, time = opening
    text = loc.gettext("Closed now. It opens {day} at {time}.").format(
        day=day_name(loc, day, now.date()), time=loc.time(time)
    )
    return ["⛔ " + text]


def next_opening(service: Service, now: dt.datetime) -> tuple[dt.date, dt.time] | None:
    """The next moment the service opens, within two weeks."""
    moment = now.time().replace(tzinfo=None)
    for offset in range(NEXT_OPENING_HORIZON_DAYS + 1):
        day = now.date() + dt.timedelta(days=offset)
        starts = sorted(opens for opens, _ in ranges_on(service, day))
        later = [opens for opens in starts if offset > 0 or opens > moment]
        if later:
            return day, later[0]
    return None
