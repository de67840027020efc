"""Regression: the trained model understands a small fixed multilingual set (not the
held-out evaluation set). Runs in .venv-rasa against models/assistant.tar.gz."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent

MODEL = Path(__file__).resolve().parents[2] / "models" / "assistant.tar.gz"

CASES = [
    ("cerco lavoro a Bologna", "ask_job_services", "Bologna"),
    ("I need a room in Milan", "ask_housing_help", "Milano"),
    ("où est le CPIA à Gênes", "ask_language_course", "Genova"),
    ("necesito renovar el permesso di soggiorno en Roma", "ask_help_desk", "Roma"),
    ("أبحث عن عمل في روما", "ask_job_services", "Roma"),
    ("شقة للايجار في ميلانو", "ask_housing_help", "Milano"),
    ("шукаю житло в Генуї", "ask_housing_help", "Genova"),
    ("хочу поговорить с человеком", "request_human", None),
    ("我在热那亚找工作", "ask_job_services", "Genova"),
    ("mujhe kaam chahiye", "ask_job_services", None),
    ("ami bangla bhasha te kotha bolte chai manush er sathe", "request_human", None),
    ("fin nl9a khdma", "ask_job_services", None),
    ("salam", "greet", None),
    ("grazie mille", "thank", None),
    ("who will win the football match tonight?", "out_of_scope", None),
    ("Bologna", "inform_city", "Bologna"),
]


@pytest.fixture(scope="module")
def agent() -> Agent:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    return Agent.load(str(MODEL))


def parse(agent: Agent, text: str) -> dict[str, Any]:
    return asyncio.run(agent.parse_message(text))


@pytest.mark.parametrize(("text", "intent", "city"), CASES)
def test_fixed_multilingual_set(agent: Agent, text: str, intent: str, city: str | None) -> None:
    result = parse(agent, text)
    assert result["intent"]["name"] == intent
    cities = [e["value"] for e in result["entities"] if e["entity"] == "city"]
    assert cities == ([city] if city else [])


def test_gibberish_falls_back(agent: Agent) -> None:
    assert parse(agent, "xqzv brrp klmn")["intent"]["name"] == "nlu_fallback"


FOLLOW_UPS = [
    ("qual è il numero?", {("detail", "phone")}),
    ("e il sabato è aperto?", {("detail", "open_day"), ("weekday", "saturday")}),
    ("kam baje khulta hai", {("detail", "hours")}),
    ("شو رقم التلفون؟", {("detail", "phone")}),
    ("电话号码是多少", {("detail", "phone")}),
]


@pytest.mark.parametrize(("text", "entities"), FOLLOW_UPS)
def test_follow_up_questions(agent: Agent, text: str, entities: set[tuple[str, str]]) -> None:
    result = parse(agent, text)
    assert result["intent"]["name"] == "ask_service_detail"
    assert {(e["entity"], e["value"]) for e in result["entities"]} == entities
