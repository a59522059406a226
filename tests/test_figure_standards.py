"""The figures meet the standard reviewers expect (issue 18): numbers at risk and cumulative events under every time
axis, counted as a hand count gives them; curves that stop at each group's last follow-up; lines that differ by style
as well as colour, with a palette that stays apart under deuteranopia and protanopia; confidence bands; Gray's p
and n with events on the panels; 300 dpi; text of at least 8 pt at the journal's text width; dark text on light
bars.

The cohort here is made by hand and by a seeded generator of this file, not by the synthetic twin."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.colors  # noqa: E402
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib import _text_helpers  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from analysis import figures, risk  # noqa: E402
from common import study_font  # noqa: E402
from common.plotting import (  # noqa: E402
    LINESTYLES,
    MIN_FONT_PT,
    PAGE_WIDTH_IN,
    PALETTE,
    relative_luminance,
    save_figure,
    series_style,
    simulated_lab,
    text_colour_on,
    write_png,
)
from common.study import DAYS_PER_MONTH, DEATH, REVISION  # noqa: E402

GROUPS = ("0-1", "2", "3-4")
ARMS = ("osteosynthesis", "endoprosthesis")


def cohort(n: int = 120, seed: int = 11) -> pd.DataFrame:
    """Patients with a revision, death or censoring each, two arms and three prognostic groups. The group 0-1 is
    followed for at most 20 months, so that its curves must stop there."""
    rng = np.random.default_rng(seed)
    group = rng.choice(GROUPS, size=n)
    arm = np.array([ARMS[i % 2] for i in range(n)])
    days = rng.exponential(500, size=n).round() + 1
    days = np.where(group == "0-1", np.minimum(days, 20 * DAYS_PER_MONTH), days)
    event = rng.choice([0, REVISION, DEATH], size=n, p=[0.3, 0.25, 0.45])
    extra = np.where(event == REVISION, rng.exponential(200, size=n).round(), 0)
    died = (event == DEATH) | ((event == REVISION) & (rng.random(n) < 0.5))
    return pd.DataFrame(
        {
            "patient_id": [f"P{i:03d}" for i in range(n)],
            "time_days": days,
            "months": days / DAYS_PER_MONTH,
            "event": event,
            "survival_days": days + extra,
            "died": died,
            "prognostic_group": group,
            "fixation": arm,
            "primary_group": rng.choice(["breast", "kidney", "lung", "prostate", "other"], size=n),
        }
    )


def texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def main_lines(ax) -> list[Line2D]:
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return cohort()


@pytest.fixture(scope="module")
def drawn(df) -> dict:
    """Every time-axis figure of the study, drawn from the hand-made cohort."""
    alpha = 0.05
    table = risk.revision_risk(df, {"1y": 12, "2y": 24}, alpha)
    curves = risk.curves(df, alpha)
    os_curves, _ = risk.overall_survival(df, alpha)
    primary = df["primary_group"]
    os_by_primary, _ = risk.overall_survival(df, alpha, primary)
    by_group = risk.curves(df, alpha, df["prognostic_group"])
    within = {
        g: risk.curves(df[df["prognostic_group"] == g], alpha, df.loc[df["prognostic_group"] == g, "fixation"])
        for g in GROUPS
    }
    tests = pd.DataFrame({"prognostic_group": list(GROUPS), "p_value": [0.02, 0.5, 0.04], "p_holm": [0.06, 0.5, 0.08]})
    return {
        "km_versus_cif": figures.km_versus_cif(curves, table, df, 60),
        "stacked_cif": figures.stacked_cif(curves, df, 60),
        "cif_by_group": figures.cif_by_group(
            by_group,
            df,
            df["prognostic_group"],
            "By group",
            {"statistic": 3.21, "df": 2, "p_value": 0.2},
            60,
            list(GROUPS),
        ),
        "overall_survival": figures.overall_survival(os_curves, os_by_primary, df, primary, 60),
        "recommendation": figures.recommendation(within, tests, df, 60),
    }


def test_numbers_at_risk_equal_a_hand_count():
    """Five patients followed 1, 5, 12, 12 and 30 months; revisions at 5 and 12 months. At risk just before a tick
    means followed at least that long: at 0: 5, at 12: 3 (the two at 12 are still at risk), at 24: 1. Cumulative
    revisions up to the tick: 0, 2 (both at or before 12), 2."""
    fig, ax = plt.subplots()
    months = np.array([1, 5, 12, 12, 30.0])
    revised = np.array([False, True, True, False, False])
    figures.numbers_at_risk(ax, {"all": (months, revised)}, [0, 12, 24], ["black"])
    cells = [t.get_text() for t in ax.texts if "(" in t.get_text() and "Numbers" not in t.get_text()]
    assert cells == ["5 (0)", "3 (2)", "1 (2)"]
    plt.close(fig)


def test_every_time_axis_has_its_numbers_at_risk(drawn, df):
    for name, fig in drawn.items():
        headings = [t for t in texts(fig) if t.get_text().startswith("Numbers at risk")]
        assert headings, f"{name} has no numbers-at-risk table"
    # The prognostic-group figure: the first cell of each group's row is the group's size, with no events yet.
    cells = [t.get_text() for t in drawn["cif_by_group"].axes[1].texts if t.get_text().endswith("(0)")]
    assert sorted(cells) == sorted(f"{int((df['prognostic_group'] == g).sum())} (0)" for g in GROUPS)


def test_curves_stop_at_the_last_follow_up_of_their_group(drawn, df):
    ax = drawn["cif_by_group"].axes[0]
    last = df.loc[df["prognostic_group"] == "0-1", "months"].max()
    assert last < 21
    (line,) = [line for line in main_lines(ax) if line.get_label().startswith("0-1")]
    assert max(line.get_xdata()) == pytest.approx(last)
    others = [line for line in main_lines(ax) if not line.get_label().startswith("0-1")]
    assert all(max(line.get_xdata()) > last for line in others)


def test_lines_differ_by_style_as_well_as_colour(drawn):
    for name in ("cif_by_group", "overall_survival", "recommendation", "km_versus_cif"):
        for ax in drawn[name].axes:
            lines = main_lines(ax)
            if len(lines) < 2:
                continue
            # The dash pattern as set (matplotlib has no public getter; get_linestyle() calls every custom one "--").
            dashes = [(line.get_linestyle(), str(line._unscaled_dash_pattern)) for line in lines]
            assert len(set(dashes)) == len(lines), f"{name}: two curves share a line style {dashes}"


def test_the_palette_stays_apart_for_deuteranopes_and_protanopes():
    """Colour difference (CIE76 delta E) between any two of the first five colours, as seen with each colour
    vision (Machado et al. 2009): at least 20, where about 2 is just noticeable. The issue's case was kidney and
    prostate (the 2nd and 5th curves by primary) becoming one colour under deuteranopia."""
    for vision in ("normal", "deuteranopia", "protanopia"):
        lab = [simulated_lab(c, vision) for c in PALETTE[:5]]
        closest = min(math.dist(a, b) for a, b in itertools.combinations(lab, 2))
        assert closest >= 20, (vision, closest)
    # The simulation itself: a pure red and a pure green, worlds apart in normal vision, merge for a deuteranope.
    red, green = "#ff0000", "#00ff00"
    assert math.dist(simulated_lab(red, "normal"), simulated_lab(green, "normal")) > 150
    assert math.dist(simulated_lab(red, "deuteranopia"), simulated_lab(green, "deuteranopia")) < 60
    assert len({str(s) for s in LINESTYLES}) == len(LINESTYLES)
    assert series_style(0) != series_style(1)


def test_bands_gray_p_n_and_events_are_on_the_panels(drawn):
    assert any(isinstance(c, PolyCollection) for c in drawn["cif_by_group"].axes[0].collections), "no band"
    for ax in drawn["recommendation"].axes[:3]:
        assert "Gray's p" in ax.get_title()
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend and all(any(ch.isdigit() for ch in entry) and "(" in entry for entry in legend), legend
        assert any(isinstance(c, PolyCollection) for c in ax.collections), "no band"
    assert "Gray's test" in drawn["cif_by_group"].axes[0].get_title()


def test_text_is_at_least_8_pt_at_the_journal_width(drawn):
    for name, fig in drawn.items():
        width = fig.get_size_inches()[0]
        assert width <= PAGE_WIDTH_IN + 1e-9, f"{name} is wider than the page"
        small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < MIN_FONT_PT]
        assert not small, f"{name}: {small[:5]}"


def test_other_figures_keep_the_width_and_size_rules():
    table = pd.DataFrame(
        {
            "revision_cause": ["postoperative_infection", "endoprosthesis_dislocation", "total"],
            "breast": [3, 1, 4],
            "kidney": [0, 2, 2],
            "lung": [1, 0, 1],
            "prostate": [2, 2, 4],
            "other": [1, 1, 2],
            "total": [7, 6, 13],
        }
    )
    fig = figures.causes_by_primary(table)
    assert fig.get_size_inches()[0] <= PAGE_WIDTH_IN + 1e-9
    assert all(t.get_fontsize() >= MIN_FONT_PT for t in texts(fig))
    # Every count printed on a bar contrasts with the bar (WCAG 2.1 contrast ratio >= 4.5).
    ax = fig.axes[0]
    bars = [p for p in ax.patches]
    for t in ax.texts:
        x, y = t.get_position()
        (bar,) = [
            b
            for b in bars
            if b.get_x() <= x <= b.get_x() + b.get_width() and abs(b.get_y() + b.get_height() / 2 - y) < 1e-6
        ]
        face = matplotlib.colors.to_hex(bar.get_facecolor())
        text = matplotlib.colors.to_hex(t.get_color())
        light, dark = sorted([relative_luminance(face), relative_luminance(text)], reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (face, text)
    plt.close(fig)
    assert text_colour_on("#F0E442") == "black" and text_colour_on("#0072B2") == "white"


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_causes_legend_covers_no_bar_and_counts_are_whole(lang):
    """Fig 2's legend once sat inside the axes, over the longest bar (and the Russian names are longer): with every
    row's bar as long as the longest, no bar and no count may lie under the legend; the count axis has whole ticks."""
    from common.figure_text import FigureText

    causes = ["postoperative_infection", "endoprosthesis_dislocation", "endoprosthesis_stem_fracture"]
    primaries = ["breast", "kidney", "lung", "prostate", "rectum", "liver", "ewing_sarcoma"]
    table = pd.DataFrame({"revision_cause": causes + ["total"]})
    for primary in primaries:
        table[primary] = [2, 2, 2, 6]
    table["total"] = table[primaries].sum(axis=1)
    fig = figures.causes_by_primary(table, FigureText(lang))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    for artist in [*ax.patches, *ax.texts]:
        box = artist.get_window_extent(renderer)
        assert not legend.overlaps(box), (lang, artist)
    assert legend.x1 <= fig.bbox.x1 + 1  # the legend stays on the figure
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(t.lstrip("−-").isdigit() for t in ticks), ticks
    plt.close(fig)


