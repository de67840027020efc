"""The whole test suite's wall time, before and after a change, on one machine in one run:
`make test-timing BEFORE=<commit>` → the `suite` section of docs/benchmarks.md.

The older commit is checked out in a temporary git worktree that borrows this checkout's
two environments (no download), is set up as its own `make setup` does (catalogs, database,
trained model), and runs its own `make test`; then this checkout runs `make test`. Only the
two `make test` runs are timed; each one's test count is read from pytest's summary.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.run import splice

ROOT = Path(__file__).resolve().parents[2]
SECTION = "suite"
# the environments exist: make must not rebuild them (their stamps are older than the
# requirement files of another commit)
KEEP_ENVIRONMENTS = ["-o", ".venv/.installed", "-o", ".venv-rasa/.installed"]
SETUP_STEPS = ["i18n-compile", "db", "sample-data", "nlu-cities", "train"]


@dataclass(frozen=True)
class SuiteRun:
    label: str
    commit: str
    seconds: float
    passed: int
    failed: int
    exit_code: int


def run_suite(label: str, checkout: Path) -> SuiteRun:
    commit = git(checkout, "rev-parse", "--short", "HEAD")
    started = time.monotonic()
    done = subprocess.run(
        ["make", *KEEP_ENVIRONMENTS, "test"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    (Path(tempfile.gettempdir()) / f"suite-{label}.log").write_text(output, encoding="utf-8")
    return SuiteRun(
        label, commit, seconds, count(output, "passed"), count(output, "failed"), done.returncode
    )


def count(output: str, word: str) -> int:
    """The sum over every pytest summary line (`make test` runs pytest more than once)."""
    return sum(int(n) for n in re.findall(rf"(\d+) {word}", output))


def git(checkout: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=checkout, capture_output=True, text=True, check=True
    ).stdout.strip()


def prepare_worktree(commit: str, directory: Path) -> Path:
    checkout = directory / "before"
    git(ROOT, "worktree", "add", "--detach", str(checkout), commit)
    for environment in (".venv", ".venv-rasa"):
        (checkout / environment).symlink_to(ROOT / environment)
    subprocess.run(
        ["make", *KEEP_ENVIRONMENTS, *SETUP_STEPS], cwd=checkout, check=True, capture_output=True
    )
    return checkout


def render(before: SuiteRun, after: SuiteRun) -> str:
    def row(run: SuiteRun) -> str:
        tests = run.passed + run.failed
        per_test = run.seconds / tests if tests else 0.0
        state = "green" if run.exit_code == 0 else f"exit {run.exit_code}, {run.failed} failed"
        return (
            f"| {run.label} | `{run.commit}` | {run.seconds / 60:.1f} min | {tests} "
            f"| {per_test:.2f} s | {state} |"
        )

    return "\n".join(
        [
            "## The test suite's wall time, before and after",
            "",
            f"Written by `make test-timing BEFORE={before.commit}` (`tests/bench/suite_timing.py`)"
            f" on {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}: both `make test` runs one "
            "after the other on this machine, with the same environments, PostgreSQL and Redis. "
            f"Load average over the last 15 minutes at the end: {os.getloadavg()[2]:.1f}.",
            "",
            "| run | commit | wall time | tests | per test | result |",
            "|---|---|---|---|---|---|",
            row(before),
            row(after),
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suite-timing-") as directory:
        checkout = prepare_worktree(arguments.before, Path(directory))
        try:
            before = run_suite("before", checkout)
        finally:
            git(ROOT, "worktree", "remove", "--force", str(checkout))
    after = run_suite("after", ROOT)
    section = render(before, after)
    print(section)
    document = arguments.output.read_text(encoding="utf-8")
    arguments.output.write_text(splice(document, {SECTION: section}), encoding="utf-8")


if __name__ == "__main__":
    main()
