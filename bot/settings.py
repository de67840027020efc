"""One typed settings object, built once at start-up from the environment (and `.env`).

Nothing in the project reads the environment at import time: `load_settings()` is called
by each entry point (`bot.main`, the action server's first use of the knowledge base,
the command-line tools) and the result is passed on.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'assistant.db'}"


class Settings(BaseSettings):
    """Runtime configuration. Every field is documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=PROJECT_ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    # Telegram's flood limit for one group (the mediators' group): messages per minute
    telegram_group_messages_per_minute: int = Field(default=20, ge=1)
    telegram_webhook_secret: SecretStr | None = None
    telegram_poll_interval: float = 0.0

    database_url: str = DEFAULT_DATABASE_URL
    # production: Redis for what the app processes share (limits, live events, intake); unset = in-process
    redis_url: str | None = None
    # prefix of every Redis key and channel of this deployment (two deployments, or test runs,
    # on one Redis never meet)
    redis_key_prefix: str = "assistant:"

    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # several app workers on one port (the kernel's SO_REUSEPORT spreads the connections)
    web_reuse_port: bool = False

    # the intake of Telegram updates through Redis Streams (webhook mode with redis_url):
    # partitions by chat, each owned by one worker at a time under a lease
    intake_partitions: int = Field(default=32, ge=1, le=1024)
    intake_lease_seconds: float = Field(default=10.0, gt=1)
    # how long a processed update id is remembered (a redelivery is not answered twice)
    intake_remember_seconds: int = Field(default=48 * 3600, ge=60)
    # `make run-prod`: how many of each process kind (python -m bot.ops run-prod)
    prod_app_workers: int = Field(default=2, ge=1)
    prod_rasa_servers: int = Field(default=2, ge=1)
    prod_action_servers: int = Field(default=2, ge=1)

    rasa_url: str = "http://127.0.0.1:5005"
    # several Rasa servers: each person goes to one of them (consistent hash of the pseudonym),
    # and to the next one while it is down; empty = [rasa_url]
    rasa_urls: list[str] = []
    # seconds a Rasa server that refused a connection is skipped before being tried again
    rasa_down_seconds: float = Field(default=5.0, gt=0)
    # calls one app process makes to one Rasa server at once (the others wait their turn)
    rasa_concurrency_per_server: int = Field(default=4, ge=1)
    # the token of Rasa's HTTP API, also the secret of the app's own channel into Rasa
    # (`make setup` writes one to var/rasa-auth-token; Procfile passes it in the environment)
    rasa_auth_token: SecretStr | None = None
    rasa_auth_token_file: Path = PROJECT_ROOT / "var" / "rasa-auth-token"
    rasa_timeout_seconds: float = 15.0
    # Rasa calls the action server with this secret (header X-Action-Token)
    action_server_token: SecretStr | None = None
    action_server_token_file: Path = PROJECT_ROOT / "var" / "action-server-token"

    pseudonym_key: SecretStr | None = None
    pseudonym_key_file: Path = PROJECT_ROOT / "var" / "pseudonym.key"
    # pseudonym key rotation (`python -m bot.privacy rotate-pseudonym-key`): the keys used
    # before, newest first, kept until RETENTION_DAYS after the rotation
    previous_pseudonym_keys_file: Path = PROJECT_ROOT / "var" / "pseudonym.key.previous"

    # texts at rest (case messages, notes, summaries, unanswered questions, delivery
    # addresses, Rasa's events): Fernet keys, one per line, the first seals (`make setup`
    # writes var/text.key; `python -m bot.privacy rotate-text-key` rotates it)
    encrypt_texts: bool = True
    text_key_file: Path = PROJECT_ROOT / "var" / "text.key"

    # the privacy notice: who answers for the data (the municipality), and its DPO
    privacy_controller_name: str = "Comune (titolare del trattamento)"
    privacy_controller_contact: str = "privacy@comune.example.it"
    privacy_dpo_contact: str = "dpo@comune.example.it"

    # handoff to cultural mediators
    mediators_chat_id: int | None = None  # the mediators' supergroup (forum topics on)
    handoff_escalate_after_minutes: float = Field(default=15.0, gt=0)
    handoff_relay_interval_seconds: float = Field(default=2.0, gt=0)
    bridge_languages: list[str] = ["en", "fr"]
    staff_language: str = "it"  # the language of mediators' and staff's pages and posts
    time_zone: str = "Europe/Rome"  # for duty hours

    # the staff web pages (/console, /admin)
    session_key: SecretStr | None = None  # 32+ characters; derived from the pseudonym key if unset
    # the public address of this app (e.g. https://assistant.comune.example.it): cookies are
    # Secure when it is HTTPS, and WebSockets must come from its origin
    public_url: str | None = None
    # reverse proxies (addresses or networks) whose X-Forwarded-For / -Proto are believed
    trusted_proxies: list[str] = []
    staff_session_hours: float = Field(default=10.0, gt=0)
    # failed sign-ins per (username, address) before delays start, and a ceiling per address
    sign_in_free_attempts: int = Field(default=5, ge=1)
    sign_in_address_ceiling: int = Field(default=100, ge=1)

    # limits on the public surfaces
    person_messages_per_minute: int = Field(default=30, ge=1)  # any channel, per person
    webchat_messages_per_minute: int = Field(default=120, ge=1)  # per client address
    webchat_new_people_per_hour: int = Field(default=60, ge=1)  # per client address
    webchat_open_cases_per_address: int = Field(default=3, ge=1)

    # the relay, retention and reminders (off for a second app on the same database in tests)
    run_background_work: bool = True
    # how long to wait before retrying a Telegram start-up call that failed
    telegram_startup_retry_seconds: float = Field(default=30.0, gt=0)

    # retention: what people leave behind (closed cases, unanswered questions, profiles,
    # Rasa's conversations) is deleted this many days after its last use
    retention_days: int = Field(default=180, ge=1)
    rasa_tracker_database_url: str | None = f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa-tracker.db'}"

    default_language: str = "it"
    max_text_chars: int = Field(default=1000, ge=100, le=4000)
    log_level: str = "INFO"
    # /metrics and /readyz answer loopback callers that came through no proxy; with this token
    # (header `Authorization: Bearer …`) they answer anyone who presents it (a Prometheus elsewhere)
    metrics_token: SecretStr | None = None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None and bool(
            self.telegram_bot_token.get_secret_value()
        )

    @property
    def rasa_servers(self) -> list[str]:
        return list(self.rasa_urls) or [self.rasa_url]

    @property
    def rasa_token(self) -> str:
        return self.rasa_auth_token.get_secret_value() if self.rasa_auth_token else ""

    @property
    def public_is_https(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    @property
    def sync_database_url(self) -> str:
        """The same database for synchronous tools (Alembic, the sample-data loader)."""
        return to_sync_url(self.database_url)


def to_sync_url(url: str) -> str:
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg2")


def to_async_url(url: str) -> str:
    if url.startswith("sqlite:"):
        return url.replace("sqlite:", "sqlite+aiosqlite:", 1)
    if url.startswith(("postgresql:", "postgres:")):
        return "postgresql+asyncpg:" + url.split(":", 1)[1]
    if url.startswith("postgresql+psycopg2:"):
        return url.replace("postgresql+psycopg2:", "postgresql+asyncpg:", 1)
    return url


def read_secret(configured: SecretStr | None, file: Path) -> str:
    """A secret from the environment, else from its file (`make setup` writes it); "" if none.
    Secrets travel in the environment or in files, never on a command line."""
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    return file.read_text().strip() if file.exists() else ""


def load_settings(**overrides: object) -> Settings:
    settings = Settings(**overrides)  # type: ignore[arg-type]
    settings.database_url = to_async_url(settings.database_url)
    settings.rasa_auth_token = SecretStr(
        read_secret(settings.rasa_auth_token, settings.rasa_auth_token_file)
    )
    return settings
