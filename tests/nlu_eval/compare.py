"""`make eval-baseline`: Rasa's default pipeline on the same data and held-out set.

Trains `tests/nlu_eval/config-rasa-default.yml` (empty `pipeline:`), scores it exactly as
`make eval` scores config.yml, and writes the side-by-side table as the "## Comparison"
section of docs/nlu-report.md (which `make eval` keeps). Needs `make eval` first.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.nlu_eval.evaluate import LANGUAGES, ROOT, load_heldout, predict, score, train

CONFIG = Path(__file__).resolve().parent / "config-rasa-default.yml"
REPORT = ROOT / "docs" / "nlu-report.md"
OURS = ROOT / "var" / "nlu-eval.json"


def row(name: str, summary: dict[str, Any]) -> str:
    accuracy = summary["accuracy"]
    per_language = " | ".join(f"{accuracy.get(lang, float('nan')):.0%}" for lang in LANGUAGES)
    romanized = summary["romanized"]
    city_f1 = summary["city"][2]
    wrong, total = summary["oos_wrong_topic"]
    p95 = summary["latency"][1]
    minutes, seconds = divmod(summary["training_seconds"], 60)
    return (
        f"| {name} | {summary['macro']:.1%} | {summary['worst'][0]} {summary['worst'][1]:.1%} "
        f"| {romanized:.1%} | {city_f1:.3f} | {wrong / max(total, 1):.1%} "
        f"| {minutes:.0f} m {seconds:.0f} s | {summary['training_peak_rss'] / 2**20:.0f} MiB "
        f"| {summary['model_bytes'] / 2**20:.1f} MB | {p95:.1f} ms | {per_language} |"
    )


def main() -> None:
    if not OURS.exists():
        raise SystemExit("run `make eval` first")
    ours = json.loads(OURS.read_text())
    cases = load_heldout()
    model, seconds, peak = train(CONFIG, Path(tempfile.mkdtemp(prefix="nlu-baseline-")))
    predictions, loaded_rss = predict(model, cases)
    baseline = score(cases, predictions)
    baseline.update(
        training_seconds=seconds, training_peak_rss=peak, model_bytes=model.stat().st_size
    )
    header = (
        "| pipeline | intent acc. macro | worst language | romanized | city F1 | OOS → topic "
        "| training | training peak RSS | model | parse p95 | " + " | ".join(LANGUAGES) + " |"
    )
    lines = [
        "## Comparison with Rasa's default pipeline",
        "",
        f"Written by `make eval-baseline` (`tests/nlu_eval/compare.py`), {time.strftime('%Y-%m-%d')}: "
        "the same training data and held-out set; Rasa's default is `tests/nlu_eval/config-rasa-default.yml` "
        "(an empty `pipeline:`, which Rasa fills with its suggested components, DIET included).",
        "",
        header,
        "|---" * (10 + len(LANGUAGES)) + "|",
        row("this project (config.yml)", ours),
        row("Rasa default (empty pipeline)", baseline),
        "",
        f"Memory of a process with the loaded default model: {loaded_rss / 2**20:.0f} MiB.",
        "",
    ]
    text = REPORT.read_text() if REPORT.exists() else "# NLU report\n\n"
    if "## Comparison" in text:
        text = text[: text.index("## Comparison")]
    REPORT.write_text(text.rstrip() + "\n\n" + "\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
