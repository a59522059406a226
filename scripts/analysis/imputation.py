"""Multiple imputation of the prognostic scores' missing inputs by chained equations with predictive mean matching.

MICE (van Buuren and Groothuis-Oudshoorn 2011, J Stat Softw 45(3); van Buuren, "Flexible Imputation of Missing
Data", 2nd ed. 2018, sections 3.4 and 4.5): each incomplete variable in turn is regressed (least squares) on the
others, as currently filled, plus the outcome (Moons et al. 2006, J Clin Epidemiol 59:1092: the outcome belongs in
the imputation model); the coefficients are drawn from their approximate posterior (the normal linear model's:
sigma^2 from a scaled inverse chi-square, beta from N(beta_hat, sigma^2 (X'X)^-1)), and each missing value takes the
observed value of one of the `donors` observed cases whose predicted mean is nearest the missing case's (predictive
mean matching, Little 1988; type-1 matching). Imputed values are therefore always values that occur in the data:
an ECOG stays an integer 0-4, a yes/no stays a yes/no.

Variables that only apply to some patients are imputed within them only: hormone dependence for breast and
prostate primaries, targeted therapy for lung, the kind of visceral spread and cerebral metastases for patients
with visceral metastases. The laboratory values are imputed on the log scale (they are skewed).

The scores are then computed from each completed data set (passive imputation), and estimates are pooled over
the imputations by Rubin's rules (Rubin 1987; Marshall et al. 2009, BMC Med Res Methodol 9:57, for prognostic
models).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABORATORY = [
    "crp_mg_dl",
    "ldh_iu_l",
    "albumin_g_dl",
    "platelets_per_ul",
    "calcium_mg_dl",
    "bilirubin_mg_dl",
    "haemoglobin_g_dl",
    "lymphocytes_per_ul",
]
# Imputed variable -> the patients it applies to (None: everyone).
APPLIES_TO = {
    "ecog": None,
    "hormone_dependent": lambda df: df["primary_group"].isin(["breast", "prostate"]),
    "targeted_therapy": lambda df: df["primary_group"] == "lung",
    "visceral_spread": lambda df: df["visceral_metastases"].astype(bool),
    "cerebral_metastases": lambda df: df["visceral_metastases"].astype(bool),
    **{name: None for name in LABORATORY},
}
SPREAD_CODES = {"nodular": 0.0, "disseminated": 1.0}


def _numeric(df: pd.DataFrame) -> pd.DataFrame:
    """The imputation model's working frame: every variable a number (NaN = missing), labs on the log scale."""
    out = pd.DataFrame(index=df.index)
    out["ecog"] = pd.to_numeric(df["ecog"], errors="coerce")
    for name in ("hormone_dependent", "targeted_therapy", "cerebral_metastases"):
        out[name] = df[name].map({True: 1.0, False: 0.0}).astype(float)
    out["visceral_spread"] = df["visceral_spread"].map(SPREAD_CODES).astype(float)
    for name in LABORATORY:
        out[name] = np.log(df[name].astype(float).clip(lower=1e-6))
    return out


def _outcome(df: pd.DataFrame) -> np.ndarray:
    """The outcome columns of the imputation model: log survival, death, revision."""
    return np.column_stack(
        [
            np.log1p(df["survival_days"].to_numpy(float)),
            df["died"].to_numpy(bool).astype(float),
            (df["event"].to_numpy() == 1).astype(float),
            df["visceral_metastases"].to_numpy(bool).astype(float),
            (~df["solitary_bone_metastasis"].to_numpy(bool)).astype(float),
            df["chemotherapy_before_surgery"].to_numpy(bool).astype(float),
        ]
    )


# Up to this many cells (missing cases x observed cases) the donors are found in one dense distance matrix with
# np.argpartition, as always; above it, by a sorted search in O(n log n) time and O(n k) memory ("window" in
# _nearest_donors). The matrix holds at most n^2 / 4 cells for n cases, so every cohort of up to 10,000 patients
# (25 million cells, 200 MB of distances plus as much of indices) keeps the matrix and its draws exactly. The window
# cannot reproduce the matrix's draws (argpartition's order within the k nearest is implementation-defined), so
# above the threshold the imputed values differ from what the matrix would give, though drawn by the same rule.
PMM_MATRIX_MAX = 25_000_000


