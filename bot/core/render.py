"""Turns the answers Rasa's actions decided (`bot.core.contract`) into messages in the
person's language, reading the knowledge base now (a staff edit shows in the next reply).

Every sentence comes from the gettext catalogs (msgids are English) or from the
staff-edited texts; data is escaped by `Markup` and isolated in right-to-left languages.
Each kind of answer has one function, registered in `RENDERERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from bot.core import menus
from bot.core.cards import map_buttons, service_card, services_header
from bot.core.contract import (
    Answer,
    AskCity,
    AskContext,
    AskLocation,
    CitySet,
    Detail,
    HandoffOffer,
    Nearest,
    ServiceDetails,
    Services,
    Simple,
)
from bot.core.details import details_block, map_buttons_for, now_in_italy
from bot.core.markup import bold, escape, join
from bot.core.messages import Outbound, Venue
from bot.i18n import Localizer
from bot.kb.db import Database
from bot.kb.models import City, Service
from bot.kb.queries import city_by_slug, list_cities, services_by_ids

A = TypeVar("A")
RenderFunction = Callable[["Renderer", Localizer, Any], Awaitable[list[Outbound]]]
RENDERERS: dict[type, RenderFunction] = {}


def renders(kind: type[A]) -> Callable[[RenderFunction], RenderFunction]:
    def register(function: RenderFunction) -> RenderFunction:
        RENDERERS[kind] = function
        return function

    return register


class Renderer:
    """Renders answers, reading the knowledge base at answer time (no caches)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def render(self, loc: Localizer, answer: Answer) -> list[Outbound]:
        function = RENDERERS.get(type(answer))
        if function is None or isinstance(answer, HandoffOffer):
            return [menus.menu_message(loc)]  # the handoff desk answers these
        return await function(self, loc, answer)

    async def cities(self) -> Sequence[City]:
        async with self._database.session() as session:
            return await list_cities(session)

    async def city_name(self, loc: Localizer, slug: str | None) -> str:
        """The city's name in the person's language (the slug if the city is gone)."""
        if not slug:
            return ""
        async with self._database.session() as session:
            city = await city_by_slug(session, slug)
        return city.display_name(loc.language) if city else slug

    async def services(self, ids: Sequence[int]) -> list[Service]:
        async with self._database.session() as session:
            return await services_by_ids(session, list(ids))

    def cards(self, loc: Localizer, services: Sequence[Service]) -> list[Outbound]:
        cards = [Outbound(text=service_card(loc, s), buttons=map_buttons(loc, s)) for s in services]
        if cards:
            cards[-1].buttons = [*cards[-1].buttons, *menus.follow_up_buttons(loc)]
        return cards


@renders(Simple)
async def _simple(renderer: Renderer, loc: Localizer, answer: Simple) -> list[Outbound]:
    match answer.kind:
        case "greet":
            text = loc.gettext("Hello! How can I help you? Choose a topic or write your question.")
            return [menus.menu_message(loc, text)]
        case "goodbye":
            return [Outbound(escape(loc.gettext("Goodbye! Write to me whenever you need help.")))]
        case "thank":
            return [
                Outbound(
                    escape(loc.gettext("You are welcome! Can I help you with something else?")),
                    buttons=menus.follow_up_buttons(loc),
                )
            ]
        case "out_of_scope":
            return menus.plain_with_menu(
                loc,
                loc.gettext(
                    "Sorry, I cannot help with that. I can give information about work, "
                    "housing, Italian courses and help desks in your city, or put you in touch "
                    "with a person."
                ),
            )
        case "not_understood":
            return menus.plain_with_menu(
                loc,
                loc.gettext(
                    "Sorry, I did not understand. Choose a topic below, write it in other "
                    "words, or talk to a person."
                ),
            )
        case "language_picker":
            return [menus.language_picker(loc)]
    return [menus.menu_message(loc)]


