"""`make eval`: train the NLU model from scratch and measure it; writes docs/nlu-report.md.

Runs in Rasa's environment (.venv-rasa). Measures: training time and peak memory, model
size, encoder package size, the Rasa server's RSS, and on the three held-out sets
(tests/nlu_heldout/, tests/nlu_heldout_fresh/, tests/nlu_heldout_third/, each written
separately from the training data and never trained on), side by side: intent accuracy
per language and romanized slice, city entity precision/recall, out-of-scope messages
answered with a topic, language detection on messages of 3+ words, parse latency; per-intent
F1 and the confusion matrix of the third set. Then 3-fold cross-validation on the training
data, per language folder, in process (tests/nlu_eval/audit.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
HELDOUT_DIR = ROOT / "tests" / "nlu_heldout"
FRESH_HELDOUT_DIR = ROOT / "tests" / "nlu_heldout_fresh"
THIRD_HELDOUT_DIR = ROOT / "tests" / "nlu_heldout_third"
HELDOUT_SETS = {"first": HELDOUT_DIR, "fresh": FRESH_HELDOUT_DIR, "third": THIRD_HELDOUT_DIR}
KEEP_MARKER = "<!-- written by hand below this line: `make eval` keeps it -->"
TOPICS = ("ask_job_services", "ask_housing_help", "ask_language_course", "ask_help_desk")
LANGUAGES = ("it", "en", "fr", "es", "ar", "uk", "ru", "sq", "ro", "zh", "bn", "ur", "fa", "tl")


@dataclass
class Case:
    text: str
    intent: str
    cities: set[str]
    language: str
    slice: str  # the held-out file: "ar", "ar-Latn", ...


@dataclass
class Prediction:
    intent: str
    cities: set[str]
    language: str | None
    seconds: float


def partner_cities() -> set[str]:
    """The knowledge base's cities: the only ones the city entity is expected for."""
    data = YAML(typ="safe").load((ROOT / "bot" / "kb" / "sample_data" / "cities.yml").read_text())
    return {city["name"] for city in data}


def load_heldout(directory: Path = HELDOUT_DIR) -> list[Case]:
    partners = partner_cities()
    cases = []
    for path in sorted(directory.glob("*.yml")):
        for item in YAML(typ="safe").load(path.read_text(encoding="utf-8")):
            cities = {item["city"]} & partners if item.get("city") else set()
            cases.append(
                Case(item["text"], item["intent"], cities, path.stem.split("-")[0], path.stem)
            )
    return cases


