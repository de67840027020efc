"""`python -m bot.ops run-prod` (what `make run-prod` starts): the production topology on
this machine until Ctrl-C or SIGTERM. See bot/ops/topology.py and docs/scaling.md."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from bot.logs import configure_logging, restrict_new_files
from bot.ops.topology import Topology, prepare, running
from bot.settings import load_settings

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/assistant"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

logger = logging.getLogger("bot.ops")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run-prod", help="N app workers, Rasa servers and action servers")
    parser.parse_args(argv)
    restrict_new_files()
    settings = load_settings()
    configure_logging(settings.log_level)
    if settings.telegram_enabled and not settings.telegram_webhook_url:
        # getUpdates admits one caller per bot: several workers need the webhook
        parser.error("the production profile needs TELEGRAM_WEBHOOK_URL (webhook mode)")
    if settings.database_url.startswith("sqlite"):
        settings.database_url = DEFAULT_POSTGRES_URL  # the production profile: PostgreSQL
    settings.redis_url = settings.redis_url or DEFAULT_REDIS_URL
    counts = (settings.prod_app_workers, settings.prod_rasa_servers, settings.prod_action_servers)
    topology = Topology.from_settings(settings, counts)
    prepare(topology)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with running(topology) as services:
        logger.info(
            "production profile: %s app workers on http://127.0.0.1:%s/, Rasa %s, logs in %s",
            counts[0],
            topology.web_port,
            ", ".join(topology.rasa_urls),
            topology.log_dir,
        )
        try:
            while not stopped.wait(1.0):
                for service in services:
                    if service.process.poll() is not None:
                        logger.error("%s exited (see its log)", service.name)
                        stopped.set()
        except KeyboardInterrupt:
            pass
        logger.info("stopping: app workers finish what they took")


if __name__ == "__main__":
    main()
