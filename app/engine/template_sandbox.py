"""A Jinja2 sandbox with limits on time and size, for chat templates from model files.

A GGUF's chat template is code from whoever made the file. Jinja's
:class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` keeps it away from Python's
internals, but not from the machine's memory and time: ``{{ 'x' * 300000000 }}`` asks
for gigabytes in one operation, two nested loops run for hours. Here every operation
that can make a value grow, or make the template repeat, is metered against the
:class:`Limits` of the render in progress:

- a deadline, checked at every loop iteration, call, metered operator and output;
- a cap on the size of any one value (characters, items, integer bits), checked before
  an operation whose result size can be known from its operands (``*``, ``+``, ``%``,
  ``~``, widths and counts given to methods and filters, ``replace``, ``join``,
  ``indent``...), and after the others;
- a budget on all the work: the sizes of the values the metered operations make, loop
  iterations and output, so that many small values cannot add up to gigabytes either.

A template that hits a limit raises :class:`TemplateLimitError`, which the caller turns
into one clear line (:mod:`app.engine.chat_template`).
"""

from __future__ import annotations

import re
import time
import types
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import update_wrapper
from itertools import islice
from typing import Any, cast

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.utils import Namespace
from jinja2.visitor import NodeTransformer

TIME_LIMIT = 3.0  # seconds for one render; a 200-message conversation takes milliseconds
MIN_VALUE_CAP = 2_000_000  # characters (or items) in any one value, at the least
MAX_INT_BITS = 8192  # integers a template makes (an exponent cannot ask for 10**10**9)
MAX_TOJSON_INDENT = 16
SMALL = 256  # sizes up to this never multiply into a large result on their own
ITEM_COST = 16  # an item of a list costs as much as 16 characters

_BUILTINS = (types.BuiltinFunctionType, types.BuiltinMethodType, types.MethodWrapperType)
_NUMBER = re.compile(r"\d{7,}")
_NESTED_FIELD = re.compile(r"\{[^{}]*:[^{}]*\{")


class TemplateLimitError(Exception):
    """The template went past a limit of time or size; the text says which."""


@dataclass
class Limits:
    """What one render may use. ``value_cap`` grows with the conversation, so a long
    history is never refused; a hostile template is stopped long before gigabytes."""

    deadline: float
    value_cap: int
    budget: int
    spent: int = 0
    seconds: float = TIME_LIMIT

    @classmethod
    def for_input(cls, chars: int, seconds: float = TIME_LIMIT) -> Limits:
        cap = max(MIN_VALUE_CAP, 2 * chars + 65_536)
        return cls(time.monotonic() + seconds, cap, 16 * cap, seconds=seconds)

    def spend(self, amount: int) -> None:
        """Count ``amount`` against the budget, and look at the clock (each step between
        two looks is short: no single operation may make a value past the cap)."""
        self.spent += amount
        if self.spent > self.budget:
            raise TemplateLimitError(
                f"it made more than {self.budget:,} characters and values in all"
            )
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"it ran longer than {self.seconds:g} s")

    def fits(self, size: int, what: str = "a value") -> None:
        if size > self.value_cap:
            raise TemplateLimitError(
                f"it asked for {what} of {size:,} characters or items "
                f"(the limit is {self.value_cap:,})"
            )


_current: ContextVar[Limits | None] = ContextVar("template_limits", default=None)


def current() -> Limits:
    limits = _current.get()
    # Compiling outside a render (constant folding runs filters): limits of its own.
    return Limits.for_input(0) if limits is None else limits


class metered:
    """``with metered(limits):`` every template operation in the block counts against it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def __enter__(self) -> Limits:
        self._token = _current.set(self.limits)
        return self.limits

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


# -- sizes ---------------------------------------------------------------------------


def size_of(value: Any, stop: int) -> int:
    """An upper estimate of how many characters ``str(value)`` takes (and how many
    items ``value`` holds), counted no further than just past ``stop``."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    total = 0
    stack = [value]
    while stack and total <= stop:
        item = stack.pop()
        if isinstance(item, (str, bytes, bytearray)):
            total += len(item) + 2
        elif isinstance(item, bool) or item is None:
            total += 5
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        elif isinstance(item, float):
            total += 24
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(islice(item.keys(), stop))
            stack.extend(islice(item.values(), stop))
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(islice(item, stop))
        elif isinstance(item, Namespace):
            stack.append(dict(object.__getattribute__(item, "_Namespace__attrs")))
        else:
            total += 64
    return total


