"""A service as flat text fields: the one shape shared by the edit form, the CSV file and
the audit trail's snapshots. Parsing checks every field and reports errors per field.

Error messages are English msgids marked with `N_`; the web pages translate them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import N_, SUPPORTED_LANGUAGES
from bot.kb.models import City, OpeningHours, Service, ServiceClosure, ServiceText, Topic

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SERVICE_FIELDS = (
    "city",
    "topic",
    "kind",
    "name",
    "address",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "languages",
    "hours",
    "closures",
    "closed_on_public_holidays",
    "owner",
    "source",
    "valid_until",
)
TEXT_FIELDS = ("label", "description", "documents", "notes")
MAX_LENGTHS = {"name": 256, "address": 256, "phone": 64, "email": 128, "website": 256}
MAX_LENGTHS |= {"owner": 256, "source": 512, "kind": 64, "label": 256}
PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TIME_RANGE = re.compile(r"^(\d{1,2}[:.]\d{2})\s*[-–]\s*(\d{1,2}[:.]\d{2})$")
CLOSURE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|–|—|to|-\s)\s*(\d{4}-\d{2}-\d{2}))?\s*(.*)$"
)
TRUE_WORDS = frozenset({"1", "true", "yes", "sì", "si", "on", "y", "x"})


@dataclass
class ServiceDraft:
    """A checked service, ready to be written onto a `Service`."""

    city_slug: str
    topic: str
    kind: str
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    email: str
    website: str
    languages: list[str]
    hours: list[tuple[int, dt.time, dt.time]]
    closures: list[tuple[dt.date, dt.date, str]]
    closed_on_public_holidays: bool
    owner: str
    source: str
    valid_until: dt.date | None


@dataclass
class TextDraft:
    label: str = ""
    description: str = ""
    documents: list[str] = field(default_factory=list)
    notes: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.label or self.description or self.documents or self.notes)


class FieldErrors(dict[str, str]):
    """field name → English message (a msgid)."""


def parse_service(
    values: Mapping[str, str], known_cities: set[str]
) -> tuple[ServiceDraft | None, FieldErrors]:
    errors = FieldErrors()
    get = _getter(values)
    city = get("city")
    if city not in known_cities:
        errors["city"] = N_("Unknown city.")
    topic = get("topic")
    if topic not in {t.value for t in Topic}:
        errors["topic"] = N_("Choose one of the four topics.")
    if not get("name"):
        errors["name"] = N_("The name is required.")
    for name, limit in MAX_LENGTHS.items():
        if name in SERVICE_FIELDS and len(get(name)) > limit:
            errors[name] = N_("Too long.")
    latitude, longitude = parse_coordinates(get("latitude"), get("longitude"), errors)
    if get("phone") and not PHONE.match(get("phone")):
        errors["phone"] = N_("Not a phone number: digits, spaces and + only.")
    if get("email") and not EMAIL.match(get("email")):
        errors["email"] = N_("Not an email address.")
    if get("website") and not get("website").startswith(("https://", "http://")):
        errors["website"] = N_("A web address starts with https://")
    languages = _languages(get("languages"), errors)
    hours = _hours(get("hours"), errors)
    closures = _closures(get("closures"), errors)
    valid_until = _date(get("valid_until"), "valid_until", errors)
    if errors:
        return None, errors
    draft = ServiceDraft(
        city_slug=city,
        topic=topic,
        kind=get("kind"),
        name=get("name"),
        address=get("address"),
        latitude=latitude,
        longitude=longitude,
        phone=get("phone"),
        email=get("email"),
        website=get("website"),
        languages=languages,
        hours=hours,
        closures=closures,
        closed_on_public_holidays=get("closed_on_public_holidays").lower() in TRUE_WORDS,
        owner=get("owner"),
        source=get("source"),
        valid_until=valid_until,
    )
    return draft, errors


def parse_text(values: Mapping[str, str], prefix: str = "") -> tuple[TextDraft, FieldErrors]:
    get = _getter(values)
    errors = FieldErrors()
    draft = TextDraft(
        label=get(f"{prefix}label"),
        description=get(f"{prefix}description"),
        documents=[line.strip(" •-\t") for line in get(f"{prefix}documents").splitlines()],
        notes=get(f"{prefix}notes"),
    )
    draft.documents = [line for line in draft.documents if line]
    if len(draft.label) > MAX_LENGTHS["label"]:
        errors[f"{prefix}label"] = N_("Too long.")
    return draft, errors


def _getter(values: Mapping[str, str]) -> Any:
    def get(name: str) -> str:
        return str(values.get(name) or "").strip()

    return get


def parse_coordinates(
    latitude: str, longitude: str, errors: FieldErrors
) -> tuple[float | None, float | None]:
    if not latitude and not longitude:
        return None, None
    try:
        lat, lon = float(latitude.replace(",", ".")), float(longitude.replace(",", "."))
    except ValueError:
        errors["latitude"] = N_("Give both coordinates as numbers, e.g. 45.0703 and 7.6869.")
        return None, None
    if not (35.0 <= lat <= 48.0 and 6.0 <= lon <= 19.0):
        errors["latitude"] = N_("These coordinates are not in Italy.")
    return lat, lon


def _languages(text: str, errors: FieldErrors) -> list[str]:
    codes = [code.strip().lower() for code in re.split(r"[,\s;]+", text) if code.strip()]
    unknown = [code for code in codes if code not in SUPPORTED_LANGUAGES]
    if unknown:
        errors["languages"] = N_("Unknown language code.")
    return list(dict.fromkeys(codes))


def _hours(text: str, errors: FieldErrors) -> list[tuple[int, dt.time, dt.time]]:
    """ "mon 09:00-12:30, 14:30-16:30; tue 09:00-12:30" (one day per ';' or line)."""
    intervals: list[tuple[int, dt.time, dt.time]] = []
    for part in re.split(r"[;\n]+", text):
        part = part.strip()
        if not part:
            continue
        day, _, ranges = part.partition(" ")
        if day.lower()[:3] not in WEEKDAYS:
            errors["hours"] = N_("Write each day as: mon 09:00-12:30, 14:30-16:30")
            continue
        for interval in filter(None, (r.strip() for r in ranges.split(","))):
            parsed = _time_range(interval)
            if parsed is None:
                errors["hours"] = N_("Write times as 09:00-12:30, the closing after the opening.")
                continue
            intervals.append((WEEKDAYS.index(day.lower()[:3]), *parsed))
    return sorted(intervals)


def _time_range(text: str) -> tuple[dt.time, dt.time] | None:
    match = TIME_RANGE.match(text)
    if not match:
        return None
    try:
        opens, closes = (
            dt.time.fromisoformat(t.replace(".", ":").zfill(5)) for t in match.groups()
        )
    except ValueError:
        return None
    return (opens, closes) if closes > opens else None


def _closures(text: str, errors: FieldErrors) -> list[tuple[dt.date, dt.date, str]]:
    """One closure per line or ';': "2026-12-24..2027-01-06 Christmas" or "2026-08-15"."""
    closures = []
    for line in filter(None, (part.strip() for part in re.split(r"[;\n]+", text))):
        match = CLOSURE.match(line)
        try:
            if not match:
                raise ValueError(line)
            starts = dt.date.fromisoformat(match.group(1))
            ends = dt.date.fromisoformat(match.group(2)) if match.group(2) else starts
        except ValueError:
            errors["closures"] = N_("Write closures as 2026-12-24..2027-01-06 reason, one a line.")
            continue
        if ends < starts:
            errors["closures"] = N_("A closure ends before it starts.")
            continue
        closures.append((starts, ends, match.group(3).strip()))
    return sorted(closures)


def _date(text: str, name: str, errors: FieldErrors) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = N_("Write the date as YYYY-MM-DD.")
        return None


# --- between drafts, services and flat values -------------------------------------------


def apply_draft(service: Service, draft: ServiceDraft, city: City) -> None:
    service.city = city
    service.city_id = city.id
    service.topic = draft.topic
    service.kind = draft.kind
    service.name = draft.name
    service.address = draft.address
    service.latitude = draft.latitude
    service.longitude = draft.longitude
    service.phone = draft.phone
    service.email = draft.email
    service.website = draft.website
    service.languages_spoken = draft.languages
    service.hours = [OpeningHours(weekday=d, opens=o, closes=c) for d, o, c in draft.hours]
    service.closures = [ServiceClosure(starts=s, ends=e, reason=r) for s, e, r in draft.closures]
    service.closed_on_public_holidays = draft.closed_on_public_holidays
    service.owner = draft.owner
    service.source = draft.source
    service.valid_until = draft.valid_until


def apply_text(service: Service, language: str, draft: TextDraft, source_digest: str) -> None:
    """Write a language's text (removing it when empty); `source_digest` = Italian it follows."""
    existing = next((t for t in service.texts if t.language == language), None)
    if draft.is_empty:
        if existing is not None:
            service.texts.remove(existing)
        return
    if existing is None:
        existing = ServiceText(language=language)
        service.texts.append(existing)
    existing.label = draft.label
    existing.description = draft.description
    existing.documents = draft.documents
    existing.notes = draft.notes
    existing.source_digest = source_digest


