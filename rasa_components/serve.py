"""Starts Rasa the way this project runs it: `python -m rasa_components.serve run …`.

What it adds to `rasa run`:
- the HTTP API token comes from RASA_AUTH_TOKEN or its file (RASA_AUTH_TOKEN_FILE,
  default var/rasa-auth-token) and is handed to Rasa inside this process, so it never
  appears on a command line (`ps`); the action server's secret likewise reaches
  endpoints.yml (`${ACTION_SERVER_TOKEN}`) through the environment;
- files it creates (logs, the SQLite tracker store) are readable by its own user only;
- exceptions are logged with their frames and type, without their message, which in Rasa
  can hold an action server's answer or a message's text (`privacy_logging`).

It imports nothing from the app: Rasa's environment does not have the app's packages.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rasa_components import privacy_logging

SECRETS = {
    "RASA_AUTH_TOKEN": "var/rasa-auth-token",
    "ACTION_SERVER_TOKEN": "var/action-server-token",
}


def read_secrets() -> None:
    for name, default_file in SECRETS.items():
        if os.environ.get(name):
            continue
        path = Path(os.environ.get(f"{name}_FILE", default_file))
        if path.exists():
            os.environ[name] = path.read_text().strip()


def make_log_file_private(arguments: list[str]) -> None:
    if "--log-file" in arguments:
        index = arguments.index("--log-file") + 1
        path = Path(arguments[index]) if index < len(arguments) else None
        if path is not None and path.exists():
            path.chmod(0o600)


def main() -> None:
    os.umask(0o077)
    read_secrets()
    make_log_file_private(sys.argv[1:])
    privacy_logging.install()
    arguments = sys.argv[1:]
    if arguments[:1] == ["run"] and os.environ.get("RASA_AUTH_TOKEN"):
        arguments += ["--auth-token", os.environ["RASA_AUTH_TOKEN"]]  # stays in this process
    sys.argv = ["rasa", *arguments]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
