"""The manuscript's comparative sentences follow the data: a small synthetic analysis table with a clear effect of
the operation, the same table with the effect reversed (the operations' labels swapped) and with no effect (every
osteosynthesis patient copied as an endoprosthesis patient), each through the analysis to claims.tsv's rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis import claims, data, factors, recommendation
from common.study import DEATH, REVISION

HORIZONS = {"6m": 6, "1y": 12, "2y": 24}
LEVEL = 0.95
# Prognostic group by the modified Bauer score's items: (primary, visceral metastases, solitary bone metastasis).
GROUPS = {"3-4": ("breast", False, True), "2": ("kidney", True, False), "0-1": ("lung", True, False)}


def arm(method: str, group: str, revisions: int, deaths: int, censored: int, start: int) -> list[dict]:
    primary, visceral, solitary = GROUPS[group]
    rows = []
    for i in range(revisions + deaths + censored):
        event = REVISION if i < revisions else DEATH if i < revisions + deaths else 0
        rows.append(
            {
                "operation_method": method,
                "primary_group": primary,
                "visceral_metastases": visceral,
                "solitary_bone_metastasis": solitary,
                "time_days": float((start + 31 * i + 3 * (event == DEATH)) % 900 + 5),
                "event": event,
            }
        )
    return rows


def analysis_table(rows: list[dict]) -> pd.DataFrame:
    """A de-identified-style analysis table (the columns the analysis reads), with its derived variables."""
    base = {
        "age_at_surgery": 60,
        "sex": "female",
        "primary_icd10": "C50",
        "bone": "femur",
        "segment": "proximal",
        "pathological_fracture": True,
        "bone_metastases_count": 3,
        "ecog": 1,
        "chemotherapy_before_surgery": False,
        "lesion_size_cm": 4.0,
        "year_of_surgery": 2010,
    }
    out = []
    for i, r in enumerate(rows):
        row = {"patient_id": f"P{i:016x}", **base, **r}
        row["survival_days"] = row["time_days"] + (0 if row["event"] == DEATH else 30 * (row["event"] == REVISION))
        row["died"] = row["event"] == DEATH
        row["revision_cause"] = "postoperative_infection" if row["event"] == REVISION else ""
        out.append(row)
    return data.with_derived(pd.DataFrame(out))


@pytest.fixture(scope="module")
def effect() -> pd.DataFrame:
    """Osteosynthesis followed by many more revisions than endoprosthesis in every prognostic group."""
    rows = []
    for k, group in enumerate(GROUPS):
        rows += arm("intramedullary_osteosynthesis", group, revisions=14, deaths=10, censored=6, start=11 * k)
        rows += arm("endoprosthesis", group, revisions=1, deaths=17, censored=12, start=5 + 11 * k)
    return analysis_table(rows)


def reversed_effect(df: pd.DataFrame) -> pd.DataFrame:
    """The same patients with the operations swapped: endoprosthesis now has the revisions."""
    swap = {"intramedullary_osteosynthesis": "endoprosthesis", "endoprosthesis": "intramedullary_osteosynthesis"}
    return data.with_derived(df.assign(operation_method=df["operation_method"].map(swap)))


def no_effect(df: pd.DataFrame) -> pd.DataFrame:
    """Only the osteosynthesis patients, each present twice: once as osteosynthesis, once as endoprosthesis."""
    osteo = df[df["operation_method"] == "intramedullary_osteosynthesis"]
    twin = osteo.assign(operation_method="endoprosthesis")
    both = pd.concat([osteo, twin], ignore_index=True)
    both["patient_id"] = [f"Q{i:016x}" for i in range(len(both))]
    return data.with_derived(both)


def claim_table(df: pd.DataFrame) -> pd.DataFrame:
    alpha = 1 - LEVEL
    gray = pd.DataFrame(
        [
            factors.gray(df, data.factor(df, f, ["breast", "kidney"]), f)
            for f in ("operation_method", "prognostic_group")
        ]
    )
    models, _, _ = factors.models(df, ["osteosynthesis", "kidney_primary"], ["osteosynthesis"], 10, alpha)
    table, tests = recommendation.fixation_within_prognostic_groups(df, HORIZONS, LEVEL)
    interaction = recommendation.interactions(df, LEVEL)
    return claims.build(gray, models, table, tests, interaction, "2y", HORIZONS, LEVEL).set_index("claim")


def sentence(table: pd.DataFrame, name: str) -> str:
    return table.loc[name, "sentence"]


def assert_verdicts_agree(table: pd.DataFrame) -> None:
    """supported if and only if p < alpha and the interval (where there is one) excludes the null."""
    for name, r in table.iterrows():
        null = 0.0 if name.startswith("recommendation_") and name != "recommendation_summary" else 1.0
        p = r["p_value"]
        ok = not (isinstance(p, float) and math.isnan(p)) and p < 1 - LEVEL
        if not (math.isnan(r["ci_low"]) or math.isnan(r["ci_high"])):
            ok = ok and not (r["ci_low"] <= null <= r["ci_high"])
        assert r["verdict"] == ("supported" if ok else "no_evidence"), (name, r.to_dict())


def test_an_effect_is_stated_with_its_direction(effect):
    table = claim_table(effect)
    assert_verdicts_agree(table)
    for group in GROUPS:
        assert table.loc[f"recommendation_{group}", "verdict"] == "supported"
        assert "osteosynthesis was followed by more revisions than endoprosthesis" in sentence(
            table, f"recommendation_{group}"
        )
        assert table.loc[f"recommendation_{group}", "estimate"] > 0
    assert sentence(table, "hr_fine_gray_osteosynthesis").startswith(
        "Osteosynthesis (against endoprosthesis) was associated with a higher subdistribution hazard of revision"
    )
    assert sentence(table, "gray_operation_method").startswith("The cumulative incidence of revision differed by")
    # the same effect in every group: no evidence that prognosis changes it, so no recommendation of scores
    assert table.loc["interaction_fine_gray", "verdict"] == "no_evidence"
    assert table.loc["interaction_by_group_cause_specific", "verdict"] == "no_evidence"
    assert sentence(table, "conclusion_prognostic_scores").startswith("These data do not show")


def test_the_reversed_effect_gives_the_reversed_sentences(effect):
    table = claim_table(reversed_effect(effect))
    assert_verdicts_agree(table)
    for group in GROUPS:
        text = sentence(table, f"recommendation_{group}")
        assert "osteosynthesis was followed by fewer revisions than endoprosthesis" in text, text
        assert table.loc[f"recommendation_{group}", "estimate"] < 0
    assert sentence(table, "hr_fine_gray_osteosynthesis").startswith(
        "Osteosynthesis (against endoprosthesis) was associated with a lower subdistribution hazard of revision"
    )
    assert sentence(table, "hr_cause_specific_osteosynthesis").startswith(
        "Osteosynthesis (against endoprosthesis) was associated with a lower cause-specific hazard of revision"
    )
    assert sentence(table, "recommendation_summary").startswith(
        "In this cohort, osteosynthesis was followed by fewer revisions than endoprosthesis in modified Bauer groups "
        "0-1, 2 and 3-4; after Holm's correction"
    )


def test_no_effect_gives_no_evidence_of_a_difference(effect):
    table = claim_table(no_effect(effect))
    assert_verdicts_agree(table)
    for group in GROUPS:
        assert table.loc[f"recommendation_{group}", "verdict"] == "no_evidence"
        assert "there was no evidence of a difference between osteosynthesis and endoprosthesis" in sentence(
            table, f"recommendation_{group}"
        )
        assert table.loc[f"recommendation_{group}", "estimate"] == pytest.approx(0, abs=1e-12)
    for kind in ("fine_gray", "cause_specific"):
        assert sentence(table, f"hr_{kind}_osteosynthesis").startswith("There was no evidence of a difference")
        assert table.loc[f"hr_{kind}_osteosynthesis", "estimate"] == pytest.approx(1, abs=1e-6)
    assert sentence(table, "gray_operation_method").startswith("There was no evidence that")
    assert sentence(table, "conclusion_prognostic_scores").startswith(
        "These data do not show that prognostic scores should guide the choice of operation"
    )
    assert "do not support the recommendation" in sentence(table, "recommendation_summary")


def test_an_arm_without_revisions_is_not_estimable(effect):
    """Endoprosthesis in group 0-1 loses its one revision: its interval is not estimable (no 0-0 interval), the
    exact interval of the proportion revised is offered instead."""
    df = effect.copy()
    one = df.index[(df["prognostic_group"] == "0-1") & (df["fixation"] == "endoprosthesis") & df["revised"]]
    df.loc[one, ["event", "revision_cause"]] = [0, ""]
    df = data.with_derived(df)
    table, tests = recommendation.fixation_within_prognostic_groups(df, HORIZONS, LEVEL)
    zero = table[(table["prognostic_group"] == "0-1") & (table["fixation"] == "endoprosthesis")]
    assert (zero["revisions"] == 0).all() and zero["lower"].isna().all() and zero["upper"].isna().all()
    assert (zero["exact_lower"] == 0).all() and (zero["exact_upper"] > 0).all()
    assert zero["interval"].str.startswith("not estimable").all()
    text = sentence(claim_table(df), "recommendation_0-1")
    assert "not estimable with an interval (no revision; exact 95 % interval" in text
