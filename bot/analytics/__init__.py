"""Figures for the projects that fund the service: anonymous facts written on the chat path
and at handoff events, people reached as HyperLogLog sketches, indicator queries with
small-cell suppression, XLSX/CSV reports, charts, and unanswered questions grouped by
similarity. Definitions and the privacy argument: docs/indicators.md."""
