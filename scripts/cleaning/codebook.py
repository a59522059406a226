"""The codebook (config/codebook.yaml): raw label variants -> harmonised categories, applied strictly.

Every value of a mapped column must be in the codebook. An unknown label either stops the run (naming the label, the
file, the line and the column) or, when the config allows review, is recorded for review and the patient excluded
with the reason `label_needs_review`. No value is ever mapped to a catch-all silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from .errors import CleaningError

# Cyrillic letters that look like Latin ones, as typed into ICD-10 codes.
LOOKALIKES = str.maketrans("СсЕеАаВКкМНОоРрТХх", "CcEeAaBKkMHOoPpTXx")
PLACEHOLDER = re.compile(r"\[[^\]]*\]")
# A sentence break: ". " before a capital letter or a placeholder ("Вывих ЭП. Осмотр [ДАТА +24]").
SENTENCE_BREAK = re.compile(r"\.\s+(?=[А-ЯЁA-Z\[])")
# A label written wholly in capitals (legacy systems): its full stops end abbreviations, not sentences.
IN_CAPITALS = re.compile(r"[^a-zа-яё]*[A-ZА-ЯЁ][^a-zа-яё]*")
LABEL_FIELDS = (
    "operation_method",
    "bone",
    "segment",
    "fracture",
    "sex",
    "yes_no",
    "revision_flag",
    "vital_status",
    "revision_cause",
)


def normalise_label(value: str) -> str:
    """The form labels are compared in: first sentence, no placeholders, case-folded, ё -> е, single spaces."""
    text = unicodedata.normalize("NFKC", str(value))
    if not IN_CAPITALS.fullmatch(text):  # "ПРОКС. ОТДЕЛ" is one abbreviated label, not two sentences
        text = SENTENCE_BREAK.split(text, maxsplit=1)[0]
    text = PLACEHOLDER.sub(" ", text).casefold().replace("ё", "е")
    return " ".join(text.split()).strip(" .;,")


def normalise_icd(code: str) -> str:
    return re.sub(r"\s+", "", str(code).translate(LOOKALIKES)).upper()


@dataclass
class Review:
    """Unknown labels met in review mode: (file, line in it, raw export line, column, label, codebook field)."""

    items: list[tuple[str, int, str, str, str]] = field(default_factory=list)


class Codebook:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        self.maps: dict[str, dict[str, str]] = {}
        for field_name in LABEL_FIELDS:
            self.maps[field_name] = self._invert(field_name, raw[field_name])
        self.primary_labels = self._invert(
            "primary_group", {g: spec["labels"] for g, spec in raw["primary_group"].items()}
        )
        self.primary_icd10 = {
            group: [normalise_icd(c) for c in spec["icd10"]] for group, spec in raw["primary_group"].items()
        }
        self.bone_metastasis_icd10 = {normalise_icd(c) for c in raw["bone_metastasis_icd10"]}
        self.long_bones = set(raw["long_bones"])
        unknown_bones = self.long_bones - set(raw["bone"])
        if unknown_bones:
            raise CleaningError(self.path, f"long_bones lists {sorted(unknown_bones)}, which bone does not define")
        self.usage: Counter = Counter()  # (field, raw label, category) -> rows

    def _invert(self, field_name: str, categories: dict[str, list[str]]) -> dict[str, str]:
        inverted: dict[str, str] = {}
        for category, labels in categories.items():
            for label in labels:
                key = normalise_label(label)
                if inverted.get(key, category) != category:
                    raise CleaningError(
                        self.path,
                        f"{field_name}: label {label!r} is listed under both {inverted[key]!r} and {category!r}",
                    )
                inverted[key] = category
        return inverted

    def map(
        self, field_name: str, values: pd.Series, where: Path, lines: pd.Series, column: str, review: Review | None
    ) -> pd.Series:
        """Map raw labels to categories. `values` keeps the row index of the file `where` (line = index + 2);
        `lines` are the raw export's lines. Unknown labels raise CleaningError, or (review mode) become NA and are
        recorded in `review`."""
        table = self.primary_labels if field_name == "primary_group" else self.maps[field_name]
        normal = values.fillna("").map(normalise_label)
        mapped = normal.map(table)
        pairs = pd.DataFrame({"raw": values.astype(str).to_numpy(), "category": mapped.fillna("UNKNOWN").to_numpy()})
        for (raw_label, category), rows in pairs.value_counts(sort=False).items():
            self.usage[(field_name, raw_label, category)] += int(rows)
        unknown = mapped.isna()
        if unknown.any():
            first = unknown.idxmax()
            if review is None:
                raise CleaningError(
                    where,
                    f"label {values[first]!r} (normalised {normal[first]!r}; raw export line "
                    f"{int(lines[first])}) is not in the codebook {self.path} under "
                    f"{field_name}; add it there, or set cleaning.unknown_labels: review",
                    line=int(first) + 2,
                    column=column,
                )
            for idx in values.index[unknown]:
                review.items.append((str(where), int(idx) + 2, int(lines[idx]), column, str(values[idx]), field_name))
        return mapped

    def group_of_icd(self, code: str) -> str | None:
        """The primary group an ICD-10 code names, if exactly one group's prefixes match it."""
        normal = normalise_icd(code)
        groups = {g for g, prefixes in self.primary_icd10.items() if normal and any(map(normal.startswith, prefixes))}
        return groups.pop() if len(groups) == 1 else None

    def icd_matches(self, group: str, code: str) -> bool:
        normal = normalise_icd(code)
        return any(normal.startswith(prefix) for prefix in self.primary_icd10.get(group, []))

    def usage_table(self) -> pd.DataFrame:
        rows = [
            {"field": f, "raw_label": label, "category": category, "rows": n}
            for (f, label, category), n in self.usage.items()
        ]
        return (
            pd.DataFrame(rows, columns=["field", "raw_label", "category", "rows"])
            .sort_values(["field", "category", "raw_label"], kind="stable")
            .reset_index(drop=True)
        )
