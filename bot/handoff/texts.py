"""What the handoff says, to the person (their language) and to mediators (the staff's).

Every sentence comes from the gettext catalogs; data is escaped by `Markup` and, for
right-to-left languages, isolated. A sentence that announces a list comes only with it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core import buttons
from bot.core.buttons import OUTCOMES
from bot.core.cards import topic_label, weekly_hours_lines
from bot.core.markup import Markup, bold, escape, italic, join
from bot.core.menus import menu_message
from bot.core.messages import Button, Outbound
from bot.handoff.models import CaseAction, CaseEvent, CaseMessage, HandoffCase
from bot.handoff.routing import Availability
from bot.handoff.safeguarding import Danger
from bot.i18n import Localizer
from bot.kb.models import Topic

RATINGS = tuple(buttons.RATINGS)
__all__ = ["OUTCOMES", "RATINGS"]


# --- the person ---------------------------------------------------------------------


def leave_button(loc: Localizer) -> list[list[Button]]:
    return [[Button.of("↩️ " + loc.gettext("Back to the assistant"), buttons.LeaveHandoff())]]


def hours_lines(loc: Localizer, availability: Availability) -> list[str]:
    return [f"🕘 {loc.isolate(line)}" for line in weekly_hours_lines(loc, availability.hours())]


def offer(loc: Localizer, availability: Availability, waiting: int, topic: str | None) -> Outbound:
    """Before handing over: what happens next, honestly, and a yes/no."""
    parts: list[str] = [
        loc.gettext(
            "I can put you in touch with a cultural mediator, a person who speaks your "
            "language. The mediator will write to you here, in this chat."
        )
    ]
    hours = hours_lines(loc, availability)
    if availability.anyone_on_duty:
        parts.append(
            loc.ngettext(
                "A mediator who speaks your language is on duty now. "
                "{count} person is waiting before you.",
                "A mediator who speaks your language is on duty now. "
                "{count} people are waiting before you.",
                waiting,
            ).format(count=waiting)
            if waiting
            else loc.gettext(
                "A mediator who speaks your language is on duty now. Nobody is waiting before you."
            )
        )
    elif availability.speakers and hours:
        announce = loc.gettext(
            "No mediator who speaks your language is on duty right now. Their hours are:"
        )
        parts.append(join([announce, *hours]))
    elif availability.speakers:
        parts.append(
            loc.gettext(
                "No mediator who speaks your language is on duty right now. They have no "
                "fixed hours: I will tell you here when one of them takes your request."
            )
        )
    else:
        parts.append(
            loc.gettext(
                "We have no mediator for your language yet: a colleague who speaks "
                "another language may answer."
            )
        )
    parts.append(loc.gettext("Do you want to talk to a mediator?"))
    yes = buttons.ConfirmHandoff(Topic(topic) if topic else None)
    return Outbound(
        text=join(parts, "\n\n"),
        buttons=[
            [Button.of("✅ " + loc.gettext("Yes, connect me"), yes)],
            [Button.of("↩️ " + loc.gettext("No, back to the menu"), buttons.DeclineHandoff())],
        ],
    )


def too_many_cases(loc: Localizer) -> list[Outbound]:
    return [
        menu_message(
            loc,
            loc.gettext(
                "Too many requests for a mediator come from this network right now. "
                "Please try again later, or call one of the help desks."
            ),
        )
    ]


def offer_after_misunderstanding(loc: Localizer) -> Outbound:
    return Outbound(
        text=escape(
            loc.gettext(
                "I did not understand you twice. Would you like to write to a person instead?"
            )
        ),
        buttons=[[Button.of("🙋 " + loc.gettext("Talk to a person"), buttons.TalkToPerson())]],
    )


def ask_summary(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext("In one line, what do you need help with? Write it in your language.")
            ),
            buttons=leave_button(loc),
        )
    ]


def ask_bridge(loc: Localizer, bridges: Sequence[str]) -> list[Outbound]:
    text = loc.gettext(
        "No mediator who speaks your language is on duty now. A mediator who speaks another "
        "language could answer now, or you can wait for one who speaks yours."
    )
    rows = [
        [
            Button.of(
                "💬 "
                + loc.gettext("Yes, in {language}").format(
                    language=loc.language_in_my_language(bridge)
                ),
                buttons.ChooseBridge(bridge),
            )
        ]
        for bridge in bridges
    ]
    wait = buttons.ChooseBridge(None)
    rows.append([Button.of("⏳ " + loc.gettext("I will wait for my language"), wait)])
    return [Outbound(text=escape(text), buttons=rows)]


def queued(
    loc: Localizer, case: HandoffCase, position: int, availability: Availability
) -> list[Outbound]:
    lines: list[str] = [
        loc.gettext("Your request number is {number}.").format(number=case.id)
        + " "
        + loc.ngettext(
            "You are number {position} in the queue.",
            "You are number {position} in the queue.",
            position,
        ).format(position=position)
    ]
    if availability.anyone_on_duty or (
        case.bridge_language and availability.bridge_on_duty.get(case.bridge_language)
    ):
        lines.append(
            escape(
                loc.gettext(
                    "A mediator will write to you here soon. You can already write your "
                    "question, send photos of documents, voice messages or your location."
                )
            )
        )
    else:
        lines.append(
            escape(
                loc.gettext(
                    "No mediator is on duty now: your request stays in the queue and I will "
                    "tell you here as soon as a mediator takes it. Meanwhile you can write "
                    "your question."
                )
            )
        )
        hours = hours_lines(loc, availability)
        if availability.speakers and hours:
            announce = loc.gettext("Mediators for your language work at these times:")
            lines.append(join([announce, *hours]))
    return [Outbound(text=join(lines, "\n\n"), buttons=leave_button(loc))]


def desks_meanwhile(loc: Localizer, city_name: str) -> Outbound:
    text = loc.gettext("If it is urgent, these desks in {city} can receive you:")
    return Outbound(text=bold(text.format(city=loc.isolate(city_name))))


def passed_on(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext("Received: the mediator will see it. You are still in the queue.")
            ),
            buttons=leave_button(loc),
        )
    ]


def in_handoff_reminder(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "You are talking with a mediator: just write here. To go back to the "
                    "assistant, press the button below."
                )
            ),
            buttons=leave_button(loc),
        )
    ]


def taken(loc: Localizer, mediator_name: str) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "{name}, a cultural mediator, has taken your request and will write to you "
                    "here. You can write, send photos, documents, voice messages or your location."
                ).format(name=mediator_name)
            ),
            buttons=leave_button(loc),
        )
    ]


def closed(loc: Localizer, case_id: int) -> list[Outbound]:
    return [
        Outbound(
            text=escape(
                loc.gettext(
                    "The conversation with the mediator is closed. I am the assistant again: "
                    "write to me or choose a topic whenever you need."
                )
            )
        ),
        Outbound(
            text=escape(loc.gettext("How helpful was the mediator? Tap a star.")),
            buttons=[
                [Button.of("⭐" * n, buttons.RateHelp(case_id, n)) for n in RATINGS[:3]],
                [Button.of("⭐" * n, buttons.RateHelp(case_id, n)) for n in RATINGS[3:]],
            ],
        ),
    ]


def rated(loc: Localizer) -> list[Outbound]:
    return [menu_message(loc, lead=loc.gettext("Thank you for your rating."))]


def left(loc: Localizer) -> list[Outbound]:
    return [
        menu_message(
            loc,
            lead=loc.gettext(
                "You are back with the assistant. Your request to the mediators is cancelled."
            ),
        )
    ]


def not_now(loc: Localizer) -> list[Outbound]:
    return [menu_message(loc)]


def emergency(loc: Localizer, danger: Danger) -> list[Outbound]:
    """Italian emergency numbers first, in the person's language."""
    numbers = [
        "🚨 "
        + loc.gettext("Emergency (police, ambulance, fire): call {number}").format(
            number=loc.isolate("112")
        )
    ]
    if danger in (Danger.VIOLENCE, Danger.SELF_HARM, Danger.EMERGENCY):
        numbers.append(
            "📞 "
            + loc.gettext(
                "Violence against women, free, 24 hours, also in other languages: {number}"
            ).format(number=loc.isolate("1522"))
        )
    if danger in (Danger.TRAFFICKING, Danger.VIOLENCE):
        numbers.append(
            "📞 "
            + loc.gettext(
                "Trafficking and exploitation, free, 24 hours, anonymous: {number}"
            ).format(number=loc.isolate("800 290 290"))
        )
    lead = loc.gettext("You may be in danger. If you are in immediate danger, call now:")
    return [Outbound(text=join([bold(lead), *numbers]))]


