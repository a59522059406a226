"""The error every check of the cleaning stage raises: it names the file, the line and the column (the same
located error the raw reader uses)."""

from raw_exports import RawExportError


class CleaningError(RawExportError):
    """A de-identified table, the codebook or the cohort that fails a check of the cleaning stage."""
