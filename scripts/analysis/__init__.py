"""The study's analysis: description, risk of revision with death competing, factors, the paper's recommendation."""
