"""Risk of revision: naive 1 - Kaplan-Meier (deaths censored) against the Aalen-Johansen cumulative incidence
(deaths compete), and overall survival.

1 - KM estimates the risk of revision in a world where nobody dies; with a high death rate it overstates the real
risk (Gillam 2010 Acta Orthop 81:548; Lacny 2015 CORR 473:3431). The cumulative incidence function answers the
clinical question: what share of patients will have had a revision by time t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from common.kaplan_meier import KaplanMeier
from common.study import DAYS_PER_MONTH, DEATH, REVISION
from competing_risks import aalen_johansen


def km_median_r(days, observed) -> float:
    """The Kaplan-Meier median as R's survfit prints it: the first time the survival curve is <= 0.5; where the
    curve sits exactly at 0.5 over an interval, the midpoint of that plateau (its start and the next event time).
    NaN when the curve never reaches 0.5."""
    t = np.asarray(days, float)
    d = np.asarray(observed, bool)
    times = np.unique(t[d])
    at_risk = np.array([(t >= u).sum() for u in times], float)
    deaths = np.array([((t == u) & d).sum() for u in times], float)
    surv = np.cumprod(1 - deaths / at_risk) if len(times) else np.array([])
    tol = 1e-9  # survfit's quantile uses a tolerance of sqrt(.Machine$double.eps) around 0.5
    below = np.flatnonzero(surv <= 0.5 + tol)
    if not len(below):
        return float("nan")
    first = below[0]
    if abs(surv[first] - 0.5) < tol and first + 1 < len(times):
        return float((times[first] + times[first + 1]) / 2)
    return float(times[first])


def median_follow_up(days, died) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996): deaths are censorings and
    last contacts the events; R's survfit median convention."""
    return km_median_r(days, ~np.asarray(died, bool))


def km_fit(days: pd.Series, observed: pd.Series, alpha: float) -> KaplanMeier:
    """Kaplan-Meier with lifelines' numbers (common.kaplan_meier), without importing lifelines."""
    return KaplanMeier(days.to_numpy(dtype=float), observed.to_numpy(dtype=bool), alpha=alpha)


def step_at(fit: KaplanMeier, days: list[float]) -> pd.DataFrame:
    """Survival and its confidence interval (lifelines: Greenwood, log(-log) transform) at the given days: the
    step function's value at the last event time <= t."""
    sf = fit.survival_function_.iloc[:, 0]
    ci = fit.confidence_interval_survival_function_
    rows = []
    for t in days:
        position = sf.index.searchsorted(t, side="right") - 1
        rows.append((float(sf.iloc[position]), float(ci.iloc[position, 0]), float(ci.iloc[position, 1])))
    return pd.DataFrame(rows, columns=["survival", "lower", "upper"])


def revision_risk(df: pd.DataFrame, horizons: dict[str, float], alpha: float) -> pd.DataFrame:
    """At each horizon: 1 - KM of revision and the cumulative incidence of revision, with intervals, and how far
    the first overstates the second (absolute, in percentage points, and relative to the cumulative incidence)."""
    days = [months * DAYS_PER_MONTH for months in horizons.values()]
    km = step_at(km_fit(df["time_days"], df["event"] == REVISION, alpha), days)
    cif = aalen_johansen(
        df["time_days"].to_numpy(float), df["event"].to_numpy(int), cause=REVISION, times=days, conf_level=1 - alpha
    )
    out = pd.DataFrame(
        {
            "horizon": list(horizons),
            "months": list(horizons.values()),
            "km_revision": 1 - km["survival"],
            "km_lower": 1 - km["upper"],
            "km_upper": 1 - km["lower"],
            "cif_revision": cif["estimate"].to_numpy(),
            "cif_lower": cif["lower"].to_numpy(),
            "cif_upper": cif["upper"].to_numpy(),
        }
    )
    out["overestimate_points"] = 100 * (out["km_revision"] - out["cif_revision"])
    out["overestimate_relative"] = np.where(
        out["cif_revision"] > 0, (out["km_revision"] - out["cif_revision"]) / out["cif_revision"], np.nan
    )
    return out


def curves(df: pd.DataFrame, alpha: float, group: pd.Series | None = None) -> pd.DataFrame:
    """Step functions of 1 - KM of revision and the cumulative incidences of revision and of death without
    revision, per group, on every event time (tidy: group, curve, months, estimate, lower, upper)."""
    groups = [("all", df.index)] if group is None else [(g, df.index[group == g]) for g in sorted(group.unique())]
    parts = []
    for name, index in groups:
        d = df.loc[index]
        time, event = d["time_days"].to_numpy(float), d["event"].to_numpy(int)
        for cause, label in ((REVISION, "cif_revision"), (DEATH, "cif_death")):
            c = aalen_johansen(time, event, cause=cause, conf_level=1 - alpha)
            parts.append(
                pd.DataFrame(
                    {
                        "group": name,
                        "curve": label,
                        "months": c["time"] / DAYS_PER_MONTH,
                        "estimate": c["estimate"],
                        "lower": c["lower"],
                        "upper": c["upper"],
                    }
                )
            )
        fit = km_fit(d["time_days"], d["event"] == REVISION, alpha)
        sf, ci = fit.survival_function_.iloc[:, 0], fit.confidence_interval_survival_function_
        parts.append(
            pd.DataFrame(
                {
                    "group": name,
                    "curve": "km_revision",
                    "months": sf.index / DAYS_PER_MONTH,
                    "estimate": 1 - sf.to_numpy(),
                    "lower": 1 - ci.iloc[:, 1].to_numpy(),
                    "upper": 1 - ci.iloc[:, 0].to_numpy(),
                }
            )
        )
    if not parts:  # no patient in any group (a prognostic group without either operation): no curve
        return pd.DataFrame(columns=["group", "curve", "months", "estimate", "lower", "upper"])
    return pd.concat(parts, ignore_index=True)


def overall_survival(
    df: pd.DataFrame, alpha: float, group: pd.Series | None = None, horizons: dict[str, float] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier overall survival (death at any time, after a revision too): curves and values at horizons."""
    groups = [("all", df.index)] if group is None else [(g, df.index[group == g]) for g in sorted(group.unique())]
    curves_, at = [], []
    for name, index in groups:
        d = df.loc[index]
        fit = km_fit(d["survival_days"], d["died"], alpha)
        sf, ci = fit.survival_function_.iloc[:, 0], fit.confidence_interval_survival_function_
        curves_.append(
            pd.DataFrame(
                {
                    "group": name,
                    "months": sf.index / DAYS_PER_MONTH,
                    "survival": sf.to_numpy(),
                    "lower": ci.iloc[:, 0].to_numpy(),
                    "upper": ci.iloc[:, 1].to_numpy(),
                }
            )
        )
        median = km_median_r(d["survival_days"].to_numpy(float), d["died"].to_numpy(bool))
        row = {
            "group": name,
            "n": int(len(d)),
            "deaths": int(d["died"].sum()),
            "median_months": float(median / DAYS_PER_MONTH) if np.isfinite(median) else np.nan,
        }
        for label, months in (horizons or {}).items():
            value = step_at(fit, [months * DAYS_PER_MONTH]).iloc[0]
            row[f"survival_{label}"], row[f"lower_{label}"], row[f"upper_{label}"] = value
        at.append(row)
    return pd.concat(curves_, ignore_index=True), pd.DataFrame(at)


def at_risk(months: pd.Series, ticks: list[float]) -> list[int]:
    """Numbers at risk (still followed, no event yet) at each tick."""
    values = months.to_numpy(float)
    return [int((values >= t).sum()) for t in ticks]
