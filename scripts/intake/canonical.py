"""The canonical raw model as de-identification reads it: RawTables whose rows point back at the user's export."""

from __future__ import annotations

import json
from pathlib import Path

from raw_exports import RawTable

from .build import read_canonical
from .model import CANONICAL_DATE_FORMAT, ORIGIN, TABLES


def canonical_specs() -> dict[str, dict]:
    """The canonical tables described as raw tables: every canonical column, canonical dates."""
    return {
        name: {"columns": {c: c for c in columns}, "date_format": CANONICAL_DATE_FORMAT}
        for name, columns in TABLES.items()
    }


def read_canonical_tables(paths, summary_path, row_files: dict | None = None) -> dict[str, RawTable]:
    """Canonical table -> RawTable (canonical columns; `lines` the row in the user's export; unexpected columns as
    the intake found them). `row_files`, if given, is filled with each table's list of the rows' source files."""
    summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    out = {}
    for name, columns in TABLES.items():
        frame = read_canonical(paths[name])
        if row_files is not None:
            row_files[name] = [str(f) for f in frame["source_file"]]
        files = (
            list(dict.fromkeys(frame["source_file"])) or [s["files"][0]["file"] for s in summary[name]["sources"]][:1]
        )
        out[name] = RawTable(
            data=frame[columns].reset_index(drop=True),
            path=Path(files[0]) if files else Path(paths[name]),
            unexpected_columns=summary[name]["unexpected_columns"],
            lines=[int(n) for n in frame[ORIGIN[1]]],
        )
    return out
