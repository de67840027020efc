"""What the person reads about their data, in their language: the short notice, the
erasure's questions and answers, the export's introduction. (The full notice is a page:
bot/web/templates/privacy.html.)"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import buttons
from bot.core.markup import Markup, bold, italic, join
from bot.core.messages import Button, Document, Outbound
from bot.i18n import Localizer


@dataclass(frozen=True)
class NoticeFacts:
    """The deployment's facts the notice states (settings)."""

    controller: str
    contact: str
    dpo: str
    retention_days: int
    notice_url: str  # the full notice, in the person's language


def notice_url(base_url: str, language: str) -> str:
    return f"{base_url.rstrip('/')}/privacy/{language}"


def short_notice(loc: Localizer, facts: NoticeFacts) -> Markup:
    """At first contact (above the first answer) and with /privacy."""
    iso = loc.isolate
    lines = [
        Markup("🔒 ")
        + bold(
            loc.gettext("Privacy: this service is run by {controller}.").format(
                controller=iso(facts.controller)
            )
        ),
        loc.gettext(
            "It keeps your messages, your language and your city for {days} days, only to "
            "answer you. If you ask for a person, a mediator reads that conversation. "
            "Telegram is a separate company with its own rules."
        ).format(days=facts.retention_days),
        loc.gettext("/mydata shows your data, /forget deletes it, /privacy shows this again."),
        loc.gettext(
            "Full notice: {url} · Contact: {contact} · Data protection officer: {dpo}"
        ).format(url=iso(facts.notice_url), contact=iso(facts.contact), dpo=iso(facts.dpo)),
    ]
    return join(lines)


def with_notice(messages: list[Outbound], notice: Markup) -> list[Outbound]:
    """The notice above the first answer, in the same message: the question is answered."""
    if not messages:
        return [Outbound(text=notice)]
    first = messages[0]
    first.text = join([notice, "", first.text])
    return messages


def privacy(loc: Localizer, facts: NoticeFacts) -> list[Outbound]:
    return [Outbound(text=short_notice(loc, facts))]


def ask_forget(loc: Localizer, case_open: bool) -> list[Outbound]:
    lines = [
        loc.gettext(
            "Do you want to delete everything this service keeps about you? Your messages, "
            "your requests to mediators and your settings will be deleted. This cannot be "
            "undone."
        )
    ]
    if case_open:
        lines.append(
            italic(
                loc.gettext(
                    "You are talking with a mediator now: the conversation will end, and the "
                    "mediator will be told that you left."
                )
            )
        )
    confirm = Button.of(loc.gettext("Yes, delete everything"), buttons.ConfirmForget())
    cancel = Button.of(loc.gettext("No, keep my data"), buttons.CancelForget())
    return [Outbound(text=join(lines), buttons=[[confirm], [cancel]])]


def _say(text: str, *, remove_keyboard: bool = False) -> list[Outbound]:
    return [Outbound(text=join([text]), remove_keyboard=remove_keyboard)]


def forget_cancelled(loc: Localizer) -> list[Outbound]:
    return _say(loc.gettext("Nothing was deleted."))


def forgotten(loc: Localizer) -> list[Outbound]:
    return _say(
        loc.gettext(
            "Everything this service kept about you has been deleted. If you write again, "
            "we start from zero."
        ),
        remove_keyboard=True,
    )


def nothing_to_forget(loc: Localizer) -> list[Outbound]:
    return _say(loc.gettext("This service keeps nothing about you: there is nothing to delete."))


def your_data(loc: Localizer, text_file: Document, json_file: Document) -> list[Outbound]:
    intro = loc.gettext(
        "Here is everything this service keeps about you: a text to read, and the same data "
        "for computers (JSON)."
    )
    return [Outbound(text=join([intro]), documents=(text_file, json_file))]


def data_unavailable(loc: Localizer) -> list[Outbound]:
    return _say(
        loc.gettext(
            "Sorry, I cannot collect your data right now because of a technical problem. "
            "Please try again in a few minutes."
        )
    )
