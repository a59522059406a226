"""The pseudonymisation key and the pseudonyms made with it.

Pseudonyms are keyed HMAC-SHA256 of the normalised record number (patients) or name (staff). Without the key they
cannot be recomputed from the record number, unlike an unkeyed hash, which anyone can reverse by enumerating record
numbers (the weakness of Presidio's `hash` operator). HIPAA 164.514(c) treats such a code as pseudonymisation, and
GDPR art. 4(5) requires the key to be kept apart from the data: it comes from the environment or a file outside the
repository, never from the config itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

MIN_KEY_BYTES = 16


class KeyError_(RuntimeError):
    """No usable key: the message says what to set."""


def load_key(
    environment_variable: str, key_file: str, source: str, demo_key_file: str | None, project_dir: str | Path
) -> tuple[bytes, str]:
    """The key and a description of where it came from (never the key itself).

    Order: the environment variable, then the key file; only the synthetic twin may fall back to its demo key.
    """
    value = os.environ.get(environment_variable, "")
    if value:
        key, origin = value.encode("utf-8"), f"environment variable {environment_variable}"
    elif key_file:
        path = Path(key_file).expanduser().resolve()
        if not path.is_file():
            raise KeyError_(f"deidentification.key.file is {key_file!r}, which is not a file")
        if source == "real" and path.is_relative_to(Path(project_dir).resolve()):
            raise KeyError_(
                f"the pseudonymisation key file {key_file!r} is inside the project folder; for real data "
                "keep it outside the repository (GDPR art. 4(5): the key is kept apart from the data)"
            )
        key, origin = path.read_bytes().strip(), f"key file {path.name}"
    elif source == "synthetic" and demo_key_file:
        key, origin = Path(demo_key_file).read_bytes().strip(), "the synthetic twin's demo key"
    else:
        raise KeyError_(
            f"raw_exports.source is {source!r} and no pseudonymisation key is given: set the environment variable "
            f"{environment_variable} or deidentification.key.file (a file outside the repository). Only the "
            "synthetic twin may run on its generated demo key."
        )
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(f"the pseudonymisation key from {origin} is {len(key)} bytes; use at least {MIN_KEY_BYTES}")
    return key, origin


def fingerprint(key: bytes) -> str:
    """A short one-way tag of the key, so an audit can show two runs used the same key without revealing it."""
    return hmac.new(key, b"key fingerprint", hashlib.sha256).hexdigest()[:12]


def normalise(value: str) -> str:
    """Case, width and spacing do not change who a record number or a name belongs to."""
    return " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


def patient_pseudonym(key: bytes, record_number: str) -> str:
    return (
        "P" + hmac.new(key, b"patient\x00" + normalise(record_number).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
    )


def staff_pseudonym(key: bytes, name: str) -> str:
    return "S" + hmac.new(key, b"staff\x00" + normalise(name).encode("utf-8"), hashlib.sha256).hexdigest()[:10]
