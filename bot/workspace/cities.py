"""Cities in the workspace: the Italian name, region, centre coordinates, and how the city
is written in every language (the bot resolves these names at answer time; the NLU model
learns new spellings at the next `make train`). Audited like services."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.i18n import N_, SUPPORTED_LANGUAGES
from bot.kb.models import City, CityName
from bot.workspace import permissions
from bot.workspace.editor import Editor
from bot.workspace.forms import FieldErrors, read_coordinates
from bot.workspace.models import AuditEntry

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,63}$")


def city_values(city: City) -> dict[str, str]:
    values = {
        "slug": city.slug,
        "name": city.name,
        "region": city.region,
        "latitude": f"{city.latitude:.6f}",
        "longitude": f"{city.longitude:.6f}",
        "exonyms": ", ".join(n.name for n in city.names if n.language is None),
    }
    for language in SUPPORTED_LANGUAGES:
        names = sorted(
            (n for n in city.names if n.language == language), key=lambda n: not n.is_primary
        )
        values[f"names_{language}"] = ", ".join(n.name for n in names)
    return values


def _split(text: str) -> list[str]:
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def check_city(values: Mapping[str, str], *, new: bool, taken: set[str]) -> FieldErrors:
    errors = FieldErrors()
    slug = values.get("slug", "").strip()
    if new and (not SLUG.match(slug) or slug in taken or slug == "new"):
        errors["slug"] = N_("A short unique name in lower case, e.g. reggio-emilia.")
    if not values.get("name", "").strip():
        errors["name"] = N_("The name is required.")
    latitude, _, error = read_coordinates(values.get("latitude", ""), values.get("longitude", ""))
    if error:
        errors["latitude"] = error
    elif latitude is None:  # a city needs its centre
        errors["latitude"] = N_("Give both coordinates as numbers, e.g. 45.0703 and 7.6869.")
    return errors


class CityEditor(Editor):
    async def city(self, slug: str) -> City | None:
        return await self.session.scalar(
            select(City).options(selectinload(City.names)).where(City.slug == slug)
        )

    async def save_city(
        self, slug: str | None, values: Mapping[str, str]
    ) -> tuple[City | None, FieldErrors]:
        city = await self.city(slug) if slug else None
        if slug and city is None:
            raise LookupError(slug)
        if city is None:
            permissions.require(permissions.may_manage_accounts(self.account))  # admins only
        else:
            permissions.require(permissions.may_edit_city(self.account, city.slug))
        taken = set((await self.cities()).keys())
        errors = check_city(values, new=city is None, taken=taken)
        if errors:
            return None, errors
        before = city_values(city) if city else None
        if city is None:
            city = City(slug=values["slug"].strip(), names=[])
            self.session.add(city)
        city.name = values["name"].strip()
        city.region = values.get("region", "").strip()
        city.latitude = float(values["latitude"].replace(",", "."))
        city.longitude = float(values["longitude"].replace(",", "."))
        for old_name in list(city.names):  # replaced as a whole: delete first (unique names)
            await self.session.delete(old_name)
        city.names = []
        await self.session.flush()
        city.names = _names(values)
        await self.session.flush()
        after = city_values(city)
        if after != before:
            self.session.add(
                AuditEntry(
                    account_id=self.account.id,
                    username=self.account.username,
                    action="update" if before else "create",
                    entity="city",
                    entity_id=city.id,
                    city_slug=city.slug,
                    summary=city.name,
                    before=before,
                    after=after,
                )
            )
        return city, errors


def _names(values: Mapping[str, Any]) -> list[CityName]:
    names = []
    for language in SUPPORTED_LANGUAGES:
        for position, name in enumerate(_split(str(values.get(f"names_{language}", "")))):
            names.append(CityName(language=language, name=name, is_primary=position == 0))
    seen = {n.name for n in names}
    for name in _split(str(values.get("exonyms", ""))):
        if name not in seen:
            names.append(CityName(language=None, name=name, is_primary=False))
    return names
