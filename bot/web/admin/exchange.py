"""Working with the tools staff already use: PO files for translators (export; import with a
paged preview of a file kept on the server, then applied), CSV of the services for bulk
updates, and the questions the bot could not answer, exported as Rasa NLU data.

Every value that goes into a header or a file name comes from a known set (languages) and
the header is built by aiohttp's `content_disposition_header`, never by string formatting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from aiohttp.helpers import content_disposition_header

from bot.i18n import SUPPORTED_LANGUAGES, Localizer
from bot.kb.unanswered import UnansweredLog
from bot.privacy.models import PrivacyAction
from bot.web.admin.common import (
    bot_localizer,
    changing_staff,
    db_session,
    page,
    staff,
    visible_services,
)
from bot.web.keys import database_key, privacy_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions
from bot.workspace.csv_exchange import CsvImport, export_csv, import_csv
from bot.workspace.editor import Editor, text_in
from bot.workspace.forms import TextForm
from bot.workspace.po import PoImport, Refused, export_po, read_import
from bot.workspace.unanswered import as_nlu_yaml, grouped
from bot.workspace.uploads import find_upload, forget_upload, keep_upload

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PREVIEW_PAGE_SIZE = 50
LANGUAGE = "{lang:[a-z]{2}}"
TOKEN = "{token:[A-Za-z0-9_-]{16,64}}"


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/exchange", exchange_page, name="admin-exchange")
    router.add_get(f"/admin/po/{LANGUAGE}.po", po_export)
    router.add_post(f"/admin/po/{LANGUAGE}", po_upload)
    router.add_get(f"/admin/po/{LANGUAGE}/uploads/{TOKEN}", po_preview)
    router.add_post(f"/admin/po/{LANGUAGE}/uploads/{TOKEN}/apply", po_apply)
    router.add_get("/admin/services.csv", csv_export)
    router.add_post("/admin/services/import", csv_import)
    router.add_get("/admin/unanswered", unanswered_page, name="admin-unanswered")
    router.add_get("/admin/unanswered.yml", unanswered_export)


async def exchange_page(request: web.Request) -> web.Response:
    account = await staff(request)
    return await page(request, "admin/exchange.html", account, _exchange_context(request, account))


def _exchange_context(request: web.Request, account: Any) -> dict[str, Any]:
    loc = staff_localizer(request, account)
    languages = permissions.translation_languages(account, SUPPORTED_LANGUAGES)
    return {
        "po_languages": [(code, loc.language_in_my_language(code)) for code in languages],
        "may_import_csv": permissions.may_edit_services(account),
        "po": None,
        "csv": None,
    }


def _language(request: web.Request) -> str:
    language = request.match_info["lang"]
    bot_localizer(request, language)  # a 400 for an unknown language
    return language


async def po_export(request: web.Request) -> web.Response:
    account = await staff(request)
    language = _language(request)
    async with db_session(request) as session:
        services = [
            s
            for s in await visible_services(session, account)
            if permissions.may_translate(account, language, s.city.slug)
        ]
        body = export_po(services, language)
    return _download(body, f"services-{language}.po", "text/x-gettext-translation")


async def po_upload(request: web.Request) -> web.Response:
    """The file is kept on the server; its preview is a page of its own (paged)."""
    account = await changing_staff(request)
    language = _language(request)
    data = _uploaded((await request.post()).get("file"))
    token = await keep_upload(request.app[database_key], account.id, "po", language, data)
    raise web.HTTPSeeOther(f"/admin/po/{language}/uploads/{token}")


async def _checked_upload(request: web.Request, account: Any) -> tuple[str, PoImport, Any]:
    language = _language(request)
    token = request.match_info["token"]
    upload = await find_upload(request.app[database_key], account.id, "po", token)
    if upload.language != language:
        raise web.HTTPNotFound()
    async with db_session(request) as session:
        services = {s.id: s for s in await visible_services(session, account)}
        return token, read_import(upload.data, language, services, account), services


async def po_preview(request: web.Request) -> web.Response:
    account = await staff(request)
    token, result, _ = await _checked_upload(request, account)
    page_number = _page_number(request)
    context = _exchange_context(request, account)
    context["po"] = _po_view(request, account, result, token, page_number)
    status = 422 if result.error else 200
    return await page(request, "admin/exchange.html", account, context, status=status)


async def po_apply(request: web.Request) -> web.Response:
    """Apply every change of the kept file; report each row that is still refused."""
    account = await changing_staff(request)
    token, result, services = await _checked_upload(request, account)
    language = result.language
    if result.error:
        raise web.HTTPBadRequest()
    refused: list[Refused] = []
    applied = 0
    async with db_session(request) as session:
        editor = Editor(session, account)
        for service_id, fields in result.by_service().items():
            current = TextForm.of(text_in(services[service_id], language)).values()
            saved, errors = await editor.save_translation(service_id, language, current | fields)
            if saved is None:
                refused.extend(
                    Refused(f"service:{service_id}:{name}", fields.get(name, "")[:60], message)
                    for name, message in errors.items()
                )
            else:
                applied += sum(1 for change in result.changes if change.service.id == service_id)
        await session.commit()
    await forget_upload(request.app[database_key], token)
    if not refused:
        raise web.HTTPSeeOther(f"/admin/texts?lang={language}&notice=imported&count={applied}")
    loc = staff_localizer(request, account)
    context = _exchange_context(request, account)
    context["po_applied"] = {
        "language": language,
        "applied": applied,
        "refused": [_refused_view(loc, item) for item in refused],
    }
    return await page(request, "admin/exchange.html", account, context)


def _page_number(request: web.Request) -> int:
    value = request.query.get("page", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 6 else 1


def _refused_view(loc: Localizer, item: Refused) -> tuple[str, str, str]:
    return item.context, item.excerpt, loc.gettext(item.reason).format(**dict(item.values))


def _po_view(
    request: web.Request, account: Any, result: PoImport, token: str, page_number: int
) -> dict[str, Any]:
    loc = staff_localizer(request, account)
    pages = max(1, -(-len(result.changes) // PREVIEW_PAGE_SIZE))
    page_number = min(page_number, pages)
    start = (page_number - 1) * PREVIEW_PAGE_SIZE
    return {
        "language": result.language,
        "token": token,
        "error": loc.gettext(result.error) if result.error else "",
        "changes": result.changes,
        "shown": result.changes[start : start + PREVIEW_PAGE_SIZE],
        "page": page_number,
        "pages": pages,
        "skipped": [_refused_view(loc, item) for item in result.skipped],
    }


async def csv_export(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        services = await visible_services(session, account, request.query.get("city", ""))
        body = export_csv(services).encode("utf-8-sig")
    return _download(body, "services.csv", "text/csv; charset=utf-8")


async def csv_import(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    data = _uploaded((await request.post()).get("file"))
    async with db_session(request) as session:
        report = await import_csv(Editor(session, account), data)
        if report.errors:
            await session.rollback()
        else:
            await session.commit()
    context = _exchange_context(request, account)
    context["csv"] = _csv_view(request, account, report)
    return await page(
        request, "admin/exchange.html", account, context, status=422 if report.errors else 200
    )


def _csv_view(request: web.Request, account: Any, report: CsvImport) -> dict[str, Any]:
    loc = staff_localizer(request, account)
    return {
        "report": report,
        "errors": [(e.line, e.column, loc.gettext(e.message)) for e in report.errors],
    }


def _language_filter(request: web.Request) -> str:
    """The `lang` filter: empty (all languages) or a supported language, else a 400."""
    language = request.query.get("lang", "")
    if language and language not in SUPPORTED_LANGUAGES:
        raise web.HTTPBadRequest()
    return language


async def unanswered_page(request: web.Request) -> web.Response:
    account = await staff(request)
    language = _language_filter(request)
    messages = await UnansweredLog(request.app[database_key]).recent(language or None)
    loc = staff_localizer(request, account)
    context = {
        "groups": grouped(messages),
        "language_filter": language,
        "language_names": {code: loc.language_in_my_language(code) for code in SUPPORTED_LANGUAGES},
    }
    return await page(request, "admin/unanswered.html", account, context)


async def unanswered_export(request: web.Request) -> web.Response:
    account = await staff(request)
    language = _language_filter(request)
    messages = await UnansweredLog(request.app[database_key]).recent(language or None)
    # what people wrote leaves the service: recorded in the privacy log
    await request.app[privacy_key].log.record(
        PrivacyAction.DATA_EXPORTED,
        account.id,
        detail=f"domande non capite ({language or 'tutte'}): {len(messages)}",
    )
    stamp = dt.date.today().isoformat()
    return _download(
        as_nlu_yaml(messages).encode(), f"unanswered-{language or 'all'}-{stamp}.yml", "text/yaml"
    )


def _uploaded(item: Any) -> bytes:
    if item is None or not hasattr(item, "file"):
        return b""
    data: bytes = item.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_UPLOAD_BYTES, len(data))
    return data


def _download(body: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": content_disposition_header("attachment", filename=filename),
            "Cache-Control": "no-store",
        },
    )
