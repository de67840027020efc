"""The staff's forms as declared models (pydantic): one model per form, and the same model
for every shape the data takes.

`ServiceForm` is a service as staff edit it. The edit page, a CSV row, the audit trail's
before/after and the preview all read and write it:

    ServiceForm.read(page_or_csv_values, known_cities) → (form, errors per field)
    ServiceForm.of(service)     a stored service as a form
    form.apply(service, city)   write it onto a service
    form.values()               flat text fields: the page, the CSV row, the audit snapshot

Opening hours are structured (weekday → time ranges) from the page's seven day fields to
the database; the CSV keeps them in one cell ("mon 09:00-12:30, 14:30-16:30; tue …"), read
by the same model. Errors are English msgids (translated by the pages), per field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from bot.i18n import N_, SUPPORTED_LANGUAGES
from bot.kb.models import (
    Appointment,
    City,
    Cost,
    OpeningHours,
    Service,
    ServiceClosure,
    ServiceText,
    Topic,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
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
TimeRange = tuple[dt.time, dt.time]
# what a failed built-in check means, as a msgid (custom checks raise their own)
BUILT_IN_ERRORS = {
    "string_too_long": N_("Too long."),
    "too_long": N_("Too long."),
    "string_too_short": N_("The name is required."),
    "missing": N_("The name is required."),
    "enum": N_("Choose one of the four topics."),
}


class FieldErrors(dict[str, str]):
    """field name → English message (a msgid)."""


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", message)


def _errors(error: ValidationError, prefix: str = "") -> FieldErrors:
    errors = FieldErrors()
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        name = "_".join(location) if location[0] != "text" else prefix + location[-1]
        if item["type"] == "invalid":
            errors[name] = str(item["msg"])
        else:
            errors[name] = BUILT_IN_ERRORS.get(str(item["type"]), N_("This value is not valid."))
    return errors


class TextForm(BaseModel):
    """What the bot says about a service in one language."""

    model_config = ConfigDict(str_strip_whitespace=True)

    label: str = Field(default="", max_length=MAX_LENGTHS["label"])
    description: str = ""
    documents: list[str] = []
    notes: str = ""

    @field_validator("documents", mode="before")
    @classmethod
    def _one_a_line(cls, value: object) -> object:
        if isinstance(value, str):
            lines = (line.strip(" •-\t") for line in value.splitlines())
            return [line for line in lines if line]
        return value

    @property
    def is_empty(self) -> bool:
        return not (self.label or self.description or self.documents or self.notes)

    @classmethod
    def read(cls, values: Mapping[str, Any], prefix: str = "") -> tuple[TextForm, FieldErrors]:
        raw = {name: str(values.get(f"{prefix}{name}") or "") for name in TEXT_FIELDS}
        try:
            return cls.model_validate(raw), FieldErrors()
        except ValidationError as error:
            errors = FieldErrors(
                {f"{prefix}{name}": message for name, message in _errors(error).items()}
            )
            return cls(), errors

    @classmethod
    def of(cls, text: ServiceText | None) -> TextForm:
        if text is None:
            return cls()
        return cls(
            label=text.label,
            description=text.description,
            documents=list(text.documents or []),
            notes=text.notes,
        )

    def values(self) -> dict[str, str]:
        return {
            "label": self.label,
            "description": self.description,
            "documents": "\n".join(self.documents),
            "notes": self.notes,
        }

    def apply(self, service: Service, language: str, source_digest: str) -> None:
        """Write this language's text (removing it when empty); `source_digest` = the
        Italian it follows."""
        existing = next((t for t in service.texts if t.language == language), None)
        if self.is_empty:
            if existing is not None:
                service.texts.remove(existing)
            return
        if existing is None:
            existing = ServiceText(language=language)
            service.texts.append(existing)
        existing.label = self.label
        existing.description = self.description
        existing.documents = list(self.documents)
        existing.notes = self.notes
        existing.source_digest = source_digest


class Closure(BaseModel):
    starts: dt.date
    ends: dt.date
    reason: str = ""

    def text(self) -> str:
        span = self.starts.isoformat()
        if self.ends != self.starts:
            span += f"..{self.ends.isoformat()}"
        return f"{span} {self.reason}".strip()


class ServiceForm(BaseModel):
    """A service as staff edit it, with its Italian text."""

    model_config = ConfigDict(str_strip_whitespace=True)
    SOURCE_PREFIX: ClassVar[str] = "it_"

    city: str
    topic: Topic
    kind: str = Field(default="", max_length=MAX_LENGTHS["kind"])
    name: str = Field(min_length=1, max_length=MAX_LENGTHS["name"])
    address: str = Field(default="", max_length=MAX_LENGTHS["address"])
    latitude: float | None = None
    longitude: float | None = None
    phone: str = Field(default="", max_length=MAX_LENGTHS["phone"])
    email: str = Field(default="", max_length=MAX_LENGTHS["email"])
    website: str = Field(default="", max_length=MAX_LENGTHS["website"])
    languages: list[str] = []
    hours: dict[int, list[TimeRange]] = {}
    closures: list[Closure] = []
    closed_on_public_holidays: bool = True
    appointment: Appointment = Appointment.UNKNOWN
    cost: Cost = Cost.UNKNOWN
    owner: str = Field(default="", max_length=MAX_LENGTHS["owner"])
    source: str = Field(default="", max_length=MAX_LENGTHS["source"])
    valid_until: dt.date | None = None
    text: TextForm = TextForm()

    # --- reading text fields --------------------------------------------------------

    @field_validator("latitude", "longitude", mode="before")
    @classmethod
    def _coordinate(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
            if not value:
                return None
            try:
                return float(value)
            except ValueError:
                raise _invalid(
                    N_("Give both coordinates as numbers, e.g. 45.0703 and 7.6869.")
                ) from None
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and not PHONE.match(value):
            raise _invalid(N_("Not a phone number: digits, spaces and + only."))
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not EMAIL.match(value):
            raise _invalid(N_("Not an email address."))
        return value

    @field_validator("website")
    @classmethod
    def _website(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise _invalid(N_("A web address starts with https://"))
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: object) -> object:
        codes = value if isinstance(value, list) else re.split(r"[,\s;]+", str(value or ""))
        codes = [str(code).strip().lower() for code in codes if str(code).strip()]
        if any(code not in SUPPORTED_LANGUAGES for code in codes):
            raise _invalid(N_("Unknown language code."))
        return list(dict.fromkeys(codes))

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if isinstance(value, str):
            return read_week(value)
        return value

    @field_validator("closures", mode="before")
    @classmethod
    def _closures(cls, value: object) -> object:
        if isinstance(value, str):
            return read_closures(value)
        return value

    @field_validator("closed_on_public_holidays", mode="before")
    @classmethod
    def _yes(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() in TRUE_WORDS
        return value

    @field_validator("appointment", "cost", mode="before")
    @classmethod
    def _choice(cls, value: object, info: ValidationInfo) -> object:
        choices = Appointment if info.field_name == "appointment" else Cost
        text = str(value or "").strip()
        if text not in choices._value2member_map_:
            raise _invalid(N_("Choose one of the listed values."))
        return choices(text)

    @field_validator("valid_until", mode="before")
    @classmethod
    def _date(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise _invalid(N_("Write the date as YYYY-MM-DD.")) from None
        return value

    # --- the shapes -----------------------------------------------------------------

    @classmethod
    def read(
        cls, values: Mapping[str, Any], known_cities: set[str]
    ) -> tuple[ServiceForm | None, FieldErrors]:
        """From the page's fields (hours per day) or a CSV row / snapshot (hours in one)."""
        raw: dict[str, Any] = {
            name: values.get(name) or ""
            for name in cls.model_fields
            if name not in ("text", "hours", "topic")
        }
        raw["topic"] = str(values.get("topic") or "")
        raw["hours"] = _week_of(values)
        text, errors = TextForm.read(values, cls.SOURCE_PREFIX)
        raw["text"] = text
        form = None
        try:
            form = cls.model_validate(raw)
        except ValidationError as error:
            errors.update(_errors(error, cls.SOURCE_PREFIX))
        if "longitude" in errors:  # one message for the pair, by the first field
            errors["latitude"] = errors.pop("longitude")
        if str(values.get("city") or "").strip() not in known_cities:
            errors["city"] = N_("Unknown city.")
        if form is not None and (form.latitude is None) != (form.longitude is None):
            errors["latitude"] = N_("Give both coordinates as numbers, e.g. 45.0703 and 7.6869.")
        if (
            form is not None
            and form.latitude is not None
            and form.longitude is not None
            and not (35.0 <= form.latitude <= 48.0 and 6.0 <= form.longitude <= 19.0)
        ):
            errors["latitude"] = N_("These coordinates are not in Italy.")
        return (None, errors) if errors else (form, errors)

    @classmethod
    def of(cls, service: Service) -> ServiceForm:
        source = next((t for t in service.texts if t.language == "it"), None)
        week: dict[int, list[TimeRange]] = {}
        for interval in sorted(service.hours, key=lambda h: (h.weekday, h.opens)):
            week.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
        return cls.model_construct(
            city=service.city.slug,
            topic=Topic(service.topic),
            kind=service.kind,
            name=service.name,
            address=service.address,
            latitude=service.latitude,
            longitude=service.longitude,
            phone=service.phone,
            email=service.email,
            website=service.website,
            languages=list(service.languages_spoken),
            hours=week,
            closures=[
                Closure(starts=c.starts, ends=c.ends, reason=c.reason) for c in service.closures
            ],
            closed_on_public_holidays=service.closed_on_public_holidays,
            appointment=Appointment(service.appointment or ""),
            cost=Cost(service.cost or ""),
            owner=service.owner,
            source=service.source,
            valid_until=service.valid_until,
            text=TextForm.of(source),
        )

    def apply(self, service: Service, city: City) -> None:
        """Everything but the text (written by the editor, which keeps its digest)."""
        service.city = city
        service.city_id = city.id
        service.topic = self.topic.value
        service.kind = self.kind
        service.name = self.name
        service.address = self.address
        service.latitude = self.latitude
        service.longitude = self.longitude
        service.phone = self.phone
        service.email = self.email
        service.website = self.website
        service.languages_spoken = list(self.languages)
        service.hours = [
            OpeningHours(weekday=day, opens=opens, closes=closes)
            for day, ranges in sorted(self.hours.items())
            for opens, closes in ranges
        ]
        service.closures = [
            ServiceClosure(starts=c.starts, ends=c.ends, reason=c.reason) for c in self.closures
        ]
        service.closed_on_public_holidays = self.closed_on_public_holidays
        service.appointment = self.appointment.value
        service.cost = self.cost.value
        service.owner = self.owner
        service.source = self.source
        service.valid_until = self.valid_until

    def day_values(self) -> dict[str, str]:
        """{"hours_mon": "09:00-12:30, 14:30-16:30", …}: the page's seven day fields."""
        return {
            f"hours_{WEEKDAYS[day]}": ", ".join(
                f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in self.hours.get(day, [])
            )
            for day in range(7)
        }

    def values(self) -> dict[str, str]:
        """Flat text fields: the CSV row and the audit snapshot (hours in one field)."""
        week = "; ".join(
            f"{WEEKDAYS[day]} {ranges}"
            for day, ranges in enumerate(self.day_values().values())
            if ranges
        )
        return {
            "city": self.city,
            "topic": self.topic.value,
            "kind": self.kind,
            "name": self.name,
            "address": self.address,
            "latitude": "" if self.latitude is None else f"{self.latitude:.6f}",
            "longitude": "" if self.longitude is None else f"{self.longitude:.6f}",
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "languages": ", ".join(self.languages),
            "hours": week,
            "closures": "; ".join(closure.text() for closure in self.closures),
            "closed_on_public_holidays": "yes" if self.closed_on_public_holidays else "no",
            "appointment": self.appointment.value,
            "cost": self.cost.value,
            "owner": self.owner,
            "source": self.source,
            "valid_until": self.valid_until.isoformat() if self.valid_until else "",
        }

    def page_values(self) -> dict[str, str]:
        """What the edit page shows: every field, the days apart, the Italian text."""
        text = {f"{self.SOURCE_PREFIX}{k}": v for k, v in self.text.values().items()}
        return self.values() | self.day_values() | text


