"""Progress of long loops in the rule logs: a line at every tenth of the way, only when the loop is long."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
LONG = 20_000  # loops shorter than this finish in a blink: no progress lines


def progress(items: Iterable[T], total: int, label: str, log: logging.Logger) -> Iterator[T]:
    start, step = time.perf_counter(), max(total // 10, 1)
    for done, item in enumerate(items, start=1):
        yield item
        if total >= LONG and (done % step == 0 or done == total):
            log.info(
                "%s: %d of %d (%.0f %%) in %.1f s", label, done, total, 100 * done / total, time.perf_counter() - start
            )
