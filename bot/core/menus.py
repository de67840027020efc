"""The menus and pickers every conversation shares: topics, languages, cities, and the
welcome. Buttons carry typed payloads (`bot.core.buttons`)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import buttons
from bot.core.cards import topic_label
from bot.core.markup import escape, italic, join
from bot.core.messages import Button, Outbound
from bot.i18n import SUPPORTED_LANGUAGES, Localizer, language_name
from bot.kb.models import City, Topic

CITY_BUTTONS_PER_ROW = 3
LANGUAGE_BUTTONS_PER_ROW = 2


def main_menu(loc: Localizer) -> list[list[Button]]:
    def topic(value: Topic) -> Button:
        return Button.of(topic_label(loc, value), buttons.AskTopic(value))

    return [
        [topic(Topic.JOB), topic(Topic.HOUSING)],
        [topic(Topic.COURSE), topic(Topic.DESK)],
        [Button.of("🙋 " + loc.gettext("Talk to a person"), buttons.TalkToPerson())],
        [
            Button.of("🌐 " + loc.gettext("Change language"), buttons.PickLanguage()),
            Button.of("📍 " + loc.gettext("Change city"), buttons.PickCity()),
        ],
    ]


def follow_up_buttons(loc: Localizer) -> list[list[Button]]:
    return [
        [
            Button.of("☰ " + loc.gettext("Menu"), buttons.ShowMenu()),
            Button.of("🙋 " + loc.gettext("Talk to a person"), buttons.TalkToPerson()),
        ]
    ]


def usual_question(loc: Localizer) -> str:
    return loc.gettext("How can I help you? Choose a topic or write your question.")


def menu_message(loc: Localizer, text: str | None = None, *, lead: str | None = None) -> Outbound:
    """The main menu with `text`, or with the usual question, after `lead` if given."""
    if text is None:
        text = f"{lead}\n{usual_question(loc)}" if lead else usual_question(loc)
    return Outbound(text=escape(text), buttons=main_menu(loc))


def plain_with_menu(loc: Localizer, text: str) -> list[Outbound]:
    return [Outbound(text=escape(text), buttons=main_menu(loc))]


def welcome(loc: Localizer) -> list[Outbound]:
    greeting = bot_description(loc)
    privacy = loc.gettext(
        "Privacy: your name and your Telegram account are never shown to anyone. "
        "Your messages are kept under a code, only to answer you and to improve this service."
    )
    return [Outbound(text=join([greeting, "", italic(privacy)])), language_picker(loc)]


def bot_description(loc: Localizer) -> str:
    """What Telegram shows in an empty chat, before the first message."""
    return loc.gettext(
        "Hello! I am an information assistant for foreign citizens living in Italian cities. "
        "I can tell you where to find job services, housing help, Italian and civic courses "
        "and help desks in your city, or put you in touch with a cultural mediator."
    )


def language_picker(loc: Localizer, preselected: str | None = None) -> Outbound:
    chosen = preselected or loc.language
    choices = [
        Button.of(
            ("✅ " if code == chosen else "") + language_name(code), buttons.ChooseLanguage(code)
        )
        for code in SUPPORTED_LANGUAGES
    ]
    rows = [
        choices[i : i + LANGUAGE_BUTTONS_PER_ROW]
        for i in range(0, len(choices), LANGUAGE_BUTTONS_PER_ROW)
    ]
    return Outbound(text=escape(loc.gettext("Choose your language:")), buttons=rows)


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
    rows = [
        [
            Button.of(
                "✅ " + language_name(detected.language),
                buttons.ChooseLanguage(detected.language),
            )
        ],
        [Button.of(language_name(current), buttons.ChooseLanguage(current))],
    ]
    return Outbound(text=escape(text), buttons=rows)


def city_buttons(loc: Localizer, cities: Sequence[City]) -> list[list[Button]]:
    choices = [
        Button.of(city.display_name(loc.language), buttons.ChooseCity(city.slug)) for city in cities
    ]
    return [
        choices[i : i + CITY_BUTTONS_PER_ROW] for i in range(0, len(choices), CITY_BUTTONS_PER_ROW)
    ]


def location_request(loc: Localizer, text: str) -> Outbound:
    return Outbound(
        text=escape(text),
        request_location=True,
        location_button_label="📍 " + loc.gettext("Share my location"),
    )


def city_picker(loc: Localizer, cities: Sequence[City], intro: str | None = None) -> list[Outbound]:
    question = intro or loc.gettext(
        "In which city are you? Choose it below, or share your location."
    )
    return [
        Outbound(text=escape(question), buttons=city_buttons(loc, cities)),
        location_request(
            loc, loc.gettext("You can also share your location: I will find the nearest desks.")
        ),
    ]


def command_descriptions(loc: Localizer) -> list[tuple[str, str]]:
    return [
        ("start", loc.gettext("Start again")),
        ("menu", loc.gettext("Topics")),
        ("language", loc.gettext("Change language")),
        ("city", loc.gettext("Change city")),
        ("help", loc.gettext("Help")),
        ("privacy", loc.gettext("Privacy notice")),
        ("mydata", loc.gettext("See your data")),
        ("forget", loc.gettext("Delete your data")),
    ]
