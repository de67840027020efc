"""`make bench ONLY=…` replaces one section of docs/benchmarks.md and leaves the rest."""

from __future__ import annotations

from tests.bench.run import LATENCY, splice, stamped

REPORT = (
    "<!-- bench:latency -->\n# Benchmarks\nold latency\n<!-- /bench:latency -->\n\n"
    "<!-- bench:handoff -->\n## Handoff\nold handoff\n<!-- /bench:handoff -->\n"
)


def test_a_section_run_alone_replaces_only_itself() -> None:
    report = splice(REPORT, {"handoff": "## Handoff\nnew handoff"})
    assert "new handoff" in report and "old handoff" not in report
    assert "old latency" in report
    assert report.count("<!-- bench:handoff -->") == 1


def test_a_new_section_is_added_after_the_others_and_latency_first() -> None:
    report = splice(REPORT, {"security": "## Security\nfigures"})
    assert report.index("old handoff") < report.index("figures")
    report = splice("", {LATENCY: "# Benchmarks\nlatency"})
    assert report.startswith("<!-- bench:latency -->\n# Benchmarks")


def test_each_section_says_under_its_heading_when_and_under_what_load() -> None:
    section = stamped("## Security\n\nbody", "_Measured now; load 3.0._")
    assert section.splitlines()[:3] == ["## Security", "", "_Measured now; load 3.0._"]
