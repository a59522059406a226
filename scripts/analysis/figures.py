"""The study's figures, one publication style (plotting.py), each a function of results tables."""

from __future__ import annotations

import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory, offset_copy

from common.figure_text import ENGLISH, FigureText, plain_label
from common.plotting import PAGE_WIDTH_IN, PALETTE, series_style, text_colour_on, use_style
from common.study import DAYS_PER_MONTH, DEATH, REVISION

from .risk import at_risk

# Every word a figure draws comes from the glossary through a FigureText (common/figure_text.py), English by default:
# each function draws the same figure in the language of its `text` argument.
label = plain_label


def _step(ax, months, estimate, lower=None, upper=None, max_months=60.0, until=None, **kw):
    """A step curve from time 0, with its confidence band when given, drawn to the group's last follow-up
    (`until`, in months) or the axis end, whichever comes first: beyond the last follow-up nobody is observed."""
    end = max_months if until is None else min(max_months, float(until))
    start = 0.0 if kw.pop("starts_at_zero", True) else 1.0
    x = np.concatenate([[0.0], np.asarray(months, float)])
    y = np.concatenate([[start], np.asarray(estimate, float)])
    keep = x <= end
    x, y = np.append(x[keep], end), np.append(y[keep], y[keep][-1])
    (line,) = ax.step(x, y, where="post", **kw)
    if lower is not None:
        lo = np.concatenate([[start], np.asarray(lower, float)])[keep]
        hi = np.concatenate([[start], np.asarray(upper, float)])[keep]
        lo, hi = np.append(lo, lo[-1]), np.append(hi, hi[-1])
        ax.fill_between(x, lo, hi, step="post", alpha=0.09, color=line.get_color(), linewidth=0)
    return line


def _months_axis(ax, max_months, ylabel, every=12, xlabel=None, text: FigureText = ENGLISH):
    ax.set_xlim(0, max_months)
    ax.set_xticks(np.arange(0, max_months + 1, every))
    ax.set_xlabel(text("axis.months_since_index") if xlabel is None else xlabel)
    ax.set_ylabel(ylabel)


def _percent_axis(ax):
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))


def _with_risk_tables(rows: int, panels: int = 1, height: float = 3.4, width: float = PAGE_WIDTH_IN, sharey=False):
    """A figure of `panels` time axes side by side, each with a numbers-at-risk table of `rows` rows under it
    (numbers_at_risk), sharing its time axis."""
    table_height = 0.3 + 0.19 * rows
    fig, axes = plt.subplots(
        2,
        panels,
        figsize=(width, height + table_height + 0.3),
        sharex="col",
        sharey="row" if sharey else False,
        squeeze=False,
        gridspec_kw={"height_ratios": [height, table_height], "hspace": 0.45},
    )
    return fig, list(axes[0]), list(axes[1])


def numbers_at_risk(
    ax,
    rows: dict[str, tuple],
    ticks,
    colours: list[str],
    events: str = "revisions",
    labels: bool = True,
    slots: int | None = None,
    header: str | None = None,
    text: FigureText = ENGLISH,
) -> None:
    """Numbers at risk and cumulative events under a time axis: one row per group, "n (e)" at each tick, where n
    is the number still followed without the event just before the tick (follow-up time >= tick) and e the number of
    events up to the tick. `rows` maps a group's label to (months of follow-up, whether each ended in the event).
    The table is drawn in its own axes `ax`, which shares the time axis of the plot above it. `slots` rows of room
    (default: as many as there are rows) keep the tables of panels side by side aligned; without `labels` the
    numbers take their group's colour; `header` replaces the heading ("" for none); the heading is in the language
    of `text` (glossary figure.at_risk.<events>)."""
    ax.set_axis_off()
    ax.set_ylim(max(len(rows), slots or 0) - 0.5, -1.3)
    across = blended_transform_factory(ax.transAxes, ax.transData)
    heading = text(f"at_risk.{events}") if header is None else header
    ax.text(0, -1.1, heading, ha="left", va="center", fontsize=8, weight="bold", transform=across)
    for row, ((name, (months, event)), colour) in enumerate(zip(rows.items(), colours, strict=False)):
        months, event = np.asarray(months, float), np.asarray(event, bool)
        if labels:
            # Half an inch left of the axis, whatever the panel's width: clear of the first column's numbers.
            beside = offset_copy(across, fig=ax.figure, x=-0.45, units="inches")
            ax.text(0, row, name, ha="right", va="center", fontsize=8, color=colour, transform=beside)
        for tick, n in zip(ticks, at_risk(pd.Series(months), list(ticks)), strict=True):
            cumulative = int((event & (months <= tick)).sum())
            ax.text(
                tick,
                row,
                f"{n} ({cumulative})",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if labels else colour,
            )