def magnitude(value: Any, stop: int) -> int:
    """How large an argument is as a count or width (an int) or as text (the rest)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    return size_of(value, stop)


def _result_size(value: Any) -> int:
    """What a value costs: a character each for text, :data:`ITEM_COST` for each item of
    a container (each may be an object of its own: ``s.splitlines()``)."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return ITEM_COST * len(value)
    if isinstance(value, int):
        return value.bit_length() // 64
    return 1


def _check_format(text: Any, limits: Limits) -> bool:
    """Widths and precisions written into a format string (``'%999999999s'``) are
    checked; True if the string takes them from its arguments too (``%*s``, ``{:{}}``)."""
    if not isinstance(text, (str, bytes)):
        return False
    raw = text if isinstance(text, str) else text.decode("latin-1")
    for number in _NUMBER.findall(raw):
        limits.fits(int(number) if len(number) < 20 else 10**20, "a width")
    return "*" in raw or _NESTED_FIELD.search(raw) is not None


def _materialized(args: tuple[Any, ...], limits: Limits) -> tuple[Any, ...]:
    """Iterators among ``args`` (``x | map(...)``) made lists, so their size is known
    before the call: ``sep.join(a_generator)`` cannot be measured otherwise."""
    if not any(isinstance(a, Iterator) for a in args):
        return args
    out = []
    for arg in args:
        if isinstance(arg, Iterator):
            items = list(islice(arg, limits.value_cap + 1))
            limits.fits(ITEM_COST * len(items), "a sequence")
            limits.spend(ITEM_COST * len(items))
            arg = items
        out.append(arg)
    return tuple(out)


def _check_args(limits: Limits, args: Iterable[Any], counts: bool = True) -> None:
    """No argument is larger than a value may be, and at most one is large: a product
    of two large sizes (a separator times a list, a width times many lines) is what
    makes results explode. With ``counts``, integers are sizes (widths, repeats)."""
    cap = limits.value_cap
    large = 1
    for arg in args:
        size = magnitude(arg, cap) if counts else size_of(arg, cap)
        limits.fits(size, "an argument")
        if size > SMALL:
            large *= size
            limits.fits(large, "a result")


# -- bounds for operations whose result size depends on their operands --------------


def _lines(text: Any) -> int:
    return text.count("\n") + 1 if isinstance(text, str) else 1


