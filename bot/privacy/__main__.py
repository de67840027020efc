"""Privacy command line: `python -m bot.privacy --help`.

python -m bot.privacy purge [--days N]
    delete what is older than RETENTION_DAYS
python -m bot.privacy forget --staff USERNAME (--pseudonym P | --telegram-id)
    erase a person on a request made by e-mail, as /forget does (topics included)
python -m bot.privacy export --staff USERNAME (--pseudonym P | --telegram-id)
        [--language xx] [--output DIR]
    write a person's data (my-data.txt, my-data.json), as /mydata does
python -m bot.privacy rotate-text-key
    seal every text at rest with a new key, then drop the old one (app and Rasa stopped)
python -m bot.privacy rotate-pseudonym-key
    a new pseudonym key (app stopped): people with a case are renamed at once, the others
    when they write again; the old key is kept in var/pseudonym.key.previous (delete that
    file RETENTION_DAYS after the rotation)

`--telegram-id` takes no value: the id is read from standard input (or asked for), never
from the command line, where `ps`, the shell's history and audit logs would keep it. The
person's pseudonym is computed from it; the id itself is not stored. Every export and
erasure is written to the privacy log under the staff account named by `--staff`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from sqlalchemy import select
from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import SUPPORTED_LANGUAGES, Catalogs
from bot.kb.db import Database
from bot.kb.sealed import load_sealer
from bot.logs import restrict_new_files
from bot.privacy.access import DataAccess
from bot.privacy.erasure import Eraser
from bot.privacy.log import PrivacyLog
from bot.privacy.person import PrivacyConfig, PrivacyDesk, Withdraw
from bot.privacy.rekey import rotate_pseudonym_key, rotate_text_key
from bot.privacy.retention import purge
from bot.pseudonym import Pseudonymizer, load_or_create_key
from bot.settings import Settings, load_settings
from bot.staff.models import StaffAccount

TELEGRAM = "telegram"


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
    for name, help_text in (
        ("forget", "erase a person's data on their request"),
        ("export", "write a person's data to files"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--staff", required=True, help="your staff account (username)")
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("--pseudonym", help="the person's pseudonym")
        who.add_argument(
            "--telegram-id", action="store_true", help="read the Telegram user id from stdin"
        )
        if name == "export":
            command.add_argument("--language", default="it", choices=SUPPORTED_LANGUAGES)
            command.add_argument("--output", type=Path, default=Path("."))
    commands.add_parser("rotate-text-key", help="re-seal every text with a new key")
    commands.add_parser("rotate-pseudonym-key", help="a new pseudonym key, history kept")
    args = parser.parse_args(argv)
    restrict_new_files()
    settings = load_settings()
    if args.command == "purge":
        days = args.days or settings.retention_days
        asyncio.run(_purge(settings.database_url, days, settings.rasa_tracker_database_url))
    elif args.command == "rotate-text-key":
        asyncio.run(_rotate(settings))
    elif args.command == "rotate-pseudonym-key":
        if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
            sys.exit("PSEUDONYM_KEY is set in the environment: rotate the key file instead")
        asyncio.run(_rotate_pseudonyms(settings))
    else:
        pseudonym = args.pseudonym or _pseudonym_from_stdin(settings)
        sys.exit(asyncio.run(_on_behalf(settings, args, pseudonym)))


def _pseudonym_from_stdin(settings: Settings) -> str:
    if sys.stdin.isatty():
        raw = getpass.getpass("Telegram user id (not shown): ")
    else:
        raw = sys.stdin.readline()
    user_id = raw.strip()
    if not user_id.lstrip("-").isdigit():
        sys.exit("not a Telegram user id")
    return Pseudonymizer(_pseudonym_key(settings))(TELEGRAM, int(user_id))


def _pseudonym_key(settings: Settings) -> bytes:
    configured = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    return load_or_create_key(configured, settings.pseudonym_key_file)


async def _on_behalf(settings: Settings, args: argparse.Namespace, pseudonym: str) -> int:
    database = Database(
        settings.database_url, load_sealer(settings.encrypt_texts, settings.text_key_file)
    )
    try:
        async with database.session() as session:
            staff = await session.scalar(
                select(StaffAccount).where(
                    StaffAccount.username == args.staff, StaffAccount.active.is_(True)
                )
            )
        if staff is None:
            print(f"no active staff account {args.staff!r}", file=sys.stderr)
            return 2
        desk = _desk(settings, database, _topic_deleter(settings))
        if args.command == "forget":
            report = await desk.forget(pseudonym, actor_id=staff.id)
            print(("erased: " if report.anything else "nothing kept: ") + report.summary())
            return 0
        loc = Catalogs().localizer(args.language)
        files = await desk.export(pseudonym, loc, actor_id=staff.id)
        args.output.mkdir(parents=True, exist_ok=True)
        for document in files:
            (args.output / document.filename).write_bytes(document.content)
            print(args.output / document.filename)
        return 0
    finally:
        await database.dispose()


def _desk(settings: Settings, database: Database, withdraw: Withdraw | None) -> PrivacyDesk:
    """The same erasure and export as the app's, without Rasa's HTTP API (the tracker is
    erased in its database; the export reads what the app's tables keep)."""
    config = PrivacyConfig(
        controller=settings.privacy_controller_name,
        contact=settings.privacy_controller_contact,
        dpo=settings.privacy_dpo_contact,
        retention_days=settings.retention_days,
        public_url=settings.public_url or "",
    )
    return PrivacyDesk(
        config,
        Eraser(database, settings.rasa_tracker_database_url),
        DataAccess(database, None),
        PrivacyLog(database),
        withdraw,
        None,
    )


def _topic_deleter(settings: Settings) -> Withdraw | None:
    """Deletes a withdrawn case's topic in the mediators' group through the Bot API."""
    if not settings.telegram_enabled or settings.mediators_chat_id is None:
        return None
    assert settings.telegram_bot_token is not None
    chat_id = settings.mediators_chat_id
    token = settings.telegram_bot_token.get_secret_value()

    async def delete(case_id: int, thread_id: int | None, was_open: bool) -> bool:
        if thread_id is None:
            return True
        bot = Bot(token, base_url=settings.telegram_api_base_url)
        try:
            async with bot:
                await bot.delete_forum_topic(chat_id, thread_id)
        except TelegramError:
            print(f"case {case_id}: the topic could not be deleted", file=sys.stderr)
            return False
        return True

    return delete


async def _rotate(settings: Settings) -> None:
    report = await rotate_text_key(
        settings.database_url,
        settings.text_key_file,
        _pseudonym_key(settings),
        settings.rasa_tracker_database_url,
    )
    print(
        f"re-sealed {report.values} texts, {report.addresses} delivery addresses and "
        f"{report.tracker_events} Rasa events with a new key"
    )


async def _rotate_pseudonyms(settings: Settings) -> None:
    _pseudonym_key(settings)  # the key file exists
    report = await rotate_pseudonym_key(
        settings.database_url,
        settings.pseudonym_key_file,
        settings.previous_pseudonym_keys_file,
        load_sealer(settings.encrypt_texts, settings.text_key_file),
        settings.rasa_tracker_database_url,
    )
    print(
        f"new pseudonym key; {report.renamed} people with a case renamed, "
        f"{report.addresses} delivery addresses sealed again"
    )


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
