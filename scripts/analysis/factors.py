"""Factors of revision with death competing: cumulative incidence by group with Gray's test, cause-specific Cox
(competing_risks.cox, R's coxph) and Fine-Gray (competing_risks) models, univariable and multivariable, with events
per variable kept in view and proportional hazards checked.

The two models answer different questions (Austin & Fine 2017, Stat Med 36:4391): the cause-specific hazard ratio
is about the rate of revision among patients still alive and unrevised (aetiology); the subdistribution hazard
ratio of Fine and Gray is about the cumulative incidence, that is who ends up revised (prognosis). A factor that
shortens survival can lower the cumulative incidence of revision while leaving its rate unchanged.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri  # norm.sf and norm.ppf's functions, without scipy.stats' import cost

from common.study import DAYS_PER_MONTH, REVISION
from competing_risks import aalen_johansen, fine_gray, gray_test
from competing_risks.cox import coxph
from competing_risks.zph import cox_zph, fine_gray_zph

from .data import COVARIATES, covariate_frame
from .selection import apriori_covariates, events_per_variable, model_data, multivariable_covariates
from .selection import multivariable_selection as multivariable_selection  # re-exported (tests, older callers)

log = logging.getLogger("analysis.factors")


# Time transforms of the proportional-hazards score test (R's cox.zph, survival >= 3.0; competing_risks.zph). The
# cause-specific models keep the rank of time they were always tested on; the Fine-Gray models use cox.zph's default
# for right-censored data, the Kaplan-Meier transform, since a rank of the weighted records' times depends on how
# those records are laid out (see competing_risks.zph.fine_gray_zph).
PH_TRANSFORMS = {"cause-specific Cox": "rank", "Fine-Gray": "km"}


def _ph_rows(names: list[str], zph) -> pd.DataFrame:
    """One row per covariate (covariate, statistic, p_value) from a cox.zph result; NaN where there is none (the
    test could not be computed: a coefficient not estimable or a singular information)."""
    if zph is None:
        return pd.DataFrame({"covariate": names, "statistic": np.nan, "p_value": np.nan})
    t = zph.table.loc[names]
    return pd.DataFrame({"covariate": names, "statistic": t["chisq"].to_numpy(), "p_value": t["p"].to_numpy()})


def cif_by_group(
    df: pd.DataFrame, group: pd.Series, horizons: dict[str, float], factor: str, conf_level: float = 0.95
) -> pd.DataFrame:
    rows = []
    days = [m * DAYS_PER_MONTH for m in horizons.values()]
    for level in sorted(group.unique()):
        d = df[group == level]
        cif = aalen_johansen(
            d["time_days"].to_numpy(float), d["event"].to_numpy(int), cause=REVISION, times=days, conf_level=conf_level
        )
        for label, (_, c) in zip(horizons, cif.iterrows(), strict=True):
            rows.append(
                {
                    "factor": factor,
                    "level": level,
                    "n": int(len(d)),
                    "revisions": int(d["revised"].sum()),
                    "horizon": label,
                    "estimate": c["estimate"],
                    "lower": c["lower"],
                    "upper": c["upper"],
                }
            )
    return pd.DataFrame(rows)


def gray(df: pd.DataFrame, group: pd.Series, factor: str) -> dict:
    """Gray's test of equal cumulative incidence of revision across the levels of a factor. Levels without any
    revision still count in the test; a factor with a single level is recorded as not testable."""
    levels = sorted(group.unique())
    if len(levels) < 2:
        return {
            "factor": factor,
            "levels": len(levels),
            "statistic": np.nan,
            "df": 0,
            "p_value": np.nan,
            "note": "one level only",
        }
    result = gray_test(df["time_days"].to_numpy(float), df["event"].to_numpy(int), group.to_numpy(), cause=REVISION)
    return {
        "factor": factor,
        "levels": len(levels),
        "statistic": float(result.statistic),
        "df": int(result.df),
        "p_value": float(result.p_value),
        "note": "",
    }


def cox_fit(x: pd.DataFrame, time: np.ndarray, revision: np.ndarray, term: str) -> tuple[float, float, bool]:
    """One coefficient (and its standard error) of a cause-specific Cox fit of the design `x` (R's coxph,
    competing_risks.cox); estimable False when the fit fails, does not converge, or the coefficient diverges
    (monotone likelihood: coxph's "coefficient may be infinite", or |coef| >= 10)."""
    try:
        fit = coxph(np.asarray(time, float), np.asarray(revision, float), x.reset_index(drop=True))
    except (ValueError, np.linalg.LinAlgError):  # not estimable is an answer
        return np.nan, np.nan, False
    row = fit.table.set_index("covariate").loc[term]
    coef, se = float(row["coef"]), float(row["se"])
    ok = fit.converged and not row["infinite"] and np.isfinite(coef) and np.isfinite(se) and abs(coef) < 10
    return coef, se, bool(ok)


def _hr_table(fit, alpha: float) -> pd.DataFrame:
    t = fit.table
    return pd.DataFrame(
        {
            "covariate": t["covariate"].to_numpy(),
            "hr": t["hr"].to_numpy(),
            "lower": t["lower"].to_numpy(),
            "upper": t["upper"].to_numpy(),
            "coef": t["coef"].to_numpy(),
            "se": t["se"].to_numpy(),
            "p_value": t["p"].to_numpy(),
        }
    )


def cause_specific_cox(
    df: pd.DataFrame, names: list[str], alpha: float, ph: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Cox model of the cause-specific hazard of revision: deaths and last contacts are censorings (R's coxph with
    its default control, Efron ties: competing_risks.cox). Returns the coefficient table and, with `ph`, the
    proportional-hazards test of each covariate: the score test of Grambsch & Therneau (1994) with the full
    information matrix, as R's cox.zph (survival >= 3.0) computes it, against rank-transformed time
    (competing_risks.zph.cox_zph); else None."""
    df = model_data(df, names)
    x = covariate_frame(df, names)
    time = df["time_days"].to_numpy(float)
    revision = (df["event"] == REVISION).astype(int).to_numpy()
    fit = coxph(time, revision, x, alpha=alpha)
    z = _hr_table(fit, alpha)
    if not ph:
        return z, None
    try:
        zph = cox_zph(
            time,
            revision,
            x,
            fit.coef[names].to_numpy(),
            ties="efron",
            transform=PH_TRANSFORMS["cause-specific Cox"],
        )
    except (ValueError, np.linalg.LinAlgError) as err:  # a diverging fit: the test is not computable
        log.warning("proportional-hazards test of the cause-specific Cox model of %s not computable: %s", names, err)
        zph = None
    return z, _ph_rows(names, zph)


def fine_gray_model(
    df: pd.DataFrame, names: list[str], alpha: float, ph: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Fine-Gray model of the subdistribution hazard of revision (competing_risks, cmprsk crr's conventions).
    Returns the coefficient table and, with `ph`, the proportional-hazards test of each covariate: cox.zph's score
    test on the weighted risk sets of the fit, against Kaplan-Meier-transformed time
    (competing_risks.zph.fine_gray_zph); else None."""
    df = model_data(df, names)
    x = covariate_frame(df, names)
    time, event = df["time_days"].to_numpy(float), df["event"].to_numpy(int)
    fit = fine_gray(time, event, x, cause=REVISION)
    zq = ndtri(1 - alpha / 2)
    coef, se = fit.coef.to_numpy(float), fit.se.to_numpy(float)
    table = pd.DataFrame(
        {
            "covariate": list(fit.coef.index),
            "hr": np.exp(coef),
            "lower": np.exp(coef - zq * se),
            "upper": np.exp(coef + zq * se),
            "coef": coef,
            "se": se,
            "p_value": fit.summary["p"].to_numpy(float),
        }
    )
    if not ph:
        return table, None
    try:
        zph = fine_gray_zph(time, event, x, fit, cause=REVISION, transform=PH_TRANSFORMS["Fine-Gray"])
    except (ValueError, np.linalg.LinAlgError) as err:  # a coefficient not estimable: no test
        log.warning("proportional-hazards test of the Fine-Gray model of %s not computable: %s", names, err)
        zph = None
    return table, _ph_rows(names, zph)


def models(
    df: pd.DataFrame, candidates: list[str], multivariable: list[str], min_epv: float, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Univariable models for every candidate, and one multivariable model: the configured covariates in their
    order of priority, as many as the events allow at `min_epv` events per variable (at least one). Returns the
    coefficient table (model, kind, covariate, ...), the proportional-hazards checks (covariate, statistic,
    p_value, model, kind: cox.zph's score test of each covariate of each model), and a record with the events per
    variable and any warning."""
    events = int((df["event"] == REVISION).sum())
    rows, ph_rows, record = [], [], {"events": events, "warnings": [], "min_events_per_variable": min_epv}
    if events == 0:
        record["warnings"].append("no revisions: no model can be fitted")
        log.warning("no revisions: no model can be fitted")
        return pd.DataFrame(), pd.DataFrame(), record
    chosen = multivariable_covariates(df, multivariable, min_epv)
    dropped = [c for c in apriori_covariates(multivariable) if c not in chosen]
    model_events = int((model_data(df, chosen)["event"] == REVISION).sum())
    epv = events_per_variable(model_events, len(chosen))
    record.update(
        multivariable_covariates=chosen,
        events_per_variable=epv,
        dropped_for_epv=dropped,
        multivariable_events=model_events,
        multivariable_patients=int(len(model_data(df, chosen))),
        other_operations_left_out=int((df["fixation"] == "other").sum()) if "osteosynthesis" in chosen else 0,
    )
    if epv < min_epv:
        message = (
            f"{model_events} revisions for {len(chosen)} covariate(s): {epv:.1f} events per variable, under "
            f"{min_epv:g}; the multivariable estimates are unstable"
        )
        record["warnings"].append(message)
        log.warning(message)
    for model, names in [(f"univariable: {c}", [c]) for c in candidates] + [("multivariable", chosen)]:
        for kind, fit in (("cause-specific Cox", cause_specific_cox), ("Fine-Gray", fine_gray_model)):
            try:
                result = fit(df, names, alpha)
            except Exception as err:  # noqa: BLE001 - a model that cannot be fitted is recorded, not fatal
                message = f"{kind} {model} could not be fitted: {err}"
                record["warnings"].append(message)
                log.warning(message)
                continue
            table, ph = result
            rows.append(table.assign(model=model, kind=kind))
            if ph is not None:
                ph_rows.append(ph.assign(model=model, kind=kind))
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if len(table):
        table["label"] = table["covariate"].map(lambda c: COVARIATES[c][0])
        table = table[["model", "kind", "covariate", "label", "hr", "lower", "upper", "coef", "se", "p_value"]]
    ph_table = pd.concat(ph_rows, ignore_index=True) if ph_rows else pd.DataFrame()
    if len(ph_table):
        violated = ph_table[ph_table["p_value"] < 0.05]
        record["proportional_hazards_violations"] = violated[["model", "kind", "covariate"]].to_dict("records")
    return table, ph_table, record


def _period_rows(df: pd.DataFrame, split_days: float) -> pd.DataFrame:
    """Counting-process episodes: [0, min(t, split)] and, for follow-up beyond the split, (split, t]; the revision
    is counted in the episode that holds its time."""
    t = df["time_days"].to_numpy(float)
    revision = (df["event"] == REVISION).to_numpy()
    early = pd.DataFrame(
        {"id": np.arange(len(df)), "start": 0.0, "stop": np.minimum(t, split_days), "late": 0.0},
    )
    early["revision"] = (revision & (t <= split_days)).astype(int)
    beyond = t > split_days
    late = pd.DataFrame({"id": np.arange(len(df))[beyond], "start": split_days, "stop": t[beyond], "late": 1.0})
    late["revision"] = revision[beyond].astype(int)
    return pd.concat([early, late], ignore_index=True)


def time_split_cox(df: pd.DataFrame, names: list[str], split: str, split_days: float, alpha: float) -> pd.DataFrame:
    """Cause-specific Cox model in which the hazard ratio of `split` may differ before and after `split_days`
    (the covariate times each period; the other covariates constant): the HR in each period (R's
    coxph(Surv(start, stop, revision) ~ ...) on the episodes, competing_risks.cox)."""
    d = model_data(df, names).reset_index(drop=True)
    x = covariate_frame(d, names)
    episodes = _period_rows(d, split_days)
    for name in names:
        episodes[name] = x[name].to_numpy()[episodes["id"].to_numpy()]
    episodes[f"{split}_before"] = episodes[split] * (1 - episodes["late"])
    episodes[f"{split}_after"] = episodes[split] * episodes["late"]
    columns = [n for n in names if n != split] + [f"{split}_before", f"{split}_after"]
    fit = coxph(episodes["stop"], episodes["revision"], episodes[columns], start=episodes["start"], alpha=alpha)
    s = fit.table.set_index("covariate")
    z = ndtri(1 - alpha / 2)
    rows = []
    for period in ("before", "after"):
        term = f"{split}_{period}"
        coef, se = float(s.loc[term, "coef"]), float(s.loc[term, "se"])
        exposed = (episodes[split] == 1) & (episodes["late"] == float(period == "after"))
        events = int(episodes.loc[exposed, "revision"].sum())
        rows.append(
            {
                "kind": "cause-specific Cox",
                "period": period,
                "hr": np.exp(coef),
                "lower": np.exp(coef - z * se),
                "upper": np.exp(coef + z * se),
                "p_value": float(2 * ndtr(-abs(coef / se))),
                "events_exposed": events,
                "coef": coef,
                "se": se,
            }
        )
    return pd.DataFrame(rows)


def fine_gray_windows(df: pd.DataFrame, names: list[str], split_days: float) -> dict[str, object]:
    """Fine-Gray fits before the split (follow-up censored at `split_days`) and after it (the patients still
    event-free at `split_days`, a landmark)."""
    d = model_data(df, names)
    t, e = d["time_days"].to_numpy(float), d["event"].to_numpy(int)
    early_t, early_e = np.minimum(t, split_days), np.where(t > split_days, 0, e)
    late = t > split_days
    fits = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for period, (tt, ee, xx) in {
            "before": (early_t, early_e, covariate_frame(d, names)),
            "after": (t[late], e[late], covariate_frame(d[late], names)),
        }.items():
            try:
                fits[period] = fine_gray(tt, ee, xx, cause=REVISION)
            except Exception:  # noqa: BLE001 - a window without revisions: recorded as not estimable
                fits[period] = None
    return fits


def proportionality(
    df: pd.DataFrame, ph: pd.DataFrame, covariates: dict[str, list[str]], split_days: float, alpha: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where proportional hazards fail (cox.zph score test p < alpha in a cause-specific model), the hazard ratio
    before and after the split; and for every model's covariates the Fine-Gray check: the subdistribution hazard
    ratio before the split and after it (landmark), with a Wald test of their equality (the two windows' estimates
    taken as independent)."""
    z = ndtri(1 - alpha / 2)
    split_rows = []
    cause_specific = ph[ph["kind"] == "cause-specific Cox"] if "kind" in ph else ph
    for r in cause_specific[cause_specific["p_value"] < alpha].itertuples():
        names = covariates[r.model]
        table = time_split_cox(df, names, r.covariate, split_days, alpha)
        split_rows.append(table.assign(model=r.model, covariate=r.covariate, ph_p_value=r.p_value))
    fg_rows = []
    for model, names in covariates.items():
        fits = fine_gray_windows(df, names, split_days)
        for name in names:
            row = {"model": model, "covariate": name}
            coefs = {}
            for period, fit in fits.items():
                ok = fit is not None and fit.converged and bool(fit.estimable.get(name, False))
                coef = float(fit.coef[name]) if ok else np.nan
                se = float(fit.se[name]) if ok else np.nan
                coefs[period] = (coef, se)
                row[f"shr_{period}"] = np.exp(coef)
                row[f"lower_{period}"] = np.exp(coef - z * se)
                row[f"upper_{period}"] = np.exp(coef + z * se)
            (b1, s1), (b2, s2) = coefs["before"], coefs["after"]
            row["p_value"] = float(2 * ndtr(-abs(b1 - b2) / np.sqrt(s1**2 + s2**2)))
            fg_rows.append(row)
    time_split = pd.concat(split_rows, ignore_index=True) if split_rows else pd.DataFrame()
    if len(time_split):
        time_split = time_split[
            [
                "model",
                "covariate",
                "ph_p_value",
                "kind",
                "period",
                "hr",
                "lower",
                "upper",
                "p_value",
                "events_exposed",
                "coef",
                "se",
            ]
        ]
    return time_split, pd.DataFrame(fg_rows)


def schoenfeld_residuals(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Scaled Schoenfeld residuals of a cause-specific Cox model (one row per revision), with the revision's time
    in months: R's residuals(coxph(...), "scaledsch") (competing_risks.cox), in the order of time (tied revisions in
    the order of the table)."""
    d = model_data(df, names).reset_index(drop=True)
    x = covariate_frame(d, names)
    fit = coxph(d["time_days"].to_numpy(float), (d["event"] == REVISION).astype(int).to_numpy(), x)
    residuals = fit.scaled_schoenfeld()
    return residuals.assign(months=residuals.index.to_numpy() / DAYS_PER_MONTH).reset_index(drop=True)


def ridge_cox(df: pd.DataFrame, names: list[str], penalty: float, alpha: float) -> pd.DataFrame:
    """Ridge-penalised cause-specific Cox model (sensitivity): every a-priori covariate at once, however few the
    events, the coefficients shrunk by an L2 penalty on the standardised coefficients: the log partial likelihood
    minus (penalty x n / 2) sum_j var(x_j) beta_j^2, n the patients of the model and var the sample variance (n - 1):
    R's coxph(Surv(time, revision) ~ ridge(x1, ..., theta = penalty x n, scale = TRUE)), which is also what
    lifelines' penalizer = penalty (l1_ratio 0) fitted before. Intervals from the penalised information, R's
    var (summary's se(coef)): approximate."""
    d = model_data(df, names)
    x = covariate_frame(d, names)
    data = x.assign(time=d["time_days"].to_numpy(float), revision=(d["event"] == REVISION).astype(int).to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theta = penalty * len(d) * x.var(ddof=1).to_numpy(float)
            fit = coxph(data["time"], data["revision"], x, penalty=theta, alpha=alpha)
            if not np.isfinite(fit.table[["coef", "se"]].to_numpy()).all():
                raise ValueError("the ridge fit is not finite")
        except Exception:  # noqa: BLE001 - too few patients or events to fit: every coefficient not estimable
            log.warning(
                "the ridge model could not be fitted (%d patients, %d revisions): not estimable",
                len(d),
                int(data["revision"].sum()),
            )
            return pd.DataFrame(
                {
                    "covariate": names,
                    "label": [COVARIATES[c][0] for c in names],
                    **{k: np.nan for k in ("hr", "lower", "upper", "coef")},
                    "penalty": penalty,
                    "patients": len(d),
                    "events": int(data["revision"].sum()),
                }
            )
    s = fit.table
    return pd.DataFrame(
        {
            "covariate": s["covariate"].to_numpy(),
            "label": [COVARIATES[c][0] for c in s["covariate"]],
            "hr": s["hr"].to_numpy(),
            "lower": s["lower"].to_numpy(),
            "upper": s["upper"].to_numpy(),
            "coef": s["coef"].to_numpy(),
            "penalty": penalty,
            "patients": len(d),
            "events": int(data["revision"].sum()),
        }
    )
