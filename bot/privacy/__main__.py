"""Privacy command line: `python -m bot.privacy --help`.

python -m bot.privacy purge [--days N]    delete what is older than RETENTION_DAYS
"""

from __future__ import annotations

import argparse
import asyncio

from bot.kb.db import Database
from bot.logs import restrict_new_files
from bot.privacy.retention import purge
from bot.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.privacy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    purge_command = commands.add_parser(
        "purge", help="delete what is older than the retention period"
    )
    purge_command.add_argument("--days", type=int, help="instead of RETENTION_DAYS")
    args = parser.parse_args(argv)
    restrict_new_files()
    settings = load_settings()
    if args.command == "purge":
        days = args.days or settings.retention_days
        asyncio.run(_purge(settings.database_url, days, settings.rasa_tracker_database_url))


async def _purge(database_url: str, days: int, tracker_url: str | None) -> None:
    database = Database(database_url)
    try:
        report = await purge(database, days, tracker_url)
    finally:
        await database.dispose()
    print(
        f"deleted {report.cases} closed cases, {report.unanswered} unanswered questions, "
        f"{report.people} profiles, {report.conversations} Rasa conversations "
        f"older than {days} days"
    )


if __name__ == "__main__":
    main()
