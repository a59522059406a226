"""Hand-checkable examples for the fake personal data: SNILS check digits and Russian name declension."""

from __future__ import annotations

import numpy as np
import pytest

from deidentify.identifiers import snils_check_digits, snils_is_valid
from synthetic_twin.identity import (
    Person,
    draw_snils,
    patronymic_forms,
    surname_forms,
    unique_integers,
)


@pytest.mark.parametrize(
    "first9,check",
    [
        ("112233445", "95"),  # 1*9+1*8+2*7+2*6+3*5+3*4+4*3+4*2+5*1 = 95 < 100: the sum itself
        ("000000011", "03"),  # 1*2 + 1*1 = 3, written with two digits
        ("000001111", "10"),  # 4 + 3 + 2 + 1
        ("920000003", "00"),  # 9*9 + 2*8 + 3*1 = 100 -> 00
        ("920000004", "00"),  # 101 -> 00
        ("920000005", "01"),  # 102 mod 101 = 1
        ("999999999", "01"),  # 9 * 45 = 405; 405 mod 101 = 1
        ("996100000", "00"),  # 81 + 72 + 42 + 6 = 201; 201 mod 101 = 100 -> 00
    ],
)
def test_snils_check_digits_by_hand(first9, check):
    assert snils_check_digits(first9) == check


def test_generated_snils_validate_and_a_changed_digit_does_not():
    numbers = draw_snils(np.random.default_rng(1), 500)
    assert all(snils_is_valid(s) for s in numbers)
    broken = [s[:-1] + str((int(s[-1]) + 1) % 10) for s in numbers]
    assert not any(snils_is_valid(s) for s in broken)


@pytest.mark.parametrize(
    "stem,pattern,female,forms",
    [
        ("Иванов", "ov", False, {"nom": "Иванов", "gen": "Иванова", "dat": "Иванову", "ins": "Ивановым"}),
        ("Иванов", "ov", True, {"nom": "Иванова", "gen": "Ивановой", "dat": "Ивановой", "ins": "Ивановой"}),
        ("Ильин", "in", True, {"nom": "Ильина", "gen": "Ильиной", "dat": "Ильиной", "ins": "Ильиной"}),
        (
            "Ковальский",
            "sky",
            False,
            {"nom": "Ковальский", "gen": "Ковальского", "dat": "Ковальскому", "ins": "Ковальским"},
        ),
        (
            "Ковальский",
            "sky",
            True,
            {"nom": "Ковальская", "gen": "Ковальской", "dat": "Ковальской", "ins": "Ковальской"},
        ),
        ("Шевченко", "indecl", True, dict.fromkeys(["nom", "gen", "dat", "ins"], "Шевченко")),
    ],
)
def test_surnames_decline(stem, pattern, female, forms):
    assert surname_forms(stem, pattern, female) == forms


def test_patronymics():
    assert patronymic_forms("Иванов", False)["nom"] == "Иванович"
    assert patronymic_forms("Сергеев", True) == {
        "nom": "Сергеевна",
        "gen": "Сергеевны",
        "dat": "Сергеевне",
        "ins": "Сергеевной",
    }
    assert patronymic_forms("Михайлов", False)["dat"] == "Михайловичу"


def test_person_forms():
    p = Person(
        surname_forms("Петров", "ov", True),
        {"nom": "Мария", "gen": "Марии", "dat": "Марии", "ins": "Марией"},
        patronymic_forms("Иванов", True),
        True,
    )
    assert p.full() == "Петрова Мария Ивановна"
    assert p.short("dat") == "Петровой М.И."
    assert p.short_reversed("gen") == "М.И. Петровой"
    assert "Петровой Марии Ивановны" in p.all_forms()


def test_unique_integers_are_unique_and_in_range():
    values = unique_integers(np.random.default_rng(0), 10_000, 100, 20_000)
    assert len(set(values.tolist())) == 10_000 and values.min() >= 100 and values.max() < 20_000