SERVICE_FIELDS = tuple(name for name in ServiceForm.model_fields if name != "text")


def empty_page_values() -> dict[str, str]:
    return (
        dict.fromkeys(SERVICE_FIELDS, "")
        | {f"hours_{day}": "" for day in WEEKDAYS}
        | {f"{ServiceForm.SOURCE_PREFIX}{name}": "" for name in TEXT_FIELDS}
    )


def _week_of(values: Mapping[str, Any]) -> Any:
    """The page's seven day fields, or one "hours" field (a CSV row, a snapshot)."""
    if any(f"hours_{day}" in values for day in WEEKDAYS):
        return "; ".join(
            f"{day} {values[f'hours_{day}']}"
            for day in WEEKDAYS
            if str(values.get(f"hours_{day}") or "").strip()
        )
    return str(values.get("hours") or "")


def read_week(text: str) -> dict[int, list[TimeRange]]:
    """ "mon 09:00-12:30, 14:30-16:30; tue 09:00-12:30" (one day per ';' or line)."""
    week: dict[int, list[TimeRange]] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[;\n]+", text))):
        day, _, ranges = part.partition(" ")
        if day.lower()[:3] not in WEEKDAYS:
            raise _invalid(N_("Write each day as: mon 09:00-12:30, 14:30-16:30"))
        for interval in filter(None, (r.strip() for r in ranges.split(","))):
            parsed = _time_range(interval)
            if parsed is None:
                raise _invalid(N_("Write times as 09:00-12:30, the closing after the opening."))
            week.setdefault(WEEKDAYS.index(day.lower()[:3]), []).append(parsed)
    return {day: sorted(ranges) for day, ranges in sorted(week.items())}


def _time_range(text: str) -> TimeRange | None:
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


def read_closures(text: str) -> list[Closure]:
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
            raise _invalid(
                N_("Write closures as 2026-12-24..2027-01-06 reason, one a line.")
            ) from None
        if ends < starts:
            raise _invalid(N_("A closure ends before it starts."))
        closures.append(Closure(starts=starts, ends=ends, reason=match.group(3).strip()))
    return sorted(closures, key=lambda c: (c.starts, c.ends))


def read_coordinates(latitude: str, longitude: str) -> tuple[float | None, float | None, str]:
    """Coordinates typed by staff (a city's centre): (latitude, longitude, error msgid)."""
    if not latitude.strip() and not longitude.strip():
        return None, None, ""
    try:
        lat, lon = float(latitude.replace(",", ".")), float(longitude.replace(",", "."))
    except ValueError:
        return None, None, N_("Give both coordinates as numbers, e.g. 45.0703 and 7.6869.")
    if not (35.0 <= lat <= 48.0 and 6.0 <= lon <= 19.0):
        return lat, lon, N_("These coordinates are not in Italy.")
    return lat, lon, ""
