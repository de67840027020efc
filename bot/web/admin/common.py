"""What the workspace's pages share: the signed-in staff member, one database session
per request, choices for forms, and rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.analytics.access import may_see_statistics
from bot.core.cards import topic_label
from bot.i18n import SUPPORTED_LANGUAGES, Localizer
from bot.kb.models import City, Service, Topic
from bot.staff.models import StaffAccount
from bot.web import auth
from bot.web.keys import catalogs_key, database_key
from bot.web.pages import render, staff_localizer
from bot.workspace import permissions
from bot.workspace.editor import service_query

LOGIN_PATH = "/admin/login"


async def staff(request: web.Request) -> StaffAccount:
    """The signed-in staff member allowed in the workspace, or a redirect / 403."""
    account = await auth.signed_in_account(request)
    if account is None:
        raise web.HTTPSeeOther(LOGIN_PATH)
    if not permissions.may_use_workspace(account):
        raise web.HTTPForbidden()
    return account


async def changing_staff(request: web.Request) -> StaffAccount:
    """As `staff`, for a request that changes something: the CSRF token must match."""
    account = await staff(request)
    await auth.check_csrf(request)
    return account


def require(allowed: bool) -> None:
    if not allowed:
        raise web.HTTPForbidden()


@asynccontextmanager
async def db_session(request: web.Request) -> AsyncIterator[AsyncSession]:
    async with request.app[database_key].session() as session:
        yield session


async def visible_cities(session: AsyncSession, account: StaffAccount) -> list[City]:
    cities = await session.scalars(
        select(City).options(selectinload(City.names)).order_by(City.name)
    )
    return [c for c in cities if permissions.may_see_city(account, c.slug)]


async def visible_services(
    session: AsyncSession,
    account: StaffAccount,
    city: str = "",
    topic: str = "",
    *,
    light: bool = False,
) -> Sequence[Service]:
    """The services the staff member may see; `light`: their own fields and city only
    (no texts, hours or closures: for lists of hundreds of services)."""
    base = select(Service).options(selectinload(Service.city)) if light else service_query()
    query = base.join(Service.city)
    if city:
        query = query.where(City.slug == city)
    if topic:
        query = query.where(Service.topic == topic)
    services = (await session.scalars(query.order_by(City.name, Service.topic, Service.id))).all()
    return [s for s in services if permissions.may_see_city(account, s.city.slug)]


def choices(loc: Localizer) -> dict[str, Any]:
    return {
        "topics": [(t.value, topic_label(loc, t.value)) for t in Topic],
        "languages": [(code, loc.language_in_my_language(code)) for code in SUPPORTED_LANGUAGES],
        "status_labels": {
            "source": loc.gettext("Italian source"),
            "missing": loc.gettext("missing"),
            "outdated": loc.gettext("outdated"),
            "up_to_date": loc.gettext("up to date"),
        },
    }


async def page(
    request: web.Request,
    template: str,
    account: StaffAccount,
    context: dict[str, Any],
    status: int = 200,
) -> web.Response:
    loc = staff_localizer(request, account)
    context = {
        **choices(loc),
        "may_manage_accounts": permissions.may_manage_accounts(account),
        "may_see_statistics": may_see_statistics(account),
        "notice": request.query.get("notice", ""),
        **context,
    }
    return await render(request, template, account, context, status=status)


def bot_localizer(request: web.Request, language: str) -> Localizer:
    if language not in SUPPORTED_LANGUAGES:
        raise web.HTTPBadRequest()
    return request.app[catalogs_key].localizer(language)