def urgent_case_opened(loc: Localizer, case: HandoffCase, anyone_on_duty: bool) -> Outbound:
    text = (
        loc.gettext(
            "I have alerted the mediators (request {number}, urgent). A mediator will write "
            "to you here as soon as possible."
        )
        if anyone_on_duty
        else loc.gettext(
            "I have alerted the mediators (request {number}, urgent). No mediator is on duty "
            "right now: if you are in danger, call 112."
        )
    )
    return Outbound(text=escape(text.format(number=case.id)), buttons=leave_button(loc))


# --- mediators ----------------------------------------------------------------------


def topic_name(case: HandoffCase, staff: Localizer) -> str:
    parts = [
        f"#{case.id}",
        case.language + (f"→{case.bridge_language}" if case.bridge_language else ""),
    ]
    parts.append(case.city.name if case.city else "—")
    parts.append(topic_label(staff, case.topic) if case.topic else "—")
    prefix = "🚨 " if case.urgent else ""
    return (prefix + " · ".join(parts))[:128]


def case_card(
    staff: Localizer, case: HandoffCase, recent: Sequence[str], language_name: str
) -> Markup:
    lines: list[str] = []
    if case.urgent:
        lines.append(Markup("🚨 ") + bold(staff.gettext("URGENT: possible danger")))
    lines.append(bold(staff.gettext("Request {number}").format(number=case.id)))
    lines.append(staff.gettext("Language: {language}").format(language=language_name))
    if case.bridge_language:
        lines.append(
            staff.gettext("Accepts a mediator in: {language}").format(
                language=staff.language_in_my_language(case.bridge_language)
            )
        )
    lines.append(staff.gettext("City: {city}").format(city=case.city.name if case.city else "—"))
    if case.topic:
        lines.append(staff.gettext("Topic: {topic}").format(topic=topic_label(staff, case.topic)))
    if case.summary:
        lines.append(staff.gettext("In their words: {summary}").format(summary=case.summary))
    if recent:
        lines.append("")
        lines.append(italic(staff.gettext("Recent messages to the assistant:")))
        lines.extend(f"• {text}" for text in recent)
    return join(lines)


