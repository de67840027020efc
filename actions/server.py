"""The action server, as rasa-sdk's, with three differences: it answers only Rasa (a shared
secret in the `X-Action-Token` header, from ACTION_SERVER_TOKEN or the token file), its
errors say which action failed and nothing of the conversation (rasa-sdk's own handler
returns and logs the whole tracker), and the files it creates are private.

    python -m actions.server --port 5055     (what `make run` starts, on 127.0.0.1)
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
from functools import partial

from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from bot.logs import configure_logging, restrict_new_files
from bot.settings import load_settings, read_secret

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Action-Token"
OPEN_PATHS = frozenset({"/health"})


def build_app(actions_package: str) -> Sanic:  # type: ignore[type-arg]
    """One Sanic app (called again in each Sanic worker, so it reads its own settings)."""
    settings = load_settings()
    restrict_new_files()
    configure_logging(settings.log_level)
    token = read_secret(settings.action_server_token, settings.action_server_token_file)
    executor = ActionExecutor()
    executor.register_package(actions_package)
    app = create_app_for_serve(executor, cors_origins=None)

    @app.on_request
    async def only_rasa(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        sent = request.headers.get(TOKEN_HEADER, "")
        if not token or not hmac.compare_digest(sent, token):
            return response.json({"error": "forbidden"}, status=403)
        return None

    @app.on_response
    async def nothing_of_the_conversation(
        request: Request, answer: HTTPResponse
    ) -> HTTPResponse | None:
        """rasa-sdk's error answer carries the whole tracker back to Rasa, which logs it."""
        if answer.status < 500:
            return None
        action = request.json.get("next_action") if isinstance(request.json, dict) else None
        logger.error("action %s failed", action)
        return response.json({"error": "the action failed", "action_name": action}, status=500)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server", description=__doc__)
    parser.add_argument("--actions", default="actions")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    args = parser.parse_args()
    restrict_new_files()
    configure_logging(load_settings().log_level)
    loader = AppLoader(factory=partial(build_app, args.actions))
    app = loader.load()
    app.prepare(host=args.host, port=args.port, workers=1, access_log=False)
    logger.info("action server on http://%s:%s", args.host, args.port)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
