"""The privacy log, for administrators: who on the staff opened a case, exported or erased
a person's data, and which cases people withdrew (`bot.privacy.models`)."""

from __future__ import annotations

from aiohttp import web

from bot.privacy.models import PrivacyAction
from bot.web.admin.common import page, require, staff
from bot.web.keys import privacy_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions

PAGE_SIZE = 500


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/privacy", privacy_log, name="admin-privacy")


async def privacy_log(request: web.Request) -> web.Response:
    account = await staff(request)
    require(permissions.may_manage_accounts(account))  # administrators only
    entries = await request.app[privacy_key].log.recent(PAGE_SIZE)
    loc = staff_localizer(request, account)
    labels = {
        PrivacyAction.CASE_VIEWED: loc.gettext("opened the request"),
        PrivacyAction.DATA_EXPORTED: loc.gettext("exported the person's data"),
        PrivacyAction.DATA_ERASED: loc.gettext("erased the person's data on request"),
        PrivacyAction.WITHDRAWN: loc.gettext("the person erased their data (/forget)"),
    }
    context = {"entries": entries, "action_labels": labels}
    return await page(request, "admin/privacy_log.html", account, context)
