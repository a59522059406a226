"""The study's figures, one publication style (plotting.py), each a function of results tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory

from common.plotting import PALETTE, use_style
from common.study import DAYS_PER_MONTH, REVISION

from .risk import at_risk

CAUSE_LABELS = {
    "preoperative_diagnostic_error": "Preoperative diagnostic error",
    "postoperative_infection": "Postoperative infection",
    "endoprosthesis_dislocation": "Endoprosthesis dislocation",
    "solitary_metastasis_progression_after_osteosynthesis": "Solitary metastasis progression after osteosynthesis",
    "aseptic_instability_after_intramedullary_osteosynthesis": "Aseptic instability after IM osteosynthesis",
    "endoprosthesis_stem_fracture": "Endoprosthesis stem fracture",
}


def label(value: str) -> str:
    return str(value).replace("_", " ")


def _step(ax, months, estimate, lower=None, upper=None, max_months=60.0, **kw):
    x = np.concatenate([[0.0], np.asarray(months, float)])
    y = np.concatenate([[0.0 if kw.pop("starts_at_zero", True) else 1.0], np.asarray(estimate, float)])
    keep = x <= max_months
    x, y = np.append(x[keep], max_months), np.append(y[keep], y[keep][-1])
    (line,) = ax.step(x, y, where="post", **kw)
    if lower is not None:
        lo = np.concatenate([[y[0]], np.asarray(lower, float)])[: keep.sum()]
        hi = np.concatenate([[y[0]], np.asarray(upper, float)])[: keep.sum()]
        ax.fill_between(x[:-1], lo, hi, step="post", alpha=0.15, color=line.get_color(), linewidth=0)
    return line


def _months_axis(ax, max_months, ylabel):
    ax.set_xlim(0, max_months)
    ax.set_xticks(np.arange(0, max_months + 1, 12))
    ax.set_xlabel("Months since the index operation")
    ax.set_ylabel(ylabel)


SHORT_LABELS = {
    "intramedullary_osteosynthesis": "IM nail",
    "plate_osteosynthesis": "plate",
    "endoprosthesis": "endoprosthesis",
    "osteosynthesis": "osteosynthesis",
    "other": "other",
}


def short(value: str) -> str:
    return SHORT_LABELS.get(str(value), label(value))


def _at_risk_table(ax, groups: dict[str, pd.Series], ticks: list[float], colours: list[str]) -> None:
    """Numbers at risk in their own axes under the plot, one row per group, aligned with the time ticks."""
    ax.set_axis_off()
    ax.set_ylim(len(groups) - 0.5, -1.2)
    ax.text(
        0,
        -1,
        "Numbers at risk",
        ha="left",
        va="center",
        fontsize=7,
        weight="bold",
        transform=blended_transform_factory(ax.transAxes, ax.transData),
    )
    for row, ((name, months), colour) in enumerate(zip(groups.items(), colours, strict=False)):
        ax.text(
            -0.05,
            row,
            short(name),
            ha="right",
            va="center",
            fontsize=7,
            color=colour,
            transform=blended_transform_factory(ax.transAxes, ax.transData),
        )
        for tick, n in zip(ticks, at_risk(months, ticks), strict=True):
            ax.text(tick, row, str(n), ha="center", va="center", fontsize=7)


def km_versus_cif(curves: pd.DataFrame, risk: pd.DataFrame, max_months: float):
    use_style()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    km = curves[curves["curve"] == "km_revision"]
    cif = curves[curves["curve"] == "cif_revision"]
    _step(
        ax,
        km["months"],
        km["estimate"],
        km["lower"],
        km["upper"],
        max_months,
        color=PALETTE[1],
        linestyle="--",
        label="1 - Kaplan-Meier (deaths censored)",
    )
    _step(
        ax,
        cif["months"],
        cif["estimate"],
        cif["lower"],
        cif["upper"],
        max_months,
        color=PALETTE[0],
        label="Cumulative incidence (death competing)",
    )
    two = risk.set_index("horizon").loc["2y"] if "2y" in set(risk["horizon"]) else risk.iloc[-1]
    ax.annotate(
        f"at {two['months']:g} months: {100 * two['km_revision']:.1f} % vs {100 * two['cif_revision']:.1f} %"
        f"\n1 - KM overstates by {two['overestimate_points']:.1f} points "
        f"({100 * two['overestimate_relative']:.0f} % relative)",
        xy=(two["months"], two["km_revision"]),
        xytext=(0.35, 0.12),
        textcoords="axes fraction",
        fontsize=7.5,
        arrowprops={"arrowstyle": "-", "color": "#666666", "linewidth": 0.6},
    )
    _months_axis(ax, max_months, "Risk of revision")
    ax.set_ylim(0, max(0.05, float(km["upper"][km["months"] <= max_months].max()) * 1.1))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def stacked_cif(curves: pd.DataFrame, max_months: float):
    use_style()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    grid = np.linspace(0, max_months, 601)

    def on_grid(curve):
        c = curves[curves["curve"] == curve]
        positions = np.searchsorted(c["months"].to_numpy(), grid, side="right") - 1
        return np.where(positions >= 0, c["estimate"].to_numpy()[np.maximum(positions, 0)], 0.0)

    revision, death = on_grid("cif_revision"), on_grid("cif_death")
    ax.stackplot(
        grid,
        revision,
        death,
        1 - revision - death,
        colors=[PALETTE[1], "#7f7f7f", "#dfe9f5"],
        labels=["Revised", "Died without revision", "Alive without revision"],
        step="post",
    )
    _months_axis(ax, max_months, "Share of patients")
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def cif_by_group(
    curves: pd.DataFrame,
    df: pd.DataFrame,
    group: pd.Series,
    title: str,
    test: dict,
    max_months: float,
    order: list[str] | None = None,
):
    use_style()
    levels = order or sorted(group.unique())
    colours = PALETTE[: len(levels)]
    fig, (ax, table) = plt.subplots(
        2,
        1,
        figsize=(6.4, 4.4 + 0.18 * len(levels)),
        sharex=True,
        gridspec_kw={"height_ratios": [4.0, 0.45 + 0.22 * len(levels)], "hspace": 0.35},
    )
    cif = curves[curves["curve"] == "cif_revision"]
    for level, colour in zip(levels, colours, strict=True):
        c = cif[cif["group"] == level]
        n = int((group == level).sum())
        events = int(((group == level) & (df["event"] == REVISION)).sum())
        _step(
            ax,
            c["months"],
            c["estimate"],
            max_months=max_months,
            color=colour,
            label=f"{short(level)} (n = {n}, revised {events})",
        )
    _months_axis(ax, max_months, "Cumulative incidence of revision")
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    ax.set_ylim(0, max(0.05, float(cif.loc[cif["months"] <= max_months, "estimate"].max()) * 1.35))
    p = test.get("p_value")
    ax.set_title(
        f"{title}; Gray's test: chi2 = {test['statistic']:.2f}, df = {test['df']}, p = {p:.3g}" if p == p else title,
        fontsize=9,
    )
    ax.legend(loc="upper left", fontsize=7, ncols=2)
    ax.tick_params(labelbottom=True)
    _at_risk_table(
        table,
        {level: df["months"][group == level] for level in levels},
        list(np.arange(0, max_months + 1, 12)),
        colours,
    )
    fig.subplots_adjust(left=0.17, right=0.97, top=0.92, bottom=0.04)
    return fig


def overall_survival(overall: pd.DataFrame, by_primary: pd.DataFrame, max_months: float):
    use_style()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.2), sharey=True)
    _step(
        left,
        overall["months"],
        overall["survival"],
        overall["lower"],
        overall["upper"],
        max_months,
        color=PALETTE[0],
        starts_at_zero=False,
        label="all patients",
    )
    for level, colour in zip(sorted(by_primary["group"].unique()), PALETTE, strict=False):
        c = by_primary[by_primary["group"] == level]
        _step(
            right,
            c["months"],
            c["survival"],
            max_months=max_months,
            color=colour,
            starts_at_zero=False,
            label=label(level),
        )
    for ax, title in ((left, "All patients"), (right, "By primary tumour")):
        _months_axis(ax, max_months, "Overall survival")
        ax.set_ylim(0, 1.02)
        ax.set_title(title)
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    right.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    return fig


def forest(table: pd.DataFrame, confidence_level: float = 0.95):
    """Univariable and multivariable hazard ratios: cause-specific Cox and Fine-Gray side by side."""
    use_style()
    rows = table.copy()
    rows["block"] = np.where(rows["model"] == "multivariable", "Multivariable", "Univariable")
    order = rows.drop_duplicates(["block", "covariate"])[["block", "covariate", "label"]].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(order) + 1.4))
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
                label=kind if i == order.index[0] else None,
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
        [f"{lab} ({b.lower()})" for b, lab in zip(order["block"], order["label"], strict=True)],
        fontsize=7.5,
    )
    multivariable = order.index[order["block"] == "Multivariable"]
    if len(multivariable):
        ax.axhline(multivariable[0] - 0.5, color="#bbbbbb", linewidth=0.6)
    ax.invert_yaxis()
    ax.set_xlabel(f"Hazard ratio of revision with {confidence_level * 100:g} % CI (log scale)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0 + 0.6 / len(order)), ncols=2, fontsize=7.5)
    fig.tight_layout()
    return fig


def causes_by_primary(table: pd.DataFrame):
    use_style()
    body = table[table["revision_cause"] != "total"].set_index("revision_cause").drop(columns="total")
    fig, ax = plt.subplots(figsize=(7.6, 3.8))
    left = np.zeros(len(body))
    for primary, colour in zip(body.columns, PALETTE, strict=False):
        values = body[primary].to_numpy(float)
        ax.barh(range(len(body)), values, left=left, color=colour, label=label(primary), height=0.65)
        for y, (v, l0) in enumerate(zip(values, left, strict=True)):
            if v:
                ax.text(l0 + v / 2, y, f"{int(v)}", ha="center", va="center", fontsize=7, color="white")
        left += values
    ax.set_yticks(range(len(body)), [CAUSE_LABELS.get(c, label(c)) for c in body.index], fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlabel("Revised patients")
    ax.legend(loc="lower right", fontsize=7, ncols=2)
    fig.tight_layout()
    return fig


SWIMMER_MAX = 60  # more bars than this do not fit a slide: a registry-sized cohort shows an even sample


def swimmer(df: pd.DataFrame, max_months: float | None = None):
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
    fig, ax = plt.subplots(figsize=(7.6, 0.16 * len(revised) + 1.8))
    for i, r in revised.iterrows():
        end = r["survival_days"] / DAYS_PER_MONTH
        ax.barh(i, end, color="#dfe9f5", height=0.7, edgecolor="none")
        ax.plot(r["months"], i, marker="X", color=colour_of[r["revision_cause"]], markersize=5)
        ax.plot(end, i, marker="s" if r["died"] else ">", color="#333333", markersize=3.5)
    handles = [
        plt.Line2D([], [], marker="X", linestyle="", color=colour_of[c], label=CAUSE_LABELS.get(c, c)) for c in causes
    ]
    handles += [
        plt.Line2D([], [], marker="s", linestyle="", color="#333333", label="died"),
        plt.Line2D([], [], marker=">", linestyle="", color="#333333", label="alive at last contact"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=6.5)
    ax.set_yticks([])
    ax.set_ylabel(
        f"Revised patients (n = {total})"
        if total == len(revised)
        else f"Revised patients ({len(revised)} of {total}, evenly sampled)"
    )
    ax.set_xlabel("Months since the index operation")
    ax.set_xlim(0, max_months or None)
    ax.invert_yaxis()
    fig.tight_layout()
    return fig


def recommendation(curves: dict[str, pd.DataFrame], tests: pd.DataFrame, max_months: float):
    """Cumulative incidence of revision after osteosynthesis and endoprosthesis, within each prognostic group."""
    use_style()
    groups = list(curves)
    fig, axes = plt.subplots(1, len(groups), figsize=(3.3 * len(groups), 3.6), sharey=True)
    for ax, group in zip(np.atleast_1d(axes), groups, strict=True):
        c = curves[group]
        for fixation, colour in (("osteosynthesis", PALETTE[1]), ("endoprosthesis", PALETTE[0])):
            part = c[(c["group"] == fixation) & (c["curve"] == "cif_revision")]
            if len(part):
                _step(ax, part["months"], part["estimate"], max_months=max_months, color=colour, label=fixation)
        test = tests.set_index("prognostic_group").loc[group]
        p = test["p_value"]
        holm = test.get("p_holm", float("nan"))
        quoted = f"Gray's p = {p:.3g}" + (f" (Holm {holm:.3g})" if holm == holm else "")
        ax.set_title(f"modified Bauer {group}\n" + (quoted if p == p else "not testable"), fontsize=8.5)
        _months_axis(ax, max_months, "Cumulative incidence of revision" if ax is np.atleast_1d(axes)[0] else "")
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
    np.atleast_1d(axes)[0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    return fig


def not_estimable(title: str, reason: str):
    """A figure that says in words why there is nothing to draw (a thin cohort), so that the rule's output exists."""
    use_style()
    fig, ax = plt.subplots(figsize=(5, 2.2))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}\nnot estimable: {reason}", ha="center", va="center", fontsize=9, wrap=True)
    return fig


