"""What the handoff says, to the person (their language) and to mediators (the staff's).

Every sentence comes from the gettext catalogs; data is escaped and, for right-to-left
languages, isolated.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.messages import Button, Outbound
from bot.core.render import esc, menu_message, topic_label, weekly_hours_lines
from bot.handoff.models import CaseMessage, HandoffCase
from bot.handoff.routing import Availability
from bot.handoff.safeguarding import Danger
from bot.i18n import Localizer

RATINGS = (1, 2, 3, 4, 5)
OUTCOMES = ("resolved", "referred", "no_reply", "other")
LEAVE = "ho:leave"


# --- the person ---------------------------------------------------------------------


def leave_button(loc: Localizer) -> list[list[Button]]:
    return [[Button("↩️ " + loc.gettext("Back to the assistant"), LEAVE)]]


def hours_text(loc: Localizer, availability: Availability) -> str:
    lines = weekly_hours_lines(loc, availability.hours())
    return "\n".join(f"🕘 {loc.isolate(esc(line))}" for line in lines)


def offer(loc: Localizer, availability: Availability, waiting: int, topic: str | None) -> Outbound:
    """Before handing over: what happens next, honestly, and a yes/no."""
    parts = [
        esc(
            loc.gettext(
                "I can put you in touch with a cultural mediator, a person who speaks your "
                "language. The mediator will write to you here, in this chat."
            )
        )
    ]
    if availability.anyone_on_duty:
        parts.append(
            esc(
                loc.ngettext(
                    "A mediator who speaks your language is on duty now. "
                    "{count} person is waiting before you.",
                    "A mediator who speaks your language is on duty now. "
                    "{count} people are waiting before you.",
                    waiting,
                ).format(count=waiting)
                if waiting
                else loc.gettext(
                    "A mediator who speaks your language is on duty now. Nobody is waiting "
                    "before you."
                )
            )
        )
    elif availability.speakers:
        parts.append(
            esc(
                loc.gettext(
                    "No mediator who speaks your language is on duty right now. Their hours are:"
                )
            )
            + "\n"
            + hours_text(loc, availability)
        )
    else:
        parts.append(
            esc(
                loc.gettext(
                    "We have no mediator for your language yet: a colleague who speaks "
                    "another language may answer."
                )
            )
        )
    parts.append(esc(loc.gettext("Do you want to talk to a mediator?")))
    data = f"ho:yes:{topic}" if topic else "ho:yes"
    return Outbound(
        text="\n\n".join(parts),
        buttons=[
            [Button("✅ " + loc.gettext("Yes, connect me"), data)],
            [Button("↩️ " + loc.gettext("No, back to the menu"), "ho:no")],
        ],
    )


def offer_after_misunderstanding(loc: Localizer) -> Outbound:
    return Outbound(
        text=esc(
            loc.gettext(
                "I did not understand you twice. Would you like to write to a person instead?"
            )
        ),
        buttons=[[Button("🙋 " + loc.gettext("Talk to a person"), "human")]],
    )


def ask_summary(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=esc(
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
            Button(
                "💬 "
                + loc.gettext("Yes, in {language}").format(
                    language=loc.language_in_my_language(bridge)
                ),
                f"ho:bridge:{bridge}",
            )
        ]
        for bridge in bridges
    ]
    rows.append([Button("⏳ " + loc.gettext("I will wait for my language"), "ho:bridge:no")])
    return [Outbound(text=esc(text), buttons=rows)]


def queued(
    loc: Localizer, case: HandoffCase, position: int, availability: Availability
) -> list[Outbound]:
    lines = [
        esc(
            loc.gettext("Your request number is {number}.").format(number=case.id)
            + " "
            + loc.ngettext(
                "You are number {position} in the queue.",
                "You are number {position} in the queue.",
                position,
            ).format(position=position)
        )
    ]
    if availability.anyone_on_duty or (
        case.bridge_language and availability.bridge_on_duty.get(case.bridge_language)
    ):
        lines.append(
            esc(
                loc.gettext(
                    "A mediator will write to you here soon. You can already write your "
                    "question, send photos of documents, voice messages or your location."
                )
            )
        )
    else:
        lines.append(
            esc(
                loc.gettext(
                    "No mediator is on duty now: your request stays in the queue and I will "
                    "tell you here as soon as a mediator takes it. Meanwhile you can write "
                    "your question."
                )
            )
        )
        if availability.speakers:
            lines.append(
                esc(loc.gettext("Mediators for your language work at these times:"))
                + "\n"
                + hours_text(loc, availability)
            )
    return [Outbound(text="\n\n".join(lines), buttons=leave_button(loc))]


def desks_meanwhile(loc: Localizer, city_name: str) -> Outbound:
    return Outbound(
        text="<b>"
        + esc(
            loc.gettext("If it is urgent, these desks in {city} can receive you:").format(
                city=loc.isolate(city_name)
            )
        )
        + "</b>"
    )


def passed_on(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=esc(
                loc.gettext("Received: the mediator will see it. You are still in the queue.")
            ),
            buttons=leave_button(loc),
        )
    ]


def in_handoff_reminder(loc: Localizer) -> list[Outbound]:
    return [
        Outbound(
            text=esc(
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
            text=esc(
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
            text=esc(
                loc.gettext(
                    "The conversation with the mediator is closed. I am the assistant again: "
                    "write to me or choose a topic whenever you need."
                )
            )
        ),
        Outbound(
            text=esc(loc.gettext("How helpful was the mediator? Tap a star.")),
            buttons=[
                [Button("⭐" * n, f"rate:{case_id}:{n}") for n in RATINGS[:3]],
                [Button("⭐" * n, f"rate:{case_id}:{n}") for n in RATINGS[3:]],
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
    return [Outbound(text=f"<b>{esc(lead)}</b>\n" + "\n".join(esc(n) for n in numbers))]


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
    return Outbound(text=esc(text.format(number=case.id)), buttons=leave_button(loc))


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
) -> str:
    lines = []
    if case.urgent:
        lines.append("🚨 <b>" + esc(staff.gettext("URGENT: possible danger")) + "</b>")
    lines.append("<b>" + esc(staff.gettext("Request {number}").format(number=case.id)) + "</b>")
    lines.append(esc(staff.gettext("Language: {language}").format(language=language_name)))
    if case.bridge_language:
        lines.append(
            esc(
                staff.gettext("Accepts a mediator in: {language}").format(
                    language=staff.language_in_my_language(case.bridge_language)
                )
            )
        )
    lines.append(
        esc(staff.gettext("City: {city}").format(city=case.city.name if case.city else "—"))
    )
    if case.topic:
        lines.append(
            esc(staff.gettext("Topic: {topic}").format(topic=topic_label(staff, case.topic)))
        )
    if case.summary:
        lines.append(esc(staff.gettext("In their words: {summary}").format(summary=case.summary)))
    if recent:
        lines.append("")
        lines.append("<i>" + esc(staff.gettext("Recent messages to the assistant:")) + "</i>")
        lines.extend(f"• {esc(text)}" for text in recent)
    return "\n".join(lines)


def take_buttons(staff: Localizer, case_id: int) -> list[list[Button]]:
    return [[Button("🙋 " + staff.gettext("Take case"), f"case:take:{case_id}")]]


def close_buttons(staff: Localizer, case_id: int) -> list[list[Button]]:
    return [
        [Button(outcome_label(staff, outcome), f"case:close:{case_id}:{outcome}")]
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


def taken_notice(staff: Localizer, mediator_name: str) -> str:
    return esc(staff.gettext("{name} has taken this case.").format(name=mediator_name))


def take_first(staff: Localizer) -> str:
    return esc(staff.gettext("Take the case first: your message was not sent to the person."))


def already_taken(staff: Localizer) -> str:
    return esc(staff.gettext("This case is not waiting any more."))


def closed_notice(staff: Localizer, outcome: str) -> str:
    return esc(
        staff.gettext("Case closed: {outcome}.").format(outcome=outcome_label(staff, outcome))
    )


def choose_outcome(staff: Localizer) -> str:
    return esc(staff.gettext("How did it end? Choose an outcome to close the case."))


def escalation_notice(staff: Localizer, case: HandoffCase, minutes: int) -> str:
    return esc(
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


def rating_notice(staff: Localizer, rating: int) -> str:
    return esc(staff.gettext("The person rated the help: {stars}").format(stars="⭐" * rating))


def not_a_mediator(staff: Localizer) -> str:
    return esc(staff.gettext("Only members of the mediators' group can act on cases."))


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
