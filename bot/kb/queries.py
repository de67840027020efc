"""Read-side of the knowledge base. Everything is read at answer time: no caches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from bot.kb.models import City, CityName, Service
from rasa_components.textfold import Gazetteer, fold

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class NearbyService:
    service: Service
    distance_m: float


def _service_options() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(Service.texts),
        selectinload(Service.hours),
        selectinload(Service.closures),
        selectinload(Service.city).selectinload(City.names),
    )


async def list_cities(session: AsyncSession) -> Sequence[City]:
    result = await session.scalars(
        select(City).options(selectinload(City.names)).order_by(City.name)
    )
    return result.all()


async def city_by_slug(session: AsyncSession, slug: str) -> City | None:
    return await session.scalar(
        select(City).options(selectinload(City.names)).where(City.slug == slug)
    )


async def city_gazetteer(session: AsyncSession) -> Gazetteer:
    """Every way of writing every city, mapped to the city's slug."""
    rows = await session.execute(
        select(City.slug, City.name).union_all(
            select(City.slug, CityName.name).join(CityName, CityName.city_id == City.id)
        )
    )
    return Gazetteer({name: slug for slug, name in rows})


async def resolve_city(session: AsyncSession, text: str) -> City | None:
    """The city named in `text` (a slug, the Italian name, an exonym, an inflected form)."""
    slug = await session.scalar(select(City.slug).where(City.slug == fold(text).strip()))
    if slug is None:
        slug = (await city_gazetteer(session)).first_value(text)
    return await city_by_slug(session, slug) if slug else None


async def services_for(session: AsyncSession, city_id: int, topic: str) -> Sequence[Service]:
    result = await session.scalars(
        select(Service)
        .options(*_service_options())
        .where(Service.city_id == city_id, Service.topic == topic)
        .order_by(Service.id)
    )
    return result.all()


async def services_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Service]:
    result = await session.scalars(
        select(Service).options(*_service_options()).where(Service.id.in_(ids))
    )
    by_id = {service.id: service for service in result}
    return [by_id[i] for i in ids if i in by_id]


async def nearest_services(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    topic: str | None = None,
    limit: int = 3,
) -> list[NearbyService]:
    query = select(Service).options(*_service_options()).where(Service.latitude.is_not(None))
    if topic:
        query = query.where(Service.topic == topic)
    services = (await session.scalars(query)).all()
    nearby = [
        NearbyService(s, haversine_m(latitude, longitude, s.latitude or 0.0, s.longitude or 0.0))
        for s in services
    ]
    return sorted(nearby, key=lambda item: item.distance_m)[:limit]


async def nearest_city(session: AsyncSession, latitude: float, longitude: float) -> City | None:
    cities = await list_cities(session)
    return min(
        cities,
        key=lambda city: haversine_m(latitude, longitude, city.latitude, city.longitude),
        default=None,
    )


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