def schoenfeld(residuals: pd.DataFrame, ph: pd.DataFrame, split_months: float, max_months: float):
    """Scaled Schoenfeld residuals of the multivariable cause-specific Cox model against time (R's
    residuals(fit, "scaledsch"): beta + n_events x residual x var, an estimate of beta(t)), one panel per covariate,
    with a running mean (window of a fifth of the revisions), the fitted log hazard ratio (solid grey: the mean of the
    residuals, which equals beta at the maximum of the partial likelihood) and the time split: a curve flat along
    that line means a constant hazard ratio (Grambsch & Therneau 1994)."""
    use_style()
    names = [c for c in residuals.columns if c != "months"]
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False)
    p_of = ph[ph["model"] == "multivariable"].set_index("covariate")["p_value"] if len(ph) else pd.Series(dtype=float)
    window = max(3, len(residuals) // 5)
    for ax, name in zip(axes[0], names, strict=True):
        ax.scatter(residuals["months"], residuals[name], s=10, color=PALETTE[0], alpha=0.7)
        smooth = residuals[name].rolling(window, center=True, min_periods=1).mean()
        ax.plot(residuals["months"], smooth, color=PALETTE[1], linewidth=1.4)
        ax.axvline(split_months, color="#666666", linewidth=0.7, linestyle=":")
        ax.axhline(float(residuals[name].mean()), color="#999999", linewidth=0.5)
        ax.set_xlim(0, max_months)
        p = p_of.get(name, np.nan)
        ax.set_title(f"{label(name)} (p = {p:.3f})" if np.isfinite(p) else label(name), fontsize=9)
        ax.set_xlabel("Months after the index operation")
    axes[0][0].set_ylabel("Scaled Schoenfeld residual (beta(t))")
    fig.tight_layout()
    return fig
