"""Forms of a server-rendered page, as a browser would submit them (no JavaScript needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)  # ids of the elements inside the form


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._current = Form(values.get("action", ""), values.get("method", "get").lower())
            self.forms.append(self._current)
            if "id" in values:
                self._current.ids.add(values["id"])
            return
        if self._current is None:
            return
        if "id" in values:
            self._current.ids.add(values["id"])
        if tag == "input" and values.get("type") == "hidden" and "name" in values:
            self._current.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with(html: str, element_id: str) -> Form:
    """The form that holds the element with `element_id` (or is it)."""
    for form in forms(html):
        if element_id in form.ids:
            return form
    raise AssertionError(f"no form with #{element_id}")
