"""Claim checks: the sentences of the book tied to the numbers they rest on.

A chapter states a comparison ("layer 1 gets the smaller gradient", "leaky ReLU loses fewer
units", "the factor per layer exceeds the bound of 1/4"); right beside it, a check compares the
computed values with the relation the sentence states::

    claims.that("layer 1 gets a smaller gradient than layer 8", g[0], "<", g[7])
    ✓ layer 1 gets a smaller gradient than layer 8: 0.341 < 0.867

The check prints one line (which nbval compares like any output) and raises ``ClaimError`` when
the data no longer support the sentence, so the notebook fails where the claim fails, on any
machine and under any numerical kernels. Relations:

- ``"<"``, ``"<="``, ``">"``, ``">="``, ``"=="``, ``"!="``: numbers or arrays (every element must
  satisfy the relation, and the line says how many were compared);
- ``"in"``: ``bound`` is a closed interval ``(low, high)``;
- ``"≈"``: agreement within ``rel`` (relative, at most ``MAX_REL``) or ``abs`` (absolute), at
  least one of them given, so that no tolerance is wide enough to pass anything.

``word(value, relation, bound, yes, no)`` returns the word a sentence should use (for gluing,
e.g. ``"above"``/``"below"``), so the text follows the data instead of contradicting them.
``checked()`` lists the claims checked so far in this process.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

__all__ = ["MAX_REL", "ClaimError", "checked", "that", "word"]

MAX_REL = 0.5  # a relative tolerance above this would call 1 and 3 "approximately equal"

_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}
_CHECKED: list[str] = []


class ClaimError(AssertionError):
    """A sentence of the book is no longer supported by the data it is about."""


def _values(value: object, argname: str) -> np.ndarray:
    if isinstance(value, bool | np.bool_) or value is None:
        raise TypeError(f"{argname} must be a number or an array of numbers, the measured value "
                        f"itself (not the outcome of a comparison); got {value!r}")
    array = np.asarray(value)
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise TypeError(f"{argname} must be a number or a non-empty array of numbers; "
                        f"got {value!r}")
    return array.astype(float)


def _fmt(x: object, fmt: str) -> str:
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x.item()
    if isinstance(x, numbers.Real):
        return format(float(x), fmt) if isinstance(x, float | np.floating) else str(int(x))
    array = np.asarray(x, dtype=float)
    if array.size <= 4:
        return "[" + ", ".join(format(v, fmt) for v in array.ravel()) + "]"
    return f"{array.size} values from {format(array.min(), fmt)} to {format(array.max(), fmt)}"


def _holds(value: np.ndarray, relation: str, bound, rel, abs_) -> np.ndarray:
    if relation in _RELATIONS:
        return _RELATIONS[relation](value, _values(bound, "bound"))
    if relation == "in":
        low, high = (_values(b, "bound") for b in bound)
        return (low <= value) & (value <= high)
    target = _values(bound, "bound")
    tolerance = np.maximum(rel * np.abs(target) if rel is not None else 0.0,
                           abs_ if abs_ is not None else 0.0)
    return np.abs(value - target) <= tolerance


def _check_relation(relation: str, bound, rel, abs_) -> None:
    allowed = [*_RELATIONS, "in", "≈"]
    if relation not in allowed:
        raise ValueError(f"relation={relation!r} is unknown; choose one of {', '.join(allowed)}")
    if relation == "in" and (not isinstance(bound, tuple | list) or len(bound) != 2):
        raise ValueError(f"with relation 'in', bound must be an interval (low, high); "
                         f"got {bound!r}")
    if relation == "≈":
        if rel is None and abs_ is None:
            raise ValueError("relation '≈' needs a tolerance: give rel= (relative) or abs= "
                             "(absolute)")
        if rel is not None and not 0 < rel <= MAX_REL:
            raise ValueError(f"rel must be in (0, {MAX_REL}]; got {rel!r}")
        if abs_ is not None and not abs_ > 0:
            raise ValueError(f"abs must be positive; got {abs_!r}")
    elif rel is not None or abs_ is not None:
        raise ValueError(f"rel= and abs= belong to relation '≈', not {relation!r}")


def that(statement: str, value, relation: str, bound, *, rel: float | None = None,
         abs: float | None = None, fmt: str = ".3g") -> None:
    """Check that ``value relation bound`` holds and print ``✓ statement: value relation bound``;
    raise ``ClaimError`` naming the statement and the numbers if not. Returns nothing, so a cell
    that ends with a check shows only the ✓ line.

    ``value`` is the measured number (or array: every element must satisfy the relation);
    ``bound`` the number, array or interval the sentence compares it with.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise TypeError(f"statement must be the sentence being checked (a non-empty str); "
                        f"got {statement!r}")
    _check_relation(relation, bound, rel, abs)
    values = _values(value, "value")
    holds = _holds(values, relation, bound, rel, abs)
    shown_bound = (f"[{_fmt(bound[0], fmt)}, {_fmt(bound[1], fmt)}]" if relation == "in"
                   else _fmt(bound, fmt))
    tolerance = (f" (within {rel:g} relative)" if rel is not None else "") + (
        f" (within {abs:g})" if abs is not None else "")
    line = f"{_fmt(value, fmt)} {relation} {shown_bound}{tolerance}"
    count = f" (all {values.size})" if values.size > 1 else ""
    if not np.all(holds):
        failing = int(values.size - np.count_nonzero(holds))
        which = f"; fails for {failing} of {values.size} values" if values.size > 1 else ""
        raise ClaimError(f"the claim no longer holds: {statement}: {line} is false{which}")
    _CHECKED.append(statement)
    print(f"✓ {statement}: {line}{count}")


def word(value, relation: str, bound, yes: str, no: str) -> str:
    """``yes`` if ``value relation bound`` holds (for every element), else ``no``: the word a
    sentence should use, e.g. ``word(ratio, ">", 1, "above", "below")``. Only the plain
    comparisons are allowed here (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``)."""
    if relation not in _RELATIONS:
        raise ValueError(f"relation={relation!r} is unknown; choose one of "
                         f"{', '.join(_RELATIONS)}")
    for name, text in (("yes", yes), ("no", no)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be a str; got {text!r}")
    return yes if np.all(_RELATIONS[relation](_values(value, "value"),
                                              _values(bound, "bound"))) else no


def checked() -> list[str]:
    """The statements checked (and found true) so far in this process, in order."""
    return list(_CHECKED)
