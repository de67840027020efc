"""A person's conversations with the real bot: Telegram double → app → Rasa → actions → DB."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.i18n import FSI, PDI, SUPPORTED_LANGUAGES, language_name
from bot.kb.models import City, Service, ServiceText
from tests.conftest import Stack
from tests.support.expect import loc, plain, translated

TOPIC_MESSAGES = [
    # language, message, topic, city slug: every topic in it, en, ar, uk and zh
    ("it", "cerco lavoro a Bologna", "job", "bologna"),
    ("it", "ho bisogno di una casa in affitto a Firenze", "housing", "firenze"),
    ("it", "dove posso fare un corso di italiano a Torino?", "course", "torino"),
    ("it", "dove rinnovo il permesso di soggiorno a Palermo", "desk", "palermo"),
    ("en", "I am looking for a job in Naples", "job", "napoli"),
    ("en", "I need a room to rent in Milan", "housing", "milano"),
    ("en", "where can I learn Italian in Venice", "course", "venezia"),
    ("en", "where is the immigration office in Naples", "desk", "napoli"),
    ("ar", "أبحث عن عمل في روما", "job", "roma"),
    ("ar", "أبحث عن سكن في باري", "housing", "bari"),
    ("ar", "أريد تعلم اللغة الإيطالية في ميلانو", "course", "milano"),
    ("ar", "أين مكتب الهجرة في تورينو", "desk", "torino"),
    ("uk", "шукаю роботу в Неаполі", "job", "napoli"),
    ("uk", "шукаю житло в Генуї", "housing", "genova"),
    ("uk", "де вивчати італійську мову у Флоренції", "course", "firenze"),
    ("uk", "де подовжити permesso di soggiorno у Мілані?", "desk", "milano"),
    ("zh", "我在博洛尼亚找工作", "job", "bologna"),
    ("zh", "我在都灵找房子住", "housing", "torino"),
    ("zh", "在罗马哪里可以学意大利语", "course", "roma"),
    ("zh", "在米兰哪里办居留", "desk", "milano"),
]


async def services_of(stack: Stack, slug: str, topic: str) -> list[Service]:
    async with stack.database.session() as session:
        city = await session.scalar(select(City).where(City.slug == slug))
        assert city is not None
        result = await session.scalars(
            select(Service).where(Service.city_id == city.id, Service.topic == topic)
        )
        return list(result)


async def test_start_greets_with_privacy_notice_and_preselected_language(chat_factory) -> None:
    chat = chat_factory("uk-UA")
    welcome, picker = await chat.say("/start", expect=2)
    privacy = translated(
        "uk",
        "Privacy: your name and your Telegram account are never shown to anyone. "
        "Your messages are kept under a code, only to answer you and to improve this service.",
    )
    assert privacy in plain(welcome.text)
    assert translated("uk", "Choose your language:") in picker.text
    labels = [button["text"] for button in picker.buttons]
    assert len(labels) == len(SUPPORTED_LANGUAGES)
    assert "✅ Українська" in labels
    assert "العربية" in labels and "中文" in labels and "বাংলা" in labels


async def test_choosing_a_language_shows_the_main_menu_in_it(chat_factory) -> None:
    chat = chat_factory("en")
    await chat.say("/start", expect=2)
    (reply,) = await chat.press("lang:ar")
    assert translated(
        "ar", "From now on I will write to you in {language}.", language=language_name("ar")
    ) in plain(reply.text)
    data = [button["callback_data"] for button in reply.buttons]
    assert data == ["t:job", "t:housing", "t:course", "t:desk", "human", "pick:lang", "pick:city"]
    assert translated("ar", "Talk to a person") in reply.button("🙋")["text"]


@pytest.mark.parametrize(("language", "message", "topic", "city"), TOPIC_MESSAGES)
async def test_a_topic_question_gets_the_services_of_the_named_city(
    stack: Stack, chat_factory, language: str, message: str, topic: str, city: str
) -> None:
    chat = chat_factory(language)
    expected = await services_of(stack, city, topic)
    replies = await chat.say(message, expect=1 + len(expected))
    cards = replies[1:]
    assert len(cards) == len(expected), [plain(r.text)[:80] for r in replies]
    for card, service in zip(cards, expected, strict=True):
        assert service.address in plain(card.text)
        assert service.phone in plain(card.text)
    if language in ("ar", "ur", "fa"):
        assert f"{FSI}{expected[0].address}{PDI}" in plain(cards[0].text)
    text = next(t for t in (await _texts(stack, expected[0].id)) if t.language == language)
    assert text.description in plain(cards[0].text)
    assert translated(language, "Opening hours") in plain(cards[0].text)


async def _texts(stack: Stack, service_id: int) -> list[ServiceText]:
    async with stack.database.session() as session:
        result = await session.scalars(
            select(ServiceText).where(ServiceText.service_id == service_id)
        )
        return list(result)


async def test_the_city_is_asked_once_and_then_remembered(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")
    question, location_offer = await chat.say("I need help finding a house", expect=2)
    assert (
        translated("en", "In which city are you? Choose it below, or share your location.")
        in question.text
    )
    assert any(b["callback_data"] == "city:genova" for b in question.buttons)
    assert location_offer.keyboard_buttons[0]["request_location"] is True

    replies = await chat.press("city:genova", expect=2)
    housing = await services_of(stack, "genova", "housing")
    assert "Genoa" in replies[0].text
    assert housing[0].name in plain(replies[1].text)

    replies = await chat.say("I want to learn Italian", expect=2)
    courses = await services_of(stack, "genova", "course")
    assert courses[0].name in plain(replies[1].text)


async def test_a_shared_location_gives_the_nearest_desks_as_venues(
    stack: Stack, chat_factory
) -> None:
    chat = chat_factory("it")
    async with stack.database.session() as session:
        target = await session.scalar(
            select(Service).join(City).where(City.slug == "torino", Service.topic == "desk")
        )
    assert target is not None and target.latitude is not None and target.longitude is not None
    replies = await chat.share_location(target.latitude + 0.0004, target.longitude, expect=7)
    venues = [r for r in replies if r.method == "sendVenue"]
    assert 1 <= len(venues) <= 3
    assert venues[0].params["title"] == target.name
    assert translated("it", "{distance} km from you", distance="0,0") in plain(replies[2].text)


async def test_changing_language_changes_every_later_reply(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")
    (picker,) = await chat.press("pick:lang")
    assert len(picker.buttons) == len(SUPPORTED_LANGUAGES)
    await chat.press("lang:fr")
    replies = await chat.say("je cherche du travail à Bari", expect=2)
    count = len(await services_of(stack, "bari", "job"))
    header = (
        loc("fr")
        .ngettext(
            "Job services in {city}: {count} place", "Job services in {city}: {count} places", count
        )
        .format(city="Bari", count=count)
    )
    assert header in plain(replies[0].text)
    assert translated("fr", "Opening hours") in plain(replies[1].text)


async def test_changing_city_by_button(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")
    await chat.press("city:palermo")
    (picker, _offer) = await chat.press("pick:city", expect=2)
    assert any(b["callback_data"] == "city:roma" for b in picker.buttons)
    await chat.press("city:roma")
    replies = await chat.press("t:desk", expect=3)
    desks = await services_of(stack, "roma", "desk")
    assert desks[0].name in plain(replies[1].text)


async def test_a_database_edit_shows_in_the_next_answer(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")
    await chat.press("city:catania")
    before = await chat.press("t:job", expect=2)
    job = (await services_of(stack, "catania", "job"))[0]
    assert job.phone in plain(before[1].text)
    async with stack.database.session() as session:
        await session.execute(
            update(Service).where(Service.id == job.id).values(phone="+39 095 000 1234")
        )
        await session.commit()
    after = await chat.press("t:job", expect=2)
    assert "+39 095 000 1234" in plain(after[1].text)
    assert job.phone not in plain(after[1].text)
