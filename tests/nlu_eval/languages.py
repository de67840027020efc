"""Language identification trials: the LanguageDetector's corpus and features with LBFGS or
SGD, fit time and accuracy on the held-out messages of 3+ words (all three sets).

    PYTHONPATH=. nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.languages [--solvers sgd,lbfgs]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rasa_components.language_detector import (
    LanguageDetector,
    cld2_language,
    labelled_corpus,
    language_model,
    read_languages,
)
from tests.nlu_eval.evaluate import HELDOUT_SETS, load_heldout, tells_language

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

    parser = argparse.ArgumentParser()
    parser.add_argument("--solvers", default="sgd,lbfgs")
    parser.add_argument("--alpha", type=float, default=1e-6)
    args = parser.parse_args()
    supported = read_languages(ROOT / "locales" / "languages.txt")
    texts, labels = labelled_corpus(ROOT / "nlu_data", supported)
    for solver in args.solvers.split(","):
        config = {**LanguageDetector.get_default_config(), "solver": solver, "alpha": args.alpha}
        model = Pipeline(
            [
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
                ),
                ("classifier", language_model(config)),
            ]
        )
        start = time.perf_counter()
        model.fit(texts, labels)
        row = [f"{solver:6} fit {time.perf_counter() - start:6.1f} s"]
        for name, directory in HELDOUT_SETS.items():
            cases = [c for c in load_heldout(directory) if tells_language(c.text)]
            probabilities = model.predict_proba([c.text for c in cases])
            classes = [str(c) for c in model.classes_]
            hits = 0
            for case, row_p in zip(cases, probabilities, strict=True):
                best = int(row_p.argmax())
                guess = classes[best]
                if row_p[best] < config["min_confidence"]:
                    guess = cld2_language(case.text, classes) or guess
                hits += guess == case.language
            row.append(f"{name} {hits}/{len(cases)} = {hits / len(cases):.1%}")
        print(" | ".join(row), flush=True)


if __name__ == "__main__":
    main()
