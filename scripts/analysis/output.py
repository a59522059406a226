"""Writing results: TSV with fixed float formatting, JSON with integers as integers, figures as PNG and PDF."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd


def write_tsv(frame: pd.DataFrame, path: str | Path) -> None:
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n", float_format="%.10g")


def plain(value):
    """JSON-ready: numpy scalars to Python, whole floats that are counts stay floats unless integral ints."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) else round(value, 10)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(content, path: str | Path) -> None:
    Path(path).write_text(json.dumps(plain(content), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_figure(fig, png: str | Path, pdf: str | Path) -> None:
    from common.plotting import save_figure  # matplotlib only for the rules that draw

    save_figure(fig, png, pdf)


def write_figures(draw, **paths: tuple[str | Path, str | Path]) -> None:
    """One figure in several languages, from the same data in the same process: `draw(text)` draws it with the
    words of a common.figure_text.FigureText; `paths` maps a language ("en", "ru") to its (PNG, PDF). English
    first, so that its files are written exactly as when it was the only language. The rule's log gets the CPU
    seconds of each language (drawing and saving)."""
    import logging
    import time

    from common.figure_text import FigureText

    for lang, (png, pdf) in paths.items():
        start = time.process_time()
        write_figure(draw(FigureText(lang)), png, pdf)
        cpu = time.process_time() - start
        logging.getLogger("figures").info("%s (%s): drawn and saved in %.2f s CPU", Path(png).stem, lang, cpu)
