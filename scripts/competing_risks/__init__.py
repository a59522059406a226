"""Exact competing-risks statistics that match R's cmprsk: cumulative incidence, Gray's test, Fine-Gray regression.

- ``aalen_johansen(time, event, cause=1, times=None)``: cumulative incidence (Aalen & Johansen 1978) with cmprsk
  ``cuminc``'s variance and a log(-log) confidence interval, as a DataFrame.
- ``gray_test(time, event, group, cause=1, rho=0.0, strata=None)``: Gray's (1988) K-sample test.
- ``coxph(time, event, covariates, start=None, ties="efron", penalty=None)``: the Cox model as R's
  ``survival::coxph`` fits it (cox.py).
- ``fine_gray(time, event, covariates, cause=1)``: Fine & Gray (1999) subdistribution hazards regression with
  cmprsk ``crr``'s conventions and sandwich variance (including the censoring term psi).

Event codes: 0 censored, 1, 2, ... causes. Ties are handled exactly (no jitter) and events at time 0 are kept.
See README.md in this folder for the formulas, the conventions and the parity with R.
"""

from .cif import aalen_johansen, log_log_interval
from .cox import CoxResult, coxph
from .fine_gray import FineGrayConvergenceWarning, FineGrayResult, fine_gray, summary_frame
from .gray import GrayTestResult, gray_test

__all__ = [
    "CoxResult",
    "FineGrayConvergenceWarning",
    "FineGrayResult",
    "GrayTestResult",
    "aalen_johansen",
    "coxph",
    "fine_gray",
    "gray_test",
    "log_log_interval",
    "summary_frame",
]
