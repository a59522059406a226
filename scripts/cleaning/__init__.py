"""Cleaning and cohort derivation: de-identified tables in, one validated row per analysed patient out."""
