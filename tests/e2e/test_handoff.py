"""Handoff to a cultural mediator, end to end: the person on Telegram, mediators in a forum.

The person talks to the real bot through the Bot API double; mediators act in the double's
forum supergroup; Rasa, the action server and the database are real.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.handoff.models import CaseStatus, HandoffCase
from bot.pseudonym import Pseudonymizer
from tests.conftest import Chat, Stack
from tests.e2e.test_conversations import services_of
from tests.support.expect import plain, translated
from tests.support.staff import add_mediator
from tests.support.telegram_double import MEDIATORS_CHAT_ID, BotCall, TelegramUser

PERSON_MEDIA = ("photo", "document", "voice")


def pseudonym(stack: Stack, chat: Chat) -> str:
    key = stack.settings.pseudonym_key
    assert key is not None
    return Pseudonymizer(key.get_secret_value().encode())("telegram", chat.user.id)


async def open_case(stack: Stack, chat: Chat) -> HandoffCase:
    async with stack.database.session() as session:
        case = await session.scalar(
            select(HandoffCase)
            .where(HandoffCase.user_pseudonym == pseudonym(stack, chat))
            .order_by(HandoffCase.id.desc())
        )
    assert case is not None
    return case


async def topic_of(stack: Stack, case_id: int) -> int:
    def created(calls: list[BotCall]) -> list[BotCall]:
        return [
            c
            for c in calls
            if c.method == "createForumTopic"
            and str(c.params["name"]).split(" · ")[0].endswith(f"#{case_id}")
        ]

    await stack.telegram.wait_for(created, what=f"a topic for case {case_id}")
    for thread_id, topic in stack.telegram.topics.items():
        if str(topic["name"]).split(" · ")[0].endswith(f"#{case_id}"):
            return thread_id
    raise AssertionError("topic not recorded")


def copies(calls: list[BotCall], *, to: int, source: int) -> list[BotCall]:
    return [
        c
        for c in calls
        if c.method == "copyMessage"
        and not c.failed
        and int(c.params["chat_id"]) == to
        and int(c.params["from_chat_id"]) == source
    ]


def at_least(
    count: int, select: Callable[[list[BotCall]], list[BotCall]]
) -> Callable[[list[BotCall]], list[BotCall]]:
    def predicate(calls: list[BotCall]) -> list[BotCall]:
        found = select(calls)
        return found if len(found) >= count else []

    return predicate


async def request_handoff(chat: Chat, language: str, summary: str | None) -> list[BotCall]:
    """Press "Talk to a person", accept, and give the one-line description if asked."""
    offer = (await chat.press("human"))[-1]
    assert translated(language, "Do you want to talk to a mediator?") in plain(offer.text)
    replies = await chat.press(offer.button("✅")["callback_data"])
    if summary is not None:
        asked = translated(
            language, "In one line, what do you need help with? Write it in your language."
        )
        assert asked in plain(replies[-1].text)
        replies = await chat.say(summary)
    return await own_language_only(chat, replies)


def offers_a_bridge(replies: list[BotCall]) -> bool:
    return any(b.get("callback_data") == "ho:bridge:no" for c in replies for b in c.buttons)


def queued_or_bridge(desks: int = 0) -> Callable[[list[BotCall]], bool]:
    """The answer to a request for a mediator: the offer of a bridge language, or the place
    in the queue followed by `desks` help desks (and their heading) when nobody is on duty."""

    def complete(replies: list[BotCall]) -> bool:
        return offers_a_bridge(replies) or len(replies) >= 1 + (desks and 1 + desks)

    return complete


async def own_language_only(chat: Chat, replies: list[BotCall], desks: int = 0) -> list[BotCall]:
    """Mediators of other tests may speak a bridge language: wait for one's own instead."""
    if offers_a_bridge(replies):
        return await chat.press("ho:bridge:no", expect=1 + (desks and 1 + desks))
    return replies


