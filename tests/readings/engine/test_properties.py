"""Properties that hold for every name, date and option set."""

import unicodedata
from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from readings.engine import Options, chart, life_path, normalize_name, root
from readings.engine.names import expression, personality, soul_urge
from readings.engine.reduction import digit_sum

options_st = st.builds(
    Options,
    system=st.sampled_from(["pythagorean", "chaldean"]),
    life_path_method=st.sampled_from(["reduce_parts", "sum_digits"]),
    name_method=st.sampled_from(["per_part", "whole_name"]),
    y_rule=st.sampled_from(["heuristic", "vowel", "consonant"]),
    masters=st.sets(st.sampled_from([11, 22, 33])).map(tuple),
)
dates_st = st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31))
parts_st = st.lists(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12), min_size=1, max_size=5
)
ACCENTS = ["", "\u0301", "\u0300", "\u0308", "\u0302", "\u0303", "\u030c"]


def allowed(options: Options) -> set[int]:
    return set(range(1, 10)) | set(options.masters)


@given(parts=parts_st, birth=dates_st, data=st.data(), options=options_st)
def test_every_number_is_a_digit_or_an_allowed_master(parts, birth, data, options):
    target = data.draw(st.dates(min_value=birth, max_value=date(2300, 1, 1)))
    result = chart(" ".join(parts), birth, target, options)
    valid = allowed(options)
    for number in (result.life_path, result.expression, result.maturity, result.birthday):
        assert number.value in valid
    # Soul Urge / Personality are 0 only for a name without vowels / consonants.
    assert result.soul_urge.value in valid | {0}
    assert result.personality.value in valid | {0}
    assert result.chaldean.value in valid
    assert all(p.value in valid for p in result.pinnacles)
    personal = result.personal
    assert {personal.year, personal.month, personal.day} <= set(range(1, 10))
    assert all(0 <= c <= 8 for c in result.challenges)
    assert set(result.karmic_lessons).isdisjoint(result.hidden_passion)


@given(parts=parts_st, options=options_st)
def test_chains_are_digit_sums_and_karmic_debt_is_read_from_them(parts, options):
    name = normalize_name(" ".join(parts))
    for number in (expression(name, options), soul_urge(name, options)):
        assert number.value == number.chain[-1]
        assert all(b == digit_sum(a) for a, b in zip(number.chain, number.chain[1:], strict=False))
        assert number.karmic_debt in {None, 13, 14, 16, 19}
        assert (number.karmic_debt is not None) == (number.compound in {13, 14, 16, 19})


@given(birth=dates_st, options=options_st)
def test_life_path_methods_agree_modulo_9(birth, options):
    parts = life_path(birth, replace(options, life_path_method="reduce_parts"))
    digits = life_path(birth, replace(options, life_path_method="sum_digits"))
    assert root(parts.value) == root(digits.value) == root(digit_sum(birth.strftime("%Y%m%d")))


@given(parts=parts_st, options=options_st)
def test_name_methods_agree_modulo_9(parts, options):
    name = normalize_name(" ".join(parts))
    per_part = replace(options, name_method="per_part")
    whole = replace(options, name_method="whole_name")
    for compute in (expression, soul_urge, personality):
        assert root(compute(name, per_part).value) == root(compute(name, whole).value)


@given(parts=parts_st, birth=dates_st, options=options_st, data=st.data())
def test_accents_case_and_spacing_do_not_change_the_numbers(parts, birth, options, data):
    def decorate(part: str) -> str:
        letters = []
        for letter in part:
            if data.draw(st.booleans()):
                letter = letter.lower()
            letters.append(letter + data.draw(st.sampled_from(ACCENTS)))
        return unicodedata.normalize(data.draw(st.sampled_from(["NFC", "NFD"])), "".join(letters))

    separators = st.sampled_from([" ", "  ", "\t", " \n ", "\u00a0"])
    variant = data.draw(st.sampled_from(["", " ", "\t"])) + decorate(parts[0])
    for part in parts[1:]:
        variant += data.draw(separators) + decorate(part)
    target = date(2300, 1, 1)
    plain = chart(" ".join(parts), birth, target, options).as_dict()
    assert chart(variant, birth, target, options).as_dict() == plain


@given(birth=dates_st, options=options_st)
def test_birthday_karmic_debt_is_the_raw_day(birth, options):
    result = chart("Ann", birth, date(2300, 1, 1), options).as_dict()["numbers"]["birthday"]
    assert result["day"] == birth.day
    assert result["karmic_debt"] == (birth.day if birth.day in {13, 14, 16, 19} else None)