def train(config: Path, out_dir: Path) -> tuple[Path, float, int]:
    """Train with `rasa train`; return the model, seconds, and peak RSS in bytes."""
    command = [
        str(ROOT / ".venv-rasa" / "bin" / "rasa"),
        "train",
        "--config",
        str(config),
        "--domain",
        "domain.yml",
        "--data",
        "nlu_data",
        "--out",
        str(out_dir),
        "--fixed-model-name",
        "evaluated",
    ]
    # no component cache: every component is trained, as on a fresh clone
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_MAX_CACHE_SIZE": "0"}
    start = time.perf_counter()
    process = psutil.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    peak = 0
    while process.poll() is None:
        try:
            rss = process.memory_info().rss + sum(
                c.memory_info().rss for c in process.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    if process.returncode != 0:
        raise RuntimeError(f"training failed with {config}")
    return out_dir / "evaluated.tar.gz", time.perf_counter() - start, peak


def predict(model: Path, cases: list[Case]) -> tuple[list[Prediction], int]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(
        logging.WARNING
    )  # as `rasa run` does at its INFO level: no per-parse debug lines
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    loop.run_until_complete(agent.parse_message("warm up the model"))
    predictions = []
    for case in cases:
        start = time.perf_counter()
        result = loop.run_until_complete(agent.parse_message(case.text))
        seconds = time.perf_counter() - start
        intent = result["intent"]["name"] or "nlu_fallback"
        cities = {e["value"] for e in result.get("entities", []) if e["entity"] == "city"}
        predictions.append(Prediction(intent, cities, result.get("language"), seconds))
    return predictions, psutil.Process().memory_info().rss


def normalised(intent: str) -> str:
    return "out_of_scope" if intent == "nlu_fallback" else intent


def tells_language(text: str) -> bool:
    han = sum(1 for char in text if "\u3400" <= char <= "\u9fff")
    return len(text.split()) >= 3 or han >= 3


def percentile(values: list[float], p: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]


def score(cases: list[Case], predictions: list[Prediction]) -> dict[str, Any]:
    from sklearn.metrics import classification_report

    by_slice: dict[str, list[bool]] = defaultdict(list)
    for case, prediction in zip(cases, predictions, strict=True):
        by_slice[case.slice].append(normalised(prediction.intent) == case.intent)
    accuracy = {name: sum(hits) / len(hits) for name, hits in by_slice.items()}
    native = {lang: accuracy[lang] for lang in LANGUAGES if lang in accuracy}
    romanized = {name: value for name, value in accuracy.items() if "-" in name}
    gold = [case.intent for case in cases]
    predicted = [normalised(p.intent) for p in predictions]
    labels = sorted(set(gold) | set(predicted))
    report = classification_report(
        gold, predicted, labels=labels, output_dict=True, zero_division=0
    )
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    tp = sum(len(c.cities & p.cities) for c, p in zip(cases, predictions, strict=True))
    predicted_cities = sum(len(p.cities) for p in predictions)
    gold_cities = sum(len(c.cities) for c in cases)
    precision = tp / predicted_cities if predicted_cities else 1.0
    recall = tp / gold_cities if gold_cities else 1.0
    out_of_scope = [
        p for c, p in zip(cases, predictions, strict=True) if c.intent == "out_of_scope"
    ]
    wrong_topic = sum(1 for p in out_of_scope if p.intent in TOPICS)
    language_cases = [
        (c, p) for c, p in zip(cases, predictions, strict=True) if tells_language(c.text)
    ]
    language_hits = sum(1 for c, p in language_cases if p.language == c.language)
    latencies = [p.seconds * 1000 for p in predictions]
    return {
        "cases": len(cases),
        "accuracy": accuracy,
        "macro": statistics.mean(native.values()) if native else float("nan"),
        "worst": min(native.items(), key=lambda item: item[1]) if native else ("-", float("nan")),
        "romanized": (
            sum(sum(by_slice[n]) for n in romanized) / sum(len(by_slice[n]) for n in romanized)
        )
        if romanized
        else float("nan"),
        "report": report,
        "labels": labels,
        "confusion": confusion,
        "city": (
            precision,
            recall,
            2 * precision * recall / (precision + recall) if precision + recall else 0,
        ),
        "oos_wrong_topic": (wrong_topic, len(out_of_scope)),
        "language": (language_hits, len(language_cases)),
        "language_misses": [
            (c.text, c.language, p.language) for c, p in language_cases if p.language != c.language
        ],
        "errors": [
            (c.slice, c.text, c.intent, normalised(p.intent))
            for c, p in zip(cases, predictions, strict=True)
            if normalised(p.intent) != c.intent
        ],
        "latency": (
            percentile(latencies, 50),
            percentile(latencies, 95),
            percentile(latencies, 99),
        ),
    }


def cross_validation(folds: int, out_dir: Path) -> dict[str, tuple[int, int]]:
    """Rasa's own cross-validation; per-language accuracy from its list of errors."""
    command = [
        str(ROOT / ".venv-rasa" / "bin" / "rasa"),
        "test",
        "nlu",
        "--nlu",
        "nlu_data",
        "--config",
        "config.yml",
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out_dir),
        "--no-plot",
        "--successes",
    ]
    subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    language_of = text_languages()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, hit in (("intent_successes.json", 1), ("intent_errors.json", 0)):
        path = out_dir / name
        for item in json.loads(path.read_text()) if path.exists() else []:
            slice_name = language_of.get(item["text"], "?")
            totals[slice_name][0] += hit
            totals[slice_name][1] += 1
    return {name: (hits, total) for name, (hits, total) in totals.items()}


def text_languages() -> dict[str, str]:
    from rasa.shared.nlu.training_data.loading import load_data

    mapping: dict[str, str] = {}
    for folder in sorted(p for p in (ROOT / "nlu_data").iterdir() if p.is_dir()):
        if folder.name in ("generated", "dialogue"):
            continue
        for example in load_data(str(folder)).intent_examples:
            mapping.setdefault(example.get("text"), folder.name)
    return mapping


