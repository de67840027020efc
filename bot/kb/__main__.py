"""Knowledge-base command line: `python -m bot.kb --help`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.kb import migrate
from bot.kb.db import Database
from bot.kb.loader import SAMPLE_DATA_DIR, load_directory
from bot.kb.nlu_export import city_training_data
from bot.kb.queries import list_cities
from bot.logs import restrict_new_files
from bot.settings import PROJECT_ROOT, load_settings

DEFAULT_NLU_OUTPUT = PROJECT_ROOT / "nlu_data" / "generated" / "cities.yml"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.kb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("upgrade", help="create or migrate the database schema (Alembic)")
    load = commands.add_parser("load", help="load cities and services from a data directory")
    load.add_argument("directory", type=Path, nargs="?", default=SAMPLE_DATA_DIR)
    load.add_argument(
        "--sample", action="store_true", help="mark the entries as sample data to verify"
    )
    commands.add_parser("load-sample", help="load the bundled sample data (marked as sample)")
    export = commands.add_parser("export-nlu", help="write city names as Rasa training data")
    export.add_argument("--output", type=Path, default=DEFAULT_NLU_OUTPUT)
    revision = commands.add_parser("revision", help="autogenerate a new migration")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    restrict_new_files()  # the database it may create holds personal data

    settings = load_settings()
    if args.command == "upgrade":
        migrate.upgrade(settings.database_url)
    elif args.command == "revision":
        migrate.new_revision(settings.database_url, args.message)
    elif args.command == "load":
        asyncio.run(_load(settings.database_url, args.directory, sample=args.sample))
    elif args.command == "load-sample":
        asyncio.run(_load(settings.database_url, SAMPLE_DATA_DIR, sample=True))
    elif args.command == "export-nlu":
        asyncio.run(_export_nlu(settings.database_url, args.output))


async def _load(database_url: str, directory: Path, *, sample: bool) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            report = await load_directory(session, directory, sample=sample)
    finally:
        await database.dispose()
    print(f"loaded {report.cities} cities, {report.services} services, {report.texts} texts")


async def _export_nlu(database_url: str, output: Path) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            cities = await list_cities(session)
    finally:
        await database.dispose()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(city_training_data(cities), encoding="utf-8")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
