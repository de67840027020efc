"""Test support: a Bot API server double and helpers that start the real services."""
