"""The built-in styles' blend syntax, ``7`` or ``3:0.5,12:0.5``, read without torch so that
``style.transfer`` can refuse a malformed blend when the param is set, not when it runs."""

from __future__ import annotations

import math

# Dumoulin et al.'s multi-style network has 26 styles (nodes.models.magenta.BUILTIN_STYLES).
BUILTIN_STYLE_COUNT = 26
# Weights are relative shares; a cap keeps their sum (and each share) an ordinary number.
MAX_WEIGHT = 1000.0


def parse_style_blend(spec: str, count: int = BUILTIN_STYLE_COUNT) -> list[float]:
    """'7' or '3:0.5,12:0.5' -> ``count`` weights summing to 1 (a style named twice adds up).
    Raises ValueError saying what is wrong: a bad list, an unknown style, a weight that is
    negative, not finite or above MAX_WEIGHT, or no weight at all."""
    weights = [0.0] * count
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        index, _, weight = part.partition(":")
        try:
            i, w = int(index), float(weight) if weight else 1.0
        except ValueError:
            raise ValueError(f"{spec!r} is not a style list such as 7 or 3:0.5,12:0.5") from None
        if not 0 <= i < count:
            raise ValueError(f"built-in style {i} does not exist (0 to {count - 1})")
        if not math.isfinite(w) or not 0.0 <= w <= MAX_WEIGHT:
            raise ValueError(
                f"style {i}'s weight {weight.strip()} is not a number from 0 to {MAX_WEIGHT:g}"
            )
        weights[i] += w
    total = sum(weights)
    if total <= 0:
        raise ValueError(f"{spec!r} selects no built-in style")
    return [w / total for w in weights]