def _nearest_donors(predicted_missing: np.ndarray, predicted_observed: np.ndarray, k: int) -> np.ndarray:
    """For each missing case, the indices (into the observed cases) of k observed cases whose predicted means are
    nearest its own, in increasing distance: an (m, k) array, O((n + m) log n + m k log k) time, O(m k) memory.

    The donors' predicted means are sorted once (stable: equal means keep the observed cases' order); each missing
    mean is placed by binary search at position p, and the k nearest are taken from the window of the 2k sorted
    donors around p (k on each side; shifted inward at the ends). The window holds a set of k nearest, because the
    donors nearer than any other on each side are consecutive in the sorted order. Ties are broken deterministically:
    among equal distances the donor earlier in the sorted order wins (lower predicted mean, then lower index among
    the observed cases). Any such set is a set of k nearest: its distances are the k smallest of all donors."""
    n = len(predicted_observed)
    order = np.argsort(predicted_observed, kind="stable")
    ranked = predicted_observed[order]
    width = min(2 * k, n)
    position = np.searchsorted(ranked, predicted_missing)
    start = np.clip(position - k, 0, n - width)
    window = start[:, None] + np.arange(width)
    distance = np.abs(ranked[window] - predicted_missing[:, None])
    nearest = np.take_along_axis(window, np.argsort(distance, axis=1, kind="stable")[:, :k], axis=1)
    return order[nearest]


def _pmm_draw(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, observed: np.ndarray, donors: int) -> np.ndarray:
    """Values for the unobserved rows of y by predictive mean matching on a Bayesian draw of the regression.

    Type-1 matching (van Buuren 2018, Flexible Imputation of Missing Data, 2nd ed., section 3.4):
    with beta_hat the (ridge) least-squares fit on the observed cases and beta* = beta_hat + sigma* L z a draw from
    its posterior (sigma*^2 = RSS / chi^2 on n_obs - p df, L L' = (X'X)^-1, z standard normal), the
    observed cases' predicted means are yhat_j = x_j' beta_hat and the missing cases' yhat_i = x_i' beta*; for each
    missing case i the k = `donors` observed cases j with the smallest |yhat_i - yhat_j| form its donor pool, and
    i takes the observed y_j of one of them drawn uniformly. Up to PMM_MATRIX_MAX cells the pools come from the full
    |missing| x |observed| matrix of distances (argpartition); above it from a sorted search (_nearest_donors, same
    pools up to ties, O(n log n)). The uniform draw is the same call in both."""
    # Columns constant among the observed cases carry no information here (an indicator that is 1 for everyone the
    # variable applies to): the intercept stands for them.
    varying = np.r_[True, x[observed][:, 1:].std(axis=0) > 0]
    x = x[:, varying]
    xo, yo = x[observed], y[observed]
    xtx = xo.T @ xo
    xtx += 1e-5 * np.diag(np.diag(xtx))  # mice's ridge (van Buuren 2018, 3.4): keeps near-collinear columns stable
    beta_hat = np.linalg.solve(xtx, xo.T @ yo)
    residual = yo - xo @ beta_hat
    dof = max(len(yo) - x.shape[1], 1)
    sigma2 = float(residual @ residual) / rng.chisquare(dof)
    inverse = np.linalg.inv(xtx)
    root = np.linalg.cholesky((inverse + inverse.T) / 2)
    beta = beta_hat + np.sqrt(sigma2) * root @ rng.standard_normal(x.shape[1])
    predicted_observed = xo @ beta_hat  # type-1 matching: observed cases at beta_hat, missing ones at the draw
    predicted_missing = x[~observed] @ beta
    k = min(donors, len(yo))
    if len(predicted_missing) * len(predicted_observed) <= PMM_MATRIX_MAX:
        distance = np.abs(predicted_missing[:, None] - predicted_observed[None, :])
        nearest = np.argpartition(distance, k - 1, axis=1)[:, :k]
    else:
        nearest = _nearest_donors(predicted_missing, predicted_observed, k)
    chosen = nearest[np.arange(len(nearest)), rng.integers(0, k, len(nearest))]
    return yo[chosen]


