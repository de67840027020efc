"""Services and desks: list, create, edit every field, delete, and preview exactly what
the bot will answer, before and after a change."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.core.cards import service_card, services_header
from bot.core.contract import Detail, ServiceDetails, Services
from bot.core.details import detail_label
from bot.core.messages import Outbound
from bot.core.render import Renderer
from bot.kb.models import SOURCE_LANGUAGE, Service, Topic
from bot.staff.models import StaffAccount
from bot.web.admin.common import (
    bot_localizer,
    changing_staff,
    choices,
    db_session,
    page,
    require,
    staff,
    visible_cities,
    visible_services,
)
from bot.web.keys import database_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions
from bot.workspace.editor import Editor, translation_status
from bot.workspace.forms import WEEKDAYS, FieldErrors, ServiceForm, empty_page_values

PREVIEW_LANGUAGE = "ar"
SATURDAY = 5


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/services", service_list, name="admin-services")
    router.add_get("/admin/services/new", new_service_page)
    router.add_post("/admin/services/new", create_service)
    router.add_get("/admin/services/{id:[1-9][0-9]{0,8}}", edit_service_page)
    router.add_post("/admin/services/{id:[1-9][0-9]{0,8}}", update_service)
    router.add_post("/admin/services/{id:[1-9][0-9]{0,8}}/delete", delete_service)
    router.add_post("/admin/services/{id:[1-9][0-9]{0,8}}/preview", preview_changes)
    router.add_get("/admin/preview", answer_preview, name="admin-preview")


async def service_list(request: web.Request) -> web.Response:
    account = await staff(request)
    city, topic = request.query.get("city", ""), request.query.get("topic", "")
    query = request.query.get("q", "").strip().lower()
    async with db_session(request) as session:
        cities = await visible_cities(session, account)
        services = await visible_services(session, account, city, topic, light=True)
    if query:
        services = [s for s in services if query in f"{s.name} {s.address}".lower()]
    context = {
        "cities": cities,
        "services": services,
        "filters": {"city": city, "topic": topic, "q": query},
        "editable": {s.id for s in services if permissions.may_edit_city(account, s.city.slug)},
    }
    return await page(request, "admin/services.html", account, context)


async def new_service_page(request: web.Request) -> web.Response:
    account = await staff(request)
    values = empty_page_values() | {
        "city": request.query.get("city", ""),
        "topic": Topic.DESK.value,
        "closed_on_public_holidays": "yes",
    }
    return await _form(request, account, None, values, FieldErrors())


async def edit_service_page(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        service = await _service(session, account, request)
        values = form_values(service)
        language = request.query.get("lang", PREVIEW_LANGUAGE)
        preview = card_preview(request, service, language)
        return await _form(request, account, service, values, FieldErrors(), preview, language)


async def create_service(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    form = await request.post()
    values = posted_values(form)
    async with db_session(request) as session:
        service, errors = await Editor(session, account).save_service(None, values)
        if service is None:
            return await _form(request, account, None, values, errors, status=422)
        await session.commit()
        raise web.HTTPSeeOther(f"/admin/services/{service.id}?notice=saved")


async def update_service(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    service_id = int(request.match_info["id"])
    values = posted_values(await request.post())
    async with db_session(request) as session:
        editor = Editor(session, account)
        service, errors = await editor.save_service(service_id, values)
        if service is None:
            current = await editor.service(service_id)
            return await _form(request, account, current, values, errors, status=422)
        await session.commit()
    raise web.HTTPSeeOther(f"/admin/services/{service_id}?notice=saved")


async def delete_service(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    async with db_session(request) as session:
        await Editor(session, account).delete_service(int(request.match_info["id"]))
        await session.commit()
    raise web.HTTPSeeOther("/admin/services?notice=deleted")


async def preview_changes(request: web.Request) -> web.Response:
    """The bot's card for this service now, and as it would be with the form's values."""
    account = await changing_staff(request)
    values = posted_values(await request.post())
    language = values.get("preview_language") or PREVIEW_LANGUAGE
    async with db_session(request) as session:
        service = await _service(session, account, request)
        service_id = service.id
        before = card_preview(request, service, language)
        editor = Editor(session, account)
        changed, errors = await editor.save_service(service.id, values)
        after = card_preview(request, changed, language) if changed else None
        await session.rollback()
    context = {
        "service_id": service_id,
        "before": before,
        "after": after,
        "errors": errors,
        "values": values,
        "preview_language": language,
        "direction": "rtl" if bot_localizer(request, language).rtl else "ltr",
    }
    return await page(request, "admin/preview_changes.html", account, context)


async def answer_preview(request: web.Request) -> web.Response:
    """What the bot answers for a topic in a city, in a language, from the saved data; and,
    if a follow-up question is chosen, what it answers next about the same services."""
    account = await staff(request)
    city, topic = request.query.get("city", ""), request.query.get("topic", Topic.DESK.value)
    language = request.query.get("lang", PREVIEW_LANGUAGE)
    detail = _query_detail(request.query.get("detail", ""))
    weekday = _query_weekday(request.query.get("weekday", ""))
    loc = bot_localizer(request, language)
    messages: list[Outbound] = []
    follow_up: list[Outbound] = []
    async with db_session(request) as session:
        cities = await visible_cities(session, account)
        services = await visible_services(session, account, city, topic) if city else []
    if city:
        renderer = Renderer(request.app[database_key])
        ids = [s.id for s in services]
        answer = Services.model_validate(
            {"kind": "services", "topic": topic, "city": city, "service_ids": ids}
        )
        messages = await renderer.render(loc, answer)
        if detail is not None and ids:
            question = ServiceDetails(
                details=[detail], weekday=weekday, topic=answer.topic, city=city, service_ids=ids
            )
            follow_up = await renderer.render(loc, question)
    staff_loc = staff_localizer(request, account)
    context = {
        "cities": cities,
        "filters": {
            "city": city,
            "topic": topic,
            "lang": language,
            "detail": detail.value if detail else "",
            "weekday": weekday,
        },
        "details": [(d.value, detail_label(staff_loc, d)) for d in Detail],
        "weekdays": [(day, staff_loc.weekday(day)) for day in range(7)],
        "messages": [preview_message(m) for m in messages],
        "follow_up": [preview_message(m) for m in follow_up],
        "bubble_direction": "rtl" if loc.rtl else "ltr",
    }
    return await page(request, "admin/preview.html", account, context)


def _query_detail(value: str) -> Detail | None:
    try:
        return Detail(value) if value else None
    except ValueError:
        return None


def _query_weekday(value: str) -> int:
    """The day of "open on that day" (Saturday unless chosen)."""
    return int(value) if value in {"0", "1", "2", "3", "4", "5", "6"} else SATURDAY


# --- helpers ----------------------------------------------------------------------------


async def _service(session: Any, account: StaffAccount, request: web.Request) -> Service:
    service = await Editor(session, account).service(int(request.match_info["id"]))
    require(permissions.may_see_city(account, service.city.slug))
    return service


async def _form(
    request: web.Request,
    account: StaffAccount,
    service: Service | None,
    values: dict[str, str],
    errors: FieldErrors,
    preview: dict[str, Any] | None = None,
    preview_language: str = PREVIEW_LANGUAGE,
    status: int = 200,
) -> web.Response:
    loc = staff_localizer(request, account)
    async with db_session(request) as session:
        cities = [
            c
            for c in await visible_cities(session, account)
            if permissions.may_edit_city(account, c.slug)
        ]
    editable = service is None or permissions.may_edit_city(account, service.city.slug)
    translations = (
        [
            (code, name, translation_status(service, code).value)
            for code, name in choices(loc)["languages"]
            if code != SOURCE_LANGUAGE
        ]
        if service
        else []
    )
    context = {
        "service": service,
        "values": values,
        "errors": {name: loc.gettext(message) for name, message in errors.items()},
        "cities": cities,
        "weekdays": [(day, loc.weekday(i)) for i, day in enumerate(WEEKDAYS)],
        "editable": editable,
        "preview": preview,
        "preview_language": preview_language,
        "translations": translations,
    }
    return await page(request, "admin/service_form.html", account, context, status=status)


def form_values(service: Service) -> dict[str, str]:
    return ServiceForm.of(service).page_values()


def posted_values(form: MultiMapping[Any]) -> dict[str, str]:
    """The posted page: its fields as sent (the seven day fields of the hours stay apart),
    the languages as one list, the holiday checkbox as yes/no."""
    values = empty_page_values() | {key: str(form.get(key, "")) for key in form if key != "csrf"}
    values["languages"] = ", ".join(str(v) for v in form.getall("languages", []))
    values["closed_on_public_holidays"] = "yes" if form.get("closed_on_public_holidays") else "no"
    return values


def card_preview(request: web.Request, service: Service, language: str) -> dict[str, Any]:
    loc = bot_localizer(request, language)
    header = services_header(loc, service.topic, 1, service.city.display_name(language))
    return {
        "header": header,
        "card": service_card(loc, service),
        "direction": "rtl" if loc.rtl else "ltr",
        "language": language,
    }


def preview_message(message: Outbound) -> dict[str, Any]:
    return {
        "html": message.text,
        "buttons": [[button.label for button in row] for row in message.buttons],
    }
