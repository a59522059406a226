"""The scrubber's recall on annotated corpora of clinical notes, and its precision on clinical text.

Two corpora, reported side by side:

- `twin`: deidentify.corpus, written with the synthetic twin's vocabulary (the figure the workflow has always
  reported; rule measure_deid_recall writes it to results/deid/recall.json);
- `adversarial`: deidentify.adversarial, written independently of the twin (own names, own transliterations, the
  identifier forms real records use), recall per kind and for the patient's own identifiers, and precision: the
  share of replaced spans that cover an annotated identifier, and identifier-free clinical texts (the codebook's
  labels and clinical sentences) that lose anything, as free text (with NER) and as coded values (without).

From the command line anyone can re-run them:

    PYTHONPATH=scripts python -m deidentify.recall [--corpus twin|adversarial|both] [--patients N] [--seed S] \
        [--show] [--check]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deidentify.adversarial import clinical_texts, generate
from deidentify.corpus import generate_corpus, recall
from deidentify.scrub import PatientIdentity, Scrubber

ROOT = Path(__file__).resolve().parents[2]


def measure(patients: int, seed: int, ner: bool, kept_terms: list[str]) -> dict:
    docs = generate_corpus(patients, seed)
    scrubber = Scrubber(ner, tuple(kept_terms))
    scrubber.prime_ner(doc.text for doc in docs)
    result = recall(docs, scrubber)
    return {"corpus": {"documents": len(docs), "seed": seed}, **result}


def measure_adversarial(
    patients: int, seed: int, ner: bool, kept_terms: list[str], codebook: str | Path | None = None
) -> dict:
    """Recall per kind on the adversarial corpus, precision on it and on identifier-free clinical text."""
    records, staff = generate(patients, seed)
    scrubber = Scrubber(ner, tuple(kept_terms))
    # What the pipeline learns from the raw exports' name and staff columns.
    scrubber.learn_names(staff + [r.full_name for r in records])
    clinical = clinical_texts(codebook)
    scrubber.prime_ner([text for r in records for text in r.columns.values()] + list(clinical))
    found: dict[str, list[int]] = {"all": [0, 0], "own": [0, 0]}
    spans_total = spans_true = 0
    missed: list[str] = []
    false_positives: list[str] = []
    for r in records:
        patient = PatientIdentity(r.full_name, r.record_number, r.numbers, r.anchor)
        for column, text in r.columns.items():
            spans = scrubber.find(text, patient, ner=ner)
            annotated = [(s, e, kind, own) for c, s, e, kind, own in r.spans if c == column]
            covered = [False] * len(text)
            for s, e, _ in spans:
                covered[s:e] = [True] * (e - s)
                spans_total += 1
                if any(s < ae and as_ < e for as_, ae, _, _ in annotated):
                    spans_true += 1
                elif len(false_positives) < 20:
                    false_positives.append(f"{column}: {text[max(0, s - 20) : e + 20]!r} -> {text[s:e]!r}")
            for s, e, kind, own in annotated:
                hit = all(covered[k] for k in range(s, e) if text[k].isalnum())
                for key in ("all", kind) + (("own",) if own else ()):
                    found.setdefault(key, [0, 0])
                    found[key][0] += hit
                    found[key][1] += 1
                if not hit and len(missed) < 30:
                    missed.append(f"{kind}: {text[s:e]!r}")
    changed = {True: [], False: []}
    for use_ner in (True, False):
        for text in clinical:
            if scrubber.find(text, None, ner=use_ner and ner):
                changed[use_ner].append(text)
    return {
        "corpus": {"name": "adversarial", "patients": len(records), "seed": seed, "staff": len(staff)},
        "recall": {k: round(v[0] / v[1], 6) for k, v in sorted(found.items())},
        "identifiers": {k: v[1] for k, v in sorted(found.items())},
        "precision": {
            "replaced_spans": spans_total,
            "spans_on_identifiers": round(spans_true / spans_total, 6) if spans_total else 1.0,
            "clinical_texts": len(clinical),
            "clinical_texts_changed_as_free_text": len(changed[True]),
            "clinical_texts_changed_as_coded_values": len(changed[False]),
        },
        "missed_examples": missed,
        "false_positive_examples": false_positives,
        "clinical_texts_changed": sorted(set(changed[True]) | set(changed[False]))[:20],
    }


def table(result: dict) -> str:
    lines = [f"{'class':<20}{'identifiers':>12}{'recall':>10}"]
    for kind, value in result["recall"].items():
        lines.append(f"{kind:<20}{result['identifiers'][kind]:>12}{value:>10.4f}")
    if "precision" in result:
        p = result["precision"]
        lines.append(
            f"precision: {p['spans_on_identifiers']:.4f} of {p['replaced_spans']} replaced spans cover an identifier; "
            f"identifier-free clinical texts changed: {p['clinical_texts_changed_as_free_text']} of "
            f"{p['clinical_texts']} as free text, {p['clinical_texts_changed_as_coded_values']} as coded values"
        )
    return "\n".join(lines)


def main() -> None:
    import yaml

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    settings = config["deidentification"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["twin", "adversarial", "both"], default="both")
    parser.add_argument("--patients", type=int, help="corpus size (twin: config's corpus_patients; adversarial: 200)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--show", action="store_true", help="print the missed identifiers and false positives")
    parser.add_argument("--check", action="store_true", help="exit non-zero below the configured minimums (CI)")
    args = parser.parse_args()
    below = []
    codebook = ROOT / config["cleaning"]["codebook"]
    if args.corpus in ("twin", "both"):
        result = measure(
            args.patients or settings["recall"]["corpus_patients"],
            settings["recall"]["seed"] if args.seed is None else args.seed,
            settings["ner"],
            settings["kept_terms"],
        )
        print("twin corpus (deidentify.corpus)")
        print(table(result))
        below += below_minimums("twin", result, settings["recall"])
        for example in result["missed_examples"] if args.show else ():
            print("missed", example)
    if args.corpus in ("adversarial", "both"):
        result = measure_adversarial(
            args.patients or 200,
            2024 if args.seed is None else args.seed,
            settings["ner"],
            settings["kept_terms"],
            codebook,
        )
        print("adversarial corpus (deidentify.adversarial)")
        print(table(result))
        below += below_minimums("adversarial", result, settings["recall"])
        if args.show:
            for key in ("missed_examples", "false_positive_examples", "clinical_texts_changed"):
                for example in result[key]:
                    print(key.split("_")[0], example)

    if args.check and below:
        raise SystemExit("; ".join(below))


def below_minimums(name: str, result: dict, minimums: dict) -> list[str]:
    overall, own = result["recall"]["all"], result["recall"]["own"]
    if overall < minimums["minimum_overall"] or own < minimums["minimum_own"]:
        return [f"{name} corpus: recall {overall:.4f} overall, {own:.4f} own, below the configured minimums"]
    return []


if __name__ == "__main__":
    main()
