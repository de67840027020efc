"""Signing in to the workspace, and its dashboard: what expires soon, what has expired,
translations to do, questions the bot could not answer."""

from __future__ import annotations

from collections import Counter

from aiohttp import web

from bot.core.cards import today_in_italy
from bot.i18n import SUPPORTED_LANGUAGES
from bot.kb.unanswered import UnansweredLog
from bot.staff.models import Role
from bot.web import auth
from bot.web.admin.common import LOGIN_PATH, db_session, page, staff, visible_services
from bot.web.keys import database_key
from bot.web.pages import attempt_sign_in, render
from bot.workspace import permissions
from bot.workspace.editor import TranslationStatus, expired, expiring, translation_overview

EXPIRING_DAYS = 30


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(LOGIN_PATH, sign_in_page)
    router.add_post(LOGIN_PATH, sign_in)
    router.add_post("/admin/logout", sign_out)
    router.add_get("/admin", dashboard, name="admin-dashboard")


async def sign_in_page(request: web.Request) -> web.Response:
    return await render(request, "admin/login.html", None, {"error": None})


async def sign_in(request: web.Request) -> web.Response:
    account = await attempt_sign_in(request, "admin/login.html")
    if isinstance(account, web.Response):
        return account
    if account.role == Role.MEDIATOR:
        raise web.HTTPSeeOther("/console")
    raise web.HTTPSeeOther("/admin")


async def sign_out(request: web.Request) -> web.Response:
    await auth.check_csrf(request)
    await auth.sign_out(request, await auth.signed_in_account(request))
    raise web.HTTPSeeOther(LOGIN_PATH)


async def dashboard(request: web.Request) -> web.Response:
    account = await staff(request)
    today = today_in_italy()
    languages = permissions.translation_languages(account, SUPPORTED_LANGUAGES)
    async with db_session(request) as session:
        services = await visible_services(session, account, light=True)
        overview = await translation_overview(session, [s.id for s in services], languages)
    to_translate = Counter(
        (language, status.value)
        for (_, language), status in overview.items()
        if status != TranslationStatus.UP_TO_DATE
    )
    unanswered = await UnansweredLog(request.app[database_key]).recent(days=30)
    context = {
        "today": today,
        "expiring": expiring(services, today, EXPIRING_DAYS),
        "expired": expired(services, today),
        "no_end_date": sum(1 for s in services if s.valid_until is None),
        "service_count": len(services),
        "to_translate": sorted(to_translate.items()),
        "unanswered": Counter(m.language for m in unanswered).most_common(),
        "expiring_days": EXPIRING_DAYS,
    }
    return await page(request, "admin/dashboard.html", account, context)