def take_buttons(staff: Localizer, case_id: int) -> list[list[Button]]:
    return [[Button.of("🙋 " + staff.gettext("Take case"), buttons.TakeCase(case_id))]]


def close_buttons(staff: Localizer, case_id: int) -> list[list[Button]]:
    return [
        [Button.of(outcome_label(staff, outcome), buttons.CloseCase(case_id, outcome))]
        for outcome in OUTCOMES
    ]


def outcome_label(staff: Localizer, outcome: str) -> str:
    labels = {
        "resolved": staff.gettext("Resolved"),
        "referred": staff.gettext("Referred to a service"),
        "no_reply": staff.gettext("No reply from the person"),
        "other": staff.gettext("Other"),
        "left": staff.gettext("The person went back to the assistant"),
    }
    return labels.get(outcome, outcome)


def taken_notice(staff: Localizer, mediator_name: str) -> Markup:
    return escape(staff.gettext("{name} has taken this case.").format(name=mediator_name))


def take_first(staff: Localizer) -> Markup:
    return escape(staff.gettext("Take the case first: your message was not sent to the person."))


def already_taken(staff: Localizer) -> str:
    """Plain text: an alert on the mediator's button."""
    return staff.gettext("This case is not waiting any more.")


def closed_notice(staff: Localizer, outcome: str) -> Markup:
    return escape(
        staff.gettext("Case closed: {outcome}.").format(outcome=outcome_label(staff, outcome))
    )