def impute(df: pd.DataFrame, imputations: int, iterations: int, donors: int, seed: int) -> list[pd.DataFrame]:
    """`imputations` completed copies of df (the score inputs filled where they apply and are missing). With
    nothing missing every copy equals df. Deterministic for a seed."""
    work = _numeric(df)
    applies = {
        name: (np.ones(len(df), bool) if rule is None else rule(df).to_numpy(bool)) for name, rule in APPLIES_TO.items()
    }
    missing = {name: applies[name] & work[name].isna().to_numpy() for name in APPLIES_TO}
    # A variable never observed where it applies (a centre that does not record it) cannot be imputed: it stays
    # missing, and so do the scores that need it. So does one observed too rarely to regress on (fewer than 2).
    observed_count = {name: int((applies[name] & ~missing[name]).sum()) for name in APPLIES_TO}
    incomplete = [name for name in APPLIES_TO if missing[name].any() and observed_count[name] >= 2]
    for name in APPLIES_TO:
        if name not in incomplete:
            missing[name] = np.zeros(len(df), bool)  # nothing to fill (or nothing to fill it from)
            work[name] = work[name].where(applies[name] & work[name].notna(), 0.0)
    outcome = _outcome(df)
    # The chained equations work on plain arrays (one per variable), not on the DataFrame: a pandas where/fillna per
    # predictor per step cost seconds over the imputations; the arithmetic is the same, element for element.
    start = {name: work[name].to_numpy(float) for name in APPLIES_TO}
    applies_float = {c: applies[c].astype(float) for c in APPLIES_TO if not applies[c].all()}
    completed = []
    for m in range(imputations):
        rng = np.random.default_rng([seed, m])
        state = {name: values.copy() for name, values in start.items()}
        for name in incomplete:  # start from random observed values (van Buuren 2018, 4.5.2)
            pool = state[name][applies[name] & ~missing[name]]
            state[name][missing[name]] = rng.choice(pool, int(missing[name].sum()))
        for _ in range(iterations if incomplete else 0):
            for name in incomplete:
                rows = applies[name]
                others = [c for c in APPLIES_TO if c != name]
                # A predictor that does not apply to a patient enters as 0 with an indicator of applying (and a
                # missing one that is not imputed as 0 too).
                predictors = [np.where(applies[c] & ~np.isnan(state[c]), state[c], 0.0) for c in others]
                predictors += [applies_float[c] for c in others if c in applies_float]
                x = np.column_stack([np.ones(len(df)), *predictors, outcome])[rows]
                y = state[name][rows]
                observed = ~missing[name][rows]
                drawn = _pmm_draw(rng, x, y, observed, donors)
                values = state[name].copy()
                target = np.flatnonzero(rows)[~observed]
                values[target] = drawn
                state[name] = values
        completed.append(_back(df, pd.DataFrame(state, index=work.index), missing))
    return completed


def _back(df: pd.DataFrame, state: pd.DataFrame, missing: dict[str, np.ndarray]) -> pd.DataFrame:
    """df with its missing inputs replaced by the imputed values, in df's own types and units."""
    out = df.copy()
    for name, rows in missing.items():
        if not rows.any():
            continue
        value = state.loc[rows, name]
        if name in LABORATORY:
            out.loc[rows, name] = np.exp(value)
        elif name == "ecog":
            out[name] = out[name].astype("Int64")
            out.loc[rows, name] = value.round().astype(int).to_numpy()
        elif name == "visceral_spread":
            decode = {v: k for k, v in SPREAD_CODES.items()}
            out.loc[rows, name] = value.map(decode).to_numpy()
        else:
            out[name] = out[name].astype("boolean")
            out.loc[rows, name] = (value > 0.5).to_numpy()
    return out


def rubin(estimates: np.ndarray, variances: np.ndarray) -> tuple[float, float, float]:
    """Rubin's rules: the pooled estimate, its total variance W + (1 + 1/m) B, and the degrees of freedom of
    Barnard and Rubin's (1999) large-sample form (Rubin 1987: (m - 1) (1 + W / ((1 + 1/m) B))^2)."""
    m = len(estimates)
    q = float(np.mean(estimates))
    within = float(np.mean(variances))
    between = float(np.var(estimates, ddof=1)) if m > 1 else 0.0
    total = within + (1 + 1 / m) * between
    dof = float("inf") if between == 0 else (m - 1) * (1 + within / ((1 + 1 / m) * between)) ** 2
    return q, total, dof