def render(
    label: str, scores: dict[str, Any], seconds: float, peak: int, size: int, loaded_rss: int
) -> list[str]:
    precision, recall, f1 = scores["city"]
    wrong, total_oos = scores["oos_wrong_topic"]
    hits, total_lang = scores["language"]
    p50, p95, p99 = scores["latency"]
    worst_language, worst_value = scores["worst"]
    return [
        f"### {label}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| intent accuracy, macro over 14 languages | {scores['macro']:.1%} |",
        f"| worst language | {worst_language} {worst_value:.1%} |",
        f"| romanized slices (ar-Latn, ur-Latn, bn-Latn) | {scores['romanized']:.1%} |",
        f"| city entity precision / recall / F1 | {precision:.3f} / {recall:.3f} / {f1:.3f} |",
        f"| out-of-scope answered with a topic | {wrong}/{total_oos} = {wrong / max(total_oos, 1):.1%} |",
        f"| language detection, messages of 3+ words | {hits}/{total_lang} = {hits / max(total_lang, 1):.1%} |"
        if total_lang
        else "| language detection | — |",
        f"| training time (`rasa train`, from scratch) | {seconds // 60:.0f} m {seconds % 60:.0f} s |",
        f"| peak memory of training | {peak / 2**20:.0f} MiB |",
        f"| model file | {size / 2**20:.1f} MB |",
        f"| parse latency p50 / p95 / p99 | {p50:.1f} / {p95:.1f} / {p99:.1f} ms |",
        f"| memory of the process with the loaded model | {loaded_rss / 2**20:.0f} MiB |",
        "",
    ]


def error_table(scores: dict[str, Any]) -> list[str]:
    lines = ["| file | text | expected | predicted |", "|---|---|---|---|"]
    lines += [f"| {s} | {t.replace('|', '/')} | {e} | {p} |" for s, t, e, p in scores["errors"]]
    return lines