async def test_case_from_request_to_mediator_and_back_to_the_bot(
    stack: Stack, chat_factory: Any
) -> None:
    telegram = stack.telegram
    mediator = await add_mediator(stack.database, ["ar"], name="Amal")
    assert mediator.telegram_user_id is not None
    mediator_user = TelegramUser(mediator.telegram_user_id, first_name="Amal")
    telegram.group_members.add(mediator_user.id)
    person = chat_factory("ar")
    await person.say("/start", expect=2)

    queued = await request_handoff(person, "ar", "صاحب البيت يريد طردي من الشقة")
    case = await open_case(stack, person)
    assert case.status == CaseStatus.WAITING and case.language == "ar"
    number = translated("ar", "Your request number is {number}.", number=case.id)
    assert number in plain(queued[0].text)

    # mediators: a topic named with number, language; a card with the summary and "Take case"
    thread = await topic_of(stack, case.id)
    # the card follows the topic's creation: wait for it (sends may queue for the budget)
    card = (await telegram.wait_for(lambda _: telegram.in_topic(thread), what="the case card"))[0]
    assert "صاحب البيت يريد طردي" in plain(card.text)
    assert card.button("🙋")["callback_data"] == f"case:take:{case.id}"
    assert str(telegram.topics[thread]["name"]).startswith(f"#{case.id} · ar")

    # the mediator takes it: the person is told, by name, in Arabic
    before = len(telegram.sent_to(person.user.id))
    telegram.press_in_group(mediator_user, f"case:take:{case.id}", thread)
    taken = await telegram.replies(person.user.id, before, count=1)
    assert "Amal" in plain(taken[0].text)

    # the person writes, sends media and a location: each copied once into the topic
    telegram.send_text(person.user, "عندي عقد ايجار")
    for kind in PERSON_MEDIA:
        telegram.send_media(person.user, kind)
    telegram.send_location(person.user, 45.07, 7.68)
    relayed = await telegram.wait_for(
        at_least(5, lambda calls: copies(calls, to=MEDIATORS_CHAT_ID, source=person.user.id)),
        what="five messages relayed to the mediators",
    )
    assert all(int(c.params["message_thread_id"]) == thread for c in relayed)

    # the mediator answers with text, a photo and a document: each reaches the person
    telegram.send_in_topic(mediator_user, thread, text="أهلا، أرسل لي صورة العقد")
    telegram.send_in_topic(
        mediator_user,
        thread,
        photo=[{"file_id": "m-photo", "file_unique_id": "mp", "width": 9, "height": 9}],
    )
    telegram.send_in_topic(
        mediator_user,
        thread,
        document={"file_id": "m-doc", "file_unique_id": "md", "file_name": "modulo.pdf"},
    )
    await telegram.wait_for(
        at_least(3, lambda calls: copies(calls, to=person.user.id, source=MEDIATORS_CHAT_ID)),
        what="three mediator messages relayed to the person",
    )
    # the bot did not talk over the mediator
    assert len(telegram.sent_to(person.user.id)) == before + len(taken)

    # /close with an outcome: the person is back with the bot and can rate
    telegram.send_in_topic(mediator_user, thread, text="/close resolved")
    closed = await telegram.replies(person.user.id, before + len(taken), count=2)
    assert translated(
        "ar",
        "The conversation with the mediator is closed. I am the assistant again: "
        "write to me or choose a topic whenever you need.",
    ) in plain(closed[0].text)
    rating = closed[-1].button("⭐⭐⭐⭐⭐")["callback_data"]
    await telegram.wait_for(
        lambda calls: [
            c
            for c in calls
            if c.method == "closeForumTopic" and int(c.params["message_thread_id"]) == thread
        ],
        what="the topic closed",
    )
    await person.press(rating)
    finished = await open_case(stack, person)
    assert finished.status == CaseStatus.CLOSED and finished.outcome == "resolved"
    assert finished.rating == 5

    # Rasa answers again, with the context kept
    answer = await person.say("أبحث عن عمل في روما", expect=2)
    assert any("روما" in plain(call.text) for call in answer)


async def test_nothing_the_person_sends_is_lost_while_waiting(
    stack: Stack, chat_factory: Any
) -> None:
    """Before anyone takes the case, messages are stored and reach the topic."""
    telegram = stack.telegram
    await add_mediator(stack.database, ["ro"], on_duty=True)
    person = chat_factory("ro")
    await person.say("/start", expect=2)
    await request_handoff(person, "ro", "am nevoie de ajutor cu permisul de sedere")
    case = await open_case(stack, person)
    thread = await topic_of(stack, case.id)
    ack = await person.say("am si o intrebare despre contract")
    assert translated(
        "ro", "Received: the mediator will see it. You are still in the queue."
    ) in plain(ack[0].text)
    await telegram.wait_for(
        lambda calls: copies(calls, to=MEDIATORS_CHAT_ID, source=person.user.id),
        what="the waiting message relayed",
    )
    assert telegram.in_topic(thread)


