"""The scrubber's recall on a generated annotated corpus of clinical notes.

As a rule (measure_deid_recall) it writes results/deid/recall.json and stops the run below the configured minimums.
From the command line anyone can re-run it:

    python scripts/measure_deid_recall.py [--patients 1000] [--seed 7]
"""


import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from deidentify.corpus import generate_corpus, recall  # noqa: E402
from deidentify.scrub import Scrubber  # noqa: E402


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

    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "config.yaml").read_text("utf-8"))
    settings = config["deidentification"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=settings["recall"]["corpus_patients"])
    parser.add_argument("--seed", type=int, default=settings["recall"]["seed"])
    args = parser.parse_args()
    result = measure(args.patients, args.seed, settings["ner"], settings["kept_terms"])
    print(table(result))
    for example in result["missed_examples"]:
        print("missed", example)


if __name__ == "__main__" and "snakemake" not in globals():
    main()
elif "snakemake" in globals():
    from rule_log import to_log

    log = to_log(snakemake)  # noqa: F821
    p = snakemake.params  # noqa: F821
    result = measure(p.patients, p.seed, p.ner, p.kept_terms)
    # The missed examples are invented names, but results/ holds no names at all: keep only their classes.
    result["missed_examples"] = [example.split(":")[0] for example in result["missed_examples"]]
    with open(snakemake.output.report, "w", encoding="utf-8") as f:  # noqa: F821
        json.dump(result, f, ensure_ascii=False, indent=2)
        f.write("\n")
    log.info("recall\n%s", table(result))
    overall, own = result["recall"]["all"], result["recall"]["own"]
    if overall < p.minimum_overall or own < p.minimum_own:
        raise SystemExit(f"scrubber recall {overall:.4f} overall, {own:.4f} for patients' own identifiers: below "
                         f"the minimums {p.minimum_overall} and {p.minimum_own}")
