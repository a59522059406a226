"""Soft targets within tolerance, and the calibration table itself well-formed."""

from __future__ import annotations

import pytest

from synthetic_twin import design
from synthetic_twin.calibration import check, cumulative_incidence, load_targets
from synthetic_twin.generate import generate


def test_calibration_table_is_complete():
    targets = load_targets()
    assert list(targets.columns) == ["quantity", "kind", "target", "tolerance", "source"]
    assert targets["quantity"].is_unique
    assert set(targets["kind"]) == {"hard", "soft"}
    assert (targets["source"].str.len() > 10).all()
    assert (targets.loc[targets["kind"] == "hard", "tolerance"] == 0).all()
    assert (targets.loc[targets["kind"] == "soft", "tolerance"] > 0).all()


def test_default_twin_meets_every_target(twin):
    report = check(twin.truth)
    missed = report[~report["within"]]
    assert missed.empty, missed[["quantity", "target", "tolerance", "observed"]].to_string()


@pytest.mark.parametrize("size", [1000, 2470])
def test_scaled_twin_keeps_the_proportions(size):
    report = check(generate(size, seed=20210630).truth)
    hard = report[report["kind"] == "hard"]
    assert hard["within"].all(), hard[~hard["within"]].to_string()
    assert report.loc[report["quantity"] == "median_age_years", "observed"].item() == 62


def test_ten_copies_give_ten_times_the_counts():
    truth = generate(10 * design.PAPER_COHORT_SIZE, seed=7).truth
    assert (truth["event"] == 1).sum() == 330
    assert truth.loc[truth["event"] == 1, "revision_cause"].value_counts().to_dict() == {
        cause: 10 * k for cause, k in design.PAPER_REVISED_BY_CAUSE.items()
    }


def test_cumulative_incidence_by_hand():
    """Five patients: revision at 1, death at 2, revision at 3, censored at 4 and 5.
    S(1-)=1, CIF(1)=1/5; S(2-)=4/5, no revision; S(3-)=4/5*3/4=3/5, CIF(3)=1/5+3/5*1/3=2/5."""
    import numpy as np

    time = np.array([1, 2, 3, 4, 5])
    event = np.array([1, 2, 1, 0, 0])
    assert cumulative_incidence(time, event, 1, 1) == pytest.approx(0.2)
    assert cumulative_incidence(time, event, 1, 2.5) == pytest.approx(0.2)
    assert cumulative_incidence(time, event, 1, 10) == pytest.approx(0.4)
    assert cumulative_incidence(time, event, 2, 10) == pytest.approx(0.2)
