"""Size guards: the operations that can build a huge value in one C call are checked before they run.

The time limit (``TimeLimit``) is checked between Python lines, so it cannot stop a single long
C-level operation: ``10 ** (3 * 10**6)``, ``'x' * 10**9``, ``[0] * 10**9``, ``1 << 10**9`` run to
the end (or exhaust memory) once started. ``ScriptPolicy`` therefore rewrites ``a + b``,
``a * b``, ``a ** b``, ``a << b`` and ``a % b`` into calls of the functions below (``_add_``,
``_mul_`` ...), which estimate the size of the result from the operands and refuse it before
computing when it would be larger than the limits, the way simpleeval guards its operators. The
same checks cover augmented assignments, f-string format specifications, ``pow`` and ``sum``,
and the text methods that pad or repeat (``ljust``, ``center``, ``zfill``, ``replace``, ``join``).

Operands of other types (floats, dates, user data) go through unchanged: they either cannot grow
(floats overflow with an error) or are bounded by the sizes of values already checked.
"""

from __future__ import annotations

import operator
import re
from typing import Any, Callable, Iterable

from engine.workflow.sandbox.errors import ScriptTooLarge

# Longest text, bytes, list or tuple one operation may build. Case data is a few kilobytes; a
# million items leaves room for any honest computation and stops the one that would take gigabytes.
MAX_SEQUENCE_LENGTH = 1_000_000
# Largest integer one operation may build, in bits (about 30,000 decimal digits; Python refuses to
# print integers of more than 4,300 digits anyway).
MAX_INTEGER_BITS = 100_000

# The most values a case's task data may hold after a script, and how deeply nested (checked by
# guards.check_storable before the data is stored).
MAX_STORED_VALUES = 1_000_000
MAX_STORED_DEPTH = 100

_SEQUENCES = (str, bytes, list, tuple)

# The names compiled code calls the guards by (ScriptPolicy rewrites the operators into them);
# they start with "_", so scripts cannot name them.
GUARD_NAMES = {"+": "_add_", "*": "_mul_", "**": "_pow_", "<<": "_lshift_", "%": "_mod_"}
FORMAT_GUARD_NAME = "_format_"


def _is_integer(value: Any) -> bool:
    return isinstance(value, int)  # bool included: True * 'x' is 'x'


def _check_length(length: int, what: str) -> None:
    if length > MAX_SEQUENCE_LENGTH:
        raise ScriptTooLarge(f"{what} would hold {length:,} items; scripts may build at most {MAX_SEQUENCE_LENGTH:,}")


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INTEGER_BITS:
        raise ScriptTooLarge(
            f"{what} would be a number of about {bits:,} bits; scripts may compute at most {MAX_INTEGER_BITS:,}"
        )


def _check_add(left: Any, right: Any) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_length(len(left) + len(right), "joining two sequences")


def _weight(value: Any) -> int:
    """The values a sequence holds, counted into the lists, tuples and dicts it holds:
    ``[row] * n`` names ``row`` n times, and whatever walks the result (a sort, a comparison,
    storing it) walks ``row`` n times, in C, out of the time limit's reach. Counts no further
    than the limit."""
    total, pending = 0, list(value)
    while pending and total <= MAX_SEQUENCE_LENGTH:
        item = pending.pop()
        total += 1  # a nested list counts too: a list that holds itself is counted, not walked forever
        if isinstance(item, (list, tuple)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
    return total


def _check_mul(left: Any, right: Any) -> None:
    if _is_integer(left) and _is_integer(right):
        _check_bits(abs(left).bit_length() + abs(right).bit_length(), "the product")
    elif isinstance(left, _SEQUENCES) and _is_integer(right):
        _check_repeat(left, right)
    elif _is_integer(left) and isinstance(right, _SEQUENCES):
        _check_repeat(right, left)


def _check_repeat(sequence: Any, times: int) -> None:
    _check_length(len(sequence) * max(times, 0), "repeating a sequence")
    if isinstance(sequence, (list, tuple)) and times > 1:
        _check_length(_weight(sequence) * times, "repeating a sequence with what it holds")


def guarded_add(left: Any, right: Any) -> Any:
    _check_add(left, right)
    return left + right


def guarded_mul(left: Any, right: Any) -> Any:
    _check_mul(left, right)
    return left * right


def guarded_iadd(target: Any, value: Any) -> Any:
    """``x += y``: in place for a list, as in Python, after the same check as ``+``."""
    _check_add(target, value)
    return operator.iadd(target, value)


def guarded_imul(target: Any, value: Any) -> Any:
    _check_mul(target, value)
    return operator.imul(target, value)


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    if modulus is not None:
        # Modular powers stay as small as the modulus; their cost grows with the exponent's bits.
        for value in (base, exponent, modulus):
            if _is_integer(value):
                _check_bits(abs(value).bit_length(), "a modular power's operand")
        return pow(base, exponent, modulus)
    if _is_integer(base) and _is_integer(exponent) and exponent > 0 and abs(base) > 1:
        # |base| ** exponent has about exponent * log2(|base|) bits; bit_length - 1 <= log2.
        _check_bits(exponent * (abs(base).bit_length() - 1) or exponent, "the power")
    return base**exponent


def guarded_lshift(value: Any, shift: Any) -> Any:
    if _is_integer(value) and _is_integer(shift) and shift > 0 and value:
        _check_bits(abs(value).bit_length() + shift, "the shifted number")
    return value << shift


# A %-format conversion's width or precision: digits, or '*' (taken from the arguments).
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_DIGITS = re.compile(r"\d+")


def guarded_mod(left: Any, right: Any) -> Any:
    if isinstance(left, (str, bytes)):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        for width, precision in _PERCENT_FIELD.findall(text):
            for size in (width, precision):
                if size == "*":
                    raise ScriptTooLarge("'*' widths in %-formatting are not allowed in scripts; write the width")
                if size:
                    _check_length(int(size), "a formatted field")
    return left % right


def guarded_format(value: Any, conversion: str, spec: str) -> str:
    """An f-string field with a format specification: ``f"{value!r:>{width}}"``."""
    if conversion == "r":
        value = repr(value)
    elif conversion == "s":
        value = str(value)
    elif conversion == "a":
        value = ascii(value)
    for size in _DIGITS.findall(spec):
        _check_length(int(size), "a formatted field")
    return format(value, spec)


# Operator symbol -> guard; the guards' names for compiled code are in GUARD_NAMES.
BINARY_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": guarded_add,
    "*": guarded_mul,
    "**": guarded_pow,
    "<<": guarded_lshift,
    "%": guarded_mod,
}


