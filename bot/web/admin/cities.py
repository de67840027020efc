"""Cities: their names in every language and where they are. Administrators add cities;
a city's editors change it."""

from __future__ import annotations

from aiohttp import web

from bot.staff.models import StaffAccount
from bot.web.admin.common import changing_staff, db_session, page, require, staff, visible_cities
from bot.web.pages import staff_localizer
from bot.workspace import permissions
from bot.workspace.cities import CityEditor, city_values
from bot.workspace.forms import FieldErrors


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/cities", city_list, name="admin-cities")
    router.add_get("/admin/cities/new", new_city_page)
    router.add_post("/admin/cities/new", save_city)
    router.add_get("/admin/cities/{slug}", city_page)
    router.add_post("/admin/cities/{slug}", save_city)


async def city_list(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        cities = await visible_cities(session, account)
    context = {
        "cities": cities,
        "editable": {c.slug for c in cities if permissions.may_edit_city(account, c.slug)},
        "may_add": permissions.may_manage_accounts(account),
    }
    return await page(request, "admin/cities.html", account, context)


async def new_city_page(request: web.Request) -> web.Response:
    account = await staff(request)
    require(permissions.may_manage_accounts(account))
    return await page(
        request, "admin/city_form.html", account, {"city": None, "values": {}, "errors": {}}
    )


async def city_page(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        city = await CityEditor(session, account).city(request.match_info["slug"])
    if city is None:
        raise web.HTTPNotFound()
    require(permissions.may_see_city(account, city.slug))
    context = {
        "city": city,
        "values": city_values(city),
        "errors": {},
        "editable": permissions.may_edit_city(account, city.slug),
    }
    return await page(request, "admin/city_form.html", account, context)


async def save_city(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    slug = request.match_info.get("slug")
    form = await request.post()
    values = {key: str(form.get(key, "")) for key in form if key != "csrf"}
    async with db_session(request) as session:
        city, errors = await CityEditor(session, account).save_city(slug, values)
        if city is None:
            return await _invalid(request, account, slug, values, errors)
        saved_slug = city.slug
        await session.commit()
    raise web.HTTPSeeOther(f"/admin/cities/{saved_slug}?notice=saved")


async def _invalid(
    request: web.Request,
    account: StaffAccount,
    slug: str | None,
    values: dict[str, str],
    errors: FieldErrors,
) -> web.Response:
    loc = staff_localizer(request, account)
    context = {
        "city": {"slug": slug} if slug else None,
        "values": values,
        "errors": {name: loc.gettext(message) for name, message in errors.items()},
        "editable": True,
    }
    return await page(request, "admin/city_form.html", account, context, status=422)
