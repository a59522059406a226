"""One publication style for every figure, and byte-deterministic saving (PNG and PDF, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 150,
    "savefig.dpi": 150,
    "svg.hashsalt": "revision-study",
    "pdf.fonttype": 42,
}
# Colour-blind-safe palette (Okabe & Ito 2008), in a fixed order.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
BOX = {"boxstyle": "round,pad=0.5", "facecolor": "#f3f6fa", "edgecolor": "#4a6fa5", "linewidth": 0.9}


def use_style() -> None:
    plt.rcParams.update(STYLE)


def save_figure(fig, *paths: str | Path) -> None:
    """Save without the metadata that changes from run to run (creation date, software version)."""
    for path in paths:
        suffix = Path(path).suffix
        metadata = {
            ".png": {"Software": None},
            ".pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
            ".svg": {"Date": None, "Creator": None},
        }.get(suffix, {})
        fig.savefig(path, metadata=metadata)
    plt.close(fig)
