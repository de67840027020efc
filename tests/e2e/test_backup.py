"""Backups: a PostgreSQL database the app used is dumped with `deploy/backup.sh`, restored
into a fresh database with `deploy/restore.sh`, and the bot (real Rasa, action server and
app, all on the restored database) answers from it: an edit made before the dump shows."""

from __future__ import annotations

import html
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psycopg2
import pytest

from bot.settings import load_settings
from tests.conftest import start_app
from tests.support import processes
from tests.support.databases import POSTGRES_URL, postgres_database

PG_ENV = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}


def run(script: str, *args: str) -> None:
    subprocess.run(
        [str(processes.ROOT / "deploy" / script), *args],
        env={**os.environ, **PG_ENV},
        check=True,
        capture_output=True,
    )


def dsn(url: str) -> str:
    return f"host=127.0.0.1 port=5432 user=postgres dbname={url.rsplit('/', 1)[1]}"


def rename_a_job_service(url: str, name: str) -> None:
    with psycopg2.connect(dsn(url)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "UPDATE service SET name = %s WHERE id = (SELECT s.id FROM service s "
            "JOIN city c ON c.id = s.city_id WHERE c.slug = 'bari' AND s.topic = 'job' "
            "ORDER BY s.id LIMIT 1)",
            (name,),
        )
        assert cursor.rowcount == 1


@pytest.fixture
def restored(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(name given before the dump, URL of the restored database)."""
    name = f"Centro per l'impiego restaurato {uuid.uuid4().hex[:6]}"
    restored_name = f"assistant_restored_{uuid.uuid4().hex[:10]}"
    with postgres_database() as original:
        processes.prepare_database(original)
        rename_a_job_service(original, name)
        dump = tmp_path / "assistant.dump"
        run("backup.sh", original.rsplit("/", 1)[1], str(dump))
        assert dump.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    # the original is gone: only the dump is left
    run("restore.sh", str(dump), restored_name)
    try:
        yield name, POSTGRES_URL.format(name=restored_name)
    finally:
        subprocess.run(
            ["dropdb", "--force", "--if-exists", restored_name],
            env={**os.environ, **PG_ENV},
            check=True,
        )


async def test_the_bot_answers_from_a_restored_backup(
    restored: tuple[str, str], tmp_path: Path
) -> None:
    name, url = restored
    with (
        processes.rasa_server(tmp_path) as rasa,
        processes.action_server(rasa.action_port, url, tmp_path / "actions.log"),
    ):
        settings = load_settings(
            database_url=url,
            rasa_url=rasa.url,
            rasa_auth_token=rasa.token,
            web_port=processes.free_port(),
            pseudonym_key="restored-backup-pseudonym-key",
            pseudonym_key_file=tmp_path / "pseudonym.key",
            session_key="restored-backup-session-key-0123456789abcdef",
            run_background_work=False,
            rasa_tracker_database_url=None,
        )
        runner = await start_app(settings)
        try:
            base = f"http://127.0.0.1:{settings.web_port}"
            async with aiohttp.ClientSession(
                headers={"Accept-Language": "it"}, cookie_jar=aiohttp.CookieJar(unsafe=True)
            ) as person:
                for body in ({"button": "t:job"}, {"button": "city:bari"}):
                    async with person.post(base + "/api/chat", json=body) as response:
                        assert response.status == 200
                        answer = await response.json()
            cards = html.unescape(" ".join(m["text"] for m in answer["messages"]))
            assert name in cards
        finally:
            await runner.cleanup()
