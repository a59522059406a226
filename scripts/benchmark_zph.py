"""Scaling of the proportional-hazards score test (competing_risks.zph) with the number of rows.

    cd scripts && python benchmark_zph.py                       # n = 1e4, 1e5, 1e6 (about a minute)
    python benchmark_zph.py --sizes 10000,100000 --lifelines    # with lifelines' proportional_hazard_test beside it

Data: day-granular follow-up (integer days over ten years, so many tied times), causes 1 and 2 and censoring, three
covariates, from a fixed seed. Timed: `cox_zph` (Efron ties, km transform, the cause-specific model of cause 1;
the coefficients from one Newton polish of zero, as the test itself does) and `fine_gray_zph` (km) on a
`fine_gray` fit, each the median CPU time (process_time) of --repeats runs; the fits are not timed. The ratio
column is time(n) / time(previous n): about 10 for a tenfold n means linear (n log n: a little above). This is a
benchmark, not a test: nothing asserts on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from competing_risks import fine_gray  # noqa: E402
from competing_risks.zph import cox_zph, fine_gray_zph  # noqa: E402

COVARIATES = ["x1", "x2", "x3"]


def make_data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {"x1": rng.integers(0, 2, n).astype(float), "x2": rng.normal(size=n), "x3": rng.integers(0, 4, n) / 3.0}
    )
    linear = 0.5 * x["x1"] - 0.3 * x["x2"] + 0.4 * x["x3"]
    t1 = rng.exponential(2000.0 / np.exp(linear))
    t2 = rng.exponential(1500.0, n)
    censor = rng.uniform(0, 3650, n)
    time_days = np.ceil(np.minimum.reduce([t1, t2, censor]))
    event = np.select([t1 <= np.minimum(t2, censor), t2 <= censor], [1, 2], 0)
    return x.assign(time=time_days, event=event)


def cpu_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lifelines", action="store_true", help="also time lifelines' proportional_hazard_test")
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        d = make_data(n, seed=2024)
        x = d[COVARIATES]
        revision = (d["event"] == 1).to_numpy(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fine_gray(d["time"], d["event"], x, cause=1)
        row = {
            "n": n,
            "events": int(revision.sum()),
            "cox_zph_s": cpu_time(partial(cox_zph, d["time"], revision, x, np.zeros(3)), args.repeats),
            "fine_gray_zph_s": cpu_time(partial(fine_gray_zph, d["time"], d["event"], x, fit), args.repeats),
        }
        if args.lifelines:
            from lifelines import CoxPHFitter
            from lifelines.statistics import proportional_hazard_test

            data = x.assign(time=d["time"], revision=revision)
            fitter = CoxPHFitter().fit(data, "time", "revision")
            row["lifelines_s"] = cpu_time(partial(proportional_hazard_test, fitter, data, time_transform="km"), 1)
        rows.append(row)
        print(row, flush=True)
    table = pd.DataFrame(rows)
    for column in [c for c in table.columns if c.endswith("_s")]:
        table[column.replace("_s", "_ratio")] = table[column] / table[column].shift(1)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
