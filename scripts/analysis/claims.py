"""The manuscript's comparative sentences, chosen from the data.

Every sentence of the abstract, results, discussion and conclusions that compares groups is written here from the
estimate, its confidence interval and its p-value, never by the template: its direction comes from the estimate
(which arm had more revisions, a hazard ratio above or below 1), its size is the estimate with its interval, and a
comparison whose p-value is not below 1 - confidence level, or whose interval includes the null (1 for a hazard
ratio, 0 for a difference of cumulative incidences), is written as "no evidence of a difference". The verdict of
each sentence (`supported` or `no_evidence`) and its numbers go to results/analysis/claims.tsv; the template prints
the sentences by their claim name, so the table and the manuscript cannot disagree.

Every sentence is written once per language from the same verdict and the same numbers: its words are the glossary's
(workflow/templates/glossary.yaml, sections `claims` and `terms`; scripts/common/glossary.py), its values are
spelled per language by `spell` (a number in Russian typography in the Russian sentence). `build` returns the
English sentence in `sentence` and the Russian one in `sentence_ru`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from common.glossary import LANGUAGES, load, russian_number

from .data import PROGNOSTIC_GROUPS

COLUMNS = ["claim", "sentence", "estimate", "ci_low", "ci_high", "p_value", "verdict"]
KIND = {"cause-specific Cox": "cause_specific", "Fine-Gray": "fine_gray"}


def missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


class Num:
    """A number to spell per language: `format(value, spec)`, in Russian typography in Russian."""

    def __init__(self, value, spec: str):
        self.value, self.spec = value, spec


class P:
    """A p-value to spell per language ("p = 0.034", "p~=~0,034", "not testable")."""

    def __init__(self, value):
        self.value = value


class Term:
    """A term of the glossary (terms.<kind>.<code>.<form>); a code the glossary lacks is spelled from the code
    (its underscores as spaces) in both languages."""

    def __init__(self, kind: str, code: str, form: str = "name"):
        self.kind, self.code, self.form = kind, code, form


def p_text(p, lang: str = "en") -> str:
    return spell(P(p), lang)


def spell(value, lang: str) -> str:
    """A value of a sentence in one language: a number, a p-value, a term, a phrase already written per language
    ({en, ru}), or a string the same in both (a group's name such as 0-1)."""
    if isinstance(value, dict):
        return value[lang]
    if isinstance(value, Num):
        text = format(value.value, value.spec)
        return russian_number(text) if lang == "ru" else text
    if isinstance(value, P):
        if missing(value.value):
            return load()["claims.not_testable"][lang]
        key = "claims.p_below" if value.value < 0.001 else "claims.p_equals"
        return load()[key][lang].format(p=spell(Num(value.value, ".3f"), lang))
    if isinstance(value, Term):
        entry = load().get(f"terms.{value.kind}.{value.code}.{value.form}")
        return entry[lang] if entry else value.code.replace("_", " ")
    return str(value)


def say(message: str, **values) -> dict[str, str]:
    """The glossary's sentence `claims.<message>` in every language, its values spelled per language."""
    entry = load()[f"claims.{message}"]
    return {lang: entry[lang].format(**{k: spell(v, lang) for k, v in values.items()}) for lang in LANGUAGES}


def joined(parts: list[dict[str, str]], separator: str = "claims.join.comma") -> dict[str, str]:
    """Phrases (each {en, ru}) joined by the glossary's separator and "and" before the last."""
    return {
        lang: load()[separator][lang].join(p[lang] for p in parts[:-1])
        + (load()["claims.join.and"][lang] if len(parts) > 1 else "")
        + parts[-1][lang]
        for lang in LANGUAGES
    }


def capitalised(phrase: dict[str, str]) -> dict[str, str]:
    return {lang: text[:1].upper() + text[1:] for lang, text in phrase.items()}


def verdict(p, low=None, high=None, null: float | None = None, alpha: float = 0.05) -> str:
    """`supported` when the p-value is below alpha and the interval (if there is one) excludes the null;
    otherwise `no_evidence`."""
    if missing(p) or p >= alpha:
        return "no_evidence"
    if null is not None and not (missing(low) or missing(high)) and low <= null <= high:
        return "no_evidence"
    return "supported"


def row(claim: str, sentence: dict, estimate=np.nan, low=np.nan, high=np.nan, p=np.nan, v="no_evidence") -> dict:
    """One claim: the English sentence in `sentence`, the Russian one (the same verdict) in `sentence_ru`."""
    out = dict(zip(COLUMNS, [claim, sentence["en"], estimate, low, high, p, v], strict=True))
    out["sentence_ru"] = sentence["ru"]
    return out


def gray_claim(factor: str, test: pd.Series, alpha: float) -> dict:
    label = Term("factor", factor, "by")
    p, stat = test["p_value"], test["statistic"]
    if missing(stat):
        return row(f"gray_{factor}", say("gray.not_possible", label=label))
    quoted = say("gray.quoted", stat=Num(stat, ".2f"), df=int(test["df"]), p=P(p))
    v = verdict(p, alpha=alpha)
    message = "gray.differed" if v == "supported" else "gray.no_evidence"
    return row(f"gray_{factor}", say(message, label=label, quoted=quoted), stat, np.nan, np.nan, p, v)


def hr_claim(models: pd.DataFrame, kind: str, covariate: str, level: float, alpha: float, model=None) -> dict:
    model = model or f"univariable: {covariate}"
    name = f"hr_{KIND[kind]}_{covariate}"
    hit = models[(models["kind"] == kind) & (models["model"] == model) & (models["covariate"] == covariate)]
    if hit.empty or missing(hit.iloc[0]["hr"]):
        return row(name, say(f"hr.{KIND[kind]}.not_estimable", label=Term("covariate", covariate, "of")))
    r = hit.iloc[0]
    hr, lo, hi, p = float(r["hr"]), float(r["lower"]), float(r["upper"]), float(r["p_value"])
    quoted = say(
        f"hr.{KIND[kind]}.quoted",
        hr=Num(hr, ".2f"),
        level=Num(level, "g"),
        lo=Num(lo, ".2f"),
        hi=Num(hi, ".2f"),
        p=P(p),
    )
    v = verdict(p, lo, hi, 1.0, alpha)
    message = f"hr.{KIND[kind]}.{('higher' if hr > 1 else 'lower') if v == 'supported' else 'no_evidence'}"
    subject = capitalised(say("term", t=Term("covariate", covariate, "subject")))
    sentence = say(message, subject=subject, with_=Term("covariate", covariate, "with"), quoted=quoted)
    return row(name, sentence, hr, lo, hi, p, v)


def arm_phrase(arm: pd.Series, level: float) -> dict[str, str]:
    after = Term("fixation", str(arm.name), "after")
    if missing(arm["lower"]):
        return say(
            "arm.no_interval",
            cif=Num(arm["cif_revision"] * 100, ".1f"),
            after=after,
            level=Num(level, "g"),
            lo=Num(arm["exact_lower"] * 100, ".1f"),
            hi=Num(arm["exact_upper"] * 100, ".1f"),
        )
    return say(
        "arm.interval",
        cif=Num(arm["cif_revision"] * 100, ".1f"),
        after=after,
        level=Num(level, "g"),
        lo=Num(arm["lower"] * 100, ".1f"),
        hi=Num(arm["upper"] * 100, ".1f"),
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
            out.append(row(name, say("recommendation.not_compared", group=group)))
            continue
        labels = list(horizons)[: list(horizons).index(horizon) + 1]
        at = within[within["horizon"] == horizon].set_index("fixation")
        for label in reversed(labels):
            candidate = within[within["horizon"] == label].set_index("fixation")
            if candidate["cif_revision"].notna().all():
                at = candidate
                break
        horizon_months = Num(horizons[str(at["horizon"].iloc[0])], "g")
        o, e = at.loc["osteosynthesis"], at.loc["endoprosthesis"]
        counts = say(
            "recommendation.counts",
            o_revised=int(o["revisions"]),
            o_n=int(o["n"]),
            e_revised=int(e["revisions"]),
            e_n=int(e["n"]),
        )
        diff = float(o["cif_revision"]) - float(e["cif_revision"])
        se = math.sqrt(sum(0.0 if missing(a["se"]) else float(a["se"]) ** 2 for a in (o, e)))
        lo, hi = (diff - z * se, diff + z * se) if not math.isnan(diff) else (np.nan, np.nan)
        p = tests.loc[group, "p_value"] if group in tests.index else np.nan
        p_holm = tests.loc[group, "p_holm"] if group in tests.index else np.nan
        at_horizon = say(
            "recommendation.at_horizon", months=horizon_months, o=arm_phrase(o, level), e=arm_phrase(e, level)
        )
        if math.isnan(diff):
            sentence = say(
                "recommendation.not_estimable",
                group=group,
                counts=counts,
                months=horizon_months,
                p=P(p),
                p_holm=P(p_holm),
            )
            out.append(row(name, sentence, p=p_holm))
            continue
        more = "more" if diff > 0 else "fewer" if diff < 0 else "as_many"
        quoted = say(
            "recommendation.quoted",
            counts=counts,
            at_horizon=at_horizon,
            diff=Num(100 * diff, ".1f"),
            level=Num(level, "g"),
            lo=Num(100 * lo, ".1f"),
            hi=Num(100 * hi, ".1f"),
            p=P(p),
            p_holm=P(p_holm),
        )
        v = verdict(p_holm, lo, hi, 0.0, alpha)
        message = "recommendation.supported" if v == "supported" else "recommendation.no_evidence"
        sentence = say(message, group=group, more=say(f"recommendation.{more}"), quoted=quoted)
        out.append(row(name, sentence, diff, lo, hi, p_holm, v))
    return out


def interaction_claim(interaction: pd.DataFrame, kind: str, conf_level: float) -> dict:
    name = f"interaction_{KIND[kind]}"
    hit = interaction[interaction["kind"] == kind]
    if hit.empty or missing(hit.iloc[0]["estimate"]):
        return row(name, say(f"interaction.{KIND[kind]}.not_estimable"))
    r = hit.iloc[0]
    est, lo, hi, p = (float(r[c]) for c in ("estimate", "lower", "upper", "p_value"))
    level = 100 * conf_level
    quoted = say(
        f"interaction.{KIND[kind]}.quoted",
        est=Num(est, ".2f"),
        level=Num(level, "g"),
        lo=Num(lo, ".2f"),
        hi=Num(hi, ".2f"),
        p=P(p),
    )
    v = verdict(p, lo, hi, 1.0, 1 - conf_level)
    if v == "supported":
        sentence = say(f"interaction.{'grew' if est > 1 else 'shrank'}", quoted=quoted)
    else:
        sentence = say("interaction.no_evidence", quoted=quoted)
    return row(name, sentence, est, lo, hi, p, v)


def ordered_differences(claims: dict[str, dict]) -> tuple[bool, dict[str, str]]:
    """Whether the within-group differences (osteosynthesis minus endoprosthesis) grow with better prognosis, as
    the recommendation predicts, and the differences in words (per language)."""
    diffs = [claims[f"recommendation_{g}"]["estimate"] for g in PROGNOSTIC_GROUPS]
    if any(missing(d) for d in diffs):
        return False, say("ordered.not_estimable")
    ordered = all(a < b for a, b in zip(diffs, diffs[1:], strict=False))
    words = joined([say("term", t=Num(100 * d, ".1f")) for d in diffs])
    groups = joined([say("term", t=g) for g in PROGNOSTIC_GROUPS])
    return ordered, say("ordered.differences", words=words, groups=groups)


def interaction_by_group_claim(interaction: pd.DataFrame, claims: dict[str, dict], conf_level: float) -> dict:
    """The interaction with the prognostic group as a factor (likelihood ratio, 2 df): do the groups differ in the
    effect of osteosynthesis at all, and in the order the recommendation predicts?"""
    name = "interaction_by_group_cause_specific"
    hit = interaction[interaction["kind"].astype(str).str.startswith("cause-specific Cox, groups")]
    if hit.empty or missing(hit.iloc[0]["p_value"]):
        return row(name, say("by_group.not_testable"))
    r = hit.iloc[0]
    stat, p = float(r["statistic"]), float(r["p_value"])
    quoted = say("by_group.quoted", stat=Num(stat, ".2f"), p=P(p))
    v = verdict(p, alpha=1 - conf_level)
    ordered, words = ordered_differences(claims)
    if v == "supported":
        order = say("by_group.ordered" if ordered else "by_group.not_ordered")
        sentence = say("by_group.differed", quoted=quoted, order=order, words=words)
    else:
        sentence = say("by_group.no_evidence", quoted=quoted)
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
        for r in d.itertuples():
            when = say(f"time_split.{'before' if r.period == 'before' else 'after'}", months=Num(split_months, "g"))
            quoted = say(
                "time_split.quoted",
                hr=Num(r.hr, ".2f"),
                level=Num(level, "g"),
                lo=Num(r.lower, ".2f"),
                hi=Num(r.upper, ".2f"),
                p=P(r.p_value),
                events=int(r.events_exposed),
                ph_p=P(r.ph_p_value),
            )
            v = verdict(r.p_value, r.lower, r.upper, 1.0, alpha)
            message = f"time_split.{('higher' if r.hr > 1 else 'lower') if v == 'supported' else 'no_evidence'}"
            sentence = say(
                message,
                when=capitalised(when),
                subject=Term("covariate", str(covariate), "subject"),
                with_=Term("covariate", str(covariate), "with"),
                quoted=quoted,
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
        return joined([say("term", t=g) for g in gs])

    def groups_of(gs):
        return say("summary.groups" if len(gs) > 1 else "summary.group", groups=listed(gs))

    def plain_groups(gs):
        return say("summary.plain_groups" if len(gs) > 1 else "summary.plain_group", groups=listed(gs))

    if more and fewer:
        observed = say("summary.more_and_fewer", more=groups_of(more), fewer=plain_groups(fewer))
    elif more or fewer:
        observed = say(f"summary.{'more' if more else 'fewer'}", groups=groups_of(more or fewer))
    else:
        observed = say("summary.as_many")
    adjusted = say("summary.held", groups=plain_groups(held)) if held else say("summary.none_held")
    p_inter = inter["p_value"]
    by_group = claims.get("interaction_by_group_cause_specific")
    ordered, _ = ordered_differences(claims)
    if by_group is not None and by_group["verdict"] == "supported":
        heterogeneity = say(
            "summary.heterogeneity",
            order=say("summary.in_order" if ordered else "summary.without_order"),
            p=P(by_group["p_value"]),
        )
    else:
        heterogeneity = say("term", t="")
    if inter["verdict"] == "supported":
        grew = not missing(inter["estimate"]) and inter["estimate"] > 1
        sentence = say(f"summary.{'grew' if grew else 'shrank'}", observed=observed, adjusted=adjusted, p=P(p_inter))
    else:
        sentence = say(
            "summary.no_evidence", observed=observed, adjusted=adjusted, p=P(p_inter), heterogeneity=heterogeneity
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
        sentence = say("conclusion.supported", p_gray=P(gray["p_value"]), p=P(p_inter))
    else:
        first = say(
            "conclusion.gray_no_evidence" if gray["verdict"] != "supported" else "conclusion.gray_differed",
            p_gray=P(gray["p_value"]),
        )
        second = say(
            "conclusion.trend_no_evidence" if inter["verdict"] != "supported" else "conclusion.trend_changed",
            p=P(p_inter),
        )
        sentence = say("conclusion.no_evidence", first=first, second=second)
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
    """Every comparative sentence with its estimate, interval, p-value and verdict (claims.tsv's rows), and in
    `sentence_ru` the same sentence in Russian (the same verdict, the same numbers)."""
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
        by_name["gray_prognostic_group"] = row("gray_prognostic_group", say("term", t=""))
    rows += summary_claims(by_name, conf_level)
    return pd.DataFrame(rows, columns=[*COLUMNS, "sentence_ru"])


def score_label(score: str, form: str = "name") -> dict[str, str]:
    """A score's name per language: `name` as it follows "the groups of" (genitive in Russian), `label_plain` on
    its own."""
    entry = load().get(f"claims.score.{form}.{score}")
    return entry if entry else {lang: score.replace("_", " ") for lang in LANGUAGES}


def score_interaction_claim(interaction: pd.DataFrame, score: str, conf_level: float) -> dict:
    """Within one score's groups: does the effect of osteosynthesis on revision change steadily with prognosis (the
    Fine-Gray trend interaction, the groups worst first)?"""
    name, label = f"score_interaction_{score}", score_label(score)
    hit = interaction[(interaction["score"] == score) & (interaction["kind"] == "Fine-Gray")]
    if hit.empty or missing(hit.iloc[0]["estimate"]):
        return row(name, say("score.interaction.not_estimable", label=label))
    r = hit.iloc[0]
    est, lo, hi, p = (float(r[c]) for c in ("estimate", "lower", "upper", "p_value"))
    quoted = say(
        "score.interaction.quoted",
        label=label,
        est=Num(est, ".2f"),
        level=Num(100 * conf_level, "g"),
        lo=Num(lo, ".2f"),
        hi=Num(hi, ".2f"),
        p=P(p),
    )
    v = verdict(p, lo, hi, 1.0, 1 - conf_level)
    message = ("score.interaction.grew" if est > 1 else "score.interaction.shrank") if v == "supported" else None
    return row(name, say(message or "score.interaction.no_evidence", label=label, quoted=quoted), est, lo, hi, p, v)


def score_choice_claim(interaction_claims: list[dict]) -> dict:
    """Which score, if any, separates the patients in whom osteosynthesis fails: those whose interaction claim is
    supported."""
    by_score = {c["claim"].removeprefix("score_interaction_"): c for c in interaction_claims}
    quoted = joined(
        [say("score.choice.p_of", label=score_label(s, "label_plain"), p=P(c["p_value"])) for s, c in by_score.items()]
    )
    separating = [score_label(s) for s, c in by_score.items() if c["verdict"] == "supported"]
    if separating:
        return row("score_choice", say("score.choice.only", labels=joined(separating), quoted=quoted), v="supported")
    return row("score_choice", say("score.choice.none", quoted=quoted))


def score_discrimination_claim(discrimination: pd.DataFrame, conf_level: float) -> dict:
    """Does the score with the highest Harrell's C for overall survival discriminate better than the next? The
    difference of the two C's with a z-test from their intervals, taken as independent (se = interval width / 2z);
    the scores are estimated on the same patients and positively correlated, so the true variance of the difference
    is smaller and this test is conservative. The verdict is the usual one on the difference (null 0)."""
    from scipy.special import ndtr, ndtri

    os_ = discrimination[discrimination["outcome"] == "overall_survival"].sort_values("c_index", ascending=False)
    if len(os_) < 2 or os_["c_index"].isna().any():
        return row("score_discrimination", say("score.discrimination.not_estimable"))
    z = float(ndtri(1 - (1 - conf_level) / 2))
    listed = joined(
        [
            say(
                "score.discrimination.item",
                label=score_label(r.score, "label_plain"),
                c=Num(r.c_index, ".2f"),
                level=Num(100 * conf_level, "g"),
                lo=Num(r.ci_low, ".2f"),
                hi=Num(r.ci_high, ".2f"),
            )
            for r in os_.itertuples()
        ]
    )
    best, second = os_.iloc[0], os_.iloc[1]
    se = math.hypot(*((r["ci_high"] - r["ci_low"]) / (2 * z) for r in (best, second)))
    diff = float(best["c_index"] - second["c_index"])
    lo, hi = diff - z * se, diff + z * se
    p = float(2 * ndtr(-abs(diff) / se)) if se > 0 else np.nan
    v = verdict(p, lo, hi, 0.0, 1 - conf_level)
    values = {
        "label": score_label(best["score"], "label_plain"),
        "listed": listed,
        "diff": Num(diff, ".2f"),
        "level": Num(100 * conf_level, "g"),
        "lo": Num(lo, ".2f"),
        "hi": Num(hi, ".2f"),
        "p": P(p),
    }
    message = "score.discrimination.best" if v == "supported" else "score.discrimination.no_difference"
    return row("score_discrimination", say(message, **values), diff, lo, hi, p, v)


def score_claims(interaction: pd.DataFrame, discrimination: pd.DataFrame, conf_level: float) -> list[dict]:
    """The prognostic-score comparison's sentences: one interaction claim per score, the choice among them, and
    their discrimination of overall survival."""
    per_score = [score_interaction_claim(interaction, s, conf_level) for s in dict.fromkeys(interaction["score"])]
    return [*per_score, score_choice_claim(per_score), score_discrimination_claim(discrimination, conf_level)]