def test_figures_are_saved_at_300_dpi(drawn, tmp_path):
    fig = drawn["km_versus_cif"]
    width, height = fig.get_size_inches()
    save_figure(fig, tmp_path / "figure.png", tmp_path / "figure.pdf")
    image = matplotlib.image.imread(tmp_path / "figure.png")
    assert abs(image.shape[0] - height * 300) < 1 and abs(image.shape[1] - width * 300) < 1, image.shape
    assert (tmp_path / "figure.pdf").read_bytes().startswith(b"%PDF")


def test_png_is_opaque_rgb_with_the_pixels_savefig_draws(drawn, tmp_path):
    """write_png drops the alpha channel of an opaque figure: the pixels are those of matplotlib's own RGBA PNG, and
    two saves are byte-identical."""
    fig = drawn["cif_by_group"]
    fig.savefig(tmp_path / "matplotlib.png", metadata={"Software": None})
    write_png(fig, tmp_path / "a.png")
    write_png(fig, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    with PIL.Image.open(tmp_path / "a.png") as ours, PIL.Image.open(tmp_path / "matplotlib.png") as theirs:
        assert ours.mode == "RGB" and theirs.mode == "RGBA"
        assert round(ours.info["dpi"][0]) == 300
        reference = np.asarray(theirs)
        assert (reference[..., 3] == 255).all()
        assert np.array_equal(np.asarray(ours), reference[..., :3])


def test_pdf_text_is_embedded_studysans_type42_russian_included(tmp_path):
    """Text in a PDF figure stays text, in a TrueType (Type 42) font embedded as a subset of StudySans, Russian
    letters included; no Type 3 fonts and no fallback to the full DejaVu Sans."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("Ремонт после остеосинтеза, fi ≥ 2", weight="bold")
    ax.set_xlabel("Месяцы − months ± 1 × 2")
    save_figure(fig, tmp_path / "ru.pdf")
    raw = (tmp_path / "ru.pdf").read_bytes()
    assert b"/FontFile2" in raw and b"/CIDFontType2" in raw
    assert b"+StudySans" in raw and b"+StudySans-Bold" in raw
    assert b"/Type3" not in raw and b"DejaVu" not in raw


def test_studysans_lays_out_text_as_dejavu_sans():
    """StudySans has DejaVu Sans' glyph positions: kerning (from the legacy kern table, GPOS dropped), the "fi"
    ligature (GSUB liga kept) and Cyrillic letters."""
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    sample = "AVATAR To Ty Wa Yo fi fl modified Gray's p = 0.02 (Holm) Ремонт Тяжесть Гр. вероятность ≤ 5 % − 1"
    for face, original in study_font.FACES.items():
        layouts = []
        for path in (source / original, study_font.FONT_DIR / face):
            font = FT2Font(path)
            font.set_size(9, 72)
            layouts.append([(item.char, item.x) for item in _text_helpers.layout(sample, font)])
        assert layouts[0] == layouts[1], face
        assert ("fi" in [char for char, _ in layouts[1]]) and len(layouts[1]) < len(sample)


def test_studysans_files_are_what_the_builder_makes(tmp_path):
    """The committed fonts are reproducible: scripts/common/study_font.py on matplotlib's DejaVu Sans."""
    study_font.main(str(tmp_path))
    for face in study_font.FACES:
        assert (tmp_path / face).read_bytes() == (study_font.FONT_DIR / face).read_bytes(), face
    font = FT2Font(study_font.FONT_DIR / "StudySans.ttf")
    assert font.family_name == "StudySans" and font.num_glyphs < 1000
