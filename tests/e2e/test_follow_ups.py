"""Follow-up questions about the services just shown, end to end: Telegram double → app →
Rasa (intent `ask_service_detail`, entities `detail`/`weekday`) → action → renderer."""

from __future__ import annotations

import pytest

from bot.kb.models import Service
from tests.conftest import Chat, Stack
from tests.e2e.test_conversations import services_of
from tests.support.expect import plain, translated


async def shown(stack: Stack, chat: Chat, message: str, city: str, topic: str) -> list[Service]:
    services = await services_of(stack, city, topic)
    await chat.say(message, expect=1 + len(services))
    return services


async def test_phone_appointment_and_saturday_after_job_desks_in_bologna(
    stack: Stack, chat_factory
) -> None:
    chat = chat_factory("it")
    jobs = await shown(stack, chat, "cerco lavoro a Bologna", "bologna", "job")

    (phones,) = await chat.say("qual è il numero di telefono?")
    text = plain(phones.text)
    for service in jobs:
        assert service.phone in text  # every service shown, in one message
        assert service.address not in text  # not the whole card again
    assert translated("it", "Opening hours") not in text

    (appointment,) = await chat.say("serve appuntamento?")
    unknown = translated(
        "it", "{detail}: I do not have this information.", detail=translated("it", "Appointment")
    )
    assert plain(appointment.text).count(unknown) == len(jobs)
    assert translated("it", "Please ask the desk:") in plain(appointment.text)

    (saturday,) = await chat.say("e il sabato è aperto?")
    text = plain(saturday.text)
    assert text.count("⛔") + text.count("✅") == len(jobs)
    assert "sab" in text or translated("it", "today") in text  # today, if it is Saturday


@pytest.mark.parametrize(
    ("language", "question", "city", "topic", "follow_up"),
    [
        ("en", "I am looking for a job in Naples", "napoli", "job", "where is it"),
        ("ar", "أين مكتب الهجرة في تورينو", "torino", "desk", "شو رقم التلفون؟"),
        ("zh", "我在博洛尼亚找工作", "bologna", "job", "电话号码是多少"),
        ("uk", "шукаю житло в Генуї", "genova", "housing", "яка адреса?"),
    ],
)
async def test_follow_ups_in_other_languages(
    stack: Stack,
    chat_factory,
    language: str,
    question: str,
    city: str,
    topic: str,
    follow_up: str,
) -> None:
    chat = chat_factory(language)
    services = await shown(stack, chat, question, city, topic)
    (answer,) = await chat.say(follow_up)
    text = plain(answer.text)
    asked = "phone" if "电话" in follow_up or "تلفون" in follow_up else "address"
    for service in services:
        assert getattr(service, asked) in text


async def test_romanized_urdu_asks_when_it_opens(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")
    await chat.press("city:roma")
    desks = await services_of(stack, "roma", "desk")
    await chat.press("t:desk", expect=1 + len(desks))
    (answer,) = await chat.say("kab khulta hai")
    assert plain(answer.text).count("🕒") == len(desks)


async def test_with_nothing_shown_the_bot_asks_for_topic_and_city(chat_factory) -> None:
    chat = chat_factory("fr")
    topics, cities = await chat.say("c'est quoi le numéro ?", expect=2)
    assert translated(
        "fr", "Which services do you mean? Choose a topic, and I will show you the places first."
    ) in plain(topics.text)
    assert [b["callback_data"] for b in topics.buttons][:4] == [
        "t:job",
        "t:housing",
        "t:course",
        "t:desk",
    ]
    assert any(b["callback_data"] == "city:bologna" for b in cities.buttons)


async def test_a_follow_up_after_a_change_of_city_is_about_the_new_city(
    stack: Stack, chat_factory
) -> None:
    chat = chat_factory("it")
    bologna = await shown(stack, chat, "cerco lavoro a Bologna", "bologna", "job")
    await chat.press("city:genova")
    (answer,) = await chat.say("mi scrivi l'indirizzo?")
    genova = await services_of(stack, "genova", "job")
    text = plain(answer.text)
    assert all(service.address in text for service in genova)
    assert not any(service.address in text for service in bologna)
