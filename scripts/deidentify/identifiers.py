"""Check digits of Russian personal identifiers (SNILS, INN). The de-identification stage uses them to tell a SNILS
or an INN from any other number; the synthetic twin imports them to write valid ones."""

from __future__ import annotations


def snils_check_digits(first9: str) -> str:
    """SNILS control number: sum of digit * weight (weights 9..1); <100 as is, 100/101 -> 00, else mod 101.

    Source: Pension Fund of Russia rule, as summarised in ../shared/reference/deidentification.md.
    """
    total = sum(int(d) * w for d, w in zip(first9, range(9, 0, -1), strict=True))
    if total < 100:
        return f"{total:02d}"
    if total in (100, 101):
        return "00"
    rest = total % 101
    return "00" if rest == 100 else f"{rest:02d}"


def snils_is_valid(snils: str) -> bool:
    digits = "".join(ch for ch in snils if ch.isdigit())
    return len(digits) == 11 and snils_check_digits(digits[:9]) == digits[9:]


def inn_is_valid(inn: str) -> bool:
    """A personal (12-digit) or organisation (10-digit) INN with its check digits (Federal Tax Service rule: weighted
    sums mod 11 mod 10)."""
    d = [int(ch) for ch in inn if ch.isdigit()]

    def check(weights):
        return sum(a * b for a, b in zip(d, weights, strict=False)) % 11 % 10

    if len(d) == 10:
        return check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    if len(d) == 12:
        return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10] and check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
    return False
