"""The calculator tool: exact answers, float fallbacks marked as such, and every refusal a
sentence (never an exception) for expressions a model might send."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.tools.calculator import CALCULATOR, MAX_LENGTH, calculate, format_number


def answer(expression: str) -> str:
    result = CALCULATOR.run({"expression": expression})
    assert result.ok, result.text
    return result.text


def refusal(expression: str) -> str:
    result = CALCULATOR.run({"expression": expression})
    assert not result.ok, result.text
    assert result.for_model.startswith("Error: ")
    return result.text


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1/3 + 1/6", "1/2 = 0.5"),
        ("0.1 + 0.2", "3/10 = 0.3"),
        ("2^10 - 1", "1023"),
        ("2**10 - 1", "1023"),
        ("-2^2", "-4"),
        ("7 // 2", "3"),
        ("7 % 3", "1"),
        ("1/3", "1/3 ≈ 0.3333333333333333"),
        ("1.5e3", "1500"),
        ("3e-2", "3/100 = 0.03"),
        ("1_000 × 3 ÷ 4 − 1", "749"),
        ("sqrt(16/9)", "4/3 ≈ 1.333333333333333"),
        ("8^(1/3)", "2"),
        ("(-8)^(1/3)", "-2"),
        ("9**0.5", "3"),
        ("log(1000, 10)", "3"),
        ("log10(1000)", "3"),
        ("log2(1/8)", "-3"),
        ("ln(1)", "0"),
        ("exp(0)", "1"),
        ("sin(0)", "0"),
        ("floor(7/2)", "3"),
        ("ceil(-7/2)", "-3"),
        ("abs(-3/4)", "3/4 = 0.75"),
        ("round(2.5)", "3"),
        ("round(-2.5)", "-3"),
        ("round(1/3, 3)", "333/1000 = 0.333"),
        ("factorial(20)", "2432902008176640000"),
        ("factorial(1000) / factorial(998)", "999000"),
        ("gcd(12, 18)", "6"),
        ("lcm(4, 6, 10)", "60"),
        ("comb(52, 5)", "2598960"),
        ("perm(5, 2)", "20"),
        ("max(1, 7/2, 3)", "7/2 = 3.5"),
    ],
)
def test_exact_answers(expression: str, expected: str) -> None:
    assert answer(expression) == expected


def test_big_integers_keep_every_digit() -> None:
    assert answer("2^200") == str(2**200)
    assert answer("3^500 - 3^500 + 1") == "1"


def test_irrational_results_are_floats_marked_approximate() -> None:
    assert answer("sqrt(2)") == "≈ 1.4142135623730951"
    assert answer("pi") == "≈ 3.141592653589793"
    assert answer("round(sqrt(2), 3)") == "≈ 1.414"
    assert calculate("sin(pi/2)") == pytest.approx(1.0)
    assert calculate("e") == pytest.approx(2.718281828459045)


def test_calculate_returns_fractions() -> None:
    assert calculate("1/3 + 1/6") == Fraction(1, 2)
    assert format_number(Fraction(-5, 4)) == "-5/4 = -1.25"


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("1/0", "Division by zero"),
        ("5 % 0", "Division by zero"),
        ("0^-1", "division by zero"),
        ("x + 1", "Unknown name 'x'"),
        ("__import__('os')", "Unknown function '__import__'"),
        ("__import__('os').system('true')", "Only the calculator's own functions"),
        ("().__class__", "Attributes"),
        ("(1).real", "Attributes"),
        ("'a' * 3", "Only numbers"),
        ("1j", "Only numbers"),
        ("3 < 4", "Comparisons are not supported"),
        ("lambda: 1", "not arithmetic"),
        ("[1, 2]", "not arithmetic"),
        ("sqrt", "sqrt is a function"),
        ("round(x=1)", "plain arguments"),
        ("comb(5)", "comb does not take 1 argument"),
        ("min()", "min needs at least one number"),
        ("1 +", "not valid"),
        ("", "empty"),
        ("sqrt(-1)", "not a real number"),
        ("(-4)^0.5", "not a real number"),
        ("log(0)", "positive"),
        ("log(8, 1)", "base"),
        ("asin(2)", "not defined"),
        ("exp(1000)", "not defined (or too large)"),
        ("factorial(1/2)", "whole number"),
        ("factorial(-1)", "not negative"),
    ],
)
def test_refusals_say_why(expression: str, says: str) -> None:
    assert says in refusal(expression)


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("10^10^10", "The power is too large"),
        ("2^(2^20)", "The power is too large"),
        ("1e5000", "more than 3,000 digits"),
        ("factorial(1001)", "limited to 1,000"),
        ("factorial(1000) * factorial(1000)", "more than 3,000 digits"),
        ("comb(20000, 3)", "at most 10,000"),
        ("-" * 300 + "1", "nested too deeply"),
        ("2^9900*3+" * 100 + "1", "too much work"),
        ("1+" * (MAX_LENGTH // 2) + "1", "too long"),
    ],
)
def test_limits_refuse_with_a_sentence(expression: str, says: str) -> None:
    assert says in refusal(expression)


def test_a_long_sum_is_not_too_deep() -> None:
    assert answer("+".join(["1"] * 150)) == "150"
