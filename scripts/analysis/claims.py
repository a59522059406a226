"""The manuscript's comparative sentences, chosen from the data.

Every sentence of the abstract, results, discussion and conclusions that compares groups is written here from the
estimate, its confidence interval and its p-value, never by the template: its direction comes from the estimate
(which arm had more revisions, a hazard ratio above or below 1), its size is the estimate with its interval, and a
comparison whose p-value is not below 1 - confidence level, or whose interval includes the null (1 for a hazard
ratio, 0 for a difference of cumulative incidences), is written as "no evidence of a difference". The verdict of
each sentence (`supported` or `no_evidence`) and its numbers go to results/analysis/claims.tsv; the template prints
the sentences by their claim name, so the table and the manuscript cannot disagree.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .data import PROGNOSTIC_GROUPS
from .prognostic_scores import SCORE_LABELS

COLUMNS = ["claim", "sentence", "estimate", "ci_low", "ci_high", "p_value", "verdict"]
FACTOR_LABEL = {
    "operation_method": "operation method",
    "fixation": "fixation",
    "primary_group": "primary tumour",
    "fracture": "fracture status",
    "bone": "bone",
    "prognostic_group": "modified Bauer group",
}
COVARIATE_LABEL = {
    "osteosynthesis": "osteosynthesis (against endoprosthesis)",
    "kidney_primary": "a kidney primary",
}
HAZARD = {"cause-specific Cox": "cause-specific hazard", "Fine-Gray": "subdistribution hazard"}
RATIO = {"cause-specific Cox": "HR", "Fine-Gray": "sHR"}


def missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def p_text(p) -> str:
    if missing(p):
        return "not testable"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def verdict(p, low=None, high=None, null: float | None = None, alpha: float = 0.05) -> str:
    """`supported` when the p-value is below alpha and the interval (if there is one) excludes the null;
    otherwise `no_evidence`."""
    if missing(p) or p >= alpha:
        return "no_evidence"
    if null is not None and not (missing(low) or missing(high)) and low <= null <= high:
        return "no_evidence"
    return "supported"


def row(claim: str, sentence: str, estimate=np.nan, low=np.nan, high=np.nan, p=np.nan, v="no_evidence") -> dict:
    return dict(zip(COLUMNS, [claim, sentence, estimate, low, high, p, v], strict=True))


def gray_claim(factor: str, test: pd.Series, alpha: float) -> dict:
    label = FACTOR_LABEL.get(factor, factor.replace("_", " "))
    p, stat = test["p_value"], test["statistic"]
    if missing(stat):
        return row(f"gray_{factor}", f"Gray's test by {label} was not possible (one level only).")
    quoted = f"Gray's test chi-square {stat:.2f}, df {int(test['df'])}, {p_text(p)}"
    v = verdict(p, alpha=alpha)
    if v == "supported":
        sentence = f"The cumulative incidence of revision differed by {label} ({quoted})."
    else:
        sentence = f"There was no evidence that the cumulative incidence of revision differed by {label} ({quoted})."
    return row(f"gray_{factor}", sentence, stat, np.nan, np.nan, p, v)


def hr_claim(models: pd.DataFrame, kind: str, covariate: str, level: float, alpha: float, model=None) -> dict:
    model = model or f"univariable: {covariate}"
    name = f"hr_{'fine_gray' if kind == 'Fine-Gray' else 'cause_specific'}_{covariate}"
    label = COVARIATE_LABEL.get(covariate, covariate.replace("_", " "))
    hit = models[(models["kind"] == kind) & (models["model"] == model) & (models["covariate"] == covariate)]
    if hit.empty or missing(hit.iloc[0]["hr"]):
        return row(name, f"The {HAZARD[kind]} ratio of {label} was not estimable.")
    r = hit.iloc[0]
    hr, lo, hi, p = float(r["hr"]), float(r["lower"]), float(r["upper"]), float(r["p_value"])
    quoted = f"univariable {RATIO[kind]} {hr:.2f}, {level:g} % CI {lo:.2f}-{hi:.2f}, {p_text(p)}"
    v = verdict(p, lo, hi, 1.0, alpha)
    if v == "supported":
        direction = "higher" if hr > 1 else "lower"
        sentence = (
            f"{label[0].upper()}{label[1:]} was associated with a {direction} {HAZARD[kind]} of revision ({quoted})."
        )
    else:
        sentence = f"There was no evidence of a difference in the {HAZARD[kind]} of revision with {label} ({quoted})."
    return row(name, sentence, hr, lo, hi, p, v)


def arm_phrase(arm: pd.Series, level: float) -> str:
    if missing(arm["lower"]):
        return (
            f"{arm['cif_revision'] * 100:.1f} % after {arm.name}, not estimable with an interval (no revision;"
            f" exact {level:g} % interval of the proportion revised {arm['exact_lower'] * 100:.1f}-"
            f"{arm['exact_upper'] * 100:.1f} %)"
        )
    return (
        f"{arm['cif_revision'] * 100:.1f} % after {arm.name} ({level:g} % CI {arm['lower'] * 100:.1f}-"
        f"{arm['upper'] * 100:.1f})"
    )


def recommendation_claims(
    table: pd.DataFrame, tests: pd.DataFrame, horizon: str, horizons: dict[str, float], conf_level: float
) -> list[dict]:
    """One sentence per prognostic group: which arm had more revisions, counts, the cumulative incidences at the
    horizon (or, where follow-up of an arm ends before it, the latest earlier horizon both arms reach) with
    intervals, their difference (osteosynthesis minus endoprosthesis, Wald interval from the Aalen-Johansen
    variances) and Gray's p-value, raw and Holm-adjusted. The verdict uses the Holm-adjusted p."""
    from scipy.special import ndtri  # norm.ppf's own function: scipy.stats would add ~1.2 s of imports

    alpha, level = 1 - conf_level, 100 * conf_level
    z = ndtri(1 - alpha / 2)
    table = table.astype({"prognostic_group": str})
    tests = tests.astype({"prognostic_group": str}).set_index("prognostic_group")
    out = []
    for group in PROGNOSTIC_GROUPS:
        name = f"recommendation_{group}"
        within = table[table["prognostic_group"] == group]
        if not {"osteosynthesis", "endoprosthesis"} <= set(within["fixation"]):
            out.append(row(name, f"In modified Bauer group {group}, the operations could not be compared."))
            continue
        labels = list(horizons)[: list(horizons).index(horizon) + 1]
        at = within[within["horizon"] == horizon].set_index("fixation")
        for label in reversed(labels):
            candidate = within[within["horizon"] == label].set_index("fixation")
            if candidate["cif_revision"].notna().all():
                at = candidate
                break
        horizon_months = horizons[str(at["horizon"].iloc[0])]
        o, e = at.loc["osteosynthesis"], at.loc["endoprosthesis"]
        counts = (
            f"{int(o['revisions'])}/{int(o['n'])} revised after osteosynthesis against "
            f"{int(e['revisions'])}/{int(e['n'])} after endoprosthesis"
        )
        diff = float(o["cif_revision"]) - float(e["cif_revision"])
        se = math.sqrt(sum(0.0 if missing(a["se"]) else float(a["se"]) ** 2 for a in (o, e)))
        lo, hi = (diff - z * se, diff + z * se) if not math.isnan(diff) else (np.nan, np.nan)
        p = tests.loc[group, "p_value"] if group in tests.index else np.nan
        p_holm = tests.loc[group, "p_holm"] if group in tests.index else np.nan
        at_horizon = (
            f"cumulative incidence at {horizon_months:g} months {arm_phrase(o, level)} and {arm_phrase(e, level)}"
        )
        if math.isnan(diff):
            out.append(
                row(
                    name,
                    f"In modified Bauer group {group}, {counts}; the cumulative incidences at {horizon_months:g}"
                    f" months were not estimable ({p_text(p)}, Holm-adjusted {p_text(p_holm)}).",
                    p=p_holm,
                )
            )
            continue
        more = "more" if diff > 0 else "fewer" if diff < 0 else "as many"
        quoted = (
            f"{counts}; {at_horizon}; difference {100 * diff:.1f} percentage points, {level:g} % CI "
            f"{100 * lo:.1f} to {100 * hi:.1f}; Gray's test {p_text(p)}, Holm-adjusted {p_text(p_holm)}"
        )
        v = verdict(p_holm, lo, hi, 0.0, alpha)
        if v == "supported":
            sentence = (
                f"In modified Bauer group {group}, osteosynthesis was followed by {more} revisions than "
                f"endoprosthesis ({quoted})."
            )
        else:
            sentence = (
                f"In modified Bauer group {group}, there was no evidence of a difference between osteosynthesis and"
                f" endoprosthesis, with {more} revisions after osteosynthesis in this sample ({quoted})."
            )
        out.append(row(name, sentence, diff, lo, hi, p_holm, v))
    return out


