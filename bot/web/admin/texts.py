"""Translations of the services' texts, Italian as the source: a filterable list with the
status of every translation, and a side-by-side editor."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.i18n import SUPPORTED_LANGUAGES
from bot.kb.models import SOURCE_LANGUAGE
from bot.web.admin.common import (
    bot_localizer,
    changing_staff,
    db_session,
    page,
    staff,
    visible_cities,
    visible_services,
)
from bot.web.admin.services import card_preview
from bot.web.pages import staff_localizer
from bot.workspace import permissions
from bot.workspace.editor import (
    Editor,
    TranslationStatus,
    text_in,
    translation_overview,
    translation_status,
)
from bot.workspace.forms import FieldErrors, TextForm


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/texts", text_list, name="admin-texts")
    router.add_get("/admin/texts/{id:[1-9][0-9]{0,8}}/{lang:[a-z]{2}}", translation_page)
    router.add_post("/admin/texts/{id:[1-9][0-9]{0,8}}/{lang:[a-z]{2}}", save_translation)


async def text_list(request: web.Request) -> web.Response:
    account = await staff(request)
    languages = permissions.translation_languages(account, SUPPORTED_LANGUAGES)
    filters = {name: request.query.get(name, "") for name in ("city", "topic", "lang", "status")}
    shown_languages = [filters["lang"]] if filters["lang"] in languages else languages
    async with db_session(request) as session:
        cities = await visible_cities(session, account)
        services = await visible_services(
            session, account, filters["city"], filters["topic"], light=True
        )
        overview = await translation_overview(session, [s.id for s in services], shown_languages)
    rows = [
        {"service": service, "language": language, "status": status.value}
        for service in services
        for language in shown_languages
        if (status := overview[(service.id, language)])
        and (not filters["status"] or status.value == filters["status"])
        and permissions.may_translate(account, language, service.city.slug)
    ]
    loc = staff_localizer(request, account)
    context = {
        "cities": cities,
        "rows": rows,
        "filters": filters,
        "text_languages": [(code, loc.language_in_my_language(code)) for code in languages],
        "statuses": [s.value for s in TranslationStatus if s != TranslationStatus.SOURCE],
    }
    return await page(request, "admin/texts.html", account, context)


async def translation_page(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        return await _translation_form(request, account, session, None, FieldErrors())


async def save_translation(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    service_id, language = int(request.match_info["id"]), request.match_info["lang"]
    bot_localizer(request, language)  # 400 on an unknown language
    form = await request.post()
    values = {key: str(form.get(key, "")) for key in ("label", "description", "documents", "notes")}
    async with db_session(request) as session:
        service, errors = await Editor(session, account).save_translation(
            service_id, language, values
        )
        if service is None:
            return await _translation_form(request, account, session, values, errors, 422)
        await session.commit()
    raise web.HTTPSeeOther(f"/admin/texts/{service_id}/{language}?notice=saved")


async def _translation_form(
    request: web.Request,
    account: Any,
    session: Any,
    values: dict[str, str] | None,
    errors: FieldErrors,
    status: int = 200,
) -> web.Response:
    language = request.match_info["lang"]
    loc = bot_localizer(request, language)
    service = await Editor(session, account).service(int(request.match_info["id"]))
    if not permissions.may_translate(account, language, service.city.slug):
        raise web.HTTPForbidden()
    staff_loc = staff_localizer(request, account)
    context = {
        "service": service,
        "language": language,
        "language_name": staff_loc.language_in_my_language(language),
        "source": TextForm.of(text_in(service, SOURCE_LANGUAGE)).values(),
        "values": values or TextForm.of(text_in(service, language)).values(),
        "status": translation_status(service, language).value,
        "errors": {name: staff_loc.gettext(message) for name, message in errors.items()},
        "text_direction": "rtl" if loc.rtl else "ltr",
        "preview": card_preview(request, service, language),
    }
    return await page(request, "admin/translation.html", account, context, status=status)
