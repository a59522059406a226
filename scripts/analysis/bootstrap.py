"""Bootstrap confidence intervals for the key estimates: the cumulative incidence of revision at 1, 2 and 5 years and
the multivariable Fine-Gray coefficients.

Resample i draws patients with replacement using a generator seeded by (seed, i) alone, so a resample is the same
whichever shard computes it: any number of shards gives the same result (Efron & Tibshirani 1993, percentile
intervals).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from competing_risks import aalen_johansen, fine_gray

from .data import DAYS_PER_MONTH, REVISION, covariate_frame

HORIZONS = {"1y": 12, "2y": 24, "5y": 60}


def shard_indices(resamples: int, shards: int, shard: int) -> range:
    """The resamples shard `shard` (0-based) of `shards` computes: contiguous, every index exactly once."""
    size, extra = divmod(resamples, shards)
    start = shard * size + min(shard, extra)
    return range(start, start + size + (1 if shard < extra else 0))


def one_resample(df: pd.DataFrame, covariates: list[str], seed: int, index: int) -> dict:
    rng = np.random.default_rng([seed, index])
    sample = df.iloc[rng.integers(0, len(df), len(df))]
    time, event = sample["time_days"].to_numpy(float), sample["event"].to_numpy(int)
    row = {"resample": index}
    cif = aalen_johansen(time, event, cause=REVISION, times=[m * DAYS_PER_MONTH for m in HORIZONS.values()])
    row.update({f"cif_{label}": value for label, value in zip(HORIZONS, cif["estimate"], strict=True)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fine_gray(time, event, covariate_frame(sample, covariates), cause=REVISION)
        row.update({f"fg_{name}": value for name, value in fit.coef.items()})
    except ValueError:  # a resample without enough revisions or with a constant covariate: recorded as missing
        row.update({f"fg_{name}": np.nan for name in covariates})
    return row


def run_shard(df: pd.DataFrame, covariates: list[str], seed: int, indices: range) -> pd.DataFrame:
    return pd.DataFrame([one_resample(df, covariates, seed, i) for i in indices])


def intervals(replicates: pd.DataFrame, level: float) -> pd.DataFrame:
    """Percentile intervals of every estimate over the replicates (missing replicates counted and left out)."""
    alpha = 1 - level
    rows = []
    for column in [c for c in replicates.columns if c != "resample"]:
        values = replicates[column].dropna().to_numpy(float)
        rows.append(
            {
                "estimate": column,
                "replicates": int(len(values)),
                "failed": int(replicates[column].isna().sum()),
                "lower": float(np.quantile(values, alpha / 2)) if len(values) else np.nan,
                "upper": float(np.quantile(values, 1 - alpha / 2)) if len(values) else np.nan,
            }
        )
    return pd.DataFrame(rows)
