"""The codebook (config/codebook.yaml): raw label variants -> harmonised categories, applied strictly.

The labels are mapped on the raw side, by de-identification (deidentify.coding): only the categories cross the
boundary. Every value of a mapped column must be in the codebook. An unknown label either stops the run (naming the
raw file, the line and the column) or, when the config allows review, crosses as `unmapped` and its patient is
excluded with the reason `label_needs_review`. No value is ever mapped to a catch-all silently.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

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
    "yes_no_unknown",
    "visceral_spread",
    "laboratory_test",
    "laboratory_unit",
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

    def group_of_icd(self, code: str) -> str | None:
        """The primary group an ICD-10 code names, if exactly one group's prefixes match it."""
        normal = normalise_icd(code)
        groups = {g for g, prefixes in self.primary_icd10.items() if normal and any(map(normal.startswith, prefixes))}
        return groups.pop() if len(groups) == 1 else None

    def icd_matches(self, group: str, code: str) -> bool:
        normal = normalise_icd(code)
        return any(normal.startswith(prefix) for prefix in self.primary_icd10.get(group, []))
