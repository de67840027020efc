"""Start the real services of the product as subprocesses, on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.ops.topology import rasa_server_command

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ACTION_TOKEN = "test-action-server-token"
MODEL = ROOT / "models" / "assistant.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} not up after {timeout} s:\n{log.read_text()[-4000:]}")


@contextmanager
def running(
    command: list[str], env: dict[str, str], ready_url: str, log: Path, timeout: float
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for_http(ready_url, process, timeout, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass(frozen=True)
class RasaServer:
    url: str
    token: str
    action_port: int
    tracker_url: str = ""  # its tracker store (encrypted events), for erasure and its tests
    text_key_file: Path | None = None


@contextmanager
def rasa_server(workdir: Path, token: str = "test-rasa-token") -> Iterator[RasaServer]:
    """Rasa as the Procfile starts it (`rasa_components.serve`): secrets in the environment."""
    port, action_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        "  headers:\n    X-Action-Token: ${ACTION_SERVER_TOKEN}\n"
        "tracker_store:\n  type: rasa_components.encrypted_tracker.EncryptedSQLTrackerStore\n"
        f"  dialect: sqlite\n  db: {workdir / 'tracker.db'}\n"
    )
    key_file = workdir / "text.key"
    command = rasa_server_command(port, endpoints, MODEL)
    url = f"http://127.0.0.1:{port}"
    env = {
        "PYTHONPATH": str(ROOT),
        "RASA_AUTH_TOKEN": token,
        "ACTION_SERVER_TOKEN": ACTION_TOKEN,
        "TEXT_KEY_FILE": str(key_file),
    }
    with running(command, env, url + "/", workdir / "rasa.log", 240):
        tracker_url = f"sqlite:///{workdir / 'tracker.db'}"
        yield RasaServer(url, token, action_port, tracker_url, key_file)


@contextmanager
def action_server(port: int, database_url: str, log: Path) -> Iterator[None]:
    command = [sys.executable, "-m", "actions.server", "--port", str(port)]
    env = {"DATABASE_URL": database_url, "ACTION_SERVER_TOKEN": ACTION_TOKEN}
    with running(command, env, f"http://127.0.0.1:{port}/health", log, 60):
        yield


@contextmanager
def sample_stack(workdir: Path) -> Iterator[tuple[RasaServer, str, Path]]:
    """Rasa and the action server on a new SQLite database with the sample data (a bench
    section run alone): (Rasa, database URL, working directory)."""
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    prepare_database(database_url)
    with (
        rasa_server(workdir) as rasa,
        action_server(rasa.action_port, database_url, workdir / "actions.log"),
    ):
        yield rasa, database_url, workdir


def prepare_database(database_url: str) -> None:
    """Migrate and load the sample data with the documented commands."""
    env = {**os.environ, "DATABASE_URL": database_url}
    for args in (
        ["bot.kb", "upgrade"],
        ["bot.kb", "load-sample"],
        ["bot.staff", "load-canned-replies"],
    ):
        subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, check=True)
