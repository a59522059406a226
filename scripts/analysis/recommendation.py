"""The paper's recommendation, tested: use prognostic scores when choosing the operation.

The argument (Wang, Kharchenko et al.; Leithner 2008): patients expected to live long (modified Bauer 3-4) outlive
an osteosynthesis, which then fails and is revised; they should get an endoprosthesis or resection. If so, the
cumulative incidence of revision after osteosynthesis should exceed that after endoprosthesis most clearly in the
good-prognosis group. Compared here within each prognostic group, with Gray's test.
"""

from __future__ import annotations

import pandas as pd

from common.study import DAYS_PER_MONTH, REVISION

from .data import PROGNOSTIC_GROUPS
from .factors import gray

COMPARED = ("osteosynthesis", "endoprosthesis")


def fixation_within_prognostic_groups(
    df: pd.DataFrame, horizons: dict[str, float]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    from competing_risks import aalen_johansen

    days = [m * DAYS_PER_MONTH for m in horizons.values()]
    rows, tests = [], []
    for group in PROGNOSTIC_GROUPS:
        within = df[(df["prognostic_group"] == group) & df["fixation"].isin(COMPARED)]
        for fixation in COMPARED:
            d = within[within["fixation"] == fixation]
            if len(d) == 0:
                continue
            cif = aalen_johansen(d["time_days"].to_numpy(float), d["event"].to_numpy(int), cause=REVISION, times=days)
            for label, (_, c) in zip(horizons, cif.iterrows(), strict=True):
                rows.append(
                    {
                        "prognostic_group": group,
                        "fixation": fixation,
                        "n": int(len(d)),
                        "revisions": int((d["event"] == REVISION).sum()),
                        "median_survival_months": float(d["survival_days"].median() / DAYS_PER_MONTH),
                        "horizon": label,
                        "cif_revision": c["estimate"],
                        "lower": c["lower"],
                        "upper": c["upper"],
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
    return pd.DataFrame(rows), pd.DataFrame(tests)
