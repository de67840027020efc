"""Start-up does not depend on optional Telegram calls (issue 9): against a Bot API that
refuses `setMyCommands` (an older local Bot API server, an outage), the app starts, answers
people, and publishes its commands once the Bot API accepts them."""

from __future__ import annotations

from typing import Any

from tests.support.expect import plain, translated
from tests.support.telegram_double import TOKEN, BotApiDouble, TelegramUser

ERROR = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


async def test_the_bot_answers_while_its_commands_cannot_be_published(
    app_factory: Any,
) -> None:
    double = BotApiDouble()
    double.fail_next.extend([("setMyCommands", 500, ERROR)] * 3)
    await double.start()
    try:
        await app_factory(
            telegram_bot_token=TOKEN,
            telegram_api_base_url=double.base_url,
            telegram_api_file_url=double.file_url,
            telegram_startup_retry_seconds=0.2,
        )
        person = TelegramUser(id=777_001, language_code="sq")
        double.send_text(person, "/start")
        (welcome, _picker) = await double.replies(person.id, 0, count=2)
        assert translated("sq", "Choose your language:") not in plain(welcome.text)
        published = await double.wait_for(
            lambda calls: [c for c in calls if c.method == "setMyCommands" and not c.failed],
            what="the commands published after the refusals",
        )
        assert published
    finally:
        await double.stop()
