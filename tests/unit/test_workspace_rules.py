"""The workspace's rules without a web page: field checks, translation status, who may do
what, PO entries that must not be applied, CSV files that must be refused whole."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from babel.messages.pofile import read_po, write_po
from ruamel.yaml import YAML

from bot.kb.models import City, Service, ServiceText, UnansweredMessage
from bot.staff.models import Role, StaffAccount
from bot.workspace import permissions
from bot.workspace.csv_exchange import COLUMNS, read_rows
from bot.workspace.editor import TranslationStatus, translation_status
from bot.workspace.forms import Closure, ServiceForm, TextForm
from bot.workspace.po import export_po, read_import
from bot.workspace.unanswered import as_nlu_yaml, grouped

VALID = {
    "city": "torino",
    "topic": "job",
    "name": "Centro per l'Impiego di Torino",
    "latitude": "45,0703",
    "longitude": "7.6869",
    "phone": "+39 011 123 4567",
    "email": "cpi@example.org",
    "website": "https://example.org",
    "languages": "it, ar ,uk",
    "hours": "mon 09:00-12:30, 14:30-16:30; Fri 9.00-12.00",
    "closures": "2026-12-24..2027-01-06 Natale\n2026-08-15",
    "closed_on_public_holidays": "sì",
    "valid_until": "2027-06-30",
}


def account(role: Role, languages: list[str] = [], cities: list[str] = []) -> StaffAccount:  # noqa: B006
    return StaffAccount(
        username="x", role=role, languages=languages, city_slugs=cities, active=True
    )


def service_with_texts() -> Service:
    city = City(slug="torino", name="Torino", latitude=45.07, longitude=7.68, names=[])
    service = Service(
        id=7,
        city=city,
        topic="job",
        name="CPI",
        kind="",
        address="",
        phone="",
        email="",
        website="",
        languages_spoken=[],
        owner="",
        source="",
        closed_on_public_holidays=True,
        texts=[],
        hours=[],
        closures=[],
    )
    TextForm(label="Lavoro", description="Aiuto").apply(service, "it", "")
    source = service.texts[0]
    source.source_digest = source.content_digest()
    return service


def test_a_valid_service_is_read_in_every_field() -> None:
    form, errors = ServiceForm.read(VALID, {"torino"})
    assert not errors and form is not None
    assert (form.latitude, form.longitude) == (45.0703, 7.6869)
    assert form.languages == ["it", "ar", "uk"]
    assert {
        day: [(o.isoformat("minutes"), c.isoformat("minutes")) for o, c in ranges]
        for day, ranges in form.hours.items()
    } == {0: [("09:00", "12:30"), ("14:30", "16:30")], 4: [("09:00", "12:00")]}
    assert form.closures == [
        Closure(starts=dt.date(2026, 8, 15), ends=dt.date(2026, 8, 15)),
        Closure(starts=dt.date(2026, 12, 24), ends=dt.date(2027, 1, 6), reason="Natale"),
    ]
    assert form.closed_on_public_holidays and form.valid_until == dt.date(2027, 6, 30)


def test_the_page_gives_hours_per_day_and_reads_them_back() -> None:
    form, _ = ServiceForm.read(VALID, {"torino"})
    assert form is not None
    page = form.page_values()
    assert page["hours_mon"] == "09:00-12:30, 14:30-16:30" and page["hours_tue"] == ""
    again, errors = ServiceForm.read(page | {"hours": "garbage"}, {"torino"})  # days win
    assert not errors and again is not None and again.hours == form.hours


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("city", "atlantis"),
        ("topic", "weather"),
        ("name", ""),
        ("latitude", "51.5"),  # London, not Italy
        ("phone", "call me"),
        ("email", "not-an-email"),
        ("website", "www.example.org"),
        ("languages", "it, klingon"),
        ("hours", "mon 12:30-09:00"),
        ("hours", "someday 09:00-10:00"),
        ("closures", "2027-01-06..2026-12-24"),
        ("valid_until", "30/06/2027"),
    ],
)
def test_a_wrong_field_is_reported_by_name(field: str, value: str) -> None:
    form, errors = ServiceForm.read(VALID | {field: value}, {"torino"})
    expected = "latitude" if field == "latitude" else field
    assert form is None and expected in errors


def test_flat_values_read_back_to_the_same_service() -> None:
    form, _ = ServiceForm.read(VALID, {"torino"})
    assert form is not None
    service = service_with_texts()
    form.apply(service, service.city)
    again, errors = ServiceForm.read(ServiceForm.of(service).values(), {"torino"})
    assert not errors and again is not None
    assert again.model_dump(exclude={"text"}) == form.model_dump(exclude={"text"})


def test_translation_status_follows_the_italian_source() -> None:
    service = service_with_texts()
    assert translation_status(service, "uk") == TranslationStatus.MISSING
    TextForm(label="Робота").apply(service, "uk", service.texts[0].source_digest)
    assert translation_status(service, "uk") == TranslationStatus.UP_TO_DATE
    service.texts[0].description = "Aiuto per il curriculum"
    assert translation_status(service, "uk") == TranslationStatus.OUTDATED
    assert translation_status(service, "it") == TranslationStatus.SOURCE


def test_who_may_do_what() -> None:
    admin = account(Role.ADMINISTRATOR)
    editor = account(Role.CITY_EDITOR, cities=["torino"])
    translator = account(Role.TRANSLATOR, languages=["uk", "it"])
    mediator = account(Role.MEDIATOR, languages=["uk"])
    assert permissions.may_edit_city(admin, "genova")
    assert permissions.may_edit_city(editor, "torino")
    assert not permissions.may_edit_city(editor, "genova")
    assert permissions.may_translate(editor, "ar", "torino")
    assert not permissions.may_translate(editor, "ar", "genova")
    assert permissions.may_translate(translator, "uk", "genova")
    assert not permissions.may_translate(translator, "it", "genova")  # the source: editors
    assert not permissions.may_translate(translator, "ar", "genova")
    assert not permissions.may_edit_city(translator, "genova")
    assert not permissions.may_use_workspace(mediator)
    assert permissions.may_manage_accounts(admin) and not permissions.may_manage_accounts(editor)


def test_po_entries_that_must_not_be_applied_are_reported() -> None:
    service = service_with_texts()
    catalog = read_po(io.BytesIO(export_po([service], "uk")))
    catalog.get("Lavoro", context="service:7:label").string = "Робота"  # type: ignore[union-attr]
    catalog.get("Aiuto", context="service:7:description").string = "Допомога"  # type: ignore[union-attr]
    catalog.get("Aiuto", context="service:7:description").flags.add("fuzzy")  # type: ignore[union-attr]
    catalog.add("Altro", "Інше", context="service:999:label")
    out = io.BytesIO()
    write_po(out, catalog)
    translator = account(Role.TRANSLATOR, languages=["uk"])
    result = read_import(out.getvalue(), "uk", {7: service}, translator)
    assert [(c.field, c.after) for c in result.changes] == [("label", "Робота")]
    assert {refused.context for refused in result.skipped} == {
        "service:7:description",
        "service:999:label",
    }
    other = read_import(out.getvalue(), "uk", {7: service}, account(Role.TRANSLATOR, ["ar"]))
    assert not other.changes
    assert read_import(out.getvalue(), "ar", {7: service}, translator).error
    assert read_import(b'msgid "unterminated', "uk", {}, translator).error


def test_a_csv_without_the_expected_columns_or_not_utf8_is_refused() -> None:
    assert read_rows(b"id,name\n1,x\n")[1][0].column.startswith("city")
    assert read_rows(",".join(COLUMNS).encode("utf-16"))[1]
    rows, errors = read_rows(
        ("\ufeff" + ",".join(COLUMNS) + "\n" + "," * (len(COLUMNS) - 1)).encode()
    )
    assert not errors and rows[0][0] == 2


def test_unanswered_questions_group_by_language_and_day_and_export_as_nlu_data() -> None:
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)
    messages = [
        UnansweredMessage(
            language="ar", text="سؤال غريب", guessed_intent="ask_job_services", received_at=now
        ),
        UnansweredMessage(
            language="ar", text="سؤال غريب", guessed_intent="ask_job_services", received_at=now
        ),
        UnansweredMessage(
            language="uk", text="де   купити\nквиток", guessed_intent="", received_at=now
        ),
    ]
    assert [(g.language, len(g.messages)) for g in grouped(messages)] == [("uk", 1), ("ar", 2)]
    data = YAML(typ="safe").load(as_nlu_yaml(messages))
    examples = {(block["metadata"]["language"], block["examples"]) for block in data["nlu"]}
    assert examples == {("ar", "- سؤال غريب\n"), ("uk", "- де купити квиток\n")}
    assert all(block["intent"] == "to_label" for block in data["nlu"])


def test_service_text_digest_changes_with_any_field() -> None:
    text = ServiceText(language="it", label="a", description="b", documents=["c"], notes="d")
    digests = {text.content_digest()}
    for field, value in (
        ("label", "x"),
        ("description", "x"),
        ("documents", ["x"]),
        ("notes", "x"),
    ):
        changed = ServiceText(language="it", label="a", description="b", documents=["c"], notes="d")
        setattr(changed, field, value)
        digests.add(changed.content_digest())
    assert len(digests) == 5
