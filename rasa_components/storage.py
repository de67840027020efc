"""Reading and writing a component's single artifact in Rasa's model storage."""

from __future__ import annotations

from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def write_artifact(storage: ModelStorage, resource: Resource, name: str, data: bytes) -> None:
    with storage.write_to(resource) as directory:
        (directory / name).write_bytes(data)


def read_artifact(storage: ModelStorage, resource: Resource, name: str) -> bytes | None:
    """The artifact, or None if this component was never trained into the model."""
    try:
        with storage.read_from(resource) as directory:
            return (directory / name).read_bytes()
    except (ValueError, FileNotFoundError):
        return None
