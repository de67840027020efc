"""The audit log: who changed what and when, before and after, with undo."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from bot.staff.models import Role
from bot.web.admin.common import changing_staff, db_session, page, staff
from bot.workspace import permissions
from bot.workspace.editor import Editor, UndoConflict, changed_fields
from bot.workspace.models import AuditEntry

PAGE_SIZE = 100


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/audit", audit_log, name="admin-audit")
    router.add_get("/admin/audit/{id:[1-9][0-9]{0,8}}", audit_entry)
    router.add_post("/admin/audit/{id:[1-9][0-9]{0,8}}/undo", undo)


async def audit_log(request: web.Request) -> web.Response:
    account = await staff(request)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)
    if account.role == Role.CITY_EDITOR:
        query = query.where(AuditEntry.city_slug.in_(account.city_slugs))
    elif account.role == Role.TRANSLATOR:
        query = query.where(AuditEntry.account_id == account.id)
    async with db_session(request) as session:
        entries = (await session.scalars(query)).all()
    return await page(request, "admin/audit.html", account, {"entries": entries})


async def audit_entry(request: web.Request) -> web.Response:
    account = await staff(request)
    async with db_session(request) as session:
        entry = await session.get(AuditEntry, int(request.match_info["id"]))
    if entry is None:
        raise web.HTTPNotFound()
    if not (
        permissions.may_see_city(account, entry.city_slug)
        and (account.role != Role.TRANSLATOR or entry.account_id == account.id)
    ):
        raise web.HTTPForbidden()
    context = {
        "entry": entry,
        "rows": changed_fields(entry),
        "may_undo": entry.entity == "service"
        and entry.undone_by_id is None
        and entry.action != "undo"
        and permissions.may_edit_city(account, entry.city_slug),
        "conflict": request.query.get("conflict") == "1",
    }
    return await page(request, "admin/audit_entry.html", account, context)


async def undo(request: web.Request) -> web.Response:
    account = await changing_staff(request)
    entry_id = int(request.match_info["id"])
    async with db_session(request) as session:
        try:
            await Editor(session, account).undo(entry_id)
        except UndoConflict:
            raise web.HTTPSeeOther(f"/admin/audit/{entry_id}?conflict=1") from None
        await session.commit()
    raise web.HTTPSeeOther("/admin/audit?notice=undone")