def guarded_sum(values: Iterable[Any], /, start: Any = 0) -> Any:
    """``sum`` with the size checks of ``+``. ``sum(lists, [])`` is summed in linear time (the
    builtin copies the growing list at every step, in C, out of the time limit's reach)."""
    if not isinstance(start, (list, tuple)):
        return sum(values, start)  # numbers; the builtin refuses to sum texts itself
    kind, total = type(start), list(start)
    for value in values:
        if not isinstance(value, kind):
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(value).__name__}") to {kind.__name__}')
        _check_length(len(total) + len(value), "joining two sequences")
        total.extend(value)
    return kind(total)


def _padded(method: Callable[..., Any]) -> Callable[..., Any]:
    """``ljust``/``rjust``/``center``/``zfill``: the width is the result's length."""

    def pad(width: Any, *rest: Any) -> Any:
        if _is_integer(width):
            _check_length(width, "padding a text")
        return method(width, *rest)

    return pad


def _expandtabs(text: Any) -> Callable[..., Any]:
    def expand(tabsize: Any = 8) -> Any:
        if _is_integer(tabsize):
            _check_length(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tabsize, 0), "a text")
        return text.expandtabs(tabsize)

    return expand


def _replace(text: Any) -> Callable[..., Any]:
    def replace(old: Any, new: Any, count: Any = -1, /) -> Any:
        if isinstance(old, type(text)) and isinstance(new, type(text)) and _is_integer(count):
            found = text.count(old) if old else len(text) + 1
            if count >= 0:
                found = min(found, count)
            _check_length(len(text) + found * max(len(new) - len(old), 0), "replacing in a text")
        return text.replace(old, new, count)

    return replace


def _join(separator: Any) -> Callable[[Iterable[Any]], Any]:
    def join(items: Iterable[Any], /) -> Any:
        items = list(items)
        if all(isinstance(item, (str, bytes)) for item in items):
            _check_length(sum(len(item) for item in items) + len(separator) * max(len(items) - 1, 0), "joining texts")
        return separator.join(items)

    return join


_GROWING_METHODS = ("ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join")


def sized_method(obj: Any, name: str) -> Callable[..., Any] | None:
    """The guarded version of a text method that can grow its result, or None."""
    if obj in (str, bytes) and name in _GROWING_METHODS:
        # Reached on the type (``str.ljust(text, width)``): check on the instance it is called with.
        unbound = getattr(obj, name)

        def call(text: Any, *args: Any) -> Any:
            guarded = sized_method(text, name) if isinstance(text, obj) else None
            return guarded(*args) if guarded is not None else unbound(text, *args)

        return call
    if not isinstance(obj, (str, bytes)):
        return None
    if name in ("ljust", "rjust", "center", "zfill"):
        return _padded(getattr(obj, name))
    if name == "expandtabs":
        return _expandtabs(obj)
    if name == "replace":
        return _replace(obj)
    if name == "join":
        return _join(obj)
    return None
