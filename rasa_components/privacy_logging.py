"""Logging in the Rasa process that keeps people out of the logs.

Rasa logs a failing action with the exception, whose message holds the action server's
answer; the language detector or the tokenizer failing on a message would print the
message. Every formatter of the process therefore formats exceptions as frames and the
exception's type only. Installed by `rasa_components.serve` before Rasa configures its
handlers (all of them are `logging.Formatter`s and use `formatException`)."""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def format_exception(self: logging.Formatter, ei: ExcInfo) -> str:
    kind, _, tb = ei
    lines = ["Traceback (most recent call last):"]
    lines += [
        f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}'
        for frame in traceback.extract_tb(tb)
    ]
    lines.append(f"{kind.__module__}.{kind.__qualname__} (message withheld)")
    return "\n".join(lines)


def install() -> None:
    logging.Formatter.formatException = format_exception  # type: ignore[method-assign]