def short(value: str, text: FigureText = ENGLISH) -> str:
    """A group's short name in a legend or an at-risk row: an operation method's (glossary terms.method.<code>.short),
    else the code as words (a prognostic group "0-1", "osteosynthesis")."""
    return text.term("method", value, "short")


def _followed(df: pd.DataFrame, mask=None, event: int = REVISION) -> tuple[np.ndarray, np.ndarray]:
    """(months of follow-up, ended in `event`) of the patients in `mask`: one row of a numbers-at-risk table."""
    d = df if mask is None else df[np.asarray(mask, bool)]
    return d["months"].to_numpy(float), (d["event"] == event).to_numpy()


def _last_followup(df: pd.DataFrame, mask=None) -> float:
    d = df if mask is None else df[np.asarray(mask, bool)]
    return float(d["months"].max()) if len(d) else 0.0


def km_versus_cif(
    curves: pd.DataFrame, risk: pd.DataFrame, df: pd.DataFrame, max_months: float, text: FigureText = ENGLISH
):
    use_style()
    fig, (ax,), (table,) = _with_risk_tables(rows=1, height=3.6)
    km = curves[curves["curve"] == "km_revision"]
    cif = curves[curves["curve"] == "cif_revision"]
    until = _last_followup(df)
    for curve, style, name in (
        (km, {"color": PALETTE[1], "linestyle": "--"}, text("km_versus_cif.km")),
        (cif, {"color": PALETTE[0], "linestyle": "-"}, text("km_versus_cif.cif")),
    ):
        _step(
            ax,
            curve["months"],
            curve["estimate"],
            curve["lower"],
            curve["upper"],
            max_months,
            until,
            label=name,
            **style,
        )
    two = risk.set_index("horizon").loc["2y"] if "2y" in set(risk["horizon"]) else risk.iloc[-1]
    ax.annotate(
        text(
            "km_versus_cif.overstates",
            months=two["months"],
            km=100 * two["km_revision"],
            cif=100 * two["cif_revision"],
            points=two["overestimate_points"],
            relative=100 * two["overestimate_relative"],
        ),
        xy=(two["months"], two["km_revision"]),
        xytext=(0.35, 0.1),
        textcoords="axes fraction",
        fontsize=8,
        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.6},
    )
    _months_axis(ax, max_months, text("axis.risk_of_revision"), text=text)
    ax.set_ylim(0, max(0.05, float(km["upper"][km["months"] <= max_months].max()) * 1.1))
    _percent_axis(ax)
    ax.legend(
        loc="upper left", title=text("km_versus_cif.cohort", n=len(df), revised=int((df["event"] == REVISION).sum()))
    )
    ax.tick_params(labelbottom=True)
    numbers_at_risk(table, {text("at_risk.all"): _followed(df)}, ax.get_xticks(), ["#333333"], text=text)
    fig.subplots_adjust(left=0.13, right=0.94, top=0.97, bottom=0.04)
    text.localise_ticks(fig)
    return fig


