"""Bootstrap confidence intervals for the key estimates: the cumulative incidence of revision at the configured
horizons (config bootstrap.horizons, labels of analysis.horizons_months) and the coefficients of the reported
multivariable Fine-Gray model (the covariates analysis.factors.multivariable_covariates chooses, fitted on the
patients analysis.factors.model_data keeps).

Resample i draws patients with replacement using a generator seeded by (seed, i) alone, so a resample is the same
whichever shard computes it: any number of shards gives the same result (Efron & Tibshirani 1993, percentile
intervals).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from common.study import DAYS_PER_MONTH, REVISION
from competing_risks import aalen_johansen, fine_gray

from .data import covariate_frame


def shard_indices(resamples: int, shards: int, shard: int) -> range:
    """The resamples shard `shard` (0-based) of `shards` computes: contiguous, every index exactly once."""
    size, extra = divmod(resamples, shards)
    start = shard * size + min(shard, extra)
    return range(start, start + size + (1 if shard < extra else 0))


class Resampler:
    """The analysis table as arrays, made once per shard: each resample then draws rows by index alone (the
    covariates are per-patient values, so computing them once and drawing rows gives what computing them on each
    resample would)."""

    def __init__(self, df: pd.DataFrame, covariates: list[str], horizons: dict[str, float]):
        self.n = len(df)
        self.covariates = covariates
        self.horizons = horizons
        self.days = [m * DAYS_PER_MONTH for m in horizons.values()]
        self.time = df["time_days"].to_numpy(float)
        self.event = df["event"].to_numpy(int)
        from .factors import model_data  # here: gathering the shards needs neither it nor lifelines behind it

        self.in_model = df.index.isin(model_data(df, covariates).index)
        self.design = covariate_frame(df, covariates).to_numpy(float)

    def __call__(self, seed: int, index: int) -> dict:
        """Resample `index`: the cumulative incidence of revision at each horizon (label -> months) and the
        Fine-Gray coefficients of the covariates, on patients drawn with replacement with the generator seeded by
        (seed, index)."""
        rng = np.random.default_rng([seed, index])
        drawn = rng.integers(0, self.n, self.n)
        row: dict = {"resample": index}
        cif = aalen_johansen(self.time[drawn], self.event[drawn], cause=REVISION, times=self.days)
        row.update({f"cif_{label}": value for label, value in zip(self.horizons, cif["estimate"], strict=True)})
        fitted = drawn[self.in_model[drawn]]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit = fine_gray(
                    self.time[fitted],
                    self.event[fitted],
                    pd.DataFrame(self.design[fitted], columns=self.covariates),
                    cause=REVISION,
                )
            row.update({f"fg_{name}": value for name, value in fit.coef.items()})
        except ValueError:  # a resample without enough revisions or with a constant covariate: recorded as missing
            row.update({f"fg_{name}": np.nan for name in self.covariates})
        return row


def one_resample(df: pd.DataFrame, covariates: list[str], horizons: dict[str, float], seed: int, index: int) -> dict:
    """Resample `index` of the table `df` (see Resampler)."""
    return Resampler(df, covariates, horizons)(seed, index)


def run_shard(
    df: pd.DataFrame, covariates: list[str], horizons: dict[str, float], seed: int, indices: range
) -> pd.DataFrame:
    """The resamples `indices`, one row each."""
    resample = Resampler(df, covariates, horizons)
    return pd.DataFrame([resample(seed, i) for i in indices])


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
