"""Entry point of the app: `python -m bot.main` (what `make run` starts)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.logs import ACCESS_LOG_FORMAT, configure_logging, make_private, restrict_new_files
from bot.settings import PROJECT_ROOT, load_settings
from bot.web.app import create_app
from bot.web.keys import database_key


def main() -> None:
    restrict_new_files()
    settings = load_settings()
    configure_logging(settings.log_level)
    make_private(PROJECT_ROOT / "var")
    app = create_app(settings)
    app[database_key].make_private()
    logging.getLogger(__name__).info(
        "web chat on http://%s:%s/", settings.web_host, settings.web_port
    )
    web.run_app(
        app,
        host=settings.web_host,
        port=settings.web_port,
        reuse_port=settings.web_reuse_port or None,  # several workers on one port
        print=None,
        access_log_format=ACCESS_LOG_FORMAT,
    )


if __name__ == "__main__":
    main()
