"""The full privacy notice, a page in every supported language (/privacy/<language>).

Plain language, short sentences; the deployment's facts (controller, contact, DPO,
retention) come from the settings. The short notice in the chat links here.
"""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from bot.i18n import SUPPORTED_LANGUAGES, negotiate_language
from bot.web.keys import catalogs_key, privacy_key


def add_notice_routes(app: web.Application) -> None:
    app.router.add_get("/privacy", notice_page)
    app.router.add_get("/privacy/{language}", notice_page)


async def notice_page(request: web.Request) -> web.Response:
    asked = request.match_info.get("language")
    language = (
        asked
        if asked in SUPPORTED_LANGUAGES
        else negotiate_language(
            [request.headers.get("Accept-Language", "").split(",")[0].split(";")[0].strip()],
            "it",
        )
    )
    loc = request.app[catalogs_key].localizer(language)
    facts = request.app[privacy_key].facts(loc)
    context = {
        "_": loc.gettext,
        "language": language,
        "direction": "rtl" if loc.rtl else "ltr",
        "facts": facts,
        "iso": loc.isolate,
        "languages": [(code, loc.language_in_my_language(code)) for code in SUPPORTED_LANGUAGES],
    }
    return aiohttp_jinja2.render_template("privacy.html", request, context)
