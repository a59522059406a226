"""The prognostic-score comparison (issue 17): groups by score, survival against the published survival, the
recommendation within each score's groups, and the sentences that say which score, if any, separates the patients in
whom osteosynthesis fails. Cohorts are made here by hand and by a seeded generator of this file, with a planted
effect or none, not by the synthetic twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import claims
from analysis.score_comparison import (
    calibration,
    group_order,
    recommendation_by_score,
    with_score_groups,
)
from common.study import DAYS_PER_MONTH, DEATH, REVISION

HORIZONS = {"6m": 6, "1y": 12}


def test_groups_are_labelled_worst_first_and_missing_scores_stay_ungrouped():
    assert group_order("katagiri_new") == ("7-10", "4-6", "0-3")
    assert group_order("modified_bauer") == ("0-1", "2", "3-4")
    df = pd.DataFrame({"patient_id": ["a", "b", "c", "d"]})
    scores = pd.DataFrame(
        {
            "patient_id": ["d", "c", "b", "a"],  # another order: matched by id, not by row
            "modified_bauer": pd.array([4, 2, 0, 1], dtype="Int64"),
            "bauer": pd.array([5, None, 3, 1], dtype="Int64"),
            "katagiri_new": pd.array([0, 7, None, 4], dtype="Int64"),
        }
    )
    out = with_score_groups(df, scores)
    assert out["modified_bauer_group"].tolist() == ["0-1", "0-1", "2", "3-4"]
    assert out["bauer_group"].tolist() == ["0-1", "2-3", None, "4-5"]
    assert out["katagiri_new_group"].tolist() == ["4-6", None, "7-10", "0-3"]


def cohort(n: int, seed: int, planted: bool) -> pd.DataFrame:
    """Two arms in three groups of each score (the same group for every score, to keep the truth simple). With
    `planted`, osteosynthesis is revised often only in the best group (the recommendation's premise); without it,
    revisions do not depend on arm or group."""
    rng = np.random.default_rng(seed)
    level = rng.integers(0, 3, size=n)  # 0 worst, 2 best
    osteo = rng.random(n) < 0.5
    rate = np.full(n, 0.15)
    if planted:
        rate = np.where(osteo & (level == 2), 0.7, 0.05)
    revised = rng.random(n) < rate
    died = ~revised & (rng.random(n) < 0.5)
    days = np.where(revised, rng.uniform(30, 700, n), rng.uniform(60, 1500, n)).round()
    event = np.select([revised, died], [REVISION, DEATH], 0)
    out = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "time_days": days,
            "months": days / DAYS_PER_MONTH,
            "event": event,
            "survival_days": days + np.where(revised, 200, 0),
            "died": died | (revised & (rng.random(n) < 0.3)),
            "fixation": np.where(osteo, "osteosynthesis", "endoprosthesis"),
        }
    )
    for name in ("modified_bauer", "bauer", "katagiri_new"):
        out[f"{name}_group"] = [group_order(name)[i] for i in level]
    return out


@pytest.mark.parametrize("planted", [True, False])
def test_the_choice_of_score_follows_the_interaction(planted):
    df = cohort(600, seed=5, planted=planted)
    _, tests, interaction = recommendation_by_score(df, HORIZONS, 0.95)
    assert set(tests["score"]) == {"modified_bauer", "bauer", "katagiri_new"}
    assert len(tests) == 9  # three groups per score
    rows = claims.score_claims(interaction, discrimination_table(), 0.95)
    choice = next(r for r in rows if r["claim"] == "score_choice")
    per_score = [r for r in rows if r["claim"].startswith("score_interaction_")]
    if planted:
        # Osteosynthesis fails in the best group only: its effect grows with better prognosis under every score.
        assert all(r["verdict"] == "supported" and r["estimate"] > 1 for r in per_score), per_score
        assert choice["verdict"] == "supported" and choice["sentence"].startswith("Only the")
        assert "grew steadily with better prognosis" in per_score[0]["sentence"]
    else:
        assert choice["verdict"] == "no_evidence" and choice["sentence"].startswith("None of the scores")
        assert all("no evidence" in r["sentence"] for r in per_score if r["verdict"] == "no_evidence")


def discrimination_table(katagiri=(0.76, 0.73, 0.78), bauer=(0.63, 0.59, 0.67)) -> pd.DataFrame:
    rows = [
        ("katagiri_new", *katagiri),
        ("modified_bauer", *bauer),
        ("bauer", *bauer),
    ]
    return pd.DataFrame(
        [
            {"score": s, "outcome": "overall_survival", "c_index": c, "ci_low": lo, "ci_high": hi, "n": 100}
            for s, c, lo, hi in rows
        ]
    )


def test_discrimination_claim_tests_the_difference_of_the_two_best():
    """Best 0.76 (0.73-0.78) against 0.63 (0.59-0.67): standard errors 0.05 / 2z and 0.08 / 2z, the difference 0.13
    with the root of their summed squares, p from the normal tail (math.erfc here, not the project's code)."""
    import math

    z = 1.959963984540054
    apart = claims.score_discrimination_claim(discrimination_table(), 0.95)
    se = math.hypot(0.05 / (2 * z), 0.08 / (2 * z))
    assert apart["estimate"] == pytest.approx(0.13)
    assert apart["ci_low"] == pytest.approx(0.13 - z * se) and apart["ci_high"] == pytest.approx(0.13 + z * se)
    assert apart["p_value"] == pytest.approx(math.erfc(0.13 / se / math.sqrt(2)), rel=1e-9)
    assert apart["verdict"] == "supported" and apart["sentence"].startswith("The new Katagiri score discriminated")
    close = claims.score_discrimination_claim(discrimination_table(katagiri=(0.66, 0.60, 0.72)), 0.95)
    assert close["p_value"] > 0.05 and close["verdict"] == "no_evidence"
    assert close["sentence"].startswith("There was no evidence") and "не выявлено" in close["sentence_ru"]


def test_calibration_reads_the_published_survival_at_one_year_only():
    df = cohort(300, seed=9, planted=False)
    table = calibration(df, HORIZONS, 0.95)
    katagiri = table[(table["score"] == "katagiri_new") & (table["horizon"] == "1y")].set_index("group")
    assert katagiri.loc["0-3", "published"] == pytest.approx(0.91)
    assert katagiri.loc["7-10", "published"] == pytest.approx(0.06)
    assert table.loc[table["horizon"] == "6m", "published"].isna().all()
    assert table.loc[table["score"] != "katagiri_new", "published"].isna().all()
    # Observed survival by hand for one group: Kaplan-Meier at 365.25 days, written out here.
    members = df[df["katagiri_new_group"] == "4-6"]
    days, died = members["survival_days"].to_numpy(), members["died"].to_numpy(bool)
    s = 1.0
    for t in np.unique(days[died & (days <= 12 * DAYS_PER_MONTH)]):
        s *= 1 - (died & (days == t)).sum() / (days >= t).sum()
    assert katagiri.loc["4-6", "observed"] == pytest.approx(s, abs=1e-12)
    assert katagiri.loc["4-6", "n"] == len(members)


def test_a_score_no_patient_has_is_reported_not_testable(tmp_path):
    """A centre whose exports lack the laboratory (the new Katagiri score's inputs): every step still answers, with
    n = 0, not testable and not estimable, and the figures draw."""
    import matplotlib

    matplotlib.use("Agg")
    from analysis import figures, risk

    df = cohort(200, seed=3, planted=False)
    df["katagiri_new_group"] = None
    df["died"] = df["died"].astype(bool)
    table = calibration(df, HORIZONS, 0.95)
    katagiri = table[table["score"] == "katagiri_new"]
    assert (katagiri["n"] == 0).all() and katagiri["observed"].isna().all()
    cif, tests, interaction = recommendation_by_score(df, HORIZONS, 0.95)
    assert tests.loc[tests["score"] == "katagiri_new", "p_value"].isna().all()
    assert not interaction.loc[interaction["score"] == "katagiri_new", "estimable"].any()
    assert set(cif["score"]) == {"modified_bauer", "bauer"}
    rows = claims.score_claims(interaction, discrimination_table(), 0.95)
    assert next(r for r in rows if r["claim"] == "score_interaction_katagiri_new")["sentence"].endswith(
        "not estimable."
    )
    curves = {
        name: risk.overall_survival(
            df[df[f"{name}_group"].notna()], 0.05, df.loc[df[f"{name}_group"].notna(), f"{name}_group"]
        )[0]
        for name in ("modified_bauer", "bauer")
    }
    curves["katagiri_new"] = pd.DataFrame(columns=["group", "months", "survival", "lower", "upper"])
    groups = {name: group_order(name) for name in curves}
    fig = figures.survival_by_score(curves, df, groups, {}, 60)
    assert any("no patient has this score" in t.get_text() for t in fig.axes[2].texts)
