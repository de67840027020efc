"""Rendering in the user's language: hours with Babel, plurals, right-to-left isolation."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core import cards as render
from bot.i18n import FSI, PDI, negotiate_language
from bot.kb.models import OpeningHours, Service, ServiceText
from tests.support.expect import loc


def service(**fields: object) -> Service:
    hours = [
        OpeningHours(weekday=day, opens=dt.time(9), closes=dt.time(12, 30)) for day in range(5)
    ] + [OpeningHours(weekday=1, opens=dt.time(14, 30), closes=dt.time(16, 30))]
    defaults: dict[str, object] = dict(
        id=1,
        name="Sportello Immigrazione",
        address="Via Roma 1, 16121 Genova",
        latitude=44.4,
        longitude=8.9,
        phone="+39 010 123456",
        email="",
        website="",
        languages_spoken=["it", "ar"],
        is_sample=True,
    )
    defaults.update(fields)
    result = Service(**defaults)
    result.hours = sorted(hours, key=lambda h: (h.weekday, h.opens))
    result.texts = [
        ServiceText(
            language="it",
            label="Sportello",
            description="Aiuto con i documenti",
            documents=["passaporto"],
            notes="",
        ),
        ServiceText(
            language="ar",
            label="مكتب",
            description="مساعدة في الوثائق",
            documents=["جواز السفر"],
            notes="",
        ),
    ]
    return result


def normalise(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u2009", " ")


def test_hours_group_identical_weekdays_in_italian() -> None:
    lines = [normalise(line) for line in render.opening_hours_lines(loc("it"), service())]
    assert lines == ["lun: 09:00–12:30", "mar: 09:00–12:30, 14:30–16:30", "mer–ven: 09:00–12:30"]


def test_hours_follow_the_locale() -> None:
    lines = [normalise(line) for line in render.opening_hours_lines(loc("en"), service())]
    assert lines[0] == "Mon: 9:00 AM–12:30 PM"


def test_card_isolates_latin_data_in_arabic_and_uses_arabic_texts() -> None:
    card = render.service_card(loc("ar"), service())
    assert f"{FSI}Via Roma 1, 16121 Genova{PDI}" in card
    assert f"{FSI}+39 010 123456{PDI}" in card
    assert "مساعدة في الوثائق" in card
    assert "العربية" in card  # languages spoken, named in Arabic


def test_card_in_a_left_to_right_language_has_no_isolates() -> None:
    card = render.service_card(loc("uk"), service())
    assert FSI not in card and "Via Roma 1" in card
    assert "Aiuto con i documenti" in card  # no Ukrainian text: Italian source as fallback


@pytest.mark.parametrize(
    ("language", "count", "expected_form"),
    [("uk", 1, 0), ("uk", 3, 1), ("uk", 5, 2), ("ar", 2, 2), ("ar", 3, 3), ("zh", 3, 0)],
)
def test_plural_forms_follow_the_language(language: str, count: int, expected_form: int) -> None:
    localizer = loc(language)
    header = render.services_header(localizer, "job", count, "X")
    catalog = localizer.translations._catalog  # type: ignore[attr-defined]
    singular = "Job services in {city}: {count} place"
    assert header == catalog[(singular, expected_form)].format(city="X", count=count)


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("uk-UA", "uk"),
        ("zh-hans", "zh"),
        ("pt-BR", "it"),
        (None, "it"),
        ("ar", "ar"),
        ("fil", "tl"),  # devices call Tagalog "Filipino"
        ("tl", "tl"),  # Babel alone would give fil_PH, which has no catalog
    ],
)
def test_language_negotiation(hint: str | None, expected: str) -> None:
    assert negotiate_language([hint], "it") == expected
