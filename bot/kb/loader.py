"""Load city and service data from YAML files into the knowledge base.

A data directory holds `cities.yml`, `services.yml` and `templates.yml` (see
`bot/kb/sample_data/` for the format). Loading is idempotent: cities are matched by slug
and updated; the services previously loaded from the same kind of source (sample or not)
in those cities are replaced, while services entered by staff are never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kb.models import (
    SOURCE_LANGUAGE,
    Appointment,
    City,
    CityName,
    Cost,
    OpeningHours,
    Service,
    ServiceClosure,
    ServiceText,
    Topic,
)

SAMPLE_DATA_DIR = Path(__file__).resolve().parent / "sample_data"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DataError(ValueError):
    """The data files are not in the expected shape."""


@dataclass(frozen=True)
class LoadReport:
    cities: int
    services: int
    texts: int


def read_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


async def load_directory(session: AsyncSession, directory: Path, *, sample: bool) -> LoadReport:
    cities = read_yaml(directory / "cities.yml")
    services = read_yaml(directory / "services.yml")
    templates = (
        read_yaml(directory / "templates.yml") if (directory / "templates.yml").exists() else {}
    )
    city_by_slug = {}
    for entry in cities:
        city_by_slug[entry["slug"]] = await _upsert_city(session, entry)
    await session.flush()
    slugs_with_services = {entry["city"] for entry in services}
    await session.execute(
        delete(Service).where(
            Service.is_sample.is_(sample),
            Service.city_id.in_(
                [city_by_slug[s].id for s in slugs_with_services if s in city_by_slug]
            ),
        )
    )
    texts = 0
    for entry in services:
        city = city_by_slug.get(entry["city"]) or await _existing_city(session, entry["city"])
        service = _build_service(entry, city, templates, sample=sample)
        texts += len(service.texts)
        session.add(service)
    await session.commit()
    return LoadReport(cities=len(cities), services=len(services), texts=texts)


async def _existing_city(session: AsyncSession, slug: str) -> City:
    city = await session.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise DataError(f"service refers to unknown city {slug!r}")
    return city


async def _upsert_city(session: AsyncSession, entry: dict[str, Any]) -> City:
    city = await session.scalar(select(City).where(City.slug == entry["slug"]))
    if city is None:
        city = City(slug=entry["slug"])
        session.add(city)
    city.name = entry["name"]
    city.region = entry.get("region", "")
    city.latitude = float(entry["lat"])
    city.longitude = float(entry["lon"])
    await session.flush()
    await session.execute(delete(CityName).where(CityName.city_id == city.id))
    session.add_all(_city_names(entry, city.id))
    return city


def _city_names(entry: dict[str, Any], city_id: int) -> list[CityName]:
    names: list[CityName] = []
    seen: set[tuple[str | None, str]] = set()
    for language, variants in (entry.get("names") or {}).items():
        for position, variant in enumerate(variants):
            if (language, variant) not in seen:
                seen.add((language, variant))
                names.append(
                    CityName(
                        city_id=city_id, language=language, name=variant, is_primary=position == 0
                    )
                )
    for variant in entry.get("exonyms") or []:
        if (None, variant) not in seen:
            seen.add((None, variant))
            names.append(CityName(city_id=city_id, language=None, name=variant, is_primary=False))
    return names


def _build_service(
    entry: dict[str, Any], city: City, templates: dict[str, Any], *, sample: bool
) -> Service:
    topic = Topic(entry["topic"])
    service = Service(
        city=city,
        topic=topic.value,
        kind=entry.get("template", ""),
        name=entry["name"],
        address=entry.get("address", ""),
        latitude=entry.get("lat"),
        longitude=entry.get("lon"),
        phone=str(entry.get("phone", "")),
        email=entry.get("email", ""),
        website=entry.get("website", ""),
        languages_spoken=list(entry.get("languages") or []),
        is_sample=sample,
        owner=entry.get("owner", ""),
        source=entry.get("source", ""),
        valid_until=_optional_date(entry.get("valid_until")),
        closed_on_public_holidays=bool(entry.get("closed_on_public_holidays", True)),
        appointment=Appointment(entry.get("appointment", "")).value,
        cost=Cost(entry.get("cost", "")).value,
    )
    service.hours = list(_opening_hours(entry.get("hours") or {}))
    template = templates.get(entry.get("template", ""), {})
    service.texts = [
        ServiceText(
            language=language,
            label=text.get("label", ""),
            description=text.get("description", ""),
            documents=list(text.get("documents") or []),
            notes=text.get("notes", ""),
        )
        for language, text in template.items()
    ]
    source = next((t for t in service.texts if t.language == SOURCE_LANGUAGE), None)
    for text in service.texts:  # the bundled translations follow the bundled Italian text
        text.source_digest = source.content_digest() if source else ""
    service.closures = [
        ServiceClosure(
            starts=_optional_date(closure["from"]) or dt.date.min,
            ends=_optional_date(closure.get("to", closure["from"])) or dt.date.min,
            reason=closure.get("reason", ""),
        )
        for closure in entry.get("closures") or []
    ]
    return service


def _optional_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _opening_hours(hours: dict[str, list[str]]) -> list[OpeningHours]:
    intervals = []
    for day, ranges in hours.items():
        if day not in WEEKDAYS:
            raise DataError(f"unknown weekday {day!r}")
        for interval in ranges:
            opens, closes = (dt.time.fromisoformat(part.strip()) for part in interval.split("-"))
            if closes <= opens:
                raise DataError(f"closing time before opening time in {interval!r}")
            intervals.append(OpeningHours(weekday=WEEKDAYS.index(day), opens=opens, closes=closes))
    return intervals
