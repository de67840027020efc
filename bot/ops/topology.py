"""The production topology on one machine: N action servers, N Rasa servers, N app workers,
against PostgreSQL and Redis (`make run-prod`; the tests and `make bench` start it too).

- The app's database and Rasa's tracker database are created if missing, migrated, and the
  sample data loaded into a new knowledge base.
- Action servers listen on `action_base_port + i`; Rasa server i calls action server
  i mod N (they are stateless); Rasa servers listen on `rasa_base_port + i` with
  `deploy/endpoints.prod.yml` (tracker store in PostgreSQL, lock store in Redis).
- App workers share `web_port` through SO_REUSEPORT (or get one port each, for tests that
  must address one worker), know every Rasa server (`RASA_URLS`) and share Redis.

Secrets travel in the environment (read from their files), never on a command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, Settings, read_secret, to_sync_url

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"
APP_PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
PROD_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.prod.yml"
MODEL_DIR = PROJECT_ROOT / "models"
READY_TIMEOUT_SECONDS = 300.0


@dataclass
class Topology:
    """What to start. `app_env` adds to (or overrides) the app workers' environment."""

    database_url: str  # the app's PostgreSQL database
    redis_url: str
    rasa_tracker_db: str  # Rasa's tracker database, on the same PostgreSQL server
    app_workers: int = 2
    rasa_servers: int = 2
    action_servers: int = 2
    web_port: int = 8080
    separate_web_ports: list[int] = field(default_factory=list)  # one per worker, if given
    rasa_base_port: int = 5005
    action_base_port: int = 5055
    redis_key_prefix: str = "assistant:"
    rasa_lock_prefix: str = "rasalock"
    # Rasa's lock of a conversation outlives a killed server by this long (Rasa's default 60 s)
    rasa_lock_lifetime_seconds: int = 10
    log_dir: Path = PROJECT_ROOT / "var" / "prod"
    rasa_auth_token: str = ""
    action_server_token: str = ""
    app_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, counts: tuple[int, int, int]) -> Topology:
        rasa_port = urlsplit(settings.rasa_url).port or 5005
        tracker = settings.rasa_tracker_database_url or ""
        tracker_db = make_url(tracker).database if tracker.startswith("postgres") else None
        return cls(
            database_url=settings.database_url,
            redis_url=settings.redis_url or "redis://127.0.0.1:6379/0",
            rasa_tracker_db=tracker_db or f"{make_url(settings.database_url).database}_rasa",
            app_workers=counts[0],
            rasa_servers=counts[1],
            action_servers=counts[2],
            web_port=settings.web_port,
            rasa_base_port=rasa_port,  # 5005, 5006, …
            action_base_port=rasa_port + 50,  # 5055, 5056, …
            redis_key_prefix=settings.redis_key_prefix,
            rasa_auth_token=settings.rasa_token,
            action_server_token=read_secret(
                settings.action_server_token, settings.action_server_token_file
            ),
        )

    @property
    def rasa_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.rasa_base_port + i}" for i in range(self.rasa_servers)]

    def action_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.action_base_port + index % self.action_servers}/webhook"

    @property
    def tracker_url(self) -> str:
        url = make_url(to_sync_url(self.database_url)).set(
            drivername="postgresql+psycopg2", database=self.rasa_tracker_db
        )
        return url.render_as_string(hide_password=False)

    def web_ports(self) -> list[int]:
        return self.separate_web_ports or [self.web_port] * self.app_workers


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    ready_url: str
    log: Path


# --- databases ----------------------------------------------------------------------------


def ensure_database(database_url: str, name: str | None = None) -> bool:
    """Creates the PostgreSQL database (the URL's, or `name` on its server) if missing;
    whether it was created."""
    url = make_url(to_sync_url(database_url))
    wanted = name or url.database
    connection = psycopg2.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (wanted,))
            if cursor.fetchone():
                return False
            cursor.execute(f'CREATE DATABASE "{wanted}"')
            return True
    finally:
        connection.close()


def prepare(topology: Topology) -> None:
    """Databases created if missing and migrated; a new knowledge base gets the samples."""
    created = ensure_database(topology.database_url)
    ensure_database(topology.database_url, topology.rasa_tracker_db)
    commands = [["bot.kb", "upgrade"]]
    if created:
        commands += [["bot.kb", "load-sample"], ["bot.staff", "load-canned-replies"]]
    env = {**os.environ, "DATABASE_URL": topology.database_url}
    for command in commands:
        subprocess.run([sys.executable, "-m", *command], cwd=PROJECT_ROOT, env=env, check=True)


# --- processes ----------------------------------------------------------------------------


