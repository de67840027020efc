"""Staff accounts, for administrators: create, change role, languages and cities,
deactivate, set a new password."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.i18n import N_, SUPPORTED_LANGUAGES
from bot.staff.models import Role, StaffAccount
from bot.staff.passwords import hash_password
from bot.web.admin.common import changing_staff, db_session, page, require, staff, visible_cities
from bot.web.auth import sessions_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions

MIN_PASSWORD_CHARS = 12


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/accounts", account_list, name="admin-accounts")
    router.add_post("/admin/accounts", create_account)
    router.add_post("/admin/accounts/{id:[1-9][0-9]{0,8}}", update_account)


async def account_list(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    account = await staff(request)
    require(permissions.may_manage_accounts(account))
    async with db_session(request) as session:
        accounts = (
            await session.scalars(select(StaffAccount).order_by(StaffAccount.username))
        ).all()
        cities = await visible_cities(session, account)
    context = {
        "accounts": accounts,
        "roles": [role.value for role in Role],
        "cities": cities,
        "error": error,
    }
    return await page(request, "admin/accounts.html", account, context, status=status)


async def create_account(request: web.Request) -> web.Response:
    admin = await changing_staff(request)
    require(permissions.may_manage_accounts(admin))
    form = await request.post()
    loc = staff_localizer(request, admin)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    error = _password_error(password) or ("" if username else N_("The username is required."))
    if error:
        return await account_list(request, loc.gettext(error), 422)
    account = StaffAccount(
        username=username,
        display_name=str(form.get("display_name", "")).strip() or username,
        password_hash=hash_password(password),
    )
    _apply(account, form)
    async with db_session(request) as session:
        session.add(account)
        try:
            await session.commit()
        except IntegrityError:
            return await account_list(request, loc.gettext("This username is taken."), 422)
    raise web.HTTPSeeOther("/admin/accounts?notice=saved")


async def update_account(request: web.Request) -> web.Response:
    admin = await changing_staff(request)
    require(permissions.may_manage_accounts(admin))
    form = await request.post()
    password = str(form.get("password", ""))
    if password and (error := _password_error(password)):
        return await account_list(request, staff_localizer(request, admin).gettext(error), 422)
    async with db_session(request) as session:
        account = await session.get(StaffAccount, int(request.match_info["id"]))
        if account is None:
            raise web.HTTPNotFound()
        before = (account.role, account.is_supervisor, account.active)
        _apply(account, form)
        account.active = bool(form.get("active")) or account.id == admin.id
        if password:
            account.password_hash = hash_password(password)
        account_id, changed = (
            account.id,
            bool(password)
            or before
            != (
                account.role,
                account.is_supervisor,
                account.active,
            ),
        )
        await session.commit()
    if changed:  # a new password, role or a disabled account: every session ends now
        await request.app[sessions_key].end_all(account_id)
    raise web.HTTPSeeOther("/admin/accounts?notice=saved")


def _apply(account: StaffAccount, form: MultiMapping[Any]) -> None:
    role = str(form.get("role", Role.MEDIATOR))
    account.role = role if role in {r.value for r in Role} else Role.MEDIATOR
    account.languages = [str(c) for c in form.getall("languages", []) if c in SUPPORTED_LANGUAGES]
    account.city_slugs = [str(c) for c in form.getall("cities", []) if str(c)]
    ui_language = str(form.get("ui_language", account.ui_language or "it"))
    account.ui_language = ui_language if ui_language in SUPPORTED_LANGUAGES else "it"


def _password_error(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        return N_("The password needs at least 12 characters.")
    return ""