def _bound_replace(s: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(s, (str, bytes)) or not isinstance(new, (str, bytes)):
        return 0
    old_len = len(old) if isinstance(old, (str, bytes)) else 0
    if len(new) <= old_len:
        return len(s)
    hits = s.count(old) if old_len else len(s) + 1
    if isinstance(count, int) and 0 <= count < hits:
        hits = count
    return len(s) + hits * (len(new) - old_len)


def _bound_join(sep: Any, items: Any, limits: Limits) -> int:
    n = len(items) if hasattr(items, "__len__") else 0
    sep_len = len(sep) if isinstance(sep, (str, bytes)) else 0
    return max(n - 1, 0) * sep_len + size_of(items, limits.value_cap)


def _bound_indent(s: Any, width: Any = 4, first: Any = False, blank: Any = False) -> int:
    w = len(width) if isinstance(width, str) else magnitude(width, 0)
    return (len(s) if isinstance(s, str) else 0) + _lines(s) * w


def _bound_wordwrap(
    s: Any, width: Any = 79, brk: Any = True, wrapstring: Any = None, *_: Any
) -> int:
    n = len(s) if isinstance(s, str) else 0
    return n + (n + 1) * (len(wrapstring) if isinstance(wrapstring, str) else 1)


def _method_bound(method: Any, args: tuple[Any, ...], limits: Limits) -> int:
    """The largest result a str or bytes method can give, for the multiplying ones."""
    s = method.__self__
    name = method.__name__
    if name == "replace" and len(args) >= 2:
        return _bound_replace(s, *args[:3])
    if name == "join" and args:
        return _bound_join(s, args[0], limits)
    if name == "expandtabs":
        tab = magnitude(args[0], 0) if args else 8
        return len(s) * max(tab, 1)
    if name == "translate" and args and isinstance(args[0], dict):
        longest = max((size_of(v, limits.value_cap) for v in args[0].values()), default=1)
        return len(s) * max(longest, 1)
    if name in ("center", "ljust", "rjust", "zfill") and args:
        return max(len(s), magnitude(args[0], 0))
    return len(s)


def _filter_bound(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], limits: Limits) -> int:
    if name == "replace":
        return _bound_replace(*args, **kwargs)
    if name == "join" and args:
        sep = args[1] if len(args) > 1 else kwargs.get("d", "")
        return _bound_join(sep, args[0], limits)
    if name == "indent":
        return _bound_indent(*args, **kwargs)
    if name == "wordwrap":
        return _bound_wordwrap(*args, **kwargs)
    if name == "center" and args:
        width = args[1] if len(args) > 1 else kwargs.get("width", 80)
        return max(size_of(args[0], limits.value_cap), magnitude(width, 0))
    if name == "format" and args:
        _check_format(args[0], limits)
    if name == "tojson":
        indent = args[1] if len(args) > 1 else kwargs.get("indent")
        if indent is not None and magnitude(indent, 0) > MAX_TOJSON_INDENT:
            raise TemplateLimitError(f"tojson indent {indent!r} is over {MAX_TOJSON_INDENT}")
    if name == "sum":
        start = args[2] if len(args) > 2 else kwargs.get("start", 0)
        if not isinstance(start, (int, float)):
            raise TemplateLimitError("sum is for numbers only")
    return 0


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits = current()
        limits.spend(1)
        args = args[:skip] + _materialized(args[skip:], limits)
        own = args[skip:]
        if own:
            _check_args(limits, own[:1], counts=False)  # the value filtered: text
        _check_args(limits, (*own[1:], *kwargs.values()))
        limits.fits(_filter_bound(name, own, kwargs, limits), "a result")
        result = func(*args, **kwargs)
        size = _result_size(result)
        limits.fits(size, "a result")
        limits.spend(size)
        return result

    return update_wrapper(guarded, func)


# -- operators -----------------------------------------------------------------------


def _binop_bound(op: str, left: Any, right: Any, limits: Limits) -> None:
    seqs = (str, bytes, list, tuple)
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, seqs) and isinstance(n, int):
                unit = 1 if isinstance(seq, (str, bytes)) else ITEM_COST
                limits.fits(unit * len(seq) * max(n, 0), "a repeated value")
        ints = isinstance(left, int) and isinstance(right, int)
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"a product is over {MAX_INT_BITS} bits")
    elif op == "+":
        if isinstance(left, seqs) and isinstance(right, seqs):
            unit = 1 if isinstance(left, (str, bytes)) else ITEM_COST
            limits.fits(unit * (len(left) + len(right)), "a concatenation")
    elif op == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            bits = max(left.bit_length() - 1, 1 if abs(left) > 1 else 0)
            if bits * right > MAX_INT_BITS:
                raise TemplateLimitError(f"a power is over {MAX_INT_BITS} bits")
    elif op == "%" and isinstance(left, (str, bytes)):
        items = right if isinstance(right, tuple) else (right,)
        _check_args(limits, items, counts=_check_format(left, limits))
        limits.fits(len(left) + sum(size_of(i, limits.value_cap) for i in items), "a result")


def _guarded_iter(iterable: Any) -> Iterator[Any]:
    limits = current()
    for item in iterable:
        limits.spend(1)
        yield item


def _guarded_concat(*parts: Any) -> str:
    """``a ~ b ~ c``: every part is made text, but only after its size is checked."""
    limits = current()
    limits.fits(sum(size_of(p, limits.value_cap) for p in parts), "a concatenation")
    return "".join(str(p) for p in parts)  # counted by the call that runs this


def _guarded_slice(obj: Any, start: Any, stop: Any, step: Any) -> Any:
    """``s[a:b:c]`` copies: counted like any value made."""
    value = obj[start:stop:step]
    current().spend(_result_size(value))
    return value