def stacked_cif(curves: pd.DataFrame, df: pd.DataFrame, max_months: float, text: FigureText = ENGLISH):
    use_style()
    fig, (ax,), (table,) = _with_risk_tables(rows=2, height=3.6)
    end = min(max_months, _last_followup(df))
    grid = np.linspace(0, end, 601)

    def on_grid(curve):
        c = curves[curves["curve"] == curve]
        positions = np.searchsorted(c["months"].to_numpy(), grid, side="right") - 1
        return np.where(positions >= 0, c["estimate"].to_numpy()[np.maximum(positions, 0)], 0.0)

    revision, death = on_grid("cif_revision"), on_grid("cif_death")
    colours = [PALETTE[1], "#7f7f7f", "#dfe9f5"]
    names = [text("stacked.revised"), text("stacked.died"), text("stacked.alive")]
    ax.stackplot(grid, revision, death, 1 - revision - death, colors=colours, step="post")
    _months_axis(ax, max_months, text("axis.share_of_patients"), text=text)
    ax.set_ylim(0, 1)
    _percent_axis(ax)
    # Legend swatches drawn with an outline: the pale "alive" band would not show on white otherwise.
    handles = [
        Patch(facecolor=c, edgecolor="#333333", linewidth=0.6, label=n) for c, n in zip(colours, names, strict=True)
    ]
    ax.legend(handles=handles, loc="center right", framealpha=0.9, frameon=True)
    ax.tick_params(labelbottom=True)
    numbers_at_risk(
        table,
        {text("at_risk.revised"): _followed(df), text("at_risk.died"): _followed(df, event=DEATH)},
        ax.get_xticks(),
        [PALETTE[1], "#555555"],
        events="events",
        text=text,
    )
    fig.subplots_adjust(left=0.13, right=0.94, top=0.97, bottom=0.04)
    text.localise_ticks(fig)
    return fig


def cif_by_group(
    curves: pd.DataFrame,
    df: pd.DataFrame,
    group: pd.Series,
    title: str,
    test: dict,
    max_months: float,
    order: list[str] | None = None,
    text: FigureText = ENGLISH,
):
    """Cumulative incidence of revision per group with confidence bands, Gray's test on the panel, n and events in
    the legend, and the numbers at risk under the time axis. `title` is in the language of `text`."""
    use_style()
    levels = order or sorted(group.unique())
    styles = [series_style(i) for i in range(len(levels))]
    fig, (ax,), (table,) = _with_risk_tables(rows=len(levels), height=3.6)
    cif = curves[curves["curve"] == "cif_revision"]
    top = 0.05
    for level, style in zip(levels, styles, strict=True):
        c = cif[cif["group"] == level]
        n = int((group == level).sum())
        events = int(((group == level) & (df["event"] == REVISION)).sum())
        _step(
            ax,
            c["months"],
            c["estimate"],
            c["lower"],
            c["upper"],
            max_months,
            _last_followup(df, group == level),
            label=text("cif_by_group.level", level=short(level, text), n=n, events=events),
            **style,
        )
        shown = c["months"] <= max_months
        top = max(top, float(c.loc[shown, "estimate"].max()) if shown.any() else 0.0)
    _months_axis(ax, max_months, text("axis.cif_revision"), text=text)
    _percent_axis(ax)
    ax.set_ylim(0, min(1.0, top * 1.6))
    p = test.get("p_value")
    ax.set_title(
        text("cif_by_group.gray", title=title, statistic=test["statistic"], df=test["df"], p=p) if p == p else title,
        fontsize=9,
    )
    ax.legend(loc="upper left", fontsize=8, ncols=2)
    ax.tick_params(labelbottom=True)
    numbers_at_risk(
        table,
        {short(level, text): _followed(df, group == level) for level in levels},
        ax.get_xticks(),
        [style["color"] for style in styles],
        text=text,
    )
    fig.subplots_adjust(left=0.22, right=0.94, top=0.93, bottom=0.04)
    text.localise_ticks(fig)
    return fig


