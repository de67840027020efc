"""Entry point of the app: `python -m bot.main` (what `make run` starts)."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.settings import load_settings
from bot.web.app import create_app


def configure_logging(level: str) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    # httpx logs every request URL, and Bot API URLs contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)


def main() -> None:
    settings = load_settings()
    configure_logging(settings.log_level)
    app = create_app(settings)
    logging.getLogger(__name__).info(
        "web chat on http://%s:%s/", settings.web_host, settings.web_port
    )
    web.run_app(app, host=settings.web_host, port=settings.web_port, print=None)


if __name__ == "__main__":
    main()
