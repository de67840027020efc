"""Everything that is not a plain question gets a clear reply in the person's language."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.support.expect import plain, translated

VOICE = (
    "I can read only written words, so I cannot listen to your voice message. "
    "A cultural mediator can listen to it: if you want to talk to one, your voice message "
    "will be passed on with your request."
)
STICKER = (
    "I can only read words, not stickers or emoji. Please write your question, "
    "or choose a topic below."
)
MEDIA = (
    "I can read only written words, so I cannot see your photo or file. "
    "A cultural mediator can look at it: if you want to talk to one, it will be passed on "
    "with your request."
)
UNKNOWN_COMMAND = (
    "I do not know this command. Commands: /start, /menu, /language, /city, /help. "
    "Or choose a topic below."
)
LONG = (
    "Your message is very long, so I read only its first part. "
    "If your situation is complicated, a person can help you: use the button “Talk to a person”."
)
GROUP = "To protect your privacy I only answer in a private chat. Please write to me directly."
NOT_UNDERSTOOD = (
    "Sorry, I did not understand. Choose a topic below, write it in other words, "
    "or talk to a person."
)
OUT_OF_SCOPE = (
    "Sorry, I cannot help with that. I can give information about work, housing, "
    "Italian courses and help desks in your city, or put you in touch with a person."
)


async def test_a_sticker_gets_a_clear_reply_and_the_menu(chat_factory) -> None:
    chat = chat_factory("uk")
    (reply,) = await chat.send_media("sticker")
    assert translated("uk", STICKER) in plain(reply.text)
    assert reply.button("🙋")["callback_data"] == "human"


@pytest.mark.parametrize(
    ("kind", "msgid", "language"),
    [("voice", VOICE, "ar"), ("document", MEDIA, "zh"), ("photo", MEDIA, "it")],
)
async def test_media_is_explained_and_a_mediator_offered(
    chat_factory, kind: str, msgid: str, language: str
) -> None:
    chat = chat_factory(language)
    reply, offer = await chat.send_media(kind, expect=2)
    assert translated(language, msgid) in plain(reply.text)
    assert offer.button("✅")["callback_data"].startswith("ho:")


async def test_emoji_only_text_is_answered_like_a_sticker(chat_factory) -> None:
    chat = chat_factory("bn")
    (reply,) = await chat.say("🙏🙏😢")
    assert translated("bn", STICKER) in plain(reply.text)


@pytest.mark.parametrize(
    "injection",
    [
        "/ask_housing_help",
        '/inform_city{"city": "Roma"}',
        "/request_human",
        "/greet@lgnet_assistant_test_bot",
    ],
)
async def test_text_that_looks_like_a_rasa_intent_is_never_run_as_one(
    chat_factory, injection: str
) -> None:
    chat = chat_factory("en")
    (reply,) = await chat.say(injection)
    assert translated("en", UNKNOWN_COMMAND) in plain(reply.text)


async def test_text_starting_with_slash_and_words_is_never_an_intent(chat_factory) -> None:
    chat = chat_factory("it")
    (reply,) = await chat.say("/ ask_job_services")
    assert translated("it", UNKNOWN_COMMAND) in plain(reply.text)


async def test_a_very_long_text_is_cut_with_a_notice_and_still_answered(
    stack: Stack, chat_factory
) -> None:
    chat = chat_factory("en")
    story = (
        "I am looking for a job in Turin. " + "I arrived last year and I have many problems. " * 200
    )
    replies = await chat.say(story, expect=3)
    assert translated("en", LONG) in plain(replies[0].text)
    assert "Turin" in plain(replies[1].text)


async def test_an_edited_message_is_answered_as_the_new_text(chat_factory) -> None:
    chat = chat_factory("en")
    replies = await chat.edit("where can I learn Italian in Perugia", expect=2)
    assert "Perugia" in plain(replies[0].text)


async def test_group_chats_get_a_pointer_to_the_private_chat(chat_factory) -> None:
    chat = chat_factory("ru")
    (reply,) = await chat.say_in_group("нужна работа")
    assert translated("ru", GROUP) in plain(reply.text)
    assert reply.buttons[0]["url"] == "https://t.me/lgnet_assistant_test_bot"


async def test_an_unrelated_question_gets_an_honest_answer_and_the_menu(chat_factory) -> None:
    chat = chat_factory("en")
    (reply,) = await chat.say("who will win the football match tonight?")
    assert plain(reply.text) in (translated("en", OUT_OF_SCOPE), translated("en", NOT_UNDERSTOOD))
    assert reply.button("🙋")["callback_data"] == "human"


async def test_gibberish_is_not_understood_and_offers_a_person(chat_factory) -> None:
    chat = chat_factory("es")
    (reply,) = await chat.say("xqzv brrp klmn")
    assert plain(reply.text) in (translated("es", OUT_OF_SCOPE), translated("es", NOT_UNDERSTOOD))


async def test_unknown_language_code_falls_back_to_the_default_language(chat_factory) -> None:
    chat = chat_factory("pt-BR")
    _welcome, picker = await chat.say("/start", expect=2)
    assert translated("it", "Choose your language:") in plain(picker.text)