def overall_survival(
    overall: pd.DataFrame,
    by_primary: pd.DataFrame,
    df: pd.DataFrame,
    primary: pd.Series,
    max_months: float,
    text: FigureText = ENGLISH,
):
    """Overall survival (Kaplan-Meier, death at any time) of all patients and by primary tumour, with confidence
    bands, each curve to its group's last follow-up, and the numbers at risk (cumulative deaths) under each panel."""
    use_style()
    levels = sorted(by_primary["group"].unique())
    fig, (left, right), (left_table, right_table) = _with_risk_tables(
        rows=len(levels), panels=2, height=3.4, sharey=True
    )
    # Overall survival: follow-up to death at any time (after a revision too) or last contact.
    survival = pd.DataFrame(
        {"months": df["survival_days"] / DAYS_PER_MONTH, "event": np.where(df["died"].astype(bool), DEATH, 0)},
        index=df.index,
    )
    _step(
        left,
        overall["months"],
        overall["survival"],
        overall["lower"],
        overall["upper"],
        max_months,
        _last_followup(survival),
        starts_at_zero=False,
        color=PALETTE[0],
        label=text("overall_survival.all_patients", n=len(df)),
    )
    styles = [series_style(i) for i in range(len(levels))]
    for level, style in zip(levels, styles, strict=True):
        c = by_primary[by_primary["group"] == level]
        _step(
            right,
            c["months"],
            c["survival"],
            c["lower"],
            c["upper"],
            max_months,
            _last_followup(survival, primary == level),
            starts_at_zero=False,
            label=text(
                "overall_survival.group", group=text.term("primary", level, "short"), n=int((primary == level).sum())
            ),
            **style,
        )
    for ax, title in ((left, text("overall_survival.title_all")), (right, text("overall_survival.title_by_primary"))):
        _months_axis(ax, max_months, text("axis.overall_survival") if ax is left else "", every=24, text=text)
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        _percent_axis(ax)
        ax.tick_params(labelbottom=True)
    right.legend(loc="upper right", fontsize=8, title=text("overall_survival.legend"), title_fontsize=8)
    numbers_at_risk(
        left_table,
        {text("at_risk.all"): _followed(survival, event=DEATH)},
        left.get_xticks(),
        [PALETTE[0]],
        events="deaths",
        labels=False,
        slots=len(levels),
        text=text,
    )
    numbers_at_risk(
        right_table,
        {text.term("primary", level, "short"): _followed(survival, primary == level, event=DEATH) for level in levels},
        right.get_xticks(),
        [style["color"] for style in styles],
        events="deaths",
        labels=False,
        text=text,
    )
    fig.subplots_adjust(left=0.11, right=0.98, top=0.93, bottom=0.04, wspace=0.12)
    text.localise_ticks(fig)
    return fig


# A covariate label longer than this wraps (none of the English labels is: their figure is as it was).
FOREST_LABEL_WIDTH = 40


def forest(table: pd.DataFrame, confidence_level: float = 0.95, text: FigureText = ENGLISH):
    """Univariable and multivariable hazard ratios: cause-specific Cox and Fine-Gray side by side."""
    use_style()
    rows = table.copy()
    rows["block"] = np.where(rows["model"] == "multivariable", "Multivariable", "Univariable")
    if text.lang != "en":  # the covariate's label as the Russian model table gives it
        rows["label"] = [text.term("covariate", c, "label") for c in rows["covariate"]]
    order = rows.drop_duplicates(["block", "covariate"])[["block", "covariate", "label"]].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 0.42 * len(order) + 1.4))
    for offset, kind, colour, marker in (
        (-0.15, "cause-specific Cox", PALETTE[0], "o"),
        (0.15, "Fine-Gray", PALETTE[1], "s"),
    ):
        for i, r in order.iterrows():
            hit = rows[(rows["block"] == r["block"]) & (rows["covariate"] == r["covariate"]) & (rows["kind"] == kind)]
            if hit.empty:
                continue
            h = hit.iloc[0]
            ax.plot([h["lower"], h["upper"]], [i + offset] * 2, color=colour, linewidth=1.2)
            ax.plot(
                h["hr"],
                i + offset,
                marker=marker,
                color=colour,
                markersize=4.5,
                label=text(f"forest.{kind}") if i == order.index[0] else None,
            )
    ax.axvline(1, color="#666666", linewidth=0.7, linestyle=":")
    ax.set_xscale("log")
    ticks = [
        t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16) if rows["lower"].min() / 1.5 <= t <= rows["upper"].max() * 1.5
    ]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.xaxis.set_minor_locator(plt.NullLocator())
    ax.set_yticks(
        range(len(order)),
        [
            text("forest.row", label=textwrap.fill(lab, FOREST_LABEL_WIDTH), block=text(f"forest.{b.lower()}").lower())
            for b, lab in zip(order["block"], order["label"], strict=True)
        ],
        fontsize=8,
    )
    multivariable = order.index[order["block"] == "Multivariable"]
    if len(multivariable):
        ax.axhline(multivariable[0] - 0.5, color="#bbbbbb", linewidth=0.6)
    ax.invert_yaxis()
    ax.set_xlabel(text("axis.hazard_ratio", level=confidence_level * 100))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0 + 0.6 / len(order)), ncols=2, fontsize=8)
    text.localise_ticks(fig)
    fig.tight_layout()
    return fig


