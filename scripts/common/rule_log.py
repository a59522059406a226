"""Send a rule script's stderr and logging to the rule's log file, so that every message lands in logs/."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# The project's root folder: scripts/common/ lives two levels under it.
PROJECT_DIR = Path(__file__).resolve().parents[2]


def to_log(snakemake) -> logging.Logger:
    """Redirect stderr (tracebacks included) and the logging module to the rule's first log file."""
    stream = open(snakemake.log[0], "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the script
    sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter when saving PDFs
    return logging.getLogger(snakemake.rule)
