"""Which covariates and patients the multivariable model takes (config analysis.multivariable): the exposure and
the a-priori confounders, as many as the events allow. Kept apart from analysis.factors, which fits the models, so
that the bootstrap can choose the same model without importing lifelines."""

from __future__ import annotations

import pandas as pd

from common.study import REVISION


def events_per_variable(events: int, covariates: int) -> float:
    return events / covariates if covariates else float("inf")


def apriori_covariates(multivariable: dict | list[str]) -> list[str]:
    """The a-priori model of config analysis.multivariable: the exposure first, then the confounders in the order
    the config ranks them (each with its reason). A plain list (older configs, tests) is taken as it is."""
    if isinstance(multivariable, dict):
        return [multivariable["exposure"]] + [c["covariate"] for c in multivariable.get("confounders", [])]
    return list(multivariable)


def multivariable_selection(
    events: int, multivariable: dict | list[str], min_epv: float
) -> tuple[list[str], list[str]]:
    """The covariates of the multivariable model and those left out: the exposure and the a-priori confounders in
    the config's ranking (analysis.multivariable, each with its reason), as many as `events` allow at `min_epv`
    events per variable (Peduzzi et al. 1996), but at least the exposure."""
    ranked = apriori_covariates(multivariable)
    allowed = max(1, int(events // min_epv))
    return ranked[:allowed], ranked[allowed:]


def model_data(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The patients a model is fitted on: a model with the osteosynthesis contrast leaves out the "other"
    operations (neither osteosynthesis nor endoprosthesis), so that its reference is the endoprosthesis alone."""
    if "osteosynthesis" in names:
        return df[df["fixation"] != "other"]
    return df


def multivariable_covariates(df: pd.DataFrame, multivariable: dict | list[str], min_epv: float) -> list[str]:
    """The covariates of the reported multivariable model for the analysis table `df`: what `models` fits, chosen
    by the number of revisions among the patients it is fitted on. The bootstrap resamples exactly this model."""
    d = model_data(df, apriori_covariates(multivariable)[:1])
    return multivariable_selection(int((d["event"] == REVISION).sum()), multivariable, min_epv)[0]
