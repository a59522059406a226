"""The scrubber's recall on a generated annotated corpus of clinical notes.

Rule measure_deid_recall writes results/deid/recall.json from it. From the command line anyone can re-run it:

    PYTHONPATH=scripts python -m deidentify.recall [--patients 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from deidentify.corpus import generate_corpus, recall
from deidentify.scrub import Scrubber


def measure(patients: int, seed: int, ner: bool, kept_terms: list[str]) -> dict:
    docs = generate_corpus(patients, seed)
    result = recall(docs, Scrubber(ner, tuple(kept_terms)))
    return {"corpus": {"documents": len(docs), "seed": seed}, **result}


def table(result: dict) -> str:
    lines = [f"{'class':<16}{'identifiers':>12}{'recall':>10}"]
    for kind, value in result["recall"].items():
        lines.append(f"{kind:<16}{result['identifiers'][kind]:>12}{value:>10.4f}")
    return "\n".join(lines)


def main() -> None:
    import yaml

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "config.yaml").read_text("utf-8"))
    settings = config["deidentification"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=settings["recall"]["corpus_patients"])
    parser.add_argument("--seed", type=int, default=settings["recall"]["seed"])
    args = parser.parse_args()
    result = measure(args.patients, args.seed, settings["ner"], settings["kept_terms"])
    print(table(result))
    for example in result["missed_examples"]:
        print("missed", example)


if __name__ == "__main__":
    main()
