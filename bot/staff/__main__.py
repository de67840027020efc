"""Staff accounts and mediators' data: `python -m bot.staff --help`.

    python -m bot.staff create-user --username anna --name "Anna Rossi" --role administrator
    python -m bot.staff create-user --username amal --name Amal --role mediator \\
        --languages ar,fr --cities torino --duty "0-4 09:00-17:00" --telegram-id 123456
    python -m bot.staff load-canned-replies

The password is read from the terminal (or from standard input with --password-stdin).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from ruamel.yaml import YAML
from sqlalchemy import delete, select

from bot.kb.db import Database
from bot.logs import restrict_new_files
from bot.settings import load_settings
from bot.staff.models import CannedReply, Role, StaffAccount
from bot.staff.passwords import hash_password

CANNED_REPLIES_FILE = (
    Path(__file__).resolve().parents[1] / "handoff" / "data" / "canned_replies.yml"
)
MIN_PASSWORD_LENGTH = 10


def parse_duty(spec: str) -> dict[str, object]:
    """ "0-4 09:00-17:00" → Monday to Friday, 9 to 17 ("5 09:00-13:00": Saturday only)."""
    days_part, hours_part = spec.split()
    first, _, last = days_part.partition("-")
    start, end = hours_part.split("-")
    days = list(range(int(first), int(last or first) + 1))
    return {"days": days, "from": start, "to": end}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bot.staff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--name", required=True, help="the name shown to people and colleagues")
    create.add_argument("--role", choices=[role.value for role in Role], default=Role.MEDIATOR)
    create.add_argument("--languages", default="", help="comma-separated, e.g. ar,fr")
    create.add_argument("--cities", default="", help="city slugs, comma-separated; empty = all")
    create.add_argument("--duty", action="append", default=[], help='e.g. "0-4 09:00-17:00"')
    create.add_argument("--telegram-id", type=int, help="their Telegram user id (mediators' group)")
    create.add_argument(
        "--supervisor", action="store_true", help="sees every case, gets escalations"
    )
    create.add_argument("--ui-language", default="it")
    create.add_argument("--password-stdin", action="store_true")
    commands.add_parser(
        "load-canned-replies", help="replace the canned replies with the bundled ones"
    )
    args = parser.parse_args(argv)
    restrict_new_files()  # the database it may create holds personal data

    settings = load_settings()
    if args.command == "create-user":
        password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass()
        if len(password) < MIN_PASSWORD_LENGTH:
            parser.error(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
        account = StaffAccount(
            username=args.username,
            display_name=args.name,
            password_hash=hash_password(password),
            role=args.role,
            is_supervisor=args.supervisor,
            ui_language=args.ui_language,
            languages=[x for x in args.languages.split(",") if x],
            city_slugs=[x for x in args.cities.split(",") if x],
            duty_hours=[parse_duty(spec) for spec in args.duty],
            telegram_user_id=args.telegram_id,
        )
        asyncio.run(_create(settings.database_url, account))
        print(f"created {args.role} {args.username}")
    elif args.command == "load-canned-replies":
        count = asyncio.run(load_canned_replies(settings.database_url))
        print(f"loaded {count} canned replies")


async def _create(database_url: str, account: StaffAccount) -> None:
    database = Database(database_url)
    try:
        async with database.session() as session:
            if await session.scalar(
                select(StaffAccount).where(StaffAccount.username == account.username)
            ):
                raise SystemExit(f"an account {account.username!r} exists already")
            session.add(account)
            await session.commit()
    finally:
        await database.dispose()


async def load_canned_replies(database_url: str, path: Path = CANNED_REPLIES_FILE) -> int:
    items = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    database = Database(database_url)
    try:
        async with database.session() as session:
            await session.execute(delete(CannedReply))
            session.add_all(
                CannedReply(language=i["language"], title=i["title"], body=i["body"]) for i in items
            )
            await session.commit()
    finally:
        await database.dispose()
    return len(items)


if __name__ == "__main__":
    main()
