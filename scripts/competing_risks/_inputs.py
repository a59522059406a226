"""Input checks shared by the estimators: one place that says what valid competing-risks data look like.

Conventions (as cmprsk with ``cencode = 0``): ``time`` is a finite, non-negative number per subject; ``event`` is an
integer code per subject, 0 for censored and a positive integer for the cause of failure. Anything else is rejected
with a ValueError that names the argument and the first offending position, so a data problem is found where it is
made instead of becoming a wrong number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

CENSORED = 0


def _as_float_array(values: Any, name: str) -> np.ndarray:
    """A 1-D float64 array; pandas' missing markers (None, pd.NA, NaT) become NaN so the NaN check sees them."""
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"{name} must be one-dimensional, got a DataFrame")
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            array = values.to_numpy(dtype="float64", na_value=np.nan)
        else:
            array = np.asarray(values)
            if array.dtype == object:
                array = pd.Series(array).to_numpy(dtype="float64", na_value=np.nan)
            else:
                array = array.astype("float64", copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _first_position(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def check_time(time: Any, name: str = "time") -> np.ndarray:
    array = _as_float_array(time, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty: no observations")
    if np.isnan(array).any():
        bad = np.isnan(array)
        raise ValueError(
            f"{name} has {int(bad.sum())} missing (NaN) value(s), the first at position "
            f"{_first_position(bad)}; drop or impute them before the analysis"
        )
    if np.isinf(array).any():
        bad = np.isinf(array)
        raise ValueError(f"{name} has {int(bad.sum())} infinite value(s), the first at position {_first_position(bad)}")
    if (array < 0).any():
        bad = array < 0
        raise ValueError(
            f"{name} has {int(bad.sum())} negative value(s), the first {array[bad][0]!r} at position "
            f"{_first_position(bad)}; times are measured from the time origin and cannot be negative"
        )
    return array


def check_event(event: Any, name: str = "event") -> np.ndarray:
    """Integer event codes: 0 = censored, 1, 2, ... = cause of failure."""
    array = _as_float_array(event, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty: no observations")
    if np.isnan(array).any():
        bad = np.isnan(array)
        raise ValueError(
            f"{name} has {int(bad.sum())} missing (NaN) value(s), the first at position "
            f"{_first_position(bad)}; code censoring explicitly as {CENSORED}"
        )
    bad = (array < 0) | (array != np.floor(array)) | np.isinf(array)
    if bad.any():
        codes = sorted({float(v) for v in array[bad]})[:5]
        raise ValueError(
            f"{name} has unknown code(s) {codes} (first at position {_first_position(bad)}); "
            f"known codes are {CENSORED} = censored and positive integers 1, 2, ... = cause of failure"
        )
    return array.astype(np.int64)


def check_cause(cause: Any) -> int:
    if (
        isinstance(cause, (bool, np.bool_))
        or not isinstance(cause, (int, np.integer, float, np.floating))
        or cause != int(cause)
        or int(cause) <= CENSORED
    ):
        raise ValueError(f"cause must be a positive integer event code (0 means censored), got {cause!r}")
    return int(cause)


def check_same_length(**arrays: Sequence | np.ndarray) -> int:
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"inputs have different lengths: {described}")
    return next(iter(lengths.values()))


def check_time_event(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    time_array = check_time(time)
    event_array = check_event(event)
    check_same_length(time=time_array, event=event_array)
    return time_array, event_array


def check_labels(labels: Any, name: str, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Group or stratum labels -> (codes 0..k-1 in sorted label order, the labels). Missing labels are rejected."""
    if isinstance(labels, pd.DataFrame) or np.ndim(labels) != 1:
        raise ValueError(f"{name} must be one-dimensional")
    # pd.Series keeps None/NaN as missing (np.asarray would turn NaN in a list of strings into the text "nan").
    series = labels.reset_index(drop=True) if isinstance(labels, pd.Series) else pd.Series(labels)
    if len(series) != length:
        raise ValueError(f"inputs have different lengths: time has {length}, {name} has {len(series)}")
    if series.isna().any():
        bad = series.isna().to_numpy()
        raise ValueError(f"{name} has {int(bad.sum())} missing value(s), the first at position {_first_position(bad)}")
    # Sorted labels, as R's factor levels (cuminc and crr sort them); only levels that occur count.
    codes, uniques = pd.factorize(series, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def check_conf_level(conf_level: float) -> float:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    return float(conf_level)
