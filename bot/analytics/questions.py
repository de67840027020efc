"""Unanswered questions grouped by similarity, per language, so that staff see work to do.

New messages join the group whose kept messages they resemble most (cosine similarity of
TF-IDF character 2–4-grams, which works across scripts and without word boundaries), or
form new groups among themselves (average-linkage clustering). A group keeps no text: its
count, weekly trend and status stay when retention deletes its messages; its examples are
the messages still kept, shown under the workspace's usual permissions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from io import StringIO

import numpy as np
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.analytics.models import QuestionGroup, QuestionMember
from bot.analytics.periods import local
from bot.kb.models import UnansweredMessage
from bot.settings import PROJECT_ROOT

SIMILARITY = 0.4
EXAMPLES = 5
TREND_WEEKS = 8
APP_INTENTS = frozenset({"share_location", "show_menu"})  # sent by the app, not trained


class GroupStatus:
    OPEN = "open"
    NEEDS_CONTENT = "needs_content"
    DISMISSED = "dismissed"


@cache
def training_intents() -> tuple[str, ...]:
    """The intents of the domain a person's words can be trained for."""
    domain = YAML(typ="safe").load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return tuple(str(i) for i in domain.get("intents", []) if str(i) not in APP_INTENTS)


def _vectors(texts: Sequence[str]) -> np.ndarray:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
    matrix = vectorizer.fit_transform([t.lower() for t in texts])
    dense: np.ndarray = matrix.toarray()
    return dense  # rows are L2-normalised: a dot product is the cosine


def _clusters(vectors: np.ndarray) -> list[int]:
    if len(vectors) == 1:
        return [0]
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=1.0 - SIMILARITY,
    )
    return [int(label) for label in model.fit_predict(distances)]


def _monday(moment: dt.datetime) -> str:
    day = local(moment).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


async def regroup(session: AsyncSession) -> int:
    """Put every message not yet in a group into one; how many were grouped."""
    new = list(
        await session.scalars(
            select(UnansweredMessage)
            .outerjoin(QuestionMember, QuestionMember.message_id == UnansweredMessage.id)
            .where(QuestionMember.message_id.is_(None))
            .order_by(UnansweredMessage.id)
        )
    )
    by_language: dict[str, list[UnansweredMessage]] = defaultdict(list)
    for message in new:
        by_language[message.language].append(message)
    for language, messages in by_language.items():
        await _regroup_language(session, language, messages)
    await session.commit()
    return len(new)


async def _regroup_language(
    session: AsyncSession, language: str, new: list[UnansweredMessage]
) -> None:
    kept = list(
        await session.execute(
            select(UnansweredMessage.text, QuestionMember.group_id)
            .join(QuestionMember, QuestionMember.message_id == UnansweredMessage.id)
            .where(UnansweredMessage.language == language)
        )
    )
    vectors = _vectors([text for text, _ in kept] + [m.text for m in new])
    old, fresh = vectors[: len(kept)], vectors[len(kept) :]
    group_ids = sorted({group_id for _, group_id in kept})
    assigned: dict[int, int] = {}  # index in `new` → group id
    if group_ids:
        centroids = np.array(
            [
                old[[i for i, (_, g) in enumerate(kept) if g == gid]].mean(axis=0)
                for gid in group_ids
            ]
        )
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
        similarity = fresh @ centroids.T
        for index, row in enumerate(similarity):
            best = int(row.argmax())
            if row[best] >= SIMILARITY:
                assigned[index] = group_ids[best]
    rest = [i for i in range(len(new)) if i not in assigned]
    if rest:
        labels = _clusters(fresh[rest])
        created: dict[int, QuestionGroup] = {}
        for index, label in zip(rest, labels, strict=True):
            if label not in created:
                day = local(new[index].received_at).date()
                created[label] = QuestionGroup(
                    language=language,
                    status=GroupStatus.OPEN,
                    total=0,
                    weekly={},
                    first_seen=day,
                    last_seen=day,
                )
                session.add(created[label])
        await session.flush()
        for index, label in zip(rest, labels, strict=True):
            assigned[index] = created[label].id
    groups = {
        g.id: g
        for g in await session.scalars(
            select(QuestionGroup).where(QuestionGroup.id.in_(set(assigned.values())))
        )
    }
    for index, group_id in assigned.items():
        _count(groups[group_id], new[index])
        session.add(QuestionMember(message_id=new[index].id, group_id=group_id))


def _count(group: QuestionGroup, message: UnansweredMessage) -> None:
    week = _monday(message.received_at)
    weekly = dict(group.weekly or {})
    weekly[week] = weekly.get(week, 0) + 1
    group.weekly = weekly  # a new dict: the JSON column sees the change
    group.total = (group.total or 0) + 1
    day = local(message.received_at).date()
    group.first_seen = min(group.first_seen, day)
    group.last_seen = max(group.last_seen, day)


@dataclass(frozen=True)
class GroupView:
    group: QuestionGroup
    examples: list[UnansweredMessage]
    kept: int  # messages still kept (the rest went with retention)
    trend: list[tuple[str, int]]  # the last weeks, oldest first


def trend_of(group: QuestionGroup, today: dt.date) -> list[tuple[str, int]]:
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday - dt.timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    return [(w.isoformat(), int((group.weekly or {}).get(w.isoformat(), 0))) for w in weeks]


async def group_views(
    session: AsyncSession, language: str = "", *, show_dismissed: bool = False
) -> list[GroupView]:
    query = select(QuestionGroup)
    if language:
        query = query.where(QuestionGroup.language == language)
    if not show_dismissed:
        query = query.where(QuestionGroup.status != GroupStatus.DISMISSED)
    groups = list(await session.scalars(query.order_by(QuestionGroup.total.desc()).limit(200)))
    members: dict[int, list[UnansweredMessage]] = defaultdict(list)
    if groups:
        rows = await session.execute(
            select(QuestionMember.group_id, UnansweredMessage)
            .join(UnansweredMessage, UnansweredMessage.id == QuestionMember.message_id)
            .where(QuestionMember.group_id.in_([g.id for g in groups]))
            .order_by(UnansweredMessage.received_at.desc())
        )
        for group_id, message in rows:
            members[group_id].append(message)
    today = local(dt.datetime.now(dt.UTC)).date()
    return [
        GroupView(g, members[g.id][:EXAMPLES], len(members[g.id]), trend_of(g, today))
        for g in groups
    ]


async def kept_texts(session: AsyncSession, group_id: int) -> list[str]:
    rows = await session.scalars(
        select(UnansweredMessage.text)
        .join(QuestionMember, QuestionMember.message_id == UnansweredMessage.id)
        .where(QuestionMember.group_id == group_id)
        .order_by(UnansweredMessage.id)
    )
    return list(rows)


def as_training_data(intent: str, language: str, texts: Sequence[str]) -> str:
    """Rasa NLU data (YAML, version 3.1): the examples under the chosen intent."""
    examples: list[str] = []
    for text in texts:
        line = " ".join(text.split())
        if line and line not in examples:
            examples.append(line)
    document = {
        "version": "3.1",
        "nlu": [
            {
                "intent": intent,
                "metadata": {"language": language},
                "examples": LiteralScalarString("".join(f"- {e}\n" for e in examples)),
            }
        ],
    }
    out = StringIO()
    yaml = YAML()
    yaml.width = 4096
    out.write(f"# Unanswered questions to add to nlu_data/{language}/ as {intent}.\n")
    yaml.dump(document, out)
    return out.getvalue()
