"""Sensitivity analyses of the main results (the supplement): the outcome restricted to implant failure, the femur
only, and deaths within the first days after surgery censored instead of competing.

Each analysis changes the analysis table in one stated way and re-estimates the cumulative incidence of revision at
the horizons and the univariable effect of osteosynthesis (against endoprosthesis) in the cause-specific Cox and
the Fine-Gray model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from common.study import DAYS_PER_MONTH, DEATH, REVISION
from competing_risks import aalen_johansen

from .factors import cause_specific_cox, fine_gray_model


def variants(
    df: pd.DataFrame, excluded_causes: list[str], early_death_days: float
) -> dict[str, tuple[str, pd.DataFrame]]:
    """name -> (what was changed, the changed table)."""
    implant = df.copy()
    other_cause = implant["revised"] & implant["revision_cause"].isin(excluded_causes)
    # A revision for another cause removes the index implant: it competes with implant failure, as death does.
    implant.loc[other_cause, "event"] = DEATH
    implant["revised"] = implant["event"] == REVISION
    censored = df.copy()
    early = (censored["event"] == DEATH) & (censored["time_days"] <= early_death_days)
    censored.loc[early, "event"] = 0
    return {
        "main": ("the main analysis", df),
        "implant_failure_only": (
            f"revisions for {', '.join(c.replace('_', ' ') for c in excluded_causes)} counted as competing events",
            implant,
        ),
        "femur_only": ("patients operated on the femur only", df[df["bone"] == "femur"]),
        "early_deaths_censored": (f"deaths within {early_death_days:g} days censored instead of competing", censored),
    }


def run(
    df: pd.DataFrame, excluded_causes: list[str], early_death_days: float, horizons: dict[str, float], level: float
) -> pd.DataFrame:
    alpha = 1 - level
    rows = []
    for name, (change, d) in variants(df, excluded_causes, early_death_days).items():
        row = {"analysis": name, "change": change, "n": int(len(d)), "revisions": int((d["event"] == REVISION).sum())}
        cif = aalen_johansen(
            d["time_days"].to_numpy(float),
            d["event"].to_numpy(int),
            cause=REVISION,
            times=[m * DAYS_PER_MONTH for m in horizons.values()],
            conf_level=level,
        )
        for label, (_, c) in zip(horizons, cif.iterrows(), strict=True):
            row[f"cif_{label}"], row[f"lower_{label}"], row[f"upper_{label}"] = c["estimate"], c["lower"], c["upper"]
        for kind, fit in (("cs", cause_specific_cox), ("fg", fine_gray_model)):
            try:
                r = fit(d, ["osteosynthesis"], alpha, ph=False)[0].iloc[0]
                row.update(
                    {
                        f"{kind}_hr": r["hr"],
                        f"{kind}_lower": r["lower"],
                        f"{kind}_upper": r["upper"],
                        f"{kind}_p_value": r["p_value"],
                    }
                )
            except Exception:  # noqa: BLE001 - not estimable in this variant
                row.update(
                    {f"{kind}_hr": np.nan, f"{kind}_lower": np.nan, f"{kind}_upper": np.nan, f"{kind}_p_value": np.nan}
                )
        rows.append(row)
    return pd.DataFrame(rows)
