"""Working with the tools staff already use: PO files for translators (export, import with
a preview), CSV of the services for bulk updates, and the questions the bot could not
answer, exported as Rasa NLU data."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from aiohttp import web

from bot.i18n import SUPPORTED_LANGUAGES
from bot.web.admin.common import (
    bot_localizer,
    changing_staff,
    db_session,
    page,
    staff,
    visible_services,
)
from bot.web.keys import database_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions
from bot.workspace.csv_exchange import CsvImport, export_csv, import_csv
from bot.workspace.editor import Editor, text_in
from bot.workspace.fields import text_values
from bot.workspace.po import PoImport, export_po, read_import
from bot.workspace.unanswered import UnansweredLog, as_nlu_yaml, grouped

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/exchange", exchange_page, name="admin-exchange")
    router.add_get("/admin/po/{lang:[a-z]{2}}.po", po_export)
    router.add_post("/admin/po/{lang:[a-z]{2}}", po_import)
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


async def po_export(request: web.Request) -> web.Response:
    account = await staff(request)
    language = request.match_info["lang"]
    bot_localizer(request, language)
    async with db_session(request) as session:
        services = [
            s
            for s in await visible_services(session, account)
            if permissions.may_translate(account, language, s.city.slug)
        ]
        body = export_po(services, language)
    return _download(body, f"services-{language}.po", "text/x-gettext-translation")


async def po_import(request: web.Request) -> web.Response:
    """First post: the file, checked and previewed. Second post (confirm): applied."""
    account = await changing_staff(request)
    language = request.match_info["lang"]
    bot_localizer(request, language)
    form = await request.post()
    data = _uploaded(form.get("file")) or _decoded(str(form.get("content", "")))
    async with db_session(request) as session:
        services = {s.id: s for s in await visible_services(session, account)}
        result = read_import(data, language, services, account)
        if form.get("confirm") and not result.error:
            editor = Editor(session, account)
            for service_id, fields in result.by_service().items():
                current = _current_text(services[service_id], language)
                await editor.save_translation(service_id, language, current | fields)
            await session.commit()
            raise web.HTTPSeeOther(
                f"/admin/texts?lang={language}&notice=imported&count={len(result.changes)}"
            )
        context = _exchange_context(request, account)
        context["po"] = _po_view(request, account, result, data)
        return await page(
            request, "admin/exchange.html", account, context, status=422 if result.error else 200
        )


def _current_text(service: Any, language: str) -> dict[str, str]:
    return text_values(text_in(service, language))


def _po_view(request: web.Request, account: Any, result: PoImport, data: bytes) -> dict[str, Any]:
    loc = staff_localizer(request, account)
    return {
        "language": result.language,
        "error": loc.gettext(result.error) if result.error else "",
        "changes": result.changes,
        "skipped": [
            (context, text, loc.gettext(reason)) for context, text, reason in result.skipped
        ],
        "content": base64.b64encode(data).decode(),
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


async def unanswered_page(request: web.Request) -> web.Response:
    account = await staff(request)
    language = request.query.get("lang", "")
    log = UnansweredLog(request.app[database_key])
    messages = await log.recent(language or None)
    loc = staff_localizer(request, account)
    context = {
        "groups": grouped(messages),
        "language_filter": language,
        "language_names": {code: loc.language_in_my_language(code) for code in SUPPORTED_LANGUAGES},
    }
    return await page(request, "admin/unanswered.html", account, context)


async def unanswered_export(request: web.Request) -> web.Response:
    await staff(request)
    language = request.query.get("lang", "")
    messages = await UnansweredLog(request.app[database_key]).recent(language or None)
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


def _decoded(content: str) -> bytes:
    try:
        return base64.b64decode(content.encode(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _download(body: bytes, filename: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
