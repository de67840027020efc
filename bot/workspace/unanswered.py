"""Messages the bot could not understand: kept without their sender, grouped for staff,
and exported as Rasa NLU data to label for the next training."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.kb.models import UnansweredMessage

UNLABELLED_INTENT = "to_label"


@dataclass(frozen=True)
class UnansweredGroup:
    language: str
    day: dt.date
    messages: list[UnansweredMessage]


def grouped(messages: Sequence[UnansweredMessage]) -> list[UnansweredGroup]:
    """By language, then by day (newest first)."""
    groups: dict[tuple[str, dt.date], list[UnansweredMessage]] = {}
    for message in messages:
        groups.setdefault((message.language, message.received_at.date()), []).append(message)
    return [
        UnansweredGroup(language, day, items)
        for (language, day), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1]))
        if items
    ][::-1]


def as_nlu_yaml(messages: Sequence[UnansweredMessage]) -> str:
    """Rasa NLU data: one block per language and guessed intent, to be relabelled by hand."""
    blocks: dict[tuple[str, str], list[str]] = {}
    for message in messages:
        text = " ".join(message.text.split())
        if text:
            key = (message.language, message.guessed_intent or UNLABELLED_INTENT)
            blocks.setdefault(key, [])
            if text not in blocks[key]:
                blocks[key].append(text)
    nlu = [
        {
            "intent": UNLABELLED_INTENT,
            "metadata": {"language": language, "guessed_intent": guessed},
            "examples": LiteralScalarString("".join(f"- {text}\n" for text in examples)),
        }
        for (language, guessed), examples in sorted(blocks.items())
    ]
    yaml = YAML()
    yaml.width = 4096
    out = StringIO()
    out.write(
        "# Messages the bot did not understand. Move each example under the right intent\n"
        "# (or out_of_scope) in nlu_data/<language>/ before the next training.\n"
    )
    yaml.dump({"version": "3.1", "nlu": nlu}, out)
    return out.getvalue()