def _call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    call = nodes.Call(nodes.EnvironmentAttribute(name), args, [], None, None)
    call.set_lineno(lineno)
    return call


class _Meter(NodeTransformer):
    """Routes every loop, ``~`` and slice of the template through the meter."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _call("guarded_iter", [cast(nodes.Expr, node.iter)], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call("guarded_concat", node.nodes, node.lineno)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        parts = [node.arg.start, node.arg.stop, node.arg.step]
        bounds = [p if p is not None else nodes.Const(None) for p in parts]
        return _call("guarded_slice", [node.node, *bounds], node.lineno)


class IgnoreGenerationTags(Extension):
    """Hugging Face's ``{% generation %}...{% endgeneration %}`` marks, rendered as their body
    (as llama-cpp-python and Transformers do)."""

    tags = {"generation"}  # noqa: RUF012  (as Jinja declares it)

    def parse(self, parser: Parser) -> list[nodes.Node]:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every growing or repeating operation metered."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})
    guarded_iter = staticmethod(_guarded_iter)
    guarded_concat = staticmethod(_guarded_concat)
    guarded_slice = staticmethod(_guarded_slice)

    def __init__(self, **options: Any) -> None:
        extensions = [*options.pop("extensions", ()), IgnoreGenerationTags]
        super().__init__(extensions=extensions, finalize=self._output, **options)
        self.globals.pop("lipsum", None)  # makes paragraphs by the million on request
        for name, func in list(self.filters.items()):
            self.filters[name] = _guard_filter(name, func)

    def guard_filters(self) -> None:
        """Meter filters added after construction (call once they are all in)."""
        for name, func in list(self.filters.items()):
            if not hasattr(func, "__wrapped__"):
                self.filters[name] = _guard_filter(name, func)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        metered_tree: nodes.Template = _Meter().visit(tree)
        metered_tree.set_environment(self)
        return metered_tree

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Joins a macro's or a block's output: its size is counted first."""
        limits = current()
        chunks = parts if isinstance(parts, list) else list(parts)
        total = sum(map(len, chunks))
        limits.fits(total, "a block of output")
        limits.spend(total)
        return "".join(chunks)

    @staticmethod
    def _output(value: Any) -> Any:
        limits = current()
        size = len(value) if isinstance(value, str) else size_of(value, limits.value_cap)
        limits.fits(size, "an output")
        limits.spend(size)
        return value

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits = current()
        if operator == "+" and type(left) is str and type(right) is str:  # the common case
            size = len(left) + len(right)
            limits.fits(size, "a concatenation")
            limits.spend(size)
            return left + right
        _binop_bound(operator, left, right, limits)
        result = self.binop_table[operator](left, right)
        limits.spend(_result_size(result) + 1)
        return result

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        if isinstance(argument, slice):
            current().spend(_result_size(value) + 1)
        return value

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        limits = current()
        limits.spend(1)
        builtin = isinstance(__obj, _BUILTINS)
        if builtin:
            args = _materialized(args, limits)
            _check_args(limits, (*args, *kwargs.values()))
            if isinstance(getattr(__obj, "__self__", None), (str, bytes)):
                limits.fits(_method_bound(__obj, args, limits), "a result")
        result = super().call(__context, __obj, *args, **kwargs)
        if builtin or not isinstance(__obj, Macro):
            size = _result_size(result)
            limits.fits(size, "a result")
            limits.spend(size)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``'{:>{}}'.format(...)``: the format string and its arguments are checked
        like any call's, then Jinja's sandboxed formatter runs it."""
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)):
            return None
        if value.__name__ not in ("format", "format_map") or not isinstance(value.__self__, str):
            return None
        text: str = value.__self__
        formatter = SandboxedFormatter(self)
        is_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            limits = current()
            counts = _check_format(text, limits)
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs, args = args[0], ()
            _check_args(limits, (*args, *kwargs.values()), counts)
            result = str(formatter.vformat(text, args, kwargs))
            limits.fits(len(result), "a formatted text")
            return result

        return update_wrapper(wrapper, value)
