"""The bot answers in the language the person writes in, unless they chose one."""

from __future__ import annotations

from tests.conftest import Stack
from tests.support.expect import loc, plain, translated

OFFER = "You are writing in {language}. Do you want me to answer in {language}?"


def job_header_start(language: str) -> str:
    header = loc(language).ngettext(
        "Job services in {city}: {count} place", "Job services in {city}: {count} places", 1
    )
    return header.split("{")[0]


async def test_the_reply_follows_the_language_written(stack: Stack, chat_factory) -> None:
    chat = chat_factory("en")  # Telegram says English, the person writes Ukrainian
    replies = await chat.say("шукаю роботу в Неаполі", expect=2)
    assert job_header_start("uk") in plain(replies[0].text)
    replies = await chat.press("t:course", expect=2)  # and the choice sticks for what follows
    assert translated("uk", "Opening hours") in plain(replies[1].text)


async def test_romanized_arabic_gets_an_arabic_reply(chat_factory) -> None:
    chat = chat_factory("it")
    replies = await chat.say("fin nl9a khdma f torino", expect=2)
    assert job_header_start("ar") in plain(replies[0].text)


async def test_a_chosen_language_is_kept_and_a_switch_is_offered(chat_factory) -> None:
    chat = chat_factory("en")
    await chat.press("lang:it")
    replies = await chat.say("أبحث عن عمل في روما", expect=3)
    assert job_header_start("it") in plain(replies[0].text)
    offer = replies[-1]
    assert plain(offer.text) == translated("ar", OFFER, language="العربية")
    assert [b["callback_data"] for b in offer.buttons] == ["lang:ar", "lang:it"]
    (switched,) = await chat.press("lang:ar")
    assert translated("ar", "Talk to a person") in switched.button("🙋")["text"]


async def test_a_short_greeting_never_flips_the_language(chat_factory) -> None:
    chat = chat_factory("uk")
    await chat.press("lang:uk")
    (reply,) = await chat.say("salam")
    assert translated("uk", "Talk to a person") in reply.button("🙋")["text"]
