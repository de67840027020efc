from __future__ import annotations

from pathlib import Path

import pytest

from bot.pseudonym import Pseudonymizer, load_or_create_key


def test_pseudonyms_are_stable_keyed_and_hide_the_id() -> None:
    first = Pseudonymizer(b"k" * 32)
    assert first("telegram", 123456789) == first("telegram", 123456789)
    assert first("telegram", 123456789) != Pseudonymizer(b"j" * 32)("telegram", 123456789)
    assert first("telegram", 1) != first("web", 1)
    assert "123456789" not in first("telegram", 123456789)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")


def test_a_key_is_created_once_and_kept_private(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "pseudonym.key"
    key = load_or_create_key(None, key_file)
    assert load_or_create_key(None, key_file) == key
    assert key_file.stat().st_mode & 0o077 == 0
    assert load_or_create_key("configured-key-1234", key_file) == b"configured-key-1234"
