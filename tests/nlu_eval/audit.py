"""Audit of the training data: in-process k-fold cross-validation of the intent classifier
(the same tokenizer, city masking, TF-IDF features and logistic regression as config.yml),
per training folder, with the most frequent confusions and the examples that the other
folds send elsewhere with high confidence (candidates for a wrong or contradictory label).

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.audit \
        [--folds 3] [--suspects 0.8] > var/nlu-audit.txt
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rasa.shared.nlu.constants import INTENT, TEXT
from sklearn.model_selection import StratifiedKFold

from rasa_components.tfidf_classifier import classifier_text, linear_model
from tests.nlu_eval.quick import ROOT, QuickPipeline


def folder_of_texts() -> dict[str, str]:
    from rasa.shared.nlu.training_data.loading import load_data

    mapping: dict[str, str] = {}
    for folder in sorted(p for p in (ROOT / "nlu_data").iterdir() if p.is_dir()):
        if folder.name in ("dialogue", "generated"):
            continue
        for example in load_data(str(folder)).intent_examples:
            mapping.setdefault(example.get(TEXT), folder.name)
    return mapping


@dataclass
class Audit:
    folds: int
    per_folder: dict[str, tuple[int, int]]
    confusions: dict[str, Counter[tuple[str, str]]]
    suspects: list[tuple[str, str, str, float, str]]  # folder, label, predicted, p, text


def cross_validate(config_path: Path, folds: int, suspect_confidence: float = 0.8) -> Audit:
    from rasa.engine.storage.resource import Resource
    from rasa.shared.importers.rasa import RasaFileImporter

    from rasa_components.tfidf_classifier import TfidfIntentClassifier
    from tests.nlu_eval.quick import component_class

    pipeline = QuickPipeline(config_path)
    importer = RasaFileImporter(
        config_file=None,
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "nlu_data")],
    )
    data = importer.get_nlu_data()
    # tokenizer and city masking only; the classifier is refitted on each fold below
    for index, (name, config) in enumerate(pipeline.steps):
        if "Tokenizer" not in name and "City" not in name:
            continue
        cls = component_class(name)
        component = cls.create(
            {**cls.get_default_config(), **config},
            pipeline.storage,
            Resource(f"audit{index}"),
            pipeline.context,
        )
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)
        if hasattr(component, "train"):
            component.train(data)
    examples = [e for e in data.intent_examples if e.get(INTENT)]
    texts = [classifier_text(e) for e in examples]
    raw = [e.get(TEXT) for e in examples]
    labels = np.array([e.get(INTENT) for e in examples])
    folders = folder_of_texts()
    step = next(c for n, c in pipeline.steps if n.endswith("TfidfIntentClassifier"))
    settings = {**TfidfIntentClassifier.get_default_config(), **step}
    predicted = np.empty(len(texts), dtype=object)
    confidence = np.zeros(len(texts))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=42)
    for train_index, test_index in splitter.split(texts, labels):
        transform, classifier = fit([texts[i] for i in train_index], labels[train_index], settings)
        probabilities = classifier.predict_proba(transform([texts[i] for i in test_index]))
        predicted[test_index] = classifier.classes_[probabilities.argmax(axis=1)]
        confidence[test_index] = probabilities.max(axis=1)

    per_folder: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    confusions: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    suspects = []
    for text, gold, guess, prob in zip(raw, labels, predicted, confidence, strict=True):
        folder = folders.get(text, "?")
        per_folder[folder][0] += int(gold == guess)
        per_folder[folder][1] += 1
        if gold != guess:
            confusions[folder][(gold, guess)] += 1
            if prob >= suspect_confidence:
                suspects.append((folder, str(gold), str(guess), float(prob), text))
    return Audit(
        folds,
        {name: (hits, count) for name, (hits, count) in per_folder.items()},
        dict(confusions),
        sorted(suspects),
    )


def audit_table(audit: Audit) -> list[str]:
    hits = sum(h for h, _ in audit.per_folder.values())
    total = sum(n for _, n in audit.per_folder.values())
    lines = [
        f"{audit.folds}-fold stratified cross-validation of the intent classifier on the training "
        f"data (tokenizer, city masking, TF-IDF, logistic regression as in config.yml; the "
        f"sentence encoder, if any, left out): {hits}/{total} = {hits / max(total, 1):.1%}.",
        "",
        "| training folder | accuracy | examples | most frequent confusions (expected → predicted) |",
        "|---|---|---|---|",
    ]
    for folder, (right, count) in sorted(audit.per_folder.items()):
        top = ", ".join(
            f"{g}→{p} {n}" for (g, p), n in audit.confusions.get(folder, Counter()).most_common(3)
        )
        lines.append(f"| {folder} | {right / count:.1%} | {count} | {top} |")
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--suspects", type=float, default=0.8)
    args = parser.parse_args()
    audit = cross_validate(args.config, args.folds, args.suspects)
    print("\n".join(audit_table(audit)))
    print(f"Examples the other folds send elsewhere with confidence >= {args.suspects}:")
    for folder, gold, guess, prob, text in audit.suspects:
        print(f"  {folder:8} {gold:20} -> {guess:20} {prob:.2f} {text}")


def fit(texts: list[str], labels: np.ndarray, settings: dict) -> tuple:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=tuple(settings["word_ngram_range"]),
        token_pattern=r"\S+",
        sublinear_tf=True,
        lowercase=False,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(settings["char_ngram_range"]),
        max_features=settings["max_char_features"],
        sublinear_tf=True,
        lowercase=False,
    )
    matrix = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    classifier = linear_model(settings).fit(matrix, labels)

    def transform(batch: list[str]) -> object:
        return hstack([words.transform(batch), chars.transform(batch)]).tocsr()

    return transform, classifier


if __name__ == "__main__":
    main()
