"""The ``calculator`` tool: exact arithmetic for a model that should not do sums in its head.

Integers and rationals are exact (:class:`fractions.Fraction`): ``1/3 + 1/6`` is ``1/2``,
``2**200`` has all its digits, and a decimal is the rational it is written as (``0.1 + 0.2``
is ``3/10``). Functions whose result is not rational (``sqrt(2)``, ``sin(1)``, ``pi``) fall
back to floats, and the answer says it is approximate. Exact where it can be: ``sqrt(16/9)``
is ``4/3``, ``8^(1/3)`` is ``2``, ``log(1000, 10)`` is ``3``.

A safe evaluator: the text is parsed by :mod:`ast` and only a whitelist of nodes is walked
(numbers, + - * / // % ** and ^ as a power, parentheses, the functions and constants in
:data:`FUNCTIONS` and :data:`CONSTANTS`); no ``eval``, no other names, no attributes. Limits
on the text's length, nesting, exponents, integer digits, factorials and total work keep a
hostile or careless expression from freezing the app; each refusal is a sentence.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Context, Decimal, Inexact
from fractions import Fraction

from app.tools.tool import BuiltinTool, ToolError, string_parameters

MAX_LENGTH = 1000  # characters of expression
MAX_DEPTH = 200  # nesting of the expression tree (a sum of n terms nests n deep)
MAX_DIGITS = 3000  # decimal digits of any integer (numerator or denominator) on the way
MAX_FACTORIAL = 1000  # 1000! has 2,568 digits
MAX_STEPS = 20_000  # total work: one per node, plus one per 64 bits of big results

Number = Fraction | float
_MAX_BITS = int(MAX_DIGITS * math.log2(10))
_NUMBER = re.compile(r"(?:\d[\d_]*)?(?:\.[\d_]*)?(?:[eE][+-]?\d+)?")


class CalculatorError(ToolError):
    """The expression cannot be computed; the message says why, for the model."""


@dataclass
class _Budget:
    steps: int = 0
    used: list[int] = field(default_factory=list)

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise CalculatorError(
                f"The expression needs too much work (over {MAX_STEPS:,} steps); split it up"
                " or use smaller numbers."
            )


def calculate(expression: str) -> Number:
    """The value of ``expression``, exact where it can be (see the module's docstring)."""
    text = expression.strip()
    if not text:
        raise CalculatorError("The expression is empty.")
    if len(text) > MAX_LENGTH:
        raise CalculatorError(
            f"The expression is too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})."
        )
    text = text.replace("^", "**").replace("×", "*").replace("÷", "/").replace("−", "-")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        detail = e.msg if isinstance(e, SyntaxError) else str(e) or type(e).__name__
        raise CalculatorError(f"The expression is not valid: {detail}.") from None
    return _Walker(text).value(tree.body, 0)


def format_number(value: Number) -> str:
    """``42``; ``1/2 = 0.5``; ``1/3 ≈ 0.3333333333333333``; ``≈ 1.4142135623730951``."""
    if isinstance(value, float):
        return f"≈ {value!r}"
    if value.denominator == 1:
        return str(value.numerator)
    context = Context(prec=16)
    decimal = context.divide(Decimal(value.numerator), Decimal(value.denominator))
    sign = "≈" if context.flags[Inexact] else "="
    return f"{value.numerator}/{value.denominator} {sign} {decimal}"


def _evaluate(expression: str) -> str:
    return format_number(calculate(expression))


CALCULATOR = BuiltinTool(
    name="calculator",
    description=(
        "Evaluate an arithmetic expression exactly. Integers and fractions stay exact"
        " (1/3 + 1/6 gives 1/2; decimals are exact: 0.1 + 0.2 gives 3/10); irrational"
        " results are marked ≈. Operators: + - * / // % and ** or ^ for powers. Functions: "
        "sqrt, exp, log(x) or log(x, base), ln, log2, log10, sin, cos, tan, asin, acos, atan"
        " (radians), floor, ceil, abs, round(x) or round(x, digits), factorial, gcd, lcm,"
        " comb, perm, min, max. Constants: pi, e, tau."
    ),
    parameters=string_parameters(
        expression=("The expression, for example: (2^10 - 1) / 3 + sqrt(16/9)", MAX_LENGTH)
    ),
    needs_approval=False,
    action=lambda expression: _evaluate(expression),
)


# -- the walker ---------------------------------------------------------------------------


def _digits_ok(value: Number) -> Number:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CalculatorError("The result is too large (not a finite number).")
        return value
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > _MAX_BITS:
        raise CalculatorError(
            f"A number in the calculation has more than {MAX_DIGITS:,} digits; the calculator"
            " stops there."
        )
    return value


def _float(value: Number) -> float:
    try:
        return float(value)
    except OverflowError:
        raise CalculatorError("A number is too large to take an approximate function of.") from None


def _integer(value: Number, what: str) -> int:
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise CalculatorError(f"{what} needs a whole number, not {format_number(value)}.")


def _iroot(n: int, k: int) -> int:
    """The integer k-th root of n >= 0, rounded down (Newton's method on integers)."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // k)  # a power of two at or above the root
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def _exact_root(value: Fraction, k: int) -> Fraction | None:
    """The exact k-th root of a rational, or None where it is not rational."""
    if value < 0:
        if k % 2 == 0:
            return None
        root = _exact_root(-value, k)
        return None if root is None else -root
    num, den = _iroot(value.numerator, k), _iroot(value.denominator, k)
    return Fraction(num, den) if num**k == value.numerator and den**k == value.denominator else None


def _power(base: Number, exponent: Number, budget: _Budget) -> Number:
    if isinstance(base, Fraction) and isinstance(exponent, Fraction):
        if exponent.denominator == 1:
            n = exponent.numerator
            if base == 0 and n < 0:
                raise CalculatorError("Zero to a negative power is a division by zero.")
            if abs(base) not in (0, 1):
                bits = max(base.numerator.bit_length(), base.denominator.bit_length())
                if (bits - 1) * abs(n) > _MAX_BITS:
                    raise CalculatorError(
                        f"The power is too large (more than {MAX_DIGITS:,} digits)."
                    )
                budget.spend(bits * abs(n) // 64)
            return base**n
        if exponent.denominator <= 64 and abs(exponent.numerator) <= 10_000:
            root = _exact_root(base, exponent.denominator)
            if root is not None:
                return _power(root, Fraction(exponent.numerator), budget)
    b, x = _float(base), _float(exponent)
    if b < 0 and not x.is_integer():
        raise CalculatorError("A negative number to a fractional power is not a real number.")
    if b == 0 and x < 0:
        raise CalculatorError("Zero to a negative power is a division by zero.")
    try:
        return float(b**x)
    except OverflowError:
        raise CalculatorError("The power is too large.") from None


def _sqrt(x: Number) -> Number:
    if x < 0:
        raise CalculatorError("sqrt of a negative number is not a real number.")
    if isinstance(x, Fraction):
        root = _exact_root(x, 2)
        if root is not None:
            return root
    return math.sqrt(_float(x))


def _log(x: Number, base: Number | None = None) -> Number:
    if x <= 0:
        raise CalculatorError("log needs a positive number.")
    if base is not None and (base <= 0 or base == 1):
        raise CalculatorError("The base of a log must be positive and not 1.")
    if base is None:
        return Fraction(0) if x == 1 else _natural_log(x)
    if isinstance(x, Fraction) and isinstance(base, Fraction):
        guess = round(_natural_log(x) / _natural_log(base))
        if abs(guess) <= 10_000 and _digit_safe_power(base, guess) == x:
            return Fraction(guess)
    return _natural_log(x) / _natural_log(base)


def _natural_log(x: Number) -> float:
    if isinstance(x, Fraction):  # math.log takes big integers; a ratio of two logs is exact
        return math.log(x.numerator) - math.log(x.denominator)
    return math.log(x)


def _digit_safe_power(base: Fraction, n: int) -> Fraction | None:
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    return base**n if bits * abs(n) <= _MAX_BITS else None


def _round(x: Number, digits: Number | None = None) -> Number:
    """Half away from zero (round(2.5) is 3, as on paper, not Python's 2)."""
    places = 0 if digits is None else _integer(digits, "round's digits")
    if abs(places) > MAX_DIGITS:
        raise CalculatorError(f"round takes at most {MAX_DIGITS:,} digits.")
    exact = Fraction(x)
    scale = Fraction(10) ** places
    rounded = Fraction(math.floor(abs(exact) * scale + Fraction(1, 2)) * (1 if x >= 0 else -1))
    return float(rounded / scale) if isinstance(x, float) else rounded / scale


def _factorial(x: Number) -> Number:
    n = _integer(x, "factorial")
    if n < 0:
        raise CalculatorError("factorial needs a number that is not negative.")
    if n > MAX_FACTORIAL:
        raise CalculatorError(f"factorial is limited to {MAX_FACTORIAL:,} here.")
    return Fraction(math.factorial(n))


def _comb_perm(name: str, n_: Number, k_: Number | None = None) -> Number:
    n = _integer(n_, name)
    k = n if k_ is None else _integer(k_, name)
    if n < 0 or k < 0:
        raise CalculatorError(f"{name} needs numbers that are not negative.")
    if n > 10_000:
        raise CalculatorError(f"{name} is limited to n of at most 10,000 here.")
    return Fraction(math.comb(n, k) if name == "comb" else math.perm(n, k))


def _gcd_lcm(name: str, *values: Number) -> Number:
    if not values:
        raise CalculatorError(f"{name} needs at least one number.")
    numbers = [_integer(v, name) for v in values]
    return Fraction(math.gcd(*numbers) if name == "gcd" else math.lcm(*numbers))


def _float_function(name: str, function: Callable[[float], float]) -> Callable[..., Number]:
    def apply(x: Number) -> Number:
        if x == 0 and name in ("sin", "tan", "asin", "atan"):
            return Fraction(0)
        if x == 0 and name in ("cos", "exp"):
            return Fraction(1)
        try:
            return function(_float(x))
        except (ValueError, OverflowError):
            message = f"{name}({format_number(x)}) is not defined (or too large)."
            raise CalculatorError(message) from None

    return apply


def _floor_ceil(function: Callable[[Number], int]) -> Callable[..., Number]:
    return lambda x: Fraction(function(x))


FUNCTIONS: dict[str, Callable[..., Number]] = {
    "sqrt": _sqrt,
    "exp": _float_function("exp", math.exp),
    "log": _log,
    "ln": lambda x: _log(x),
    "log2": lambda x: _log(x, Fraction(2)),
    "log10": lambda x: _log(x, Fraction(10)),
    "sin": _float_function("sin", math.sin),
    "cos": _float_function("cos", math.cos),
    "tan": _float_function("tan", math.tan),
    "asin": _float_function("asin", math.asin),
    "acos": _float_function("acos", math.acos),
    "atan": _float_function("atan", math.atan),
    "floor": _floor_ceil(math.floor),
    "ceil": _floor_ceil(math.ceil),
    "abs": abs,
    "round": _round,
    "factorial": _factorial,
    "gcd": lambda *v: _gcd_lcm("gcd", *v),
    "lcm": lambda *v: _gcd_lcm("lcm", *v),
    "comb": lambda n, k: _comb_perm("comb", n, k),
    "perm": lambda n, k=None: _comb_perm("perm", n, k),
    "min": lambda *v: min(v),
    "max": lambda *v: max(v),
}
CONSTANTS: dict[str, Number] = {"pi": math.pi, "e": math.e, "tau": math.tau}


class _Walker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.budget = _Budget()

    def value(self, node: ast.expr, depth: int) -> Number:
        if depth > MAX_DEPTH:
            raise CalculatorError(f"The expression is nested too deeply (over {MAX_DEPTH} levels).")
        self.budget.spend(1)
        return _digits_ok(self._value(node, depth + 1))

    def _value(self, node: ast.expr, depth: int) -> Number:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.value(node.operand, depth)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth)
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise CalculatorError(f"{node.id} is a function: call it, as in {node.id}(2).")
            raise CalculatorError(f"Unknown name {node.id!r}. {_KNOWN}")
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Attribute):
            raise CalculatorError("Attributes (a.b) are not allowed in an expression.")
        if isinstance(node, ast.Compare | ast.BoolOp):
            raise CalculatorError("Comparisons are not supported; compute each side instead.")
        raise CalculatorError(
            f"This part is not arithmetic: {ast.get_source_segment(self.text, node) or '?'}."
        )

    def _number(self, node: ast.Constant) -> Number:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise CalculatorError("Only numbers are allowed, not text or other values.")
        written = (ast.get_source_segment(self.text, node) or "").replace("_", "")
        if not _NUMBER.fullmatch(written) or not written:
            return Fraction(node.value)  # 0x1F, 0b101 and the like: integers already
        exponent = written.lower().partition("e")[2]
        if exponent and abs(int(exponent)) > MAX_DIGITS:
            raise CalculatorError(f"The number {written} has more than {MAX_DIGITS:,} digits.")
        return Fraction(written)

    def _binary(self, node: ast.BinOp, depth: int) -> Number:
        left, right = self.value(node.left, depth), self.value(node.right, depth)
        op = node.op
        if isinstance(op, ast.Pow):
            return _power(left, right, self.budget)
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            self._charge(left, right)
            return left * right
        if isinstance(op, ast.Div | ast.FloorDiv | ast.Mod):
            if right == 0:
                raise CalculatorError("Division by zero.")
            self._charge(left, right)
            if isinstance(op, ast.Div):
                return left / right
            result = left // right if isinstance(op, ast.FloorDiv) else left % right
            return Fraction(result) if isinstance(result, int) else result
        symbol = ast.get_source_segment(self.text, node) or type(op).__name__
        raise CalculatorError(f"The operator in {symbol} is not supported.")

    def _charge(self, left: Number, right: Number) -> None:
        if isinstance(left, Fraction) and isinstance(right, Fraction):
            bits = sum(v.numerator.bit_length() + v.denominator.bit_length() for v in (left, right))
            self.budget.spend(bits // 64)

    def _call(self, node: ast.Call, depth: int) -> Number:
        if not isinstance(node.func, ast.Name):
            raise CalculatorError(f"Only the calculator's own functions can be called. {_KNOWN}")
        if node.func.id not in FUNCTIONS:
            raise CalculatorError(f"Unknown function {node.func.id!r}. {_KNOWN}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise CalculatorError("Functions take plain arguments only, as in round(x, 2).")
        name = node.func.id
        arguments = [self.value(a, depth) for a in node.args]
        try:
            return FUNCTIONS[name](*arguments)
        except TypeError:
            raise CalculatorError(
                f"{name} does not take {len(arguments)} argument(s). {_KNOWN}"
            ) from None
        except ZeroDivisionError:
            raise CalculatorError("Division by zero.") from None
        except ValueError:
            raise CalculatorError(f"{name} needs at least one number.") from None


_KNOWN = (
    "The calculator knows the functions "
    "sqrt(x), exp(x), log(x) or log(x, base), ln, log2, log10, sin, cos, tan, asin, acos, atan,"
    " floor, ceil, abs, round(x) or round(x, digits), factorial(n), gcd(a, b, ...),"
    " lcm(a, b, ...), comb(n, k), perm(n) or perm(n, k), min(...), max(...)"
    " and the constants " + ", ".join(CONSTANTS) + "."
)
