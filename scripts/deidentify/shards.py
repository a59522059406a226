"""De-identification scattered over patient shards and gathered (config deidentification.shards).

A patient's shard is read from its pseudonym, the keyed HMAC-SHA256 of the normalised record number
(deidentify.keys): shard = int(hex digits of the pseudonym, base 16) mod n, for n shards. The pseudonym depends on
nothing but the key and the record number, so the pseudonym mapping is the same whatever the shard count, every row
of a patient (operations, notes, follow-up, laboratory, ...) lands in the patient's shard, and two record numbers
that share a pseudonym (checked by deidentify.tables.check_pseudonyms_unique) share a shard too.

Each shard de-identifies its patients as the whole run would (the scrubber still learns every name of the whole
export, since names from anywhere are names everywhere) and writes a part: its tables and locator as TSV text, its
audit counts, identifier list, staff names and label counts. The gather puts the parts together in a fixed order:

- tables and locator: rows by pseudonym (stable), which is the order deidentify.tables.in_patient_order gives the
  whole table, since a patient's rows are all in one shard and keep their order there;
- audit: counts added up, everything else (column lists, kinds) equal in every part; the number of staff is
  counted over the union of the parts' normalised staff names;
- identifier list: the sorted union; label counts: added up; labels to review (and unknown labels): in the order
  a single run lists them (the order of the coding calls, then the row of the export).

So the gathered outputs are byte for byte those of one shard (tests/test_deid_shards.py: 1, 2 and 7 shards).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import replace

import pandas as pd

from raw_exports import RawTable

from . import keys

# Audit counts that describe the export as a whole, not the shard's rows: equal in every part, not added up.
WHOLE_EXPORT_COUNTS = frozenset({"unexpected_columns_dropped"})


def shard_of(pseudonym: str, shards: int) -> int:
    """The 0-based shard of a patient: its pseudonym ("P" + 16 hex digits of a keyed HMAC) read as a number, mod
    `shards`. Stable across runs, machines and Python versions (unlike hash())."""
    return int(pseudonym[1:], 16) % shards


def select_shard(
    raw: dict[str, RawTable],
    files: dict[str, list[str]],
    record_columns: dict[str, str],
    key: bytes,
    index: int,
    shards: int,
) -> tuple[dict[str, RawTable], dict[str, list[str]]]:
    """The rows of the patients of shard `index` (0-based) of `shards`, in every table, with their lines and
    source files; each RawTable keeps its path and unexpected columns. `record_columns`: table -> its patient_id
    column."""
    if shards == 1:
        return raw, files
    shard_cache: dict[str, int] = {}

    def shard(value: str) -> int:
        if value not in shard_cache:
            shard_cache[value] = shard_of(keys.patient_pseudonym(key, value), shards)
        return shard_cache[value]

    out_raw, out_files = {}, {}
    for name, rt in raw.items():
        keep = [shard(v) == index for v in rt.data[record_columns[name]]]
        mask = pd.Series(keep, index=rt.data.index, dtype=bool)
        lines = [n for n, k in zip(rt.lines, keep, strict=True) if k] if len(rt.lines) == len(keep) else rt.lines
        # The rows keep their index (their position in the whole export): labels to review are ordered by it.
        out_raw[name] = replace(rt, data=rt.data[mask], lines=lines)
        if name in files:
            out_files[name] = [f for f, k in zip(files[name], keep, strict=True) if k]
    return out_raw, out_files


def tsv_text(frame: pd.DataFrame) -> str:
    """A table as deidentify_exports writes it: tab-separated, "\\n" line ends, no index."""
    return frame.to_csv(sep="\t", index=False, lineterminator="\n")


def read_tsv_text(text: str) -> pd.DataFrame:
    """A part's table with every cell as the text it was written as (nothing parsed, so nothing re-formatted)."""
    return pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False, na_filter=False)


def merge_tables(texts: list[str], table_order: list[str] | None = None) -> str:
    """The parts' TSV texts of one table as one: rows by patient_id (stable: a patient's rows keep their order);
    with `table_order` (the locator), by table in that order first."""
    if len(texts) == 1:
        return texts[0]
    frame = pd.concat([read_tsv_text(t) for t in texts], ignore_index=True)
    if table_order is None:
        frame = frame.sort_values("patient_id", kind="stable")
    else:
        rank = frame["table"].map({t: i for i, t in enumerate(table_order)})
        frame = frame.assign(_rank=rank).sort_values(["_rank", "patient_id"], kind="stable").drop(columns="_rank")
    return tsv_text(frame)


def merge_audits(audits: list) -> object:
    """Audit records of the parts as one: numbers added up (except WHOLE_EXPORT_COUNTS), dicts merged key by key,
    anything else equal in every part."""
    first = audits[0]
    if isinstance(first, dict):
        merged = {}
        for audit in audits:
            for k in audit:
                if k not in merged:
                    present = [a[k] for a in audits if k in a]
                    merged[k] = present[0] if k in WHOLE_EXPORT_COUNTS else merge_audits(present)
        return merged
    if isinstance(first, bool) or not isinstance(first, int):
        if any(a != first for a in audits):
            raise ValueError(f"de-identification parts disagree on an audit value: {audits}")
        return first
    return sum(audits)


def drop_unchanged(audit: dict) -> None:
    """Leave out of the audit the coded columns whose values the pattern scrub changed nowhere (a part keeps them,
    so that their counts add up over the parts)."""
    scrubbed = audit["coded_values_scrubbed"]
    audit["coded_values_scrubbed"] = {k: v for k, v in scrubbed.items() if v["values_changed"]}


def merge_usage(usages: list[list]) -> Counter:
    """Label counts of the parts ([table, column, field, raw label, category, rows] each) added up, in the order a
    single run meets them (first part first; the usage table is sorted anyway)."""
    total: Counter = Counter()
    for usage in usages:
        for *pair, n in usage:
            total[tuple(pair)] += n
    return total


def merge_items(lists: list[list[dict]]) -> list[dict]:
    """Labels to review (or unknown) of the parts in a single run's order: by the `order` each item carries (the
    coding call, then the row's position in the export), which is then dropped."""
    items = sorted((item for items in lists for item in items), key=lambda item: tuple(item["order"]))
    return [{k: v for k, v in item.items() if k != "order"} for item in items]
