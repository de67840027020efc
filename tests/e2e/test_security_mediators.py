"""Mediators' authority (issue 9): only the mediator holding a case, a supervisor or an
administrator may transfer, release or close it; routing counts mediators only; and a
sentence that announces a list of hours always comes with the list."""

from __future__ import annotations

from typing import Any

from bot.handoff.models import CaseStatus, HandoffCase
from bot.staff.models import Role
from tests.conftest import Chat, Stack
from tests.e2e.test_handoff import open_case, request_handoff, topic_of
from tests.support.expect import plain, translated
from tests.support.staff import add_mediator, add_staff
from tests.support.staff_http import StaffClient
from tests.support.telegram_double import TelegramUser

PASSWORD = "a long staff password 2026"


async def console(stack: Stack, username: str) -> StaffClient:
    client = StaffClient(stack.web_url)
    assert await client.sign_in(username, PASSWORD, "console") == 303
    return client


async def act(client: StaffClient, case_id: int, action: str, **fields: str) -> tuple[int, str]:
    token = await client.csrf(f"/console/cases/{case_id}")
    status, body, _ = await client.post(
        f"/console/cases/{case_id}/{action}", {"csrf": token, **fields}
    )
    return status, body


async def reload(stack: Stack, case_id: int) -> HandoffCase:
    async with stack.database.session() as session:
        case = await session.get(HandoffCase, case_id)
    assert case is not None
    return case


async def waiting_case(stack: Stack, person: Chat, language: str, summary: str) -> int:
    await person.say("/start", expect=2)
    await request_handoff(person, language, summary)
    case = await open_case(stack, person)
    assert case.status == CaseStatus.WAITING
    return case.id


async def test_a_mediator_cannot_take_a_case_away_from_a_colleague(
    stack: Stack, chat_factory: Any
) -> None:
    amira = await add_mediator(stack.database, ["sq"], password=PASSWORD, name="Amira")
    besnik = await add_mediator(stack.database, ["sq"], password=PASSWORD, name="Besnik")
    sara = await add_mediator(
        stack.database, ["sq"], password=PASSWORD, name="Sara Supervisor", supervisor=True
    )
    case_id = await waiting_case(stack, chat_factory("sq"), "sq", "kam nevoje per leje qendrimi")
    async with await console(stack, amira.username) as holder:
        status, _ = await act(holder, case_id, "take")
        assert status == 303
    async with await console(stack, besnik.username) as colleague:
        for action, fields in (
            ("transfer", {"language": "it", "city": "roma"}),
            ("release", {}),
            ("close", {"outcome": "resolved"}),
        ):
            status, body = await act(colleague, case_id, action, **fields)
            assert status == 403, (action, status)
            assert "Amira" in body  # says who holds it
    case = await reload(stack, case_id)
    assert (case.status, case.mediator_id, case.language) == (CaseStatus.ACTIVE, amira.id, "sq")
    async with await console(stack, sara.username) as supervisor:
        status, _ = await act(supervisor, case_id, "transfer", language="it", city="")
        assert status == 303
        status, page, _ = await supervisor.get(f"/console/cases/{case_id}")
    case = await reload(stack, case_id)
    assert (case.status, case.language) == (CaseStatus.WAITING, "it")
    history = page.split('id="history"', 1)[1]
    for name in ("Amira", "Besnik", "Sara Supervisor"):
        assert name in history, name  # taken, refused three times, transferred


async def test_a_member_of_the_group_cannot_release_a_colleagues_case(
    stack: Stack, chat_factory: Any
) -> None:
    telegram = stack.telegram
    holder = await add_mediator(stack.database, ["sq"], name="Dritan")
    other = await add_mediator(stack.database, ["sq"], name="Elira")
    for account in (holder, other):
        assert account.telegram_user_id is not None
        telegram.group_members.add(account.telegram_user_id)
    case_id = await waiting_case(stack, chat_factory("sq"), "sq", "me duhet ndihme per punen")
    thread_id = await topic_of(stack, case_id)
    holder_user = TelegramUser(holder.telegram_user_id or 0, first_name="Dritan")
    other_user = TelegramUser(other.telegram_user_id or 0, first_name="Elira")
    telegram.press_in_group(holder_user, f"case:take:{case_id}", thread_id)
    await telegram.wait_for(
        lambda calls: [c for c in telegram.in_topic(thread_id) if "Dritan" in c.text],
        what="the taken notice",
    )
    before = len(telegram.in_topic(thread_id))
    telegram.send_in_topic(other_user, thread_id, text="/release")
    refusals = await telegram.wait_for(
        lambda calls: [c for c in telegram.in_topic(thread_id)[before:] if "Dritan" in c.text],
        what="a refusal in the topic",
    )
    assert refusals
    case = await reload(stack, case_id)
    assert (case.status, case.mediator_id) == (CaseStatus.ACTIVE, holder.id)


async def test_translators_are_not_counted_as_mediators(stack: Stack, chat_factory: Any) -> None:
    # nobody speaks Persian among the mediators; a translator does, and must not count
    await add_staff(stack.database, Role.TRANSLATOR, PASSWORD, languages=["fa"])
    person = chat_factory("fa")
    await person.say("/start", expect=2)
    offer = plain((await person.press("human"))[-1].text)
    assert translated("fa", "Do you want to talk to a mediator?") in offer
    no_hours = translated(
        "fa", "No mediator who speaks your language is on duty right now. Their hours are:"
    )
    assert no_hours not in offer
    assert (
        translated(
            "fa",
            "We have no mediator for your language yet: a colleague who speaks another "
            "language may answer.",
        )
        in offer
    )


async def test_hours_are_announced_only_with_the_hours(stack: Stack, chat_factory: Any) -> None:
    # a Bengali mediator exists but has no duty hours at all
    await add_mediator(stack.database, ["bn"], duty_hours=[])
    person = chat_factory("bn")
    await person.say("/start", expect=2)
    offer = plain((await person.press("human"))[-1].text)
    announce = translated(
        "bn", "No mediator who speaks your language is on duty right now. Their hours are:"
    )
    if announce in offer:
        after = offer.split(announce, 1)[1].strip().splitlines()
        assert after and after[0].startswith("🕘"), offer
    replies = await person.press("ho:yes")
    if any("ho:bridge:no" in str(b) for r in replies for b in r.buttons):
        replies = await person.press("ho:bridge:no")
    if translated(
        "bn", "In one line, what do you need help with? Write it in your language."
    ) in plain(replies[-1].text):
        replies = await person.say("আমার কাজের কাগজ দরকার")
    queued = "\n".join(plain(r.text) for r in replies)
    listing = translated("bn", "Mediators for your language work at these times:")
    if listing in queued:
        after = queued.split(listing, 1)[1].strip().splitlines()
        assert after and after[0].startswith("🕘"), queued