def service_values(service: Service) -> dict[str, str]:
    """The service as flat text fields (what `parse_service` reads back)."""
    return {
        "city": service.city.slug,
        "topic": service.topic,
        "kind": service.kind,
        "name": service.name,
        "address": service.address,
        "latitude": "" if service.latitude is None else f"{service.latitude:.6f}",
        "longitude": "" if service.longitude is None else f"{service.longitude:.6f}",
        "phone": service.phone,
        "email": service.email,
        "website": service.website,
        "languages": ", ".join(service.languages_spoken),
        "hours": hours_text(service.hours),
        "closures": "; ".join(closure_text(c) for c in service.closures),
        "closed_on_public_holidays": "yes" if service.closed_on_public_holidays else "no",
        "owner": service.owner,
        "source": service.source,
        "valid_until": service.valid_until.isoformat() if service.valid_until else "",
    }


def hours_by_day(hours: list[OpeningHours]) -> dict[str, str]:
    """{"mon": "09:00-12:30, 14:30-16:30", ...} for the seven day fields of the form."""
    days: dict[str, list[str]] = {day: [] for day in WEEKDAYS}
    for interval in sorted(hours, key=lambda h: (h.weekday, h.opens)):
        days[WEEKDAYS[interval.weekday]].append(f"{interval.opens:%H:%M}-{interval.closes:%H:%M}")
    return {day: ", ".join(ranges) for day, ranges in days.items()}


def hours_text(hours: list[OpeningHours]) -> str:
    return "; ".join(f"{day} {ranges}" for day, ranges in hours_by_day(hours).items() if ranges)


def closure_text(closure: ServiceClosure) -> str:
    span = closure.starts.isoformat()
    if closure.ends != closure.starts:
        span += f"..{closure.ends.isoformat()}"
    return f"{span} {closure.reason}".strip()


def text_values(text: ServiceText | None) -> dict[str, str]:
    if text is None:
        return dict.fromkeys(TEXT_FIELDS, "")
    return {
        "label": text.label,
        "description": text.description,
        "documents": "\n".join(text.documents or []),
        "notes": text.notes,
    }
