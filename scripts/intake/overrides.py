"""Override configs replace a table's declaration as a whole.

Snakemake merges config files recursively: an override that declares `raw_exports.tables.operations` would only add
to the default's columns, never remove one (the default's `surgeon: Хирург` would survive into a centre whose export
has no such header). So every table an override file declares replaces the default's declaration of that table
entirely; `null` says the centre has no such table (notes, for instance). Tables an override does not mention keep
the default's declaration.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml


def resolve_tables(merged: dict, override_files: list[str | Path]) -> dict:
    """The effective `raw_exports.tables`: the recursively merged tables, with every table an override file declares
    taken from the last override that declares it, as written there."""
    tables = copy.deepcopy(merged)
    for path in override_files:
        text = Path(path).read_text(encoding="utf-8")
        override = yaml.safe_load(text) or {}
        declared = (override.get("raw_exports") or {}).get("tables") or {}
        for name, spec in declared.items():
            tables[name] = copy.deepcopy(spec)
    return tables
