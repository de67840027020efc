"""Logging that keeps people out of the logs.

No log line may hold what a person wrote, where they are or who they are on Telegram. The
project's own log calls name the kind of event and at most a pseudonym's short prefix
(`short()`); what third-party code puts in exception messages is the risk left, so an
exception is logged with its traceback's frames and its type, and its message only when
the type is known to carry none of a person's data (network and timeout errors), and even
then with long numbers, quoted strings and pseudonyms masked. Files the app writes are
private to its user (`restrict_new_files`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from pathlib import Path
from types import TracebackType

PSEUDONYM_PREFIX = 8
# exception types whose message describes infrastructure, not a person's data
_MESSAGE_KEPT = (TimeoutError, ConnectionError)
_MASKS = (
    (re.compile(r"[0-9a-f]{24,}"), "<hex>"),  # pseudonyms, tokens
    (re.compile(r"-?\d[\d.]{4,}"), "<number>"),  # ids, coordinates, phone numbers
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),  # quoted values
    (re.compile(r"[?&][^\s]*"), "?…"),  # query strings (tokens)
)
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def short(pseudonym: str) -> str:
    """The most of a pseudonym a log line may show."""
    return pseudonym[:PSEUDONYM_PREFIX]


def masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class PrivacyFormatter(logging.Formatter):
    """Tracebacks without the exception's message, unless the message is known to be safe."""

    def formatException(self, ei: ExcInfo) -> str:  # type: ignore[override]
        kind, error, tb = ei
        lines = ["Traceback (most recent call last):"]
        for frame in traceback.extract_tb(tb):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{kind.__module__}.{kind.__qualname__}: {describe(error)}")
        cause = error.__cause__ or error.__context__
        if cause is not None and cause is not error:
            lines.append(f"  caused by {type(cause).__qualname__}: {describe(cause)}")
        return "\n".join(lines)

    def formatStack(self, stack_info: str) -> str:
        return stack_info


def describe(error: BaseException) -> str:
    if isinstance(error, _MESSAGE_KEPT) or type(error).__module__.startswith("aiohttp"):
        first_line = (str(error).splitlines() or [""])[0]
        return masked(first_line)[:200]
    return "(message withheld: it may hold personal data)"


ACCESS_LOG_FORMAT = '"%r" %s %b %Tf'  # no client address: it is personal data


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PrivacyFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the bot token
    logging.getLogger("httpx").setLevel(logging.WARNING)


def restrict_new_files() -> None:
    """Files and folders this process creates are readable by its own user only."""
    os.umask(0o077)


def make_private(folder: Path) -> None:
    """Files left readable by others by an older version (or by hand) become private."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mode & 0o077:
            path.chmod(0o600)
