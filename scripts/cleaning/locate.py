"""Errors of the cleaning stage that point at the user's raw file.

De-identified rows carry no line of the export: they are (table, patient pseudonym, entry). The raw-side locator
(resources/deid/locator.tsv, written by de-identification) maps those back to the export's file and line. The
cleaning rule reads it only to word its error messages: nothing of it is copied into results/, and a message names
the file, the line, the column and the pseudonym, never a raw value.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import CleaningError


class Locator:
    """(table, patient_id, entry) -> (source_file, source_line), and column -> the header in the user's export."""

    def __init__(self, path: str | Path | None = None, headers: dict[str, dict[str, str]] | None = None):
        self.rows: dict[tuple[str, str, int], tuple[str, int]] = {}
        self.headers = headers or {}
        if path is not None and Path(path).exists():
            frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
            for table, pid, entry, file, line in zip(
                frame["table"],
                frame["patient_id"],
                frame["entry"],
                frame["source_file"],
                frame["source_line"],
                strict=True,
            ):
                self.rows[(table, pid, int(entry))] = (file, int(line))

    def error(
        self,
        table: str,
        path: str | Path,
        frame: pd.DataFrame,
        row,
        message: str,
        column: str | None = None,
    ) -> CleaningError:
        """The error for row `row` (an index label of `frame`, a de-identified table as read from `path`): located
        in the raw export when the locator knows the row, else in the de-identified file (header = line 1)."""
        pid = str(frame.at[row, "patient_id"]) if "patient_id" in frame.columns else ""
        entry = frame.at[row, "entry"] if "entry" in frame.columns else None
        found = self.rows.get((table, pid, int(entry))) if entry is not None and pd.notna(entry) else None
        where = f"patient {pid}, entry {int(entry)}" if entry is not None and pd.notna(entry) else f"patient {pid}"
        if found is None:
            return CleaningError(path, f"{message} ({where})", line=int(row) + 2, column=column)
        header = self.headers.get(table, {}).get(column) if column else None
        shown = f"{header} ({table}.{column})" if header and header != column else column
        return CleaningError(
            found[0], f"{message} (de-identified {table}: {where}; {Path(path).name})", line=found[1], column=shown
        )

    def lines(self, table: str, frame: pd.DataFrame) -> list[str]:
        """ "file:line" of each row of `frame` in the raw export (or its entry when the locator does not know it)."""
        out = []
        for pid, entry in zip(frame["patient_id"], frame["entry"], strict=True):
            found = self.rows.get((table, str(pid), int(entry)))
            out.append(f"{found[0]}:{found[1]}" if found else f"entry {int(entry)}")
        return out
