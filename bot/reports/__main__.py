"""`python -m bot.reports --from 2026-01 --to 2026-12 --out report.xlsx` writes the indicator
report for whole months: XLSX, or CSV files in a ZIP when the name ends in .zip. Filters:
--city (repeatable), --language, --channel. `backfill` and `close-years` are the one-off and
daily jobs, for deployments that run them from a scheduler."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.analytics.backfill import backfill_once
from bot.analytics.export import to_csv_zip, to_xlsx
from bot.analytics.indicators import Filters
from bot.analytics.periods import Period
from bot.analytics.reach_years import close_years
from bot.analytics.report import Labels, build_report, city_names
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.settings import load_settings


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.reports", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="write the indicator report")
    report.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    report.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    report.add_argument("--out", type=Path, required=True, help="a .xlsx or .zip file")
    report.add_argument("--city", action="append", default=None, help="a city's slug")
    report.add_argument("--language", default="")
    report.add_argument("--channel", default="")
    commands.add_parser("backfill", help="facts from the data still kept (once)")
    commands.add_parser("close-years", help="delete the salts of past years")
    return parser.parse_args(argv)


async def write_report(database: Database, args: argparse.Namespace, language: str) -> Path:
    try:
        period = Period.parse(args.first, args.last)
    except ValueError as error:
        raise SystemExit(f"bad period: {error}") from None
    filters = Filters(
        period, frozenset(args.city) if args.city else None, args.language, args.channel
    )
    async with database.session() as session:
        labels = Labels(Catalogs().localizer(language), await city_names(session))
        report = await build_report(session, filters, labels)
    data = to_csv_zip(report) if args.out.suffix.lower() == ".zip" else to_xlsx(report)
    out: Path = args.out
    out.write_bytes(data)
    return out


async def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = load_settings()
    database = Database(settings.database_url)
    try:
        if args.command == "report":
            print(await write_report(database, args, settings.staff_language))
        elif args.command == "backfill":
            print("backfilled" if await backfill_once(database) else "already backfilled")
        else:
            print(f"salts deleted: {await close_years(database)}")
    finally:
        await database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