def _start(
    name: str, command: list[str], env: dict[str, str], ready: str, log_dir: Path
) -> Service:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Service(name, process, ready, log)


def start_action_server(topology: Topology, index: int) -> Service:
    port = topology.action_base_port + index
    env = {
        "DATABASE_URL": topology.database_url,
        "ACTION_SERVER_TOKEN": topology.action_server_token,
    }
    command = [str(APP_PYTHON), "-m", "actions.server", "--port", str(port)]
    ready = f"http://127.0.0.1:{port}/health"
    return _start(f"actions-{index}", command, env, ready, topology.log_dir)


def rasa_env(topology: Topology, index: int) -> dict[str, str]:
    redis = urlsplit(topology.redis_url)
    tracker = make_url(topology.tracker_url)
    return {
        "PYTHONPATH": str(PROJECT_ROOT),
        "RASA_AUTH_TOKEN": topology.rasa_auth_token,
        "ACTION_SERVER_TOKEN": topology.action_server_token,
        "ACTION_SERVER_URL": topology.action_url(index),
        "RASA_DB_HOST": tracker.host or "127.0.0.1",
        "RASA_DB_NAME": topology.rasa_tracker_db,
        "RASA_DB_USER": tracker.username or "postgres",
        "RASA_DB_PASSWORD": tracker.password or "",
        "RASA_DB_LOGIN_DB": "postgres",
        "REDIS_HOST": redis.hostname or "127.0.0.1",
        "REDIS_PORT": str(redis.port or 6379),
        "REDIS_DB": (redis.path or "/0").strip("/") or "0",
        "REDIS_PASSWORD": redis.password or "",
        "RASA_LOCK_PREFIX": topology.rasa_lock_prefix,
        "TICKET_LOCK_LIFETIME": str(topology.rasa_lock_lifetime_seconds),
    }


def rasa_server_command(port: int, endpoints: Path, model: Path = MODEL_DIR) -> list[str]:
    """Rasa as every deployment starts it: through `rasa_components.serve` (secrets in the
    environment, not on this command line), its HTTP API on loopback only."""
    return [
        str(RASA_PYTHON),
        "-m",
        "rasa_components.serve",
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
        "--model",
        str(model),
    ]


def start_rasa_server(topology: Topology, index: int) -> Service:
    port = topology.rasa_base_port + index
    command = rasa_server_command(port, PROD_ENDPOINTS)
    ready = f"http://127.0.0.1:{port}/"
    return _start(f"rasa-{index}", command, rasa_env(topology, index), ready, topology.log_dir)


def app_env(topology: Topology, port: int) -> dict[str, str]:
    return {
        "DATABASE_URL": topology.database_url,
        "REDIS_URL": topology.redis_url,
        "REDIS_KEY_PREFIX": topology.redis_key_prefix,
        "RASA_URLS": json.dumps(topology.rasa_urls),
        "RASA_AUTH_TOKEN": topology.rasa_auth_token,
        "RASA_TRACKER_DATABASE_URL": topology.tracker_url,
        "WEB_PORT": str(port),
        "WEB_REUSE_PORT": "true",
        **topology.app_env,
    }


def start_app_worker(topology: Topology, index: int) -> Service:
    port = topology.web_ports()[index]
    command = [str(APP_PYTHON), "-m", "bot.main"]
    ready = f"http://127.0.0.1:{port}/healthz"
    return _start(f"app-{index}", command, app_env(topology, port), ready, topology.log_dir)


def wait_ready(services: list[Service], timeout: float = READY_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(services)
    while waiting:
        for service in list(waiting):
            if service.process.poll() is not None:
                tail = service.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{service.name} exited:\n{tail}")
            try:
                with urllib.request.urlopen(service.ready_url, timeout=2):
                    waiting.remove(service)
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"not up after {timeout} s: {[s.name for s in waiting]}")
        time.sleep(0.3)


def stop(services: list[Service], timeout: float = 30.0) -> None:
    """SIGTERM (graceful: the app workers finish what they took), then SIGKILL if needed."""
    for service in services:
        if service.process.poll() is None:
            service.process.terminate()
    for service in services:
        try:
            service.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            service.process.kill()


@contextmanager
def running(topology: Topology) -> Iterator[list[Service]]:
    """Everything started (Rasa servers and action servers at once) and ready."""
    services: list[Service] = []
    try:
        services += [start_action_server(topology, i) for i in range(topology.action_servers)]
        services += [start_rasa_server(topology, i) for i in range(topology.rasa_servers)]
        wait_ready(services)
        apps = [start_app_worker(topology, i) for i in range(topology.app_workers)]
        services += apps
        wait_ready(apps)
        yield services
    finally:
        stop(services)
