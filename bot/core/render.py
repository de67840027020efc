"""Turns what Rasa's actions decided (response kinds + data) into messages in the user's language.

Every sentence comes from the gettext catalogs (msgids are English) or from the
staff-edited knowledge base texts. Data (names, addresses, phones) is HTML-escaped and,
for right-to-left languages, isolated with U+2068/U+2069.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
from collections.abc import Sequence
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from bot.core.messages import Button, Outbound, Venue
from bot.i18n import SUPPORTED_LANGUAGES, Localizer, language_name
from bot.kb.db import Database
from bot.kb.models import City, Service, Topic
from bot.kb.queries import city_by_slug, list_cities, services_by_ids, services_for

logger = logging.getLogger(__name__)

TOPIC_ICONS = {Topic.JOB: "💼", Topic.HOUSING: "🏠", Topic.COURSE: "📚", Topic.DESK: "🏛"}
CITY_BUTTONS_PER_ROW = 3
LANGUAGE_BUTTONS_PER_ROW = 2
CLOSURE_HORIZON_DAYS = 21
ITALY = ZoneInfo("Europe/Rome")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def topic_label(loc: Localizer, topic: str) -> str:
    labels = {
        Topic.JOB: loc.gettext("Work"),
        Topic.HOUSING: loc.gettext("Housing"),
        Topic.COURSE: loc.gettext("Italian & civic courses"),
        Topic.DESK: loc.gettext("Help desks"),
    }
    return f"{TOPIC_ICONS[Topic(topic)]} {labels[Topic(topic)]}"


def main_menu(loc: Localizer) -> list[list[Button]]:
    return [
        [
            Button(topic_label(loc, Topic.JOB), "t:job"),
            Button(topic_label(loc, Topic.HOUSING), "t:housing"),
        ],
        [
            Button(topic_label(loc, Topic.COURSE), "t:course"),
            Button(topic_label(loc, Topic.DESK), "t:desk"),
        ],
        [Button("🙋 " + loc.gettext("Talk to a person"), "human")],
        [
            Button("🌐 " + loc.gettext("Change language"), "pick:lang"),
            Button("📍 " + loc.gettext("Change city"), "pick:city"),
        ],
    ]


def follow_up_buttons(loc: Localizer) -> list[list[Button]]:
    return [
        [
            Button("☰ " + loc.gettext("Menu"), "menu"),
            Button("🙋 " + loc.gettext("Talk to a person"), "human"),
        ]
    ]


def menu_message(loc: Localizer, text: str | None = None, *, lead: str | None = None) -> Outbound:
    """The main menu with `text`, or with the usual question, after `lead` if given."""
    if text is None:
        prompt = loc.gettext("How can I help you? Choose a topic or write your question.")
        text = f"{lead}\n{prompt}" if lead else prompt
    return Outbound(text=esc(text), buttons=main_menu(loc))


def welcome(loc: Localizer) -> list[Outbound]:
    greeting = loc.gettext(
        "Hello! I am an information assistant for foreign citizens living in Italian cities. "
        "I can tell you where to find job services, housing help, Italian and civic courses "
        "and help desks in your city, or put you in touch with a cultural mediator."
    )
    privacy = loc.gettext(
        "Privacy: your name and your Telegram account are never shown to anyone. "
        "Your messages are kept under a code, only to answer you and to improve this service."
    )
    return [Outbound(text=f"{esc(greeting)}\n\n<i>{esc(privacy)}</i>"), language_picker(loc)]


def language_picker(loc: Localizer, preselected: str | None = None) -> Outbound:
    chosen = preselected or loc.language
    buttons = [
        Button(("✅ " if code == chosen else "") + language_name(code), f"lang:{code}")
        for code in SUPPORTED_LANGUAGES
    ]
    rows = [
        buttons[i : i + LANGUAGE_BUTTONS_PER_ROW]
        for i in range(0, len(buttons), LANGUAGE_BUTTONS_PER_ROW)
    ]
    return Outbound(text=esc(loc.gettext("Choose your language:")), buttons=rows)


def language_set(loc: Localizer) -> list[Outbound]:
    text = loc.gettext("From now on I will write to you in {language}.").format(
        language=language_name(loc.language)
    )
    return [menu_message(loc, lead=text)]


def language_switch_offer(detected: Localizer, current: str) -> Outbound:
    """Offered in the language the person writes in, when they chose another one."""
    text = detected.gettext(
        "You are writing in {language}. Do you want me to answer in {language}?"
    ).format(language=language_name(detected.language))
    buttons = [
        [Button("✅ " + language_name(detected.language), f"lang:{detected.language}")],
        [Button(language_name(current), f"lang:{current}")],
    ]
    return Outbound(text=esc(text), buttons=buttons)


def city_buttons(loc: Localizer, cities: Sequence[City]) -> list[list[Button]]:
    buttons = [Button(city.display_name(loc.language), f"city:{city.slug}") for city in cities]
    return [
        buttons[i : i + CITY_BUTTONS_PER_ROW] for i in range(0, len(buttons), CITY_BUTTONS_PER_ROW)
    ]


def city_picker(loc: Localizer, cities: Sequence[City], intro: str | None = None) -> list[Outbound]:
    question = intro or loc.gettext(
        "In which city are you? Choose it below, or share your location."
    )
    return [
        Outbound(text=esc(question), buttons=city_buttons(loc, cities)),
        Outbound(
            text=esc(
                loc.gettext("You can also share your location: I will find the nearest desks.")
            ),
            request_location=True,
            location_button_label="📍 " + loc.gettext("Share my location"),
        ),
    ]


def plain_with_menu(loc: Localizer, text: str) -> list[Outbound]:
    return [Outbound(text=esc(text), buttons=main_menu(loc))]


# --- the app's own replies to input it does not send to Rasa ------------------------------


def voice_not_supported(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "I cannot listen to voice messages. Please write your question in a few words, "
            "or choose a topic below."
        ),
    )


def sticker_not_supported(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "I can only read words, not stickers or emoji. Please write your question, "
            "or choose a topic below."
        ),
    )


def media_not_supported(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "I cannot read photos, videos or files. "
            "Please write your question, or talk to a person."
        ),
    )


def long_text_notice(loc: Localizer) -> Outbound:
    return Outbound(
        text=esc(
            loc.gettext(
                "Your message is very long, so I read only its first part. "
                "If your situation is complicated, a person can help you: "
                "use the button “Talk to a person”."
            )
        )
    )


def unknown_command(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "I do not know this command. Commands: /start, /menu, /language, /city, /help. "
            "Or choose a topic below."
        ),
    )


def help_text(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "Write your question in your own language, or use the buttons. Commands: "
            "/menu shows the topics, /language changes the language, /city changes the city, "
            "/start starts again."
        ),
    )


def group_not_supported(loc: Localizer, bot_link: str | None) -> list[Outbound]:
    text = loc.gettext(
        "To protect your privacy I only answer in a private chat. Please write to me directly."
    )
    buttons = [[Button(loc.gettext("Open a private chat"), url=bot_link)]] if bot_link else []
    return [Outbound(text=esc(text), buttons=buttons)]


def temporarily_unavailable(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=esc(
                loc.gettext(
                    "Sorry, I cannot answer right now because of a technical problem. "
                    "Please try again in a few minutes."
                )
            )
        )
    ]


def command_descriptions(loc: Localizer) -> list[tuple[str, str]]:
    return [
        ("start", loc.gettext("Start again")),
        ("menu", loc.gettext("Topics")),
        ("language", loc.gettext("Change language")),
        ("city", loc.gettext("Change city")),
        ("help", loc.gettext("Help")),
    ]


class Renderer:
    """Renders the custom payloads of Rasa's responses, reading the knowledge base now."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def cities(self) -> Sequence[City]:
        async with self._database.session() as session:
            return await list_cities(session)

    async def city(self, slug: str) -> City | None:
        async with self._database.session() as session:
            return await city_by_slug(session, slug)

    async def render(self, loc: Localizer, payload: dict[str, Any]) -> list[Outbound]:
        kind = payload.get("kind", "")
        handler = getattr(self, f"_render_{kind}", None)
        if handler is None:
            logger.warning("no renderer for response kind %r", kind)
            return [menu_message(loc)]
        result: list[Outbound] = await handler(loc, payload)
        return result

    async def _render_greet(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [
            menu_message(
                loc,
                loc.gettext("Hello! How can I help you? Choose a topic or write your question."),
            )
        ]

    async def _render_menu(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [menu_message(loc)]

    async def _render_goodbye(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [Outbound(text=esc(loc.gettext("Goodbye! Write to me whenever you need help.")))]

    async def _render_thank(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [
            Outbound(
                text=esc(loc.gettext("You are welcome! Can I help you with something else?")),
                buttons=follow_up_buttons(loc),
            )
        ]

    async def _render_out_of_scope(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return plain_with_menu(
            loc,
            loc.gettext(
                "Sorry, I cannot help with that. I can give information about work, housing, "
                "Italian courses and help desks in your city, or put you in touch with a person."
            ),
        )

    async def _render_not_understood(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return plain_with_menu(
            loc,
            loc.gettext(
                "Sorry, I did not understand. Choose a topic below, write it in other words, "
                "or talk to a person."
            ),
        )

    async def _render_language_picker(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [language_picker(loc)]

    async def _render_ask_city(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return city_picker(loc, await self.cities())

    async def _render_ask_location(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        return [
            Outbound(
                text=esc(
                    loc.gettext(
                        "To find the places nearest to you, "
                        "share your location with the button below."
                    )
                ),
                request_location=True,
                location_button_label="📍 " + loc.gettext("Share my location"),
            )
        ]

    async def _render_unknown_city(self, loc: Localizer, _: dict[str, Any]) -> list[Outbound]:
        intro = loc.gettext(
            "Sorry, I do not have information about that city yet. These are the cities I know: "
            "choose yours, or share your location."
        )
        return city_picker(loc, await self.cities(), intro)

    async def _render_city_set(self, loc: Localizer, payload: dict[str, Any]) -> list[Outbound]:
        name = await self._city_name(loc, payload["city"])
        text = loc.gettext("Fine: I will give you information for {city}.").format(city=name)
        return [menu_message(loc, lead=text)]

    async def _render_services(self, loc: Localizer, payload: dict[str, Any]) -> list[Outbound]:
        services = await self._services(payload.get("service_ids", []))
        city_name = await self._city_name(loc, payload["city"])
        if not services:
            return plain_with_menu(
                loc,
                loc.gettext(
                    "I do not have this information for {city} yet. Try the help desks, "
                    "or talk to a person."
                ).format(city=city_name),
            )
        header = services_header(loc, payload["topic"], len(services), city_name)
        return [Outbound(text=f"<b>{esc(header)}</b>"), *self._cards(loc, services)]

    async def _render_nearest(self, loc: Localizer, payload: dict[str, Any]) -> list[Outbound]:
        items = payload.get("items", [])
        services = await self._services([item["id"] for item in items])
        if not services:
            return plain_with_menu(loc, loc.gettext("I could not find any desk near you."))
        header = loc.ngettext(
            "This is the nearest place to you:",
            "These are the {count} nearest places to you:",
            len(services),
        ).format(count=len(services))
        distances = {item["id"]: float(item["distance_m"]) for item in items}
        messages = [Outbound(text=f"<b>{esc(header)}</b>", remove_keyboard=True)]
        for card, service in zip(self._cards(loc, services), services, strict=True):
            distance = loc.gettext("{distance} km from you").format(
                distance=loc.kilometres(distances[service.id])
            )
            card.text = f"📏 {esc(distance)}\n{card.text}"
            if service.latitude is not None and service.longitude is not None:
                card.venue = Venue(
                    service.latitude, service.longitude, service.name, service.address
                )
            messages.append(card)
        return messages

    async def _render_human(self, loc: Localizer, payload: dict[str, Any]) -> list[Outbound]:
        services = await self._services(payload.get("service_ids", []))
        city_name = await self._city_name(loc, payload["city"])
        text = loc.gettext(
            "A cultural mediator or desk operator can help you in person. "
            "These desks in {city} can receive you:"
        ).format(city=city_name)
        return [Outbound(text=f"<b>{esc(text)}</b>"), *self._cards(loc, services)]

    async def desk_cards(self, loc: Localizer, city_slug: str) -> list[Outbound]:
        """The help desks of a city, as cards (for a person waiting for a mediator)."""
        async with self._database.session() as session:
            city = await city_by_slug(session, city_slug)
            if city is None:
                return []
            services = await services_for(session, city.id, Topic.DESK.value)
        return [Outbound(text=service_card(loc, s), buttons=map_buttons(loc, s)) for s in services]

    async def _city_name(self, loc: Localizer, slug: str) -> str:
        """The city's name in the user's language (the slug if the city is gone)."""
        city = await self.city(slug)
        return city.display_name(loc.language) if city else slug

    async def _services(self, ids: Sequence[int]) -> list[Service]:
        async with self._database.session() as session:
            return await services_by_ids(session, list(ids))

    def _cards(self, loc: Localizer, services: Sequence[Service]) -> list[Outbound]:
        cards = [Outbound(text=service_card(loc, s), buttons=map_buttons(loc, s)) for s in services]
        if cards:
            cards[-1].buttons = [*cards[-1].buttons, *follow_up_buttons(loc)]
        return cards


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


def map_buttons(loc: Localizer, service: Service) -> list[list[Button]]:
    if service.latitude is None or service.longitude is None:
        return []
    url = (
        f"https://www.openstreetmap.org/?mlat={service.latitude:.5f}&mlon={service.longitude:.5f}"
        f"#map=18/{service.latitude:.5f}/{service.longitude:.5f}"
    )
    return [[Button("🗺 " + loc.gettext("Map"), url=url)]]


def today_in_italy() -> dt.date:
    return dt.datetime.now(ITALY).date()


def service_card(loc: Localizer, service: Service, today: dt.date | None = None) -> str:
    today = today or today_in_italy()
    if service.is_expired(today):
        return expired_service_card(loc, service)
    text = service.text_for(loc.language)
    lines = []
    if text and text.label:
        lines.append(f"<b>{esc(text.label)}</b>")
    lines.append(esc(loc.isolate(service.name)))
    if text and text.description:
        lines.append(esc(text.description))
    lines.append("")
    if service.address:
        lines.append(f"📍 {esc(loc.isolate(service.address))}")
    hours_label = loc.gettext("Opening hours")
    lines.append(f"🕒 {esc(hours_label)}:")
    lines.extend(f"   {esc(line)}" for line in opening_hours_lines(loc, service))
    lines.extend(f"   ⛔ {esc(line)}" for line in closure_lines(loc, service, today))
    lines.extend(contact_lines(loc, service))
    if service.languages_spoken:
        names = ", ".join(loc.language_in_my_language(code) for code in service.languages_spoken)
        spoken_label = loc.gettext("Languages spoken")
        lines.append(f"🗣 {esc(spoken_label)}: {esc(names)}")
    if text and text.documents:
        bring_label = loc.gettext("What to bring")
        lines.append(f"📄 {esc(bring_label)}:")
        lines.extend(f"   • {esc(document)}" for document in text.documents)
    if text and text.notes:
        lines.append(f"ℹ️ {esc(text.notes)}")
    if service.is_sample:
        sample_notice = loc.gettext("Sample information, not yet checked by the desk staff.")
        lines.append(f"<i>⚠️ {esc(sample_notice)}</i>")
    return "\n".join(lines)


def contact_lines(loc: Localizer, service: Service) -> list[str]:
    return [
        f"{icon} {esc(loc.isolate(value))}"
        for icon, value in (("📞", service.phone), ("✉️", service.email), ("🌐", service.website))
        if value
    ]


def expired_service_card(loc: Localizer, service: Service) -> str:
    """Past its "valid until" date: only the desk's contacts, and that it is being checked."""
    text = service.text_for(loc.language)
    lines = [f"<b>{esc(text.label)}</b>"] if text and text.label else []
    lines.append(esc(loc.isolate(service.name)))
    if service.address:
        lines.append(f"📍 {esc(loc.isolate(service.address))}")
    lines.extend(contact_lines(loc, service))
    notice = loc.gettext(
        "The details of this service are being checked. Please contact the desk before you go."
    )
    lines.append(f"<i>⚠️ {esc(notice)}</i>")
    return "\n".join(lines)


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
