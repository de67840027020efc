"""Prometheus metrics of the app's own stages: rendering, sending to Telegram, flood waits.

Metric objects are module-level, as `prometheus_client` intends: declaring one records no
value and opens nothing. Values are kept per process; with `PROMETHEUS_MULTIPROC_DIR` set
(several workers behind one port) they are written to files there and any worker's
`/metrics` adds them up (`bot.web.health`). Figures read from the database at scrape time
(cases waiting by language, the relay's queue) are collected there too, not here.

Names shared with the intake and Rasa stages (`assistant_updates_in_total`,
`assistant_intake_wait_seconds`, `assistant_rasa_seconds`, ...) are declared by those
modules, in the same style.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# latencies of a few milliseconds to a few seconds
STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# a flood wait is short (the overall budget) or up to a minute (a group's budget)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

RENDER_SECONDS = Histogram(
    "assistant_render_seconds",
    "Time to write one answer in the person's language (catalogs + knowledge base).",
    buckets=STAGE_BUCKETS,
)
SEND_SECONDS = Histogram(
    "assistant_send_seconds",
    "Time of one Bot API call, from the request to Telegram's answer (flood waits excluded).",
    ["method"],
    buckets=STAGE_BUCKETS,
)
FLOOD_WAIT_SECONDS = Histogram(
    "assistant_flood_wait_seconds",
    "Time a Bot API call waited for Telegram's flood budget (overall or per group).",
    ["budget"],
    buckets=WAIT_BUCKETS,
)
FLOOD_RETRIES = Counter(
    "assistant_flood_retries_total",
    "Bot API calls that Telegram refused with 429 (retry_after) and that were retried.",
)
