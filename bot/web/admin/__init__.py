"""The staff workspace (/admin): desk staff and translators edit what the bot says.

Every handler starts with `staff(request)` (signed in, allowed in the workspace) and every
change checks the CSRF token; what each role may touch is decided in
`bot.workspace.permissions`, on the server.
"""

from __future__ import annotations

from aiohttp import web

from bot.web.admin import (
    accounts,
    audit,
    cities,
    dashboard,
    exchange,
    privacy_log,
    services,
    statistics,
    texts,
)


def add_admin_routes(app: web.Application) -> None:
    for module in (
        dashboard,
        cities,
        services,
        texts,
        exchange,
        audit,
        accounts,
        privacy_log,
        statistics,
    ):
        module.add_routes(app.router)
