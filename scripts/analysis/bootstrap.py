"""Bootstrap confidence intervals for the key estimates: the cumulative incidence of revision at the configured
horizons (config bootstrap.horizons, labels of analysis.horizons_months) and the coefficients of the reported
multivariable Fine-Gray model (the covariates analysis.selection.multivariable_covariates chooses, fitted on the
patients analysis.selection.model_data keeps).

Resample i draws patients with replacement using a generator seeded by (seed, i) alone, so a resample is the same
whichever shard computes it: any number of shards gives the same result (Efron & Tibshirani 1993, percentile
intervals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from common.study import DAYS_PER_MONTH, REVISION

if TYPE_CHECKING:
    import pandas as pd


def shard_indices(resamples: int, shards: int, shard: int) -> range:
    """The resamples shard `shard` (0-based) of `shards` computes: contiguous, every index exactly once."""
    size, extra = divmod(resamples, shards)
    start = shard * size + min(shard, extra)
    return range(start, start + size + (1 if shard < extra else 0))


class Resampler:
    """The analysis table as arrays, made and checked once per shard: each resample then draws rows by index alone
    (the covariates are per-patient values, so computing them once and drawing rows gives what computing them on
    each resample would) and refits with the estimators' array cores (competing_risks.cif.cumulative_incidence_at,
    competing_risks.fine_gray.fine_gray_coefficients): the arithmetic of aalen_johansen and fine_gray, so the same
    numbers bit for bit, without re-checking the inputs, building DataFrames or computing variances per
    resample."""

    def __init__(self, df: pd.DataFrame, covariates: list[str], horizons: dict[str, float]):
        # Imported here: gathering the shards needs none of them.
        from competing_risks._inputs import check_time, check_time_event
        from competing_risks._tables import record_kinds
        from competing_risks.fine_gray import _design_matrix

        from .data import covariate_frame
        from .selection import model_data

        self.n = len(df)
        self.covariates = covariates
        self.horizons = horizons
        self.days = check_time([m * DAYS_PER_MONTH for m in horizons.values()], name="times")
        self.time, event = check_time_event(df["time_days"].to_numpy(float), df["event"].to_numpy(int))
        self.kinds = record_kinds(event, REVISION)
        self.in_model = df.index.isin(model_data(df, covariates).index)
        self.design, _ = _design_matrix(covariate_frame(df, covariates).to_numpy(float))

    def __call__(self, seed: int, index: int) -> dict:
        """Resample `index`: the cumulative incidence of revision at each horizon (label -> months) and the
        Fine-Gray coefficients of the covariates, on patients drawn with replacement with the generator seeded by
        (seed, index)."""
        from competing_risks.cif import cumulative_incidence_at
        from competing_risks.fine_gray import fine_gray_coefficients

        rng = np.random.default_rng([seed, index])
        drawn = rng.integers(0, self.n, self.n)
        row: dict = {"resample": index}
        cif = cumulative_incidence_at(self.time[drawn], self.kinds[drawn], self.days)
        row.update({f"cif_{label}": value for label, value in zip(self.horizons, cif, strict=True)})
        fitted = drawn[self.in_model[drawn]]
        try:
            coef = fine_gray_coefficients(self.time[fitted], self.kinds[fitted], self.design[fitted], self.covariates)
            row.update({f"fg_{name}": value for name, value in zip(self.covariates, coef, strict=True)})
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
    import pandas as pd  # here: gathering the shards (gather_tables) runs without pandas

    resample = Resampler(df, covariates, horizons)
    return pd.DataFrame([resample(seed, i) for i in indices])


def intervals(replicates: pd.DataFrame, level: float) -> pd.DataFrame:
    """Percentile intervals of every estimate over the replicates (missing replicates counted and left out)."""
    import pandas as pd

    columns = [c for c in replicates.columns if c != "resample"]
    return pd.DataFrame(_interval_rows({c: replicates[c].to_numpy(float) for c in columns}, level))


def _interval_rows(estimates: dict[str, np.ndarray], level: float) -> list[dict]:
    alpha = 1 - level
    rows = []
    for column, replicates in estimates.items():
        values = replicates[~np.isnan(replicates)]
        rows.append(
            {
                "estimate": column,
                "replicates": int(len(values)),
                "failed": int(len(replicates) - len(values)),
                "lower": float(np.quantile(values, alpha / 2)) if len(values) else np.nan,
                "upper": float(np.quantile(values, 1 - alpha / 2)) if len(values) else np.nan,
            }
        )
    return rows


def gather_tables(shards: list[str], resamples: int, level: float) -> tuple[str, str]:
    """The gathered replicates (every shard's rows, in the order of their index) and the percentile intervals
    (``intervals``), as the text of the two TSV files: what reading the shards with pandas, concatenating and
    writing with ``analysis.output.write_tsv`` gives, byte for byte (tests/test_cluster.py), without importing
    pandas (most of the rule's CPU). The shards were written by write_tsv, so their rows are already in its
    format (%.10g, an empty field for a missing value), which reading and rewriting reproduces: the rows are
    kept as text and only reordered. Raises ValueError unless the shards hold resamples 0 .. resamples - 1 once
    each under the same header."""
    header, rows = None, []
    for text in shards:
        lines = text.splitlines()
        if header is not None and lines[0] != header:
            raise ValueError(f"the shards' columns differ: {lines[0]!r} and {header!r}")
        header = lines[0]
        rows += [line.split("\t") for line in lines[1:]]
    rows.sort(key=lambda fields: int(fields[0]))
    held = [int(fields[0]) for fields in rows]
    if header is None or header.split("\t")[0] != "resample" or held != list(range(resamples)):
        raise ValueError(f"the shards hold resamples {held[:5]}..., not 0..{resamples - 1}")
    names = header.split("\t")
    estimates = {
        name: np.array([float(fields[j]) if fields[j] else np.nan for fields in rows])
        for j, name in enumerate(names)
        if name != "resample"
    }
    replicates = "".join(line + "\n" for line in [header, *("\t".join(fields) for fields in rows)])
    table = [["estimate", "replicates", "failed", "lower", "upper"]]
    for row in _interval_rows(estimates, level):
        table.append(
            [row["estimate"], str(row["replicates"]), str(row["failed"]), _field(row["lower"]), _field(row["upper"])]
        )
    return replicates, "".join("\t".join(fields) + "\n" for fields in table)


def _field(value: float) -> str:
    """A float as write_tsv writes it (float_format %.10g, a missing value as an empty field)."""
    return "" if np.isnan(value) else "%.10g" % value  # noqa: UP031 - the operator pandas applies float_format with
