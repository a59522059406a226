"""Re-hash every file a run's manifest lists and say which differ.

    PYTHONPATH=scripts python -m provenance.verify results/provenance/manifest.json

Run from the project's root (the manifest's paths are relative to it). Exits 0 when every file is there with the
digest the manifest records, 1 otherwise, naming every missing or changed file. The manifest cannot hold its own
digest; the RO-Crate beside it (ro-crate-metadata.json) holds the manifest's, and --crate checks that too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import sha256

# The sections of the manifest that map paths to SHA-256 digests.
DIGEST_SECTIONS = ("inputs", "outputs")


def listed_digests(manifest: dict) -> dict[str, str]:
    digests: dict[str, str] = {}
    for section in DIGEST_SECTIONS:
        digests.update(manifest.get(section, {}))
    return digests


def crate_digests(crate: dict) -> dict[str, str]:
    """Path -> SHA-256 of every File in an RO-Crate that records one."""
    return {
        entity["@id"]: entity["sha256"]
        for entity in crate["@graph"]
        if "sha256" in entity and not entity["@id"].startswith(("#", "http"))
    }


def mismatches(digests: dict[str, str], root: str | Path = ".") -> list[str]:
    """One line per listed file that is missing or whose SHA-256 differs, sorted by path."""
    problems = []
    for path, expected in sorted(digests.items()):
        real = Path(root) / path
        if not real.is_file():
            problems.append(f"missing: {path}")
        elif (actual := sha256(real)) != expected:
            problems.append(f"changed: {path} (manifest {expected[:12]}..., now {actual[:12]}...)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provenance.verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", help="results/provenance/manifest.json of the run")
    parser.add_argument("--root", default=".", help="the project's folder the paths are relative to (default: .)")
    parser.add_argument("--crate", help="also check the digests of an RO-Crate (ro-crate-metadata.json)")
    args = parser.parse_args(argv)

    digests = listed_digests(json.loads(Path(args.manifest).read_text(encoding="utf-8")))
    if not digests:
        print(f"{args.manifest}: lists no files", file=sys.stderr)
        return 1
    if args.crate:
        digests = {**crate_digests(json.loads(Path(args.crate).read_text(encoding="utf-8"))), **digests}
    problems = mismatches(digests, args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} of {len(digests)} files differ from {args.manifest}", file=sys.stderr)
        return 1
    print(f"all {len(digests)} files match {args.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
