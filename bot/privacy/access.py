"""A person's access to their data (`/mydata`, or staff answering a request by e-mail).

Everything kept about one pseudonym: the profile (language, city), the conversation Rasa
keeps (what they wrote, what the assistant answered), their handoff cases with the
messages both ways and the outcome, and the questions the bot did not understand. It comes
as a readable text in their language and as JSON. Mediators' notes are counted, not shown
(the exemption the full notice states: working notes, possibly about safety or about
other people; the DPO decides on a request to see them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from bot.core.messages import Document
from bot.core.rasa_client import ConversationEvent
from bot.handoff.models import CaseMessage, CaseNote, HandoffCase, Sender
from bot.i18n import Localizer
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage

ConversationReader = Callable[[str], Awaitable[list[ConversationEvent]]]
AnswerReader = Callable[[Localizer, dict[str, Any]], Awaitable[str]]
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class CaseData:
    number: int
    status: str
    opened: str
    closed: str | None
    topic: str | None
    in_their_words: str
    outcome: str | None
    rating: int | None
    messages: list[dict[str, str]] = field(default_factory=list)
    mediator_notes: int = 0  # counted, not shown


@dataclass
class PersonData:
    profile: dict[str, Any] | None = None
    conversation: list[dict[str, Any]] = field(default_factory=list)
    cases: list[CaseData] = field(default_factory=list)
    not_understood: list[dict[str, str]] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.profile or self.conversation or self.cases or self.not_understood)


class DataAccess:
    def __init__(self, database: Database, conversation: ConversationReader | None) -> None:
        self._database = database
        self._conversation = conversation

    async def collect(self, pseudonym: str) -> PersonData:
        data = PersonData()
        async with self._database.session() as session:
            user = await session.get(BotUser, pseudonym, options=[selectinload(BotUser.city)])
            if user is not None:
                data.profile = {
                    "language": user.language,
                    "city": user.city.name if user.city else None,
                    "first_seen": _iso(user.created_at),
                    "last_seen": _iso(user.updated_at),
                }
            cases = await session.scalars(
                select(HandoffCase)
                .where(HandoffCase.user_pseudonym == pseudonym)
                .options(selectinload(HandoffCase.messages))
                .order_by(HandoffCase.id)
            )
            for case in cases:
                data.cases.append(await _case_data(session, case))
            questions = await session.scalars(
                select(UnansweredMessage)
                .where(UnansweredMessage.user_pseudonym == pseudonym)
                .order_by(UnansweredMessage.id)
            )
            data.not_understood = [
                {"at": _iso(q.received_at) or "", "text": q.text} for q in questions
            ]
        if self._conversation is not None:
            events = await self._conversation(pseudonym)
            data.conversation = [
                {
                    "at": _iso(dt.datetime.fromtimestamp(event.at, dt.UTC)),
                    "from": "you" if event.by_person else "assistant",
                    "text": event.text,
                    "answer": event.payload,
                }
                for event in events
                if not event.by_person or not event.is_button
            ]
        return data


async def _case_data(session: Any, case: HandoffCase) -> CaseData:
    notes = await session.scalar(
        select(func.count()).select_from(CaseNote).where(CaseNote.case_id == case.id)
    )
    return CaseData(
        number=case.id,
        status=case.status,
        opened=_iso(case.created_at) or "",
        closed=_iso(case.closed_at),
        topic=case.topic,
        in_their_words=case.summary,
        outcome=case.outcome,
        rating=case.rating,
        messages=[_message(m) for m in case.messages],
        mediator_notes=int(notes or 0),
    )


def _message(message: CaseMessage) -> dict[str, str]:
    return {
        "at": _iso(message.created_at) or "",
        "from": "you" if message.sender == Sender.PERSON else "mediator",
        "kind": message.kind,
        "text": message.text,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat(timespec="seconds")


def as_json(data: PersonData) -> Document:
    body = json.dumps(asdict(data), ensure_ascii=False, indent=2).encode()
    return Document("my-data.json", body, "application/json")


async def as_text(
    data: PersonData, loc: Localizer, contact: str, describe: AnswerReader
) -> Document:
    """The same data, to read, in the person's language."""
    lines = [loc.gettext("Your data kept by the assistant"), ""]
    if data.profile is not None:
        lines.append(
            loc.gettext("Language: {language}").format(
                language=loc.language_in_my_language(data.profile["language"])
            )
        )
        if data.profile["city"]:
            lines.append(loc.gettext("City: {city}").format(city=data.profile["city"]))
        lines.append("")
    if data.conversation:
        lines += [loc.gettext("Your conversation with the assistant"), ""]
        for event in data.conversation:
            if event["from"] == "you":
                lines.append(f"{event['at']}  {loc.gettext('You')}: {event['text']}")
            else:
                answer = await describe(loc, event["answer"])
                if answer:
                    lines.append(f"{event['at']}  {loc.gettext('Assistant')}: {answer}")
        lines.append("")
    for case in data.cases:
        lines.append(
            loc.gettext("Request to a mediator number {number}").format(number=case.number)
        )
        if case.in_their_words:
            lines.append(f"{case.opened}  {loc.gettext('You')}: {case.in_their_words}")
        for message in case.messages:
            who = loc.gettext("You") if message["from"] == "you" else loc.gettext("Mediator")
            lines.append(
                f"{message['at']}  {who}: {message['text'] or '[' + message['kind'] + ']'}"
            )
        if case.mediator_notes:
            lines.append(
                loc.gettext(
                    "The mediator wrote {count} working notes about this request. They are not "
                    "shown here, because they can contain assessments made to protect you or "
                    "information about other people. To ask for them, write to {contact}."
                ).format(count=case.mediator_notes, contact=loc.isolate(contact))
            )
        lines.append("")
    if data.not_understood:
        lines += [loc.gettext("Questions the assistant did not understand"), ""]
        lines += [f"{q['at']}  {q['text']}" for q in data.not_understood]
    return Document("my-data.txt", "\n".join(lines).encode(), "text/plain; charset=utf-8")


def plain(markup: str) -> str:
    """Text of a rendered answer, without its tags."""
    return _TAGS.sub("", markup).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
