"""Human-readable outputs of the cleaning stage: the flow diagram and the data-quality report."""

from __future__ import annotations

from common.study import EXCLUSION_RULES, PLAUSIBILITY_RULES

DESCRIPTIONS = {**EXCLUSION_RULES, **PLAUSIBILITY_RULES}


def flow_figure(flow: dict, text=None):
    """A STROBE-style flow diagram: export -> exclusions by reason -> analysed -> revised / not revised, in the
    language of `text` (common.figure_text.FigureText, English by default): an exclusion reason is the rule's
    description in English (common.study) and the glossary's term (terms.exclusion) in another language."""
    # matplotlib here, not at the top: clean_cohort imports this module for the quality report only.
    import matplotlib.pyplot as plt

    from common.figure_text import ENGLISH
    from common.plotting import BOX, PAGE_WIDTH_IN, use_style

    text = text or ENGLISH

    use_style()
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH_IN, 5.2))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    excluded = {k: v for k, v in flow["excluded"].items() if v}
    n_excluded = sum(excluded.values())

    def box(x, y, text, **kw):
        ax.text(x, y, text, ha="center", va="center", bbox=BOX, fontsize=8.5, **kw)

    def arrow(x0, y0, x1, y1):
        ax.annotate(
            "", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "-|>", "color": "#4a6fa5", "linewidth": 0.9}
        )

    def reason(code: str) -> str:
        return DESCRIPTIONS.get(code, code) if text.lang == "en" else text.term("exclusion", code)

    box(3.2, 9.2, text("flow.export", n=flow["patients_in_export"]))
    reasons = "\n".join(text("flow.reason", reason=reason(k), n=v) for k, v in excluded.items())
    ax.text(
        5.0,
        6.9,
        text("flow.excluded", n=n_excluded, reasons=reasons),
        ha="left",
        va="center",
        bbox=BOX,
        fontsize=8,
        wrap=True,
    )
    box(3.2, 4.6, text("flow.analysed", n=flow["patients_analysed"]))
    arrow(3.2, 8.75, 3.2, 5.05)
    arrow(3.2, 6.9, 4.95, 6.9)
    box(1.6, 1.6, text("flow.revised", n=flow["patients_revised"]))
    not_revised = flow["patients_analysed"] - flow["patients_revised"]
    box(
        5.6,
        1.6,
        text("flow.not_revised", n=not_revised, died=flow["deaths_without_revision"], alive=flow["censored"]),
    )
    arrow(3.0, 4.15, 1.8, 2.05)
    arrow(3.4, 4.15, 5.2, 2.2)
    fig.tight_layout()
    return fig


def quality_markdown(flow: dict, quality: dict, exclusions_by_reason: dict) -> str:
    lines = [
        "# Data quality of the cleaning stage",
        "",
        f"Patients in the export: {flow['patients_in_export']}; analysed: {flow['patients_analysed']}; "
        f"excluded: {sum(flow['excluded'].values())}.",
        "",
        "## Exclusions",
        "",
        "| reason | patients |",
        "| --- | --- |",
    ]
    lines += [f"| {DESCRIPTIONS.get(k, k)} (`{k}`) | {v} |" for k, v in exclusions_by_reason.items()]
    lines += ["", "## Corrections applied", "", "| correction | rows |", "| --- | --- |"]
    lines += [f"| `{k}` | {v} |" for k, v in quality["corrections"].items()]
    lines += [
        "",
        "Every correction, row by row: `corrections.tsv`; every label and what it was mapped to: `label_mapping.tsv`.",
        "",
        "## Missing values in the analysis table",
        "",
        "| variable | missing |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v:.1%} |" for k, v in quality["missing_share_in_analysis_table"].items()]
    lines += ["", "## Missing values in the de-identified inputs", ""]
    for table, shares in quality["missing_share_in_inputs"].items():
        lines.append(f"- {table}: " + ", ".join(f"{k} {v:.1%}" for k, v in shares.items() if v))
    lines += ["", "## Distributions in the analysis table", ""]
    for variable, dist in quality["distributions"].items():
        lines.append(
            f"- {variable}: " + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in dist.items())
        )
    return "\n".join(lines) + "\n"