def interaction_claim(interaction: pd.DataFrame, kind: str, conf_level: float) -> dict:
    name = f"interaction_{'fine_gray' if kind == 'Fine-Gray' else 'cause_specific'}"
    hit = interaction[interaction["kind"] == kind]
    ratio = "subdistribution" if kind == "Fine-Gray" else "cause-specific"
    if hit.empty or missing(hit.iloc[0]["estimate"]):
        return row(name, f"The interaction of operation and prognosis was not estimable in the {kind} model.")
    r = hit.iloc[0]
    est, lo, hi, p = (float(r[c]) for c in ("estimate", "lower", "upper", "p_value"))
    level = 100 * conf_level
    quoted = (
        f"{kind} model: ratio of the {ratio} hazard ratios of osteosynthesis per step of prognostic group "
        f"{est:.2f}, {level:g} % CI {lo:.2f}-{hi:.2f}, {p_text(p)}"
    )
    v = verdict(p, lo, hi, 1.0, 1 - conf_level)
    if v == "supported":
        direction = "grew" if est > 1 else "shrank"
        sentence = f"The effect of osteosynthesis on revision {direction} steadily with better prognosis ({quoted})."
    else:
        sentence = (
            f"There was no evidence that the effect of osteosynthesis on revision changed steadily with prognostic "
            f"group ({quoted})."
        )
    return row(name, sentence, est, lo, hi, p, v)


