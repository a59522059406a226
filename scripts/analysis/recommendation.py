"""The paper's recommendation, tested: use prognostic scores when choosing the operation.

The argument (Wang, Kharchenko et al.; Leithner 2008): patients expected to live long (modified Bauer 3-4) outlive
an osteosynthesis, which then fails and is revised; they should get an endoprosthesis or resection. If so, the
cumulative incidence of revision after osteosynthesis should exceed that after endoprosthesis in the good-prognosis
group, and prognosis should change the effect of the operation. Tested here by

- the cumulative incidence of revision after each operation within each prognostic group (n, revisions, estimate
  and interval; an arm without any revision is "not estimable" and gets the exact Clopper-Pearson interval of
  revisions / patients instead, which ignores censoring),
- Gray's test within each group, with Holm's correction across that family of three tests,
- the method-by-prognosis interaction (osteosynthesis x prognostic group, the group as a trend 0, 1, 2), in a
  Fine-Gray and in a cause-specific Cox model: the one test of whether prognosis changes the operation's effect,
- the arms' prognostic mix (the operation was chosen with the prognosis in mind: confounding by indication).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# scipy.stats' beta.ppf, chi2.sf, norm.sf and norm.ppf are these functions (identical values), without its imports
from scipy.special import betaincinv, chdtrc, ndtr, ndtri

from common.study import DAYS_PER_MONTH, REVISION

from .data import PROGNOSTIC_GROUPS
from .factors import gray

COMPARED = ("osteosynthesis", "endoprosthesis")
FAMILY = "the three within-group comparisons of osteosynthesis with endoprosthesis (Gray's test)"


def clopper_pearson(events: int, n: int, conf_level: float) -> tuple[float, float]:
    """Exact binomial interval of events / n (Clopper & Pearson 1934)."""
    a = 1 - conf_level
    lower = 0.0 if events == 0 else float(betaincinv(events, n - events + 1, a / 2))
    upper = 1.0 if events == n else float(betaincinv(events + 1, n - events, 1 - a / 2))
    return lower, upper


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values; NaN (not testable) stays NaN and is not counted in the family."""
    p = np.asarray(p_values, float)
    ok = np.flatnonzero(~np.isnan(p))
    out = np.full(len(p), np.nan)
    order = ok[np.argsort(p[ok], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()


def km_median(days: np.ndarray, died: np.ndarray) -> float:
    from .risk import km_median_r

    return km_median_r(days, died)


def fixation_within_prognostic_groups(
    df: pd.DataFrame,
    horizons: dict[str, float],
    conf_level: float = 0.95,
    column: str = "prognostic_group",
    groups: tuple[str, ...] = PROGNOSTIC_GROUPS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Osteosynthesis against endoprosthesis within each prognostic group (`column`, levels `groups`; by default the
    modified Bauer groups): the cumulative incidence of revision per arm at the horizons and Gray's test per group,
    Holm-adjusted across the groups."""
    from competing_risks import aalen_johansen

    days = [m * DAYS_PER_MONTH for m in horizons.values()]
    rows, tests = [], []
    for group in groups:
        within = df[(df[column] == group) & df["fixation"].isin(COMPARED)]
        for fixation in COMPARED:
            d = within[within["fixation"] == fixation]
            if len(d) == 0:
                continue
            events = int((d["event"] == REVISION).sum())
            cif = aalen_johansen(
                d["time_days"].to_numpy(float),
                d["event"].to_numpy(int),
                cause=REVISION,
                times=days,
                conf_level=conf_level,
            )
            exact = clopper_pearson(events, len(d), conf_level)
            median = km_median(d["survival_days"].to_numpy(float), d["died"].to_numpy(bool))
            for label, (_, c) in zip(horizons, cif.iterrows(), strict=True):
                estimable = events > 0
                rows.append(
                    {
                        "prognostic_group": group,
                        "fixation": fixation,
                        "n": int(len(d)),
                        "revisions": events,
                        "median_survival_months": median / DAYS_PER_MONTH,
                        "horizon": label,
                        "cif_revision": c["estimate"],
                        "lower": c["lower"] if estimable else np.nan,
                        "upper": c["upper"] if estimable else np.nan,
                        "se": np.sqrt(c["variance"]) if "variance" in c and estimable else np.nan,
                        "interval": "Aalen-Johansen, log(-log)" if estimable else "not estimable (no revision)",
                        "exact_lower": exact[0],
                        "exact_upper": exact[1],
                    }
                )
        if within["fixation"].nunique() == 2 and (within["event"] == REVISION).any():
            tests.append({"prognostic_group": group, **gray(within, within["fixation"], "fixation")})
        else:
            tests.append(
                {
                    "prognostic_group": group,
                    "factor": "fixation",
                    "levels": within["fixation"].nunique(),
                    "statistic": float("nan"),
                    "df": 0,
                    "p_value": float("nan"),
                    "note": "not testable: one fixation or no revision in this group",
                }
            )
    tests = pd.DataFrame(tests)
    tests["p_holm"] = holm(tests["p_value"].tolist())
    tests["family"] = FAMILY
    return pd.DataFrame(rows), tests


def prognostic_mix(df: pd.DataFrame) -> pd.DataFrame:
    """Each arm's patients by prognostic group (n and % of the arm): the arms' prognostic mix."""
    rows = []
    for fixation in COMPARED:
        d = df[df["fixation"] == fixation]
        for group in PROGNOSTIC_GROUPS:
            n = int((d["prognostic_group"] == group).sum())
            rows.append(
                {
                    "fixation": fixation,
                    "prognostic_group": group,
                    "n": n,
                    "percent": 100 * n / len(d) if len(d) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def interaction_frame(
    df: pd.DataFrame, column: str = "prognostic_group", groups: tuple[str, ...] = PROGNOSTIC_GROUPS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patients of the two compared operations (and a known group) and their design: osteosynthesis, the
    prognostic group as a trend (the groups in order, worst first: 0-1 -> 0, 2 -> 1, 3-4 -> 2) and their product."""
    d = df[df["fixation"].isin(COMPARED) & df[column].isin(groups)]
    osteo = (d["fixation"] == "osteosynthesis").astype(float)
    step = d[column].map({g: float(i) for i, g in enumerate(groups)})
    x = pd.DataFrame(
        {"osteosynthesis": osteo, "prognostic_step": step, "osteosynthesis_x_prognostic_step": osteo * step},
        index=d.index,
    )
    return d, x


def interaction(
    df: pd.DataFrame,
    conf_level: float = 0.95,
    column: str = "prognostic_group",
    groups: tuple[str, ...] = PROGNOSTIC_GROUPS,
) -> pd.DataFrame:
    """The method-by-prognosis interaction in a Fine-Gray and a cause-specific Cox model (Wald test of the
    product term, 1 df): the ratio of the hazard ratios of osteosynthesis per step of prognostic group."""
    from competing_risks import fine_gray

    from .factors import cox_fit

    d, x = interaction_frame(df, column, groups)
    term = "osteosynthesis_x_prognostic_step"
    z = ndtri(1 - (1 - conf_level) / 2)
    rows = []
    if (d["event"] == REVISION).sum() == 0:
        return pd.DataFrame(
            [
                {"kind": k, "estimate": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan, "estimable": False}
                for k in ("Fine-Gray", "cause-specific Cox")
            ]
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fg = fine_gray(d["time_days"].to_numpy(float), d["event"].to_numpy(int), x, cause=REVISION)
        except ValueError:  # too few revisions for the three coefficients: not estimable
            fg = None
    if fg is None:
        rows.append(_row("Fine-Gray", np.nan, np.nan, z, False))
    else:
        coef, se = float(fg.coef[term]), float(fg.se[term])
        ok = bool(fg.converged and fg.estimable[term] and np.isfinite(coef) and np.isfinite(se))
        rows.append(_row("Fine-Gray", coef, se, z, ok))
    coef, se, ok = cox_fit(x, d["time_days"].to_numpy(float), (d["event"] == REVISION).to_numpy(int), term)
    rows.append(_row("cause-specific Cox", coef, se, z, ok))
    return pd.DataFrame(rows)


def interaction_by_group(
    df: pd.DataFrame, column: str = "prognostic_group", groups: tuple[str, ...] = PROGNOSTIC_GROUPS
) -> dict:
    """The method-by-prognosis interaction with the prognostic group as a factor (2 df): the likelihood-ratio test
    of the cause-specific Cox model with and without osteosynthesis x group. The likelihood ratio stays valid where
    a within-group coefficient diverges (an arm without revisions, monotone likelihood), where a Wald test does
    not; the Fine-Gray analogue has no likelihood ratio (pseudo-likelihood) and is not reported."""
    from competing_risks.cox import coxph

    d = df[df["fixation"].isin(COMPARED) & df[column].isin(groups)]
    osteo = (d["fixation"] == "osteosynthesis").astype(float).to_numpy()
    base = {"osteosynthesis": osteo}
    products = {}
    for group in groups[1:]:
        indicator = (d[column] == group).astype(float).to_numpy()
        base[f"group_{group}"] = indicator
        products[f"osteosynthesis_x_group_{group}"] = osteo * indicator
    time = d["time_days"].to_numpy(float)
    revision = (d["event"] == REVISION).astype(int).to_numpy()
    if revision.sum() == 0:
        return {"statistic": np.nan, "df": 0, "p_value": np.nan}
    logliks = []
    for columns in (base, {**base, **products}):
        try:
            fit = coxph(time, revision, pd.DataFrame(columns))
        except (ValueError, np.linalg.LinAlgError):  # too few patients or events to fit: not estimable is an answer
            return {"statistic": np.nan, "df": len(products), "p_value": np.nan}
        logliks.append(float(fit.loglik[1]))
    statistic = max(0.0, 2 * (logliks[1] - logliks[0]))
    return {"statistic": statistic, "df": len(products), "p_value": float(chdtrc(len(products), statistic))}


def interactions(
    df: pd.DataFrame,
    conf_level: float = 0.95,
    column: str = "prognostic_group",
    groups: tuple[str, ...] = PROGNOSTIC_GROUPS,
) -> pd.DataFrame:
    """Every interaction test of the recommendation: the trend (Fine-Gray and cause-specific Cox, `interaction`)
    and the group as a factor (`interaction_by_group`), one row each."""
    by_group = interaction_by_group(df, column, groups)
    row = {
        "kind": "cause-specific Cox, groups (likelihood ratio, 2 df)",
        "estimate": np.nan,
        "lower": np.nan,
        "upper": np.nan,
        "p_value": by_group["p_value"],
        "estimable": bool(np.isfinite(by_group["p_value"])),
        "statistic": by_group["statistic"],
    }
    return pd.concat([interaction(df, conf_level, column, groups), pd.DataFrame([row])], ignore_index=True)


def _row(kind: str, coef: float, se: float, z: float, ok: bool) -> dict:
    if not ok:
        return {
            "kind": kind,
            "estimate": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "p_value": np.nan,
            "estimable": False,
        }
    return {
        "kind": kind,
        "estimate": float(np.exp(coef)),
        "lower": float(np.exp(coef - z * se)),
        "upper": float(np.exp(coef + z * se)),
        "p_value": float(2 * ndtr(-abs(coef / se))),
        "estimable": True,
    }