async def test_no_mediator_on_duty_gives_desks_and_notifies_when_taken(
    stack: Stack, chat_factory: Any
) -> None:
    telegram = stack.telegram
    await add_mediator(stack.database, ["uk"], on_duty=False)
    person = chat_factory("uk")
    await person.say("/start", expect=2)
    await person.press("city:bari")
    offer = (await person.press("human"))[-1]
    assert translated(
        "uk", "No mediator who speaks your language is on duty right now. Their hours are:"
    ) in plain(offer.text)
    await person.press(offer.button("✅")["callback_data"])
    desks = len(await services_of(stack, "bari", "desk"))
    answer = await person.say("потрібна допомога з документами", expect=queued_or_bridge(desks))
    queued = await own_language_only(person, answer, desks)
    assert translated(
        "uk",
        "No mediator is on duty now: your request stays in the queue and I will tell you here "
        "as soon as a mediator takes it. Meanwhile you can write your question.",
    ) in plain(queued[0].text)
    desks_intro = translated(
        "uk", "If it is urgent, these desks in {city} can receive you:", city="\u2068Барі\u2069"
    )
    assert any(
        desks_intro.replace("\u2068", "").replace("\u2069", "") in plain(c.text) for c in queued
    )

    case = await open_case(stack, person)
    thread = await topic_of(stack, case.id)
    # a colleague off the rota takes it later: the person is notified
    colleague = await add_mediator(stack.database, ["it"], on_duty=False, name="Marta")
    assert colleague.telegram_user_id is not None
    telegram.group_members.add(colleague.telegram_user_id)
    before = len(telegram.sent_to(person.user.id))
    telegram.press_in_group(
        TelegramUser(colleague.telegram_user_id, first_name="Marta"), f"case:take:{case.id}", thread
    )
    taken = await telegram.replies(person.user.id, before, count=1)
    assert "Marta" in plain(taken[0].text)


async def test_long_wait_is_escalated_to_the_group(stack: Stack, chat_factory: Any) -> None:
    telegram = stack.telegram
    person = chat_factory("fa")
    await person.say("/start", expect=2)
    await request_handoff(person, "fa", "کمک برای اجاره خانه")
    case = await open_case(stack, person)
    await telegram.wait_for(
        lambda calls: [
            c
            for c in calls
            if c.method == "sendMessage"
            and c.chat_id == MEDIATORS_CHAT_ID
            and "message_thread_id" not in c.params
            and f"{case.id}" in c.text
            and c.text.startswith("⏰")
        ],
        timeout=20,
        what="an escalation in the group",
    )


async def test_only_group_members_can_take_cases(stack: Stack, chat_factory: Any) -> None:
    telegram = stack.telegram
    person = chat_factory("sq")
    await person.say("/start", expect=2)
    await request_handoff(person, "sq", "me duhet ndihme per punen")
    case = await open_case(stack, person)
    thread = await topic_of(stack, case.id)
    outsider = TelegramUser(555_000_111, first_name="Outsider")
    telegram.press_in_group(outsider, f"case:take:{case.id}", thread)
    await telegram.wait_for(
        lambda calls: [
            c for c in calls if c.method == "answerCallbackQuery" and c.params.get("show_alert")
        ],
        what="a refusal",
    )
    assert (await open_case(stack, person)).status == CaseStatus.WAITING


async def test_person_can_leave_the_handoff(stack: Stack, chat_factory: Any) -> None:
    person = chat_factory("es")
    await person.say("/start", expect=2)
    await request_handoff(person, "es", "necesito ayuda con el contrato")
    left = await person.press("ho:leave")
    assert translated(
        "es", "You are back with the assistant. Your request to the mediators is cancelled."
    ) in plain(left[0].text)
    case = await open_case(stack, person)
    assert case.status == CaseStatus.CLOSED and case.outcome == "left"
    answer = await person.say("busco trabajo en Roma", expect=2)
    assert any("Roma" in plain(call.text) for call in answer)


async def test_two_misunderstandings_offer_a_person(chat_factory: Any) -> None:
    person = chat_factory("en")
    first = await person.say("xqzv brrp klmn")
    second = await person.say("zzkq vvrt pplm", expect=2)
    offer = translated(
        "en", "I did not understand you twice. Would you like to write to a person instead?"
    )
    assert offer in plain(second[-1].text)
    assert offer not in " ".join(plain(c.text) for c in first)