def ordered_differences(claims: dict[str, dict]) -> tuple[bool, str]:
    """Whether the within-group differences (osteosynthesis minus endoprosthesis) grow with better prognosis, as
    the recommendation predicts, and the differences in words."""
    diffs = [claims[f"recommendation_{g}"]["estimate"] for g in PROGNOSTIC_GROUPS]
    if any(missing(d) for d in diffs):
        return False, "not estimable in every group"
    ordered = all(a < b for a, b in zip(diffs, diffs[1:], strict=False))
    words = ", ".join(f"{100 * d:.1f}" for d in diffs[:-1]) + f" and {100 * diffs[-1]:.1f}"
    return (
        ordered,
        f"{words} percentage points in groups {', '.join(PROGNOSTIC_GROUPS[:-1])} and {PROGNOSTIC_GROUPS[-1]}",
    )


def interaction_by_group_claim(interaction: pd.DataFrame, claims: dict[str, dict], conf_level: float) -> dict:
    """The interaction with the prognostic group as a factor (likelihood ratio, 2 df): do the groups differ in the
    effect of osteosynthesis at all, and in the order the recommendation predicts?"""
    name = "interaction_by_group_cause_specific"
    hit = interaction[interaction["kind"].astype(str).str.startswith("cause-specific Cox, groups")]
    if hit.empty or missing(hit.iloc[0]["p_value"]):
        return row(name, "The interaction of operation and prognostic group as a factor was not testable.")
    r = hit.iloc[0]
    stat, p = float(r["statistic"]), float(r["p_value"])
    quoted = f"cause-specific Cox, likelihood-ratio chi-square {stat:.2f}, df 2, {p_text(p)}"
    v = verdict(p, alpha=1 - conf_level)
    ordered, words = ordered_differences(claims)
    if v == "supported":
        order = (
            "in the order the recommendation predicts"
            if ordered
            else "but not in the order the recommendation predicts"
        )
        sentence = (
            f"With the prognostic group as a factor, the effect of osteosynthesis differed between the groups "
            f"({quoted}), {order} (differences of cumulative incidence {words})."
        )
    else:
        sentence = (
            f"With the prognostic group as a factor, there was no evidence that the effect of osteosynthesis "
            f"differed between the groups ({quoted})."
        )
    return row(name, sentence, stat, np.nan, np.nan, p, v)


