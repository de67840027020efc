"""Follow-up answers: which details a question asks for, and what each service answers
(hours with holidays and closures, unknown details with the desk's contact). In-memory
services, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from actions.details import Shown, asked_details, needs_new_services
from bot.core.cards import ITALY
from bot.core.contract import Detail
from bot.core.details import detail_lines, details_block, next_date_on
from bot.kb.models import City, OpeningHours, Service, ServiceClosure, ServiceText
from tests.support.expect import loc, plain, translated

# Monday 7 December 2026, 10:30 in Italy; Tuesday 8 December is a public holiday
MONDAY_MORNING = dt.datetime(2026, 12, 7, 10, 30, tzinfo=ITALY)


def desk(**fields: object) -> Service:
    """Mon–Fri 9:00–12:30, Tuesday afternoon too; closed on public holidays."""
    defaults: dict[str, object] = dict(
        id=1,
        name="Sportello Immigrazione",
        address="Via Roma 1, Genova",
        latitude=44.4,
        longitude=8.9,
        phone="+39 010 123456",
        email="sportello@example.org",
        website="",
        languages_spoken=["it", "ar"],
        closed_on_public_holidays=True,
        valid_until=None,
        appointment="",
        cost="",
    )
    defaults.update(fields)
    service = Service(**defaults)
    service.hours = [
        OpeningHours(weekday=day, opens=dt.time(9), closes=dt.time(12, 30)) for day in range(5)
    ] + [OpeningHours(weekday=1, opens=dt.time(14, 30), closes=dt.time(16, 30))]
    service.closures = []
    service.texts = [ServiceText(language="it", label="Sportello", documents=["passaporto"])]
    return service


def text_of(language: str, service: Service, *details: Detail, weekday: int | None = None) -> str:
    block = details_block(loc(language), service, list(details), MONDAY_MORNING, weekday)
    return plain(block).replace("\u202f", " ")


# --- which details --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("details", "weekdays", "expected", "weekday"),
    [
        (["phone"], [], [Detail.PHONE], None),
        (["phone", "address", "phone"], [], [Detail.PHONE, Detail.ADDRESS], None),
        (["open_day"], ["saturday"], [Detail.OPEN_DAY], 5),  # "e il sabato è aperto?"
        ([], ["sunday"], [Detail.OPEN_DAY], 6),  # "e domenica?"
        (["hours"], ["friday"], [Detail.OPEN_DAY], 4),  # "orari del venerdì"
        (["open_day"], [], [Detail.OPEN_NOW], None),  # "è aperto?"
        (["open_day", "open_today"], [], [Detail.OPEN_TODAY], None),  # "aperto oggi?"
        (["hours", "open_now"], [], [Detail.OPEN_NOW], None),
        ([], [], [Detail.ADDRESS, Detail.PHONE, Detail.HOURS], None),
        (["no_such_detail"], [], [Detail.ADDRESS, Detail.PHONE, Detail.HOURS], None),
    ],
)
def test_the_details_asked(
    details: list[str], weekdays: list[str], expected: list[Detail], weekday: int | None
) -> None:
    assert asked_details(details, weekdays) == (expected, weekday)


def test_a_new_city_needs_new_services_of_the_same_topic() -> None:
    shown = Shown(service_ids=[1, 2], topic="job", city="Bologna")
    assert needs_new_services(shown, City(name="Genova", slug="genova"))
    assert not needs_new_services(shown, City(name="Bologna", slug="bologna"))
    assert not needs_new_services(shown, None)
    nearest = Shown(service_ids=[3], topic=None, city="Genova")  # places near a location
    assert not needs_new_services(nearest, City(name="Roma", slug="roma"))


# --- what a service answers -----------------------------------------------------------


def test_phone_only_not_the_whole_card() -> None:
    text = text_of("it", desk(), Detail.PHONE)
    assert text.splitlines() == ["<b>Sportello</b>", "📞 +39 010 123456"]


def test_open_now_until_the_closing_time() -> None:
    text = text_of("en", desk(), Detail.OPEN_NOW)
    assert translated("en", "Open now, until {time}.", time="12:30 PM") in text


def test_closed_now_says_when_it_opens_and_skips_the_public_holiday() -> None:
    evening = MONDAY_MORNING.replace(hour=18)
    lines = detail_lines(loc("it"), desk(), Detail.OPEN_NOW, evening, None)
    assert lines is not None
    # Tuesday 8 December (Immaculate Conception) is a holiday: next opening Wednesday 9:00
    assert "mer" in lines[0] and "09:00" in lines[0] and "9 dic" in lines[0]


def test_open_on_a_public_holiday_is_closed() -> None:
    text = text_of("it", desk(), Detail.OPEN_DAY, weekday=1)
    assert translated("it", "Closed {day}: public holiday.", day="mar 8 dicembre 2026") in text


def test_a_service_open_on_holidays_answers_its_hours_on_that_day() -> None:
    text = text_of("it", desk(closed_on_public_holidays=False), Detail.OPEN_DAY, weekday=1)
    assert "Aperto mar 8 dicembre 2026: 09:00–12:30, 14:30–16:30" in text


def test_saturday_without_hours_is_closed() -> None:
    text = text_of("fr", desk(), Detail.OPEN_DAY, weekday=5)
    assert text.splitlines()[1].startswith("⛔ Fermé sam.")


def test_a_closure_counts_today() -> None:
    service = desk()
    service.closures = [
        ServiceClosure(starts=dt.date(2026, 12, 7), ends=dt.date(2026, 12, 11), reason="lavori")
    ]
    text = text_of("en", service, Detail.OPEN_TODAY)
    assert translated("en", "Closed {day}: the desk is closed that day.", day="today") in text


def test_today_open_with_its_hours() -> None:
    text = text_of("es", desk(), Detail.OPEN_TODAY)
    assert "Abierto hoy: 9:00–12:30" in text


def test_unknown_details_are_said_and_the_desks_contact_follows() -> None:
    text = text_of("it", desk(), Detail.APPOINTMENT, Detail.COST)
    assert translated("it", "{detail}: I do not have this information.", detail="Appuntamento")
    assert "Appuntamento: non ho questa informazione." in text
    assert "Costo: non ho questa informazione." in text
    assert translated("it", "Please ask the desk:") in text
    assert "+39 010 123456" in text and "sportello@example.org" in text


def test_a_missing_website_is_unknown_but_the_phone_is_given() -> None:
    text = text_of("en", desk(), Detail.WEBSITE, Detail.PHONE)
    assert "Website: I do not have this information." in text
    assert text.count("+39 010 123456") == 2  # the answer, and the contact to ask


def test_documents_and_languages_from_the_knowledge_base() -> None:
    text = text_of("it", desk(), Detail.DOCUMENTS, Detail.LANGUAGES)
    assert "• passaporto" in text and "arabo" in text


def test_map_gives_the_address_and_no_coordinates_is_unknown() -> None:
    assert "Via Roma 1, Genova" in text_of("en", desk(), Detail.MAP)
    assert "I do not have this information" in text_of(
        "en", desk(latitude=None, longitude=None), Detail.MAP
    )


def test_an_expired_service_gives_only_its_contacts() -> None:
    text = text_of("en", desk(valid_until=dt.date(2026, 1, 1)), Detail.OPEN_NOW)
    assert "being checked" in text and "+39 010 123456" in text and "Open now" not in text


def test_right_to_left_answers_isolate_the_phone() -> None:
    text = details_block(loc("ar"), desk(), [Detail.PHONE], MONDAY_MORNING)
    assert "\u2068+39 010 123456\u2069" in text


def test_the_next_date_on_a_weekday() -> None:
    monday = MONDAY_MORNING.date()
    assert next_date_on(monday, 0) == monday
    assert next_date_on(monday, 5) == dt.date(2026, 12, 12)
    assert next_date_on(monday, 6) == dt.date(2026, 12, 13)


def test_appointment_and_cost_as_the_staff_set_them() -> None:
    text = text_of("it", desk(appointment="required", cost="free"), Detail.APPOINTMENT, Detail.COST)
    assert translated("it", "An appointment is needed. To book it, contact the desk:") in text
    assert "+39 010 123456" in text
    assert translated("it", "Free of charge.") in text
    assert "non ho questa informazione" not in text
    walk_in = text_of("en", desk(appointment="not_needed", cost="paid"), Detail.APPOINTMENT)
    assert "No appointment needed: you can go during opening hours." in walk_in
    assert "+39 010 123456" not in walk_in
