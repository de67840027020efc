"""Staff accounts: mediators (issue 4) and, later, editors and translators."""