def time_split_claims(time_split: pd.DataFrame, split_months: float, conf_level: float) -> list[dict]:
    """Where proportional hazards fail in a univariable cause-specific model: one sentence per covariate and period,
    the hazard ratio before and after the split."""
    out = []
    if time_split is None or not len(time_split):
        return out
    level, alpha = 100 * conf_level, 1 - conf_level
    rows = time_split[time_split["model"].astype(str).str.startswith("univariable")]
    for covariate, d in rows.groupby("covariate", sort=False):
        label = COVARIATE_LABEL.get(covariate, covariate.replace("_", " "))
        for r in d.itertuples():
            when = f"in the first {split_months:g} months" if r.period == "before" else f"after {split_months:g} months"
            quoted = (
                f"cause-specific HR {r.hr:.2f}, {level:g} % CI {r.lower:.2f}-{r.upper:.2f}, {p_text(r.p_value)}; "
                f"{int(r.events_exposed)} revisions of exposed patients; Schoenfeld test of proportional hazards "
                f"{p_text(r.ph_p_value)}"
            )
            v = verdict(r.p_value, r.lower, r.upper, 1.0, alpha)
            if v == "supported":
                direction = "higher" if r.hr > 1 else "lower"
                sentence = (
                    f"{when[0].upper()}{when[1:]}, {label} was associated with a {direction} hazard of revision "
                    f"({quoted})."
                )
            else:
                sentence = (
                    f"{when[0].upper()}{when[1:]}, there was no evidence of a difference in the hazard of revision with"
                    f" {label} ({quoted})."
                )
            out.append(row(f"time_split_{covariate}_{r.period}", sentence, r.hr, r.lower, r.upper, r.p_value, v))
    return out


def summary_claims(claims: dict[str, dict], conf_level: float) -> list[dict]:
    """The discussion's sentence on the recommendation and the conclusion on prognostic scores."""
    alpha = 1 - conf_level
    groups = {g: claims[f"recommendation_{g}"] for g in PROGNOSTIC_GROUPS}
    more = [g for g, c in groups.items() if not missing(c["estimate"]) and c["estimate"] > 0]
    fewer = [g for g, c in groups.items() if not missing(c["estimate"]) and c["estimate"] < 0]
    held = [g for g, c in groups.items() if c["verdict"] == "supported"]
    inter = claims["interaction_fine_gray"]

    def listed(gs):
        return " and ".join(gs) if len(gs) < 3 else ", ".join(gs[:-1]) + " and " + gs[-1]

    def groups_of(gs):
        return f"modified Bauer group{'s' if len(gs) > 1 else ''} {listed(gs)}"

    lead = "osteosynthesis was followed by"
    if more and fewer:
        observed = (
            f"{lead} more revisions than endoprosthesis in {groups_of(more)}, "
            f"and by fewer in group{'s' if len(fewer) > 1 else ''} {listed(fewer)}"
        )
    elif more or fewer:
        observed = f"{lead} {'more' if more else 'fewer'} revisions than endoprosthesis in {groups_of(more or fewer)}"
    else:
        observed = f"{lead} as many revisions as endoprosthesis in every modified Bauer group"
    adjusted = (
        f"after Holm's correction across the three within-group comparisons the difference held in group"
        f"{'s' if len(held) > 1 else ''} {listed(held)}"
        if held
        else "after Holm's correction across the three within-group comparisons no difference held"
    )
    p_inter = inter["p_value"]
    by_group = claims.get("interaction_by_group_cause_specific")
    ordered, _ = ordered_differences(claims)
    if by_group is not None and by_group["verdict"] == "supported":
        order = "in the predicted order" if ordered else "without that order"
        heterogeneity = (
            f", although it differed between the groups {order} (likelihood-ratio test with the group as a factor, "
            f"{p_text(by_group['p_value'])})"
        )
    else:
        heterogeneity = ""
    if inter["verdict"] == "supported":
        grew = not missing(inter["estimate"]) and inter["estimate"] > 1
        sentence = (
            f"In this cohort, {observed}; {adjusted}, and the effect of the operation "
            f"{'grew' if grew else 'shrank'} with better prognosis (trend interaction {p_text(p_inter)}), "
            + ("as the recommendation expects." if grew else "against the recommendation.")
        )
    else:
        sentence = (
            f"In this cohort, {observed}; {adjusted}; there was no evidence that the effect of the operation grew "
            f"with better prognosis (trend interaction {p_text(p_inter)}){heterogeneity}, so these data do not "
            f"support the recommendation."
        )
    out = [
        row(
            "recommendation_summary",
            sentence,
            inter["estimate"],
            inter["ci_low"],
            inter["ci_high"],
            p_inter,
            inter["verdict"],
        )
    ]
    gray = claims["gray_prognostic_group"]
    p_both = max(gray["p_value"], p_inter) if not (missing(gray["p_value"]) or missing(p_inter)) else np.nan
    if verdict(p_both, alpha=alpha) == "supported":
        sentence = (
            "Prognostic scores should guide the choice of operation: the modified Bauer group predicted revision "
            f"(Gray's test {p_text(gray['p_value'])}) and the effect of the operation changed steadily with it "
            f"(trend interaction {p_text(p_inter)})."
        )
    else:
        sentence = (
            "These data do not show that prognostic scores should guide the choice of operation: "
            + (
                f"there was no evidence that revision differed by modified Bauer group (Gray's test "
                f"{p_text(gray['p_value'])})"
                if gray["verdict"] != "supported"
                else f"revision differed by modified Bauer group (Gray's test {p_text(gray['p_value'])})"
            )
            + (
                f" or that the effect of the operation changed steadily with prognosis (trend interaction "
                f"{p_text(p_inter)})."
                if inter["verdict"] != "supported"
                else f", and the effect of the operation changed steadily with prognosis (trend interaction "
                f"{p_text(p_inter)})."
            )
        )
    out.append(
        row("conclusion_prognostic_scores", sentence, np.nan, np.nan, np.nan, p_both, verdict(p_both, alpha=alpha))
    )
    return out