def detail(scores: dict[str, Any]) -> list[str]:
    lines = ["### Intent accuracy per held-out file", "", "| file | accuracy |", "|---|---|"]
    lines += [f"| {name} | {value:.1%} |" for name, value in sorted(scores["accuracy"].items())]
    lines += [
        "",
        "### Per-intent precision, recall, F1",
        "",
        "| intent | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label in scores["labels"]:
        row = scores["report"][label]
        lines.append(
            f"| {label} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1-score']:.2f} | {row['support']:.0f} |"
        )
    labels = scores["labels"]
    short = [
        label.replace("ask_", "").replace("_services", "").replace("language_course", "course")
        for label in labels
    ]
    lines += [
        "",
        "### Confusion matrix (rows: expected, columns: predicted)",
        "",
        "| | " + " | ".join(short) + " |",
        "|---" * (len(labels) + 1) + "|",
    ]
    for label, name in zip(labels, short, strict=True):
        lines.append(
            f"| **{name}** | "
            + " | ".join(str(scores["confusion"][label][p] or "") for p in labels)
            + " |"
        )
    lines += [
        "",
        "### Held-out errors",
        "",
        *error_table(scores),
    ]
    lines += [
        "",
        "### Language detection misses (3+ words)",
        "",
        "| text | expected | detected |",
        "|---|---|---|",
    ]
    lines += [f"| {t.replace('|', '/')} | {e} | {d} |" for t, e, d in scores["language_misses"]]
    return [*lines, ""]


def package_bytes(name: str) -> int | None:
    """Installed size of a package in Rasa's environment (its files, from its RECORD)."""
    from importlib import metadata

    try:
        files = metadata.distribution(name).files or []
    except metadata.PackageNotFoundError:
        return None
    return sum(f.size or 0 for f in files)


def encoder_of(config: Path) -> str:
    data = YAML(typ="safe").load(config.read_text())
    for step in data.get("pipeline", []):
        if step.get("encoder") not in (None, "none"):
            return str(step["encoder"])
    return "none"


def uses_spacy(config: Path) -> bool:
    data = YAML(typ="safe").load(config.read_text())
    return any(
        step.get("spacy_tokenizer", "none") != "none"
        or step.get("spacy_lemmas")
        or step.get("city_matcher") == "spacy"
        for step in data.get("pipeline", [])
    )


def server_rss(model: Path, deadline: float = 240.0) -> int | None:
    """RSS of `python -m rasa_components.serve run` with this model, after one parse."""
    import secrets
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_urlsafe(16)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_AUTH_TOKEN": token}
    env.setdefault("OMP_NUM_THREADS", "1")
    command = [
        str(ROOT / ".venv-rasa" / "bin" / "python"),
        "-m",
        "rasa_components.serve",
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--model",
        str(model),
    ]
    process = psutil.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/model/parse?token={token}"
    body = json.dumps({"text": "cerco lavoro a Bologna"}).encode()
    end = time.monotonic() + deadline
    try:
        while time.monotonic() < end and process.poll() is None:
            try:
                request = urllib.request.Request(
                    url, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return int(
                            process.memory_info().rss
                            + sum(c.memory_info().rss for c in process.children(recursive=True))
                        )
            except OSError:
                time.sleep(1.0)
        return None
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except psutil.TimeoutExpired:
            process.kill()


TARGETS = {
    "macro": ">= 97%",
    "worst": ">= 93%",
    "romanized": ">= 93%",
    "oos": "<= 5%",
    "city": ">= 0.97",
    "language": ">= 97%",
    "p95": "<= 15 ms",
}


def met(key: str, scores: dict[str, Any]) -> str:
    wrong, total = scores["oos_wrong_topic"]
    hits, total_lang = scores["language"]
    checks = {
        "macro": scores["macro"] >= 0.97,
        "worst": scores["worst"][1] >= 0.93,
        "romanized": scores["romanized"] >= 0.93,
        "oos": wrong / max(total, 1) <= 0.05,
        "city": scores["city"][2] >= 0.97,
        "language": hits / max(total_lang, 1) >= 0.97,
        "p95": scores["latency"][1] <= 15,
    }
    return "yes" if checks[key] else "**no**"


def side_by_side(sets: dict[str, dict[str, Any]]) -> list[str]:
    names = list(sets)
    last = names[-1]

    def cells(fn: Any) -> str:
        return " | ".join(fn(sets[name]) for name in names)

    def oos(s: dict[str, Any]) -> str:
        wrong, total = s["oos_wrong_topic"]
        return f"{wrong}/{total} = {wrong / max(total, 1):.1%}"

    def lang(s: dict[str, Any]) -> str:
        hits, total = s["language"]
        return f"{hits}/{total} = {hits / max(total, 1):.1%}"

    rows = [
        ("intent accuracy, macro over 14 languages", "macro", lambda s: f"{s['macro']:.1%}"),
        ("worst language", "worst", lambda s: f"{s['worst'][0]} {s['worst'][1]:.1%}"),
        (
            "romanized slices (ar-Latn, ur-Latn, bn-Latn)",
            "romanized",
            lambda s: f"{s['romanized']:.1%}",
        ),
        ("out-of-scope answered with a topic", "oos", oos),
        (
            "city entity F1 (precision / recall)",
            "city",
            lambda s: f"{s['city'][2]:.3f} ({s['city'][0]:.3f} / {s['city'][1]:.3f})",
        ),
        ("language ID, messages of 3+ words", "language", lang),
        (
            "parse latency p95 (p50 / p99)",
            "p95",
            lambda s: f"{s['latency'][1]:.1f} ms ({s['latency'][0]:.1f} / {s['latency'][2]:.1f})",
        ),
    ]
    header = " | ".join(f"{name} ({sets[name]['cases']})" for name in names)
    lines = [
        f"| measure | {header} | target | met on {last} |",
        "|---" * (len(names) + 3) + "|",
    ]
    lines += [
        f"| {label} | {cells(fn)} | {TARGETS[key]} | {met(key, sets[last])} |"
        for label, key, fn in rows
    ]
    lines += ["", f"| held-out file | {header} |", "|---" * (len(names) + 1) + "|"]
    slices = sorted({name for s in sets.values() for name in s["accuracy"]})
    for slice_name in slices:
        values = " | ".join(
            f"{sets[n]['accuracy'][slice_name]:.1%}" if slice_name in sets[n]["accuracy"] else "—"
            for n in names
        )
        lines.append(f"| {slice_name} | {values} |")
    return [*lines, ""]


def model_table(
    config: Path, seconds: float, peak: int, size: int, loaded_rss: int, rasa_rss: int | None
) -> list[str]:
    encoder = encoder_of(config)
    encoder_size = package_bytes(encoder) if encoder != "none" else None
    spacy_size = (
        sum(package_bytes(p) or 0 for p in ("spacy", "spacy-lookups-data", "thinc"))
        if uses_spacy(config)
        else None
    )
    mib = 2**20
    return [
        "| measure | value | target |",
        "|---|---|---|",
        f"| training time (`rasa train`, from scratch) | {seconds // 60:.0f} m {seconds % 60:.0f} s | <= 3 min |",
        f"| peak memory of training | {peak / mib:.0f} MiB | |",
        f"| model file | {size / 1e6:.1f} MB | <= 25 MB |",
        "| sentence encoder package (installed, outside the model) | "
        + (f"{encoder}: {encoder_size / 1e6:.0f} MB" if encoder_size else "none used")
        + " | reported separately |",
        "| spaCy packages (installed, outside the model) | "
        + (f"{spacy_size / 1e6:.0f} MB" if spacy_size else "none used")
        + " | |",
        "| RSS of the Rasa server (`python -m rasa_components.serve run`, model loaded, after one parse) | "
        + (f"{rasa_rss / mib:.0f} MiB" if rasa_rss else "not measured")
        + " | |",
        f"| RSS of the evaluating process with the loaded agent | {loaded_rss / mib:.0f} MiB | |",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--label", default="This project's pipeline (config.yml)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "nlu-report.md")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON")
    parser.add_argument("--folds", type=int, default=3, help="0 skips cross-validation")
    parser.add_argument("--heldout", type=Path, default=HELDOUT_DIR)
    parser.add_argument("--model", type=Path, help="score this trained model instead of training")
    parser.add_argument("--no-server", action="store_true", help="skip the Rasa server's RSS")
    args = parser.parse_args()

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    directories = {**HELDOUT_SETS, "first": args.heldout}
    workdir = Path(tempfile.mkdtemp(prefix="nlu-eval-"))
    if args.model:
        model, seconds, peak = args.model, 0.0, 0
    else:
        model, seconds, peak = train(args.config, workdir)
    sets: dict[str, dict[str, Any]] = {}
    loaded_rss = 0
    for name, directory in directories.items():
        if directory.exists():
            cases = load_heldout(directory)
            predictions, loaded_rss = predict(model, cases)
            sets[name] = score(cases, predictions)
            sets[name]["directory"] = str(directory.resolve().relative_to(ROOT))
    rasa_rss = None if args.no_server else server_rss(model)
    size = model.stat().st_size
    main_set = sets["third"] if "third" in sets else sets["first"]
    lines = [
        "# NLU report",
        "",
        f"Written by `make eval` (`tests/nlu_eval/evaluate.py`), {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} cores, {args.label}. Three held-out sets, each written by separate "
        "writers who never saw the training data, never trained on: "
        + ", ".join(
            f"`{s['directory']}/` ({name}, {s['cases']} messages)" for name, s in sets.items()
        )
        + ". `nlu_fallback` counts as out of scope. Targets are those of issue 13, on the third set.",
        "",
        "## Summary: the three held-out sets side by side",
        "",
        *side_by_side(sets),
        "## Model, training and memory",
        "",
        *model_table(args.config, seconds, peak, size, loaded_rss, rasa_rss),
    ]
    for name in ("fresh", "first"):
        if name in sets:
            lines += [f"### Errors on the {name} held-out set", "", *error_table(sets[name]), ""]
    if args.folds:
        from tests.nlu_eval.audit import audit_table, cross_validate

        lines += [
            "## Cross-validation on the training data",
            "",
            *audit_table(cross_validate(args.config, args.folds)),
        ]
    lines += [
        f"## Details on the {'third' if 'third' in sets else 'first'} held-out set",
        "",
        *detail(main_set),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    existing = args.output.read_text() if args.output.exists() else ""
    appendix = existing[existing.index(KEEP_MARKER) :] if KEEP_MARKER in existing else KEEP_MARKER
    args.output.write_text(
        "\n".join(lines) + ("\n" + appendix if appendix else ""), encoding="utf-8"
    )
    if args.json:
        keys = (
            "macro",
            "romanized",
            "city",
            "oos_wrong_topic",
            "language",
            "latency",
            "accuracy",
            "worst",
        )
        first = sets["first"]
        summary: dict[str, Any] = {k: first[k] for k in keys}
        summary.update(
            training_seconds=seconds,
            training_peak_rss=peak,
            model_bytes=size,
            loaded_rss=loaded_rss,
            rasa_server_rss=rasa_rss,
            sets={
                name: {k: s[k] for k in keys} | {"cases": s["cases"]} for name, s in sets.items()
            },
        )
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print("\n".join(lines[:60]))


if __name__ == "__main__":
    main()
