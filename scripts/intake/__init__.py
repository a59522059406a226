"""Intake: whatever a centre's exports look like (hospital-system tables, a separate revisions table, an Excel
registry, a legacy dump), mapped into one canonical raw model (intake.model) that de-identification reads.

- intake.read: files -> grids (CSV in any encoding/separator/quoting, xlsx/xls/ods through python-calamine);
- intake.build: grids -> canonical tables, as `raw_exports.tables` declares the sources;
- intake.overrides: how an override config replaces a table's declaration as a whole;
- intake.preflight: the human report a new user iterates on;
- intake.starter: a commented config skeleton from a sample export.
"""
