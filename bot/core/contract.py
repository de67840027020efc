"""The contract between Rasa's actions and the app: what an answer is, as data.

Actions (`actions/`) send one of these models as a custom payload, never prose; the app's
renderer (`bot.core.render`) turns each kind into messages in the person's language. Both
import this module (the action server runs in the app's environment), so a new kind is one
model here and one renderer function there, and mypy catches a missing field.
The domain's own responses (`utter_greet` …) are `Simple` payloads written in domain.yml.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.kb.models import Topic


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Simple(Payload):
    """Answers with no data of their own."""

    kind: Literal[
        "greet", "goodbye", "thank", "menu", "out_of_scope", "not_understood", "language_picker"
    ]


class Services(Payload):
    """The services of a topic in a city (the desks, for a person asking for a human)."""

    kind: Literal["services", "human"]
    topic: Topic
    city: str
    service_ids: list[int]


class NearbyItem(BaseModel):
    id: int
    distance_m: int


class Nearest(Payload):
    kind: Literal["nearest"] = "nearest"
    topic: Topic | None = None
    city: str | None = None
    items: list[NearbyItem]


class CitySet(Payload):
    kind: Literal["city_set"] = "city_set"
    city: str


class AskCity(Payload):
    """The city is needed (`unknown_city`: the one named is not a partner city)."""

    kind: Literal["ask_city", "unknown_city"]
    topic: str = ""


class AskLocation(Payload):
    kind: Literal["ask_location"] = "ask_location"


class Detail(enum.StrEnum):
    """What a follow-up question asks about the services just shown (the NLU entity `detail`)."""

    PHONE = "phone"
    ADDRESS = "address"
    MAP = "map"
    HOURS = "hours"
    OPEN_TODAY = "open_today"
    OPEN_NOW = "open_now"
    OPEN_DAY = "open_day"  # on `weekday`
    APPOINTMENT = "appointment"
    DOCUMENTS = "documents"
    COST = "cost"
    LANGUAGES = "languages"
    WEBSITE = "website"


class ServiceDetails(Payload):
    """A follow-up: the details asked, for each service of the last answer, in one message."""

    kind: Literal["service_details"] = "service_details"
    details: list[Detail] = Field(min_length=1)
    weekday: int | None = Field(default=None, ge=0, le=6)  # 0 = Monday, for `open_day`
    topic: Topic | None = None
    city: str | None = None
    service_ids: list[int]


class AskContext(Payload):
    """A follow-up with no services in context: which topic (and city, if unknown)?"""

    kind: Literal["ask_context"] = "ask_context"
    city: str | None = None  # the person's city, if known


class HandoffOffer(Payload):
    """The person asked for a human: the app's handoff desk answers."""

    kind: Literal["handoff_offer"] = "handoff_offer"
    topic: Topic | None = None
    city: str | None = None


Answer = Annotated[
    Simple
    | Services
    | Nearest
    | CitySet
    | AskCity
    | AskLocation
    | HandoffOffer
    | ServiceDetails
    | AskContext,
    Field(discriminator="kind"),
]
_answers: TypeAdapter[Answer] = TypeAdapter(Answer)
CITY_KINDS = frozenset({"services", "human", "city_set", "nearest", "service_details"})


def read_answer(payload: object) -> Answer | None:
    """The answer in a response's custom payload, or None if it is not one."""
    try:
        return _answers.validate_python(payload)
    except ValidationError:
        return None
