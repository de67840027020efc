"""A voice note or photo sent to the bot (no case open): the bot says it reads only text and
offers a mediator; accepted, the media is the case's first message, copied into the
mediators' forum topic and playable in the console through an authenticated route."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.handoff.models import CaseMessage, CaseStatus, HeldMedia
from tests.conftest import Chat, Stack
from tests.e2e.test_handoff import (
    at_least,
    copies,
    open_case,
    own_language_only,
    pseudonym,
    topic_of,
)
from tests.support.expect import plain, translated
from tests.support.staff import add_mediator
from tests.support.staff_http import StaffClient
from tests.support.telegram_double import MEDIATORS_CHAT_ID

PASSWORD = "correct horse battery staple"
VOICE = (
    "I can read only written words, so I cannot listen to your voice message. "
    "A cultural mediator can listen to it: if you want to talk to one, your voice message "
    "will be passed on with your request."
)
PHOTO = (
    "I can read only written words, so I cannot see your photo or file. "
    "A cultural mediator can look at it: if you want to talk to one, it will be passed on "
    "with your request."
)


async def held_media_of(stack: Stack, chat: Chat) -> int:
    async with stack.database.session() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(HeldMedia)
            .where(HeldMedia.user_pseudonym == pseudonym(stack, chat))
        )
    return int(count or 0)


async def test_a_voice_note_goes_to_the_mediator_first(stack: Stack, chat_factory: Any) -> None:
    mediator = await add_mediator(stack.database, ["ar"], password=PASSWORD, name="Samir")
    person = chat_factory("ar")
    await person.say("/start", expect=2)

    explanation, offer = await person.send_media("voice", expect=2)
    assert translated("ar", VOICE) in plain(explanation.text)
    assert translated("ar", "Do you want to talk to a mediator?") in plain(offer.text)

    # accepted: no one-line description asked, the voice note says it
    replies = await person.press(offer.button("✅")["callback_data"])
    await own_language_only(person, replies)
    case = await open_case(stack, person)
    assert case.status == CaseStatus.WAITING
    async with stack.database.session() as session:
        first = await session.scalar(
            select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id)
        )
    assert first is not None and first.kind == "voice" and first.file_id == "voice-file"
    assert await held_media_of(stack, person) == 0

    # the mediators' topic gets the voice note itself (copied from the person's chat)
    thread = await topic_of(stack, case.id)
    (copy,) = await stack.telegram.wait_for(
        at_least(1, lambda calls: copies(calls, to=MEDIATORS_CHAT_ID, source=person.user.id)),
        what="the voice note copied to the mediators",
    )
    assert int(copy.params["message_thread_id"]) == thread

    # the console plays it through an authenticated route, not a Telegram link
    media_path = f"/console/cases/{case.id}/media/{first.id}"
    async with (
        StaffClient(stack.web_url) as outsider,
        outsider.session.get(stack.web_url + media_path, allow_redirects=False) as response,
    ):
        assert response.status in (302, 303, 401, 403)
    async with StaffClient(stack.web_url) as console:
        assert await console.sign_in(mediator.username, PASSWORD, area="console") == 303
        async with console.session.get(f"{stack.web_url}/console/cases/{case.id}") as page:
            html = await page.text()
        assert f'<audio controls preload="none" src="{media_path}">' in html
        assert "/file/bot" not in html  # no Telegram file link (it would carry the token)
        async with console.session.get(stack.web_url + media_path) as response:
            assert response.status == 200
            assert response.content_type == "audio/ogg"
            assert "no-store" in response.headers["Cache-Control"]
            assert await response.read() == b"voice content of the test"


async def test_a_declined_photo_is_not_kept(stack: Stack, chat_factory: Any) -> None:
    person = chat_factory("uk")
    await person.say("/start", expect=2)
    explanation, offer = await person.send_media("photo", expect=2)
    assert translated("uk", PHOTO) in plain(explanation.text)
    assert await held_media_of(stack, person) == 1

    await person.press(offer.button("↩️")["callback_data"])
    assert await held_media_of(stack, person) == 0

    # a later request for a mediator carries no photo: the description is asked again
    offer = (await person.press("human"))[-1]
    (asked,) = await person.press(offer.button("✅")["callback_data"])
    assert translated(
        "uk", "In one line, what do you need help with? Write it in your language."
    ) in plain(asked.text)


async def test_a_photo_with_a_caption_gives_the_case_its_summary(
    stack: Stack, chat_factory: Any
) -> None:
    person = chat_factory("it")
    await person.say("/start", expect=2)
    _, offer = await person.send_media("photo", expect=2, caption="lettera della questura")
    replies = await person.press(offer.button("✅")["callback_data"])
    await own_language_only(person, replies)
    case = await open_case(stack, person)
    assert case.status == CaseStatus.WAITING and case.summary == "lettera della questura"
    async with stack.database.session() as session:
        kinds = list(
            await session.scalars(select(CaseMessage.kind).where(CaseMessage.case_id == case.id))
        )
    assert kinds == ["photo"]
