"""Handoff rules that need no server: safeguarding phrases, duty hours, sealed addresses."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handoff.addresses import AddressBox
from bot.handoff.routing import availability, on_duty
from bot.handoff.safeguarding import Danger, SafeguardingLexicon
from bot.staff.models import StaffAccount


@pytest.fixture(scope="module")
def lexicon() -> SafeguardingLexicon:
    return SafeguardingLexicon.load()


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("Mio marito MI PICCHIA tutti i giorni", Danger.VIOLENCE),
        ("please help he beats me every night", Danger.VIOLENCE),
        ("زوجي بيضربني كل يوم", Danger.VIOLENCE),
        ("він мене б'є, що робити", Danger.VIOLENCE),
        ("le patron a pris mon passeport et ne me laisse pas partir", Danger.TRAFFICKING),
        ("я хочу покінчити з собою", Danger.SELF_HARM),
        ("voglio morire", Danger.SELF_HARM),
        ("我想自杀", Danger.SELF_HARM),
    ],
)
def test_danger_is_recognised_in_many_languages(
    lexicon: SafeguardingLexicon, text: str, danger: Danger
) -> None:
    assert lexicon.match(text) == danger


@pytest.mark.parametrize(
    "text",
    [
        "cerco lavoro a Torino",
        "where can I renew my passport",
        "I need a house in Milan, I have a work contract",
        "أبحث عن عمل في روما",
        "де подовжити permesso di soggiorno?",
        "在米兰哪里办居留",
        "la polizia ha detto di andare in questura",
        "hospital address in Naples",
    ],
)
def test_ordinary_questions_raise_no_alarm(lexicon: SafeguardingLexicon, text: str) -> None:
    assert lexicon.match(text) is None


def account(languages: list[str], days: list[int], start: str, end: str) -> StaffAccount:
    return StaffAccount(
        username="m",
        display_name="M",
        languages=languages,
        city_slugs=["torino"],
        duty_hours=[{"days": days, "from": start, "to": end}],
        active=True,
    )


def test_duty_hours_decide_who_is_on_duty() -> None:
    weekday_morning = dt.datetime(2026, 11, 23, 10, 0)  # a Monday
    mediator = account(["ar"], [0, 1, 2, 3, 4], "09:00", "13:00")
    assert on_duty(mediator, weekday_morning)
    assert not on_duty(mediator, weekday_morning.replace(hour=14))
    assert not on_duty(mediator, weekday_morning + dt.timedelta(days=5))  # Saturday


def test_availability_prefers_the_persons_language_and_knows_bridges() -> None:
    monday = dt.datetime(2026, 11, 23, 10, 0)
    arabic_off = account(["ar"], [2], "09:00", "13:00")
    english_on = account(["en"], [0], "09:00", "18:00")
    found = availability([arabic_off, english_on], "ar", "torino", ["en", "fr"], monday)
    assert not found.anyone_on_duty
    assert found.speakers == [arabic_off]
    assert found.bridge_languages_on_duty == ["en"]
    assert found.hours() == {2: [(dt.time(9), dt.time(13))]}
    elsewhere = availability([english_on], "ar", "bari", ["en"], monday)
    assert elsewhere.bridge_languages_on_duty == []


def test_delivery_addresses_are_sealed() -> None:
    box = AddressBox(b"0123456789abcdef-key")
    sealed = box.seal("123456789")
    assert "123456789" not in sealed
    assert box.open(sealed) == "123456789"
    with pytest.raises(Exception):  # noqa: B017
        AddressBox(b"another-key-0123456789").open(sealed)