@renders(AskCity)
async def _ask_city(renderer: Renderer, loc: Localizer, answer: AskCity) -> list[Outbound]:
    intro = None
    if answer.kind == "unknown_city":
        intro = loc.gettext(
            "Sorry, I do not have information about that city yet. These are the cities I "
            "know: choose yours, or share your location."
        )
    return menus.city_picker(loc, await renderer.cities(), intro)


@renders(AskLocation)
async def _ask_location(renderer: Renderer, loc: Localizer, _: AskLocation) -> list[Outbound]:
    text = loc.gettext(
        "To find the places nearest to you, share your location with the button below."
    )
    return [menus.location_request(loc, text)]


@renders(CitySet)
async def _city_set(renderer: Renderer, loc: Localizer, answer: CitySet) -> list[Outbound]:
    name = await renderer.city_name(loc, answer.city)
    text = loc.gettext("Fine: I will give you information for {city}.").format(city=name)
    return [menus.menu_message(loc, lead=text)]


@renders(Services)
async def _services(renderer: Renderer, loc: Localizer, answer: Services) -> list[Outbound]:
    services = await renderer.services(answer.service_ids)
    city_name = await renderer.city_name(loc, answer.city)
    if answer.kind == "human":
        text = loc.gettext(
            "A cultural mediator or desk operator can help you in person. "
            "These desks in {city} can receive you:"
        ).format(city=city_name)
        return [Outbound(text=bold(text)), *renderer.cards(loc, services)]
    if not services:
        return menus.plain_with_menu(
            loc,
            loc.gettext(
                "I do not have this information for {city} yet. Try the help desks, "
                "or talk to a person."
            ).format(city=city_name),
        )
    header = services_header(loc, answer.topic, len(services), city_name)
    return [Outbound(text=bold(header)), *renderer.cards(loc, services)]


@renders(Nearest)
async def _nearest(renderer: Renderer, loc: Localizer, answer: Nearest) -> list[Outbound]:
    services = await renderer.services([item.id for item in answer.items])
    if not services:
        return menus.plain_with_menu(loc, loc.gettext("I could not find any desk near you."))
    header = loc.ngettext(
        "This is the nearest place to you:",
        "These are the {count} nearest places to you:",
        len(services),
    ).format(count=len(services))
    distances = {item.id: float(item.distance_m) for item in answer.items}
    messages = [Outbound(text=bold(header), remove_keyboard=True)]
    for card, service in zip(renderer.cards(loc, services), services, strict=True):
        distance = loc.gettext("{distance} km from you").format(
            distance=loc.kilometres(distances[service.id])
        )
        card.text = join([f"📏 {distance}", card.text])
        if service.latitude is not None and service.longitude is not None:
            card.venue = Venue(service.latitude, service.longitude, service.name, service.address)
        messages.append(card)
    return messages


@renders(ServiceDetails)
async def _service_details(
    renderer: Renderer, loc: Localizer, answer: ServiceDetails
) -> list[Outbound]:
    """All the services of the last answer in one message: only the details asked."""
    services = await renderer.services(answer.service_ids)
    if not services:
        return await _ask_context(renderer, loc, AskContext(city=answer.city))
    now = now_in_italy()
    blocks = [details_block(loc, s, answer.details, now, answer.weekday) for s in services]
    buttons = map_buttons_for(loc, services) if Detail.MAP in answer.details else []
    return [Outbound(text=join(blocks, "\n\n"), buttons=[*buttons, *menus.follow_up_buttons(loc)])]


@renders(AskContext)
async def _ask_context(renderer: Renderer, loc: Localizer, answer: AskContext) -> list[Outbound]:
    """A follow-up with nothing shown before: the topics, and the cities if none is known."""
    text = loc.gettext(
        "Which services do you mean? Choose a topic, and I will show you the places first."
    )
    messages = [Outbound(text=escape(text), buttons=menus.main_menu(loc))]
    if not answer.city:
        messages.append(
            Outbound(
                text=escape(loc.gettext("In which city are you?")),
                buttons=menus.city_buttons(loc, await renderer.cities()),
            )
        )
    return messages
