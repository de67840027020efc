"""The app's own replies to what it does not send to Rasa: media it cannot read, commands,
over-long or unreadable input, floods, and its own troubles. In the person's language."""

from __future__ import annotations

from bot.core.markup import escape
from bot.core.menus import plain_with_menu
from bot.core.messages import Button, Outbound
from bot.i18n import Localizer


def voice_for_a_mediator(loc: Localizer) -> list[Outbound]:
    """Before the mediator offer: the bot reads text only; a mediator can listen."""
    text = loc.gettext(
        "I can read only written words, so I cannot listen to your voice message. "
        "A cultural mediator can listen to it: if you want to talk to one, your voice "
        "message will be passed on with your request."
    )
    return [Outbound(text=escape(text))]


def media_for_a_mediator(loc: Localizer) -> list[Outbound]:
    """Before the mediator offer: the bot reads text only; a mediator can look at it."""
    text = loc.gettext(
        "I can read only written words, so I cannot see your photo or file. "
        "A cultural mediator can look at it: if you want to talk to one, it will be passed "
        "on with your request."
    )
    return [Outbound(text=escape(text))]


def sticker_not_supported(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext(
            "I can only read words, not stickers or emoji. Please write your question, "
            "or choose a topic below."
        ),
    )


def long_text_notice(loc: Localizer) -> Outbound:
    return Outbound(
        text=escape(
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
    rows = [[Button(loc.gettext("Open a private chat"), url=bot_link)]] if bot_link else []
    return [Outbound(text=escape(text), buttons=rows)]


def temporarily_unavailable(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "Sorry, I cannot answer right now because of a technical problem. "
                    "Please try again in a few minutes."
                )
            )
        )
    ]


def unreadable(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc, loc.gettext("I could not read that message. Please write your question again.")
    )


def bad_location(loc: Localizer) -> list[Outbound]:
    return plain_with_menu(
        loc,
        loc.gettext("I could not read that location. Please share it again, or choose your city."),
    )


def too_fast(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "You are sending messages too fast. Please wait a minute, then write again."
                )
            )
        )
    ]


def too_many_people(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "Too many conversations were started from this network. Please try again later."
                )
            )
        )
    ]