def build(
    gray_tests: pd.DataFrame,
    models: pd.DataFrame,
    rec_table: pd.DataFrame,
    rec_tests: pd.DataFrame,
    interaction: pd.DataFrame,
    horizon: str,
    horizons: dict[str, float],
    conf_level: float,
    time_split: pd.DataFrame | None = None,
    split_months: float = 6,
) -> pd.DataFrame:
    """Every comparative sentence with its estimate, interval, p-value and verdict (claims.tsv's rows)."""
    alpha, level = 1 - conf_level, 100 * conf_level
    rows = [gray_claim(f, t, alpha) for f, t in gray_tests.set_index("factor").iterrows()]
    for kind in ("cause-specific Cox", "Fine-Gray"):
        for covariate in ("osteosynthesis", "kidney_primary"):
            rows.append(hr_claim(models, kind, covariate, level, alpha))
    rows += recommendation_claims(rec_table, rec_tests, horizon, horizons, conf_level)
    rows += [interaction_claim(interaction, k, conf_level) for k in ("Fine-Gray", "cause-specific Cox")]
    rows.append(interaction_by_group_claim(interaction, {r["claim"]: r for r in rows}, conf_level))
    rows += time_split_claims(time_split, split_months, conf_level)
    by_name = {r["claim"]: r for r in rows}
    if "gray_prognostic_group" not in by_name:
        by_name["gray_prognostic_group"] = row("gray_prognostic_group", "")
    rows += summary_claims(by_name, conf_level)
    return pd.DataFrame(rows, columns=COLUMNS)


