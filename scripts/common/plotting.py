"""One publication style for every figure, and byte-deterministic saving (PNG and PDF, Agg backend)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from common.study_font import FACES, FAMILY, FONT_DIR  # noqa: E402

# StudySans (common/study_font.py): DejaVu Sans cut to the characters figures use, so that embedding it in each PDF is
# cheap; the same outlines, hinting and kerning as DejaVu Sans. Characters it lacks fall back to DejaVu Sans.
for _face in FACES:
    font_manager.fontManager.addfont(FONT_DIR / _face)

STYLE = {
    "font.family": [FAMILY, "DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "figure.dpi": 300,
    "savefig.dpi": 300,
    "svg.hashsalt": "revision-study",
    "pdf.fonttype": 42,
}
# Colour-blind-safe palette (Okabe & Ito 2008), ordered so that the first colours stay apart under deuteranopia and
# protanopia as well as in normal vision (simulated_lab below; tests/test_figure_standards.py). Yellow (#F0E442) comes
# last: it does not show on white.
PALETTE = ["#0072B2", "#D55E00", "#000000", "#009E73", "#56B4E9", "#E69F00", "#CC79A7", "#F0E442"]
# Lines differ by style as well as colour, so that curves stay apart in grey print and for any colour vision.
LINESTYLES = ["-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 3))]
# Figures are drawn at the journal's text width (17 cm: A4 less 2 cm margins) or narrower, so that text drawn at
# MIN_FONT_PT or more is printed at that size.
PAGE_WIDTH_IN = 17 / 2.54
MIN_FONT_PT = 8
BOX = {"boxstyle": "round,pad=0.5", "facecolor": "#f3f6fa", "edgecolor": "#4a6fa5", "linewidth": 0.9}


def use_style() -> None:
    plt.rcParams.update(STYLE)


def series_style(index: int) -> dict:
    """Colour and line style of the index-th curve of a figure."""
    return {"color": PALETTE[index % len(PALETTE)], "linestyle": LINESTYLES[index % len(LINESTYLES)]}


def text_colour_on(background: str) -> str:
    """Black or white, whichever contrasts more with the background (WCAG 2.1 relative luminance)."""
    return "black" if relative_luminance(background) > 0.179 else "white"


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour "#rrggbb": 0.2126 R + 0.7152 G + 0.0722 B of the linear values."""
    r, g, b = _linear_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _linear_rgb(colour: str) -> list[float]:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


# Dichromacy simulation matrices on linear RGB, severity 1.0: Machado, Oliveira & Fernandes, "A physiologically-based
# model for simulation of color vision deficiency", IEEE TVCG 15(6):1291-1298, 2009 (doi:10.1109/TVCG.2009.113),
# table of the paper's supplement.
CVD_MATRICES = {
    "normal": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
}


def simulated_lab(colour: str, vision: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour as seen with the given colour vision (CVD_MATRICES): linear RGB, the Machado
    matrix, clipped to the gamut, then XYZ (IEC 61966-2-1 sRGB primaries) and L*a*b* (CIE 1976)."""
    rgb = _linear_rgb(colour)
    seen = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in CVD_MATRICES[vision]]
    xyz_rows = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
    white = (0.95047, 1.0, 1.08883)
    x, y, z = (sum(m * c for m, c in zip(row, seen, strict=True)) / w for row, w in zip(xyz_rows, white, strict=True))

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def save_figure(fig, *paths: str | Path) -> None:
    """Save without the metadata that changes from run to run (creation date, software version). A PNG is written
    by write_png (opaque RGB); PDF fonts are embedded as Type 42 subsets of StudySans (STYLE)."""
    for path in paths:
        suffix = Path(path).suffix
        if suffix == ".png":
            write_png(fig, path)
            continue
        metadata = {
            ".pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
            ".svg": {"Date": None, "Creator": None},
        }.get(suffix, {})
        fig.savefig(path, metadata=metadata)
    plt.close(fig)


def write_png(fig, path: str | Path) -> None:
    """The figure as an opaque RGB PNG at savefig.dpi, with its resolution (pHYs) and no text chunks.

    matplotlib writes the Agg canvas as RGBA; figures here have an opaque background, so the alpha channel is 255
    everywhere and dropping it loses nothing while zlib compresses a quarter less data: about 0.04 s less per figure
    and 10 % smaller files (Pillow's default compress_level 6). The pixels are those fig.savefig(path) draws."""
    from PIL import Image

    dpi = plt.rcParams["savefig.dpi"]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=dpi)
    raw = buffer.getbuffer()
    width = int(fig.get_figwidth() * dpi)  # as Agg sizes its canvas: int(figure.bbox.width)
    height = len(raw) // (4 * width)
    if width * height * 4 != len(raw):
        raise ValueError(f"unexpected raster size {len(raw)} for a {width} px wide figure")
    image = Image.frombuffer("RGBA", (width, height), raw, "raw", "RGBA", 0, 1)
    if image.getextrema()[3][0] < 255:  # a transparent figure keeps its alpha channel
        image.save(path, format="png", dpi=(dpi, dpi))
    else:
        image.convert("RGB").save(path, format="png", dpi=(dpi, dpi))