def causes_by_primary(table: pd.DataFrame, text: FigureText = ENGLISH):
    use_style()
    body = table[table["revision_cause"] != "total"].set_index("revision_cause").drop(columns="total")
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 3.8))
    left = np.zeros(len(body))
    for primary, colour in zip(body.columns, PALETTE, strict=False):
        values = body[primary].to_numpy(float)
        name = text.term("primary", primary, "short")
        ax.barh(range(len(body)), values, left=left, color=colour, label=name, height=0.65)
        for y, (v, l0) in enumerate(zip(values, left, strict=True)):
            if v:
                ax.text(l0 + v / 2, y, f"{int(v)}", ha="center", va="center", fontsize=8, color=text_colour_on(colour))
        left += values
    ax.set_yticks(range(len(body)), [text.term("cause", c, "label") for c in body.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(text("causes.revised_patients"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts of patients: whole numbers only
    # Beside the axes, not inside: the longest bars of any data set (or the longer Russian names) never run under it.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, ncols=1)
    text.localise_ticks(fig)
    fig.tight_layout()
    return fig


SWIMMER_MAX = 60  # more bars than this do not fit a slide: a registry-sized cohort shows an even sample


def swimmer(df: pd.DataFrame, max_months: float | None = None, text: FigureText = ENGLISH):
    """Every revised patient (or an even sample of them, in order of cause and time, when there are more than
    SWIMMER_MAX): follow-up from the index operation, the revision, then death or last contact."""
    use_style()
    revised = df[df["event"] == REVISION].sort_values(["revision_cause", "months", "patient_id"])
    total = len(revised)
    if total > SWIMMER_MAX:
        revised = revised.iloc[np.linspace(0, total - 1, SWIMMER_MAX).round().astype(int)]
    revised = revised.reset_index(drop=True)
    causes = list(dict.fromkeys(revised["revision_cause"]))
    colour_of = dict(zip(causes, PALETTE, strict=False))
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 0.16 * len(revised) + 1.8))
    for i, r in revised.iterrows():
        end = r["survival_days"] / DAYS_PER_MONTH
        ax.barh(i, end, color="#dfe9f5", height=0.7, edgecolor="none")
        ax.plot(r["months"], i, marker="X", color=colour_of[r["revision_cause"]], markersize=5)
        ax.plot(end, i, marker="s" if r["died"] else ">", color="#333333", markersize=3.5)
    handles = [
        plt.Line2D([], [], marker="X", linestyle="", color=colour_of[c], label=text.term("cause", c, "label"))
        for c in causes
    ]
    handles += [
        plt.Line2D([], [], marker="s", linestyle="", color="#333333", label=text("swimmer.died")),
        plt.Line2D([], [], marker=">", linestyle="", color="#333333", label=text("swimmer.alive")),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    ax.set_yticks([])
    ax.set_ylabel(
        text("swimmer.all", n=total) if total == len(revised) else text("swimmer.sample", shown=len(revised), n=total)
    )
    ax.set_xlabel(text("axis.months_since_index"))
    ax.set_xlim(0, max_months or None)
    ax.invert_yaxis()
    text.localise_ticks(fig)
    fig.tight_layout()
    return fig


def recommendation(
    curves: dict[str, pd.DataFrame],
    tests: pd.DataFrame,
    df: pd.DataFrame,
    max_months: float,
    column: str = "prognostic_group",
    score: str = "modified_bauer",
    text: FigureText = ENGLISH,
):
    """Cumulative incidence of revision after osteosynthesis and endoprosthesis, within each prognostic group (the
    groups of `column`, named after the score `score`, a key of glossary figure.score): bands, Gray's p on each panel,
    n and revisions per arm, numbers at risk under each panel."""
    use_style()
    groups = list(curves)
    fig, axes, tables = _with_risk_tables(rows=2, panels=len(groups), height=3.0, sharey=True)
    arms = tuple(
        (fixation, text.term("fixation", fixation, "short"), series_style(index))
        for fixation, index in (("osteosynthesis", 1), ("endoprosthesis", 0))
    )
    top = 0.05
    for i, (ax, table, group) in enumerate(zip(axes, tables, groups, strict=True)):
        c = curves[group]
        within = df[(df[column] == group)]
        rows = {}
        for fixation, short_name, style in arms:
            part = c[(c["group"] == fixation) & (c["curve"] == "cif_revision")]
            arm = (within["fixation"] == fixation).to_numpy()
            n, revised = int(arm.sum()), int((arm & (within["event"] == REVISION).to_numpy()).sum())
            if len(part):
                until = _last_followup(within, arm)
                _step(
                    ax,
                    part["months"],
                    part["estimate"],
                    part["lower"],
                    part["upper"],
                    max_months,
                    until,
                    label=text("recommendation.arm", arm=short_name, n=n, revised=revised),
                    **style,
                )
                top = max(top, float(part.loc[part["months"] <= max_months, "upper"].max()))
            rows[short_name] = _followed(within, arm)
        test = tests.set_index("prognostic_group").loc[group]
        p = test["p_value"]
        holm = test.get("p_holm", float("nan"))
        quoted = text("recommendation.gray", p=p) + (text("recommendation.holm", holm=holm) if holm == holm else "")
        title = text("recommendation.title", score=text.score(score), group=group)
        ax.set_title(f"{title}\n" + (quoted if p == p else text("recommendation.not_testable")), fontsize=9)
        ylabel = text("axis.cif_revision_two_lines") if i == 0 else ""
        _months_axis(ax, max_months, ylabel, every=24, xlabel=text("axis.months"), text=text)
        _percent_axis(ax)
        ax.tick_params(labelbottom=True)
        ax.legend(loc="upper left", fontsize=8, title=text("recommendation.legend"), title_fontsize=8, handlelength=1.8)
        numbers_at_risk(
            table,
            rows,
            ax.get_xticks(),
            [style["color"] for _, _, style in arms],
            labels=i == 0,
            header=text("at_risk.revisions_short") if i == 0 else "",
        )
    axes[0].set_ylim(0, min(1.0, top * 1.15))
    fig.subplots_adjust(left=0.2, right=0.97, top=0.85, bottom=0.04, wspace=0.3)
    text.localise_ticks(fig)
    return fig


def not_estimable(title: str, reason: str, text: FigureText = ENGLISH):
    """A figure that says in words why there is nothing to draw (a thin cohort), so that the rule's output exists;
    `title` and `reason` in the language of `text`."""
    use_style()
    fig, ax = plt.subplots(figsize=(5, 2.2))
    ax.axis("off")
    ax.text(
        0.5, 0.5, text("not_estimable", title=title, reason=reason), ha="center", va="center", fontsize=9, wrap=True
    )
    return fig


def schoenfeld(
    residuals: pd.DataFrame, ph: pd.DataFrame, split_months: float, max_months: float, text: FigureText = ENGLISH
):
    """Scaled Schoenfeld residuals of the multivariable cause-specific Cox model against time (R's
    residuals(fit, "scaledsch"): beta + n_events x residual x var, an estimate of beta(t)), one panel per covariate,
    with a running mean (window of a fifth of the revisions), the fitted log hazard ratio (solid grey: the mean of the
    residuals, which equals beta at the maximum of the partial likelihood) and the time split: a curve flat along
    that line means a constant hazard ratio (Grambsch & Therneau 1994)."""
    use_style()
    names = [c for c in residuals.columns if c != "months"]
    columns = min(2, len(names))
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(PAGE_WIDTH_IN, 2.8 * rows), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_axis_off()
    p_of = ph[ph["model"] == "multivariable"].set_index("covariate")["p_value"] if len(ph) else pd.Series(dtype=float)
    window = max(3, len(residuals) // 5)
    for ax, name in zip(axes.flat, names, strict=False):
        ax.scatter(residuals["months"], residuals[name], s=10, color=PALETTE[0], alpha=0.7)
        smooth = residuals[name].rolling(window, center=True, min_periods=1).mean()
        ax.plot(residuals["months"], smooth, color=PALETTE[1], linewidth=1.4)
        ax.axvline(split_months, color="#666666", linewidth=0.7, linestyle=":")
        ax.axhline(float(residuals[name].mean()), color="#999999", linewidth=0.5)
        ax.set_xlim(0, max_months)
        p = p_of.get(name, np.nan)
        name_shown = text.term("covariate", name, "short")
        ax.set_title(text("schoenfeld.title", name=name_shown, p=p) if np.isfinite(p) else name_shown, fontsize=9)
        ax.set_xlabel(text("axis.months_after_index"))
    for row in axes:
        row[0].set_ylabel(text("axis.schoenfeld"))
    text.localise_ticks(fig)
    fig.tight_layout()
    return fig


def survival_by_score(
    curves: dict[str, pd.DataFrame],
    df: pd.DataFrame,
    groups: dict[str, tuple],
    labels: dict,
    max_months: float,
    text: FigureText = ENGLISH,
):
    """Overall survival (Kaplan-Meier) by the groups of each prognostic score, one panel per score, best prognosis
    on top, with bands and the numbers at risk (cumulative deaths) under each panel. `curves[score]` holds the
    curves by group (risk.overall_survival); `groups[score]` the score's groups, worst first. A panel's title is
    `labels[score]` in English and the glossary's name of the score (figure.score) in another language."""
    use_style()
    names = list(curves)
    fig, axes, tables = _with_risk_tables(rows=3, panels=len(names), height=3.0, sharey=True)
    survival = pd.DataFrame(
        {"months": df["survival_days"] / DAYS_PER_MONTH, "event": np.where(df["died"].astype(bool), DEATH, 0)},
        index=df.index,
    )
    for i, (ax, table, name) in enumerate(zip(axes, tables, names, strict=True)):
        column, order = f"{name}_group", list(reversed(groups[name]))  # best first
        styles = [series_style(j) for j in range(len(order))]
        rows = {}
        for group, style in zip(order, styles, strict=True):
            c = curves[name][curves[name]["group"] == group]
            members = (df[column] == group).to_numpy()
            if len(c):
                _step(
                    ax,
                    c["months"],
                    c["survival"],
                    c["lower"],
                    c["upper"],
                    max_months,
                    _last_followup(survival, members),
                    starts_at_zero=False,
                    label=text("survival_by_score.group", group=group, n=int(members.sum())),
                    **style,
                )
            rows[group] = _followed(survival, members, event=DEATH)
        ax.set_title(labels.get(name, name) if text.lang == "en" else text.score(name), fontsize=9)
        if not df[column].notna().any():
            ax.text(
                0.5,
                0.5,
                text("survival_by_score.no_score"),
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=8,
            )
        ylabel = text("axis.overall_survival") if i == 0 else ""
        _months_axis(ax, max_months, ylabel, every=24, xlabel=text("axis.months"), text=text)
        ax.set_ylim(0, 1.02)
        _percent_axis(ax)
        ax.tick_params(labelbottom=True)
        ax.legend(
            loc="upper right", fontsize=8, title=text("survival_by_score.legend"), title_fontsize=8, handlelength=1.8
        )
        numbers_at_risk(
            table,
            rows,
            ax.get_xticks(),
            [st["color"] for st in styles],
            events="deaths",
            labels=False,
            header=text("at_risk.deaths_short") if i == 0 else "",
        )
    fig.subplots_adjust(left=0.11, right=0.98, top=0.92, bottom=0.04, wspace=0.15)
    text.localise_ticks(fig)
    return fig


def score_calibration(calibration: pd.DataFrame, labels: dict, conf_level: float):
    """Observed 1-year survival (Kaplan-Meier, with its interval) against the survival the score's authors
    published, one point per group: on the diagonal, the score is as calibrated here as where it was made."""
    use_style()
    rows = calibration[(calibration["months"] == 12) & calibration["published"].notna()]
    if rows.empty:
        return not_estimable("Calibration", "no score with published survival by group")
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN * 0.6, PAGE_WIDTH_IN * 0.6))
    ax.plot([0, 1], [0, 1], color="#999999", linewidth=0.8, linestyle=":", label="perfect calibration")
    for i, (score, part) in enumerate(rows.groupby("score", sort=False)):
        style = series_style(i)
        ax.errorbar(
            part["published"],
            part["observed"],
            yerr=[part["observed"] - part["lower"], part["upper"] - part["observed"]],
            fmt="os"[i % 2],
            color=style["color"],
            capsize=3,
            markersize=5,
            linewidth=1,
            label=f"{labels.get(score, score)} score",
        )
        for r in part.itertuples():
            ax.annotate(
                f"{r.group} (n = {r.n})",
                (r.published, r.observed),
                xytext=(6, -10),
                textcoords="offset points",
                fontsize=8,
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("Published 1-year survival")
    ax.set_ylabel(f"Observed 1-year survival ({100 * conf_level:g} % CI)")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    _percent_axis(ax)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def discrimination_forest(discrimination: pd.DataFrame, labels: dict, conf_level: float, text: FigureText = ENGLISH):
    """Each score's discrimination with its interval: Harrell's C for overall survival, the time-dependent AUC for
    death by each horizon, and Wolbers' C for revision with death competing; 0.5 is no discrimination."""
    use_style()
    outcomes = list(dict.fromkeys(discrimination["outcome"]))
    scores = list(dict.fromkeys(discrimination["score"]))
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 0.2 * len(outcomes) * len(scores) + 1.4))
    for i, score in enumerate(scores):
        style = series_style(i)
        part = discrimination[discrimination["score"] == score].set_index("outcome")
        name = text.score(score, "score_legend", text("score.in_legend", score=labels.get(score, score)))
        offset = (i - (len(scores) - 1) / 2) * 0.22
        for j, outcome in enumerate(outcomes):
            if outcome not in part.index:
                continue
            r = part.loc[outcome]
            ax.plot(
                [r["ci_low"], r["ci_high"]],
                [j + offset] * 2,
                color=style["color"],
                linewidth=1.2,
                linestyle=style["linestyle"],
            )
            ax.plot(
                r["c_index"],
                j + offset,
                marker="osD^v"[i % 5],
                color=style["color"],
                markersize=4.5,
                label=name if j == 0 else None,
            )
    ax.axvline(0.5, color="#666666", linewidth=0.7, linestyle=":")
    ax.set_yticks(range(len(outcomes)), [_outcome_name(o, text) for o in outcomes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(text("axis.discrimination", level=100 * conf_level))
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(scores), fontsize=8)
    text.localise_ticks(fig)
    fig.tight_layout()
    return fig


def _outcome_name(outcome: str, text: FigureText = ENGLISH) -> str:
    """A discrimination outcome as the figure names it: glossary figure.discrimination.<outcome>, or for
    "auc_death_by_<k>m" the time-dependent AUC by k months."""
    death_by = re.fullmatch(r"auc_death_by_(\d+)m", outcome)
    if death_by:
        return text("discrimination.auc", months=death_by.group(1))
    try:
        return text(f"discrimination.{outcome}")
    except KeyError:
        return outcome