def choose_outcome(staff: Localizer) -> Markup:
    return escape(staff.gettext("How did it end? Choose an outcome to close the case."))


def escalation_notice(staff: Localizer, case: HandoffCase, minutes: int) -> Markup:
    return escape(
        staff.ngettext(
            "Request {number} ({language}, {city}) has been waiting for {minutes} minute.",
            "Request {number} ({language}, {city}) has been waiting for {minutes} minutes.",
            minutes,
        ).format(
            number=case.id,
            language=case.language,
            city=case.city.name if case.city else "—",
            minutes=minutes,
        )
    )


def rating_notice(staff: Localizer, rating: int) -> Markup:
    return escape(staff.gettext("The person rated the help: {stars}").format(stars="⭐" * rating))


def not_a_mediator(staff: Localizer) -> str:
    """Plain text: an alert on the button."""
    return staff.gettext("Only members of the mediators' group can act on cases.")


def refused(staff: Localizer, holder: str) -> str:
    """Why a staff member may not transfer, release or close this case (plain text)."""
    if holder:
        return staff.gettext(
            "{name} is handling this case: only they, a supervisor or an administrator may "
            "transfer, release or close it."
        ).format(name=holder)
    return staff.gettext(
        "Take the case first: only the mediator handling a case, a supervisor or an "
        "administrator may transfer, release or close it."
    )


def history_line(staff: Localizer, event: CaseEvent) -> str:
    """One line of a case's history, for the console."""
    actor = event.actor.display_name if event.actor else staff.gettext("the person")
    actions = {
        CaseAction.OPENED: staff.gettext("{actor} asked for a mediator"),
        CaseAction.QUEUED: staff.gettext("queued"),
        CaseAction.TAKEN: staff.gettext("{actor} took the case"),
        CaseAction.RELEASED: staff.gettext("{actor} put the case back in the queue"),
        CaseAction.TRANSFERRED: staff.gettext("{actor} transferred the case"),
        CaseAction.CLOSED: staff.gettext("{actor} closed the case"),
        CaseAction.NOTE: staff.gettext("{actor} added a note"),
        CaseAction.LEFT: staff.gettext("the person went back to the assistant"),
    }
    refused_actions = {
        CaseAction.RELEASED: staff.gettext("{actor} tried to release the case: refused"),
        CaseAction.TRANSFERRED: staff.gettext("{actor} tried to transfer the case: refused"),
        CaseAction.CLOSED: staff.gettext("{actor} tried to close the case: refused"),
    }
    table = refused_actions if event.refused else actions
    text = table.get(CaseAction(event.action), event.action).format(actor=actor)
    detail = (
        outcome_label(staff, event.detail) if event.action == CaseAction.CLOSED else event.detail
    )
    shown = (
        detail and not event.refused and event.action in (CaseAction.TRANSFERRED, CaseAction.CLOSED)
    )
    return f"{text} ({detail})" if shown else text


def message_placeholder(staff: Localizer, message: CaseMessage) -> str:
    labels = {
        "photo": staff.gettext("[photo]"),
        "document": staff.gettext("[document]"),
        "voice": staff.gettext("[voice message]"),
        "audio": staff.gettext("[audio]"),
        "video": staff.gettext("[video]"),
        "location": staff.gettext("[location]"),
        "sticker": staff.gettext("[sticker]"),
    }
    label = labels.get(message.kind, "")
    return " ".join(part for part in (label, message.text) if part)


def withdrawn_notice(staff: Localizer, case_id: int) -> Markup:
    """To the mediators: the person erased their data, this case with it."""
    return Markup("🗑 ") + bold(
        staff.gettext(
            "Request {number}: the person withdrew and asked for all their data to be "
            "deleted. The request, its messages and notes have been deleted, and this topic "
            "is deleted now."
        ).format(number=case_id)
    )