def score_interaction_claim(interaction: pd.DataFrame, score: str, conf_level: float) -> dict:
    """Within one score's groups: does the effect of osteosynthesis on revision change steadily with prognosis (the
    Fine-Gray trend interaction, groups worst first)?"""
    name, label = f"score_interaction_{score}", SCORE_LABELS.get(score, score)
    hit = interaction[(interaction["score"] == score) & (interaction["kind"] == "Fine-Gray")]
    if hit.empty or missing(hit.iloc[0]["estimate"]):
        return row(name, f"Within the {label} groups, the interaction of operation and prognosis was not estimable.")
    r = hit.iloc[0]
    est, lo, hi, p = (float(r[c]) for c in ("estimate", "lower", "upper", "p_value"))
    quoted = (
        f"Fine-Gray ratio of the subdistribution hazard ratios of osteosynthesis per step of {label} group "
        f"{est:.2f}, {100 * conf_level:g} % CI {lo:.2f}-{hi:.2f}, {p_text(p)}"
    )
    v = verdict(p, lo, hi, 1.0, 1 - conf_level)
    if v == "supported":
        direction = "grew" if est > 1 else "shrank"
        sentence = (
            f"Within the {label} groups, the effect of osteosynthesis on revision {direction} steadily with better "
            f"prognosis ({quoted})."
        )
    else:
        sentence = (
            f"Within the {label} groups, there was no evidence that the effect of osteosynthesis on revision changed "
            f"with prognosis ({quoted})."
        )
    return row(name, sentence, est, lo, hi, p, v)


def score_choice_claim(interaction_claims: list[dict]) -> dict:
    """Which score, if any, separates the patients in whom osteosynthesis fails: those whose interaction claim is
    supported."""
    by_score = {c["claim"].removeprefix("score_interaction_"): c for c in interaction_claims}
    separating = [SCORE_LABELS.get(s, s) for s, c in by_score.items() if c["verdict"] == "supported"]
    quoted = "; ".join(f"{SCORE_LABELS.get(s, s)} {p_text(c['p_value'])}" for s, c in by_score.items())
    if separating:
        sentence = (
            f"Only the {' and the '.join(separating)} score{'s' if len(separating) > 1 else ''} separated the patients "
            f"in whom osteosynthesis was followed by more revisions than endoprosthesis (interaction: {quoted})."
        )
        return row("score_choice", sentence, v="supported")
    sentence = (
        "None of the scores separated the patients in whom osteosynthesis was followed by more revisions than "
        f"endoprosthesis: for none was there evidence that the effect of osteosynthesis changed with the score's "
        f"group (Fine-Gray interaction: {quoted})."
    )
    return row("score_choice", sentence)


def score_discrimination_claim(discrimination: pd.DataFrame, conf_level: float) -> dict:
    """Which score discriminates overall survival best (Harrell's C): `supported` only when the best score's
    interval lies wholly above every other score's interval; otherwise the intervals overlap and the data do not
    rank the scores."""
    os_ = discrimination[discrimination["outcome"] == "overall_survival"].sort_values("c_index", ascending=False)
    if os_.empty or os_["c_index"].isna().all():
        return row("score_discrimination", "The scores' discrimination of overall survival was not estimable.")
    level = 100 * conf_level
    listed = "; ".join(
        f"{SCORE_LABELS.get(r.score, r.score)} {r.c_index:.2f} ({level:g} % CI {r.ci_low:.2f}-{r.ci_high:.2f})"
        for r in os_.itertuples()
    )
    best, rest = os_.iloc[0], os_.iloc[1:]
    label = SCORE_LABELS.get(best["score"], best["score"])
    apart = bool(len(rest)) and bool((best["ci_low"] > rest["ci_high"]).all())
    if apart:
        sentence = (
            f"The {label} score discriminated overall survival best, its interval above those of the other scores "
            f"(Harrell's C: {listed})."
        )
        return row("score_discrimination", sentence, best["c_index"], best["ci_low"], best["ci_high"], v="supported")
    sentence = (
        f"The scores' intervals for Harrell's C of overall survival overlapped, so these data do not rank them "
        f"({listed})."
    )
    return row("score_discrimination", sentence, best["c_index"], best["ci_low"], best["ci_high"])


def score_claims(interaction: pd.DataFrame, discrimination: pd.DataFrame, conf_level: float) -> list[dict]:
    """The prognostic-score comparison's sentences: one interaction claim per score, the choice among them, and
    their discrimination of overall survival."""
    per_score = [score_interaction_claim(interaction, s, conf_level) for s in dict.fromkeys(interaction["score"])]
    return [*per_score, score_choice_claim(per_score), score_discrimination_claim(discrimination, conf_level)]
