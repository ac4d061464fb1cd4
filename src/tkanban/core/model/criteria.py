"""Exit criteria of hypothesis stories: parsing and evaluation. Pure.

A criterion is ``metric op number`` with op one of ``>= > <= < ==``; several are joined by
``and`` or commas: ``precision >= 0.95 and recall > 0.7``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

from tkanban.core.errors import ValidationError

OUTCOMES = ("validated", "invalidated", "inconclusive")

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}
_CRITERION = re.compile(
    r"^\s*([A-Za-z_][\w.\-@/]*)\s*(>=|<=|==|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_SPLIT = re.compile(r"\s*(?:,|\band\b|&&)\s*", re.IGNORECASE)
_METRIC = re.compile(
    r"^\s*([A-Za-z_][\w.\-@/]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)


@dataclass(frozen=True)
class Criterion:
    """One exit condition, e.g. ``auc >= 0.8``."""

    metric: str
    op: str
    target: float

    def met_by(self, value: float) -> bool:
        return bool(_OPS[self.op](value, self.target))

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {exact(self.target)}"


def exact(value: float) -> str:
    """A number as briefly as it reads back exactly (``0.95``, ``1000001``, ``1e-05``): a
    criterion rewritten by the form must keep every digit its author gave."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_criteria(text: str) -> list[Criterion]:
    """Parse criteria text; raise ``ValidationError`` saying which part is wrong."""
    if not text or not text.strip():
        return []
    result = []
    for part in _SPLIT.split(text.strip()):
        if not part:
            continue
        match = _CRITERION.match(part)
        if match is None:
            raise ValidationError(
                f"bad criterion {part!r}: write metric op number, e.g. 'auc >= 0.8' "
                "(op one of >= > <= < ==), joined by 'and' or commas",
                "criteria",
            )
        value = float(match.group(3))
        if not math.isfinite(value):
            raise ValidationError(f"bad criterion {part!r}: the number must be finite", "criteria")
        result.append(Criterion(match.group(1), match.group(2), value))
    return result


def format_criteria(criteria: list[Criterion]) -> str:
    return " and ".join(str(c) for c in criteria)


def parse_metric(text: str) -> tuple[str, float]:
    """Parse ``name=value`` as given to ``--metric``."""
    match = _METRIC.match(text)
    if match is None:
        raise ValidationError(f"bad metric {text!r}: write name=number, e.g. auc=0.83", "metric")
    value = float(match.group(2))
    if not math.isfinite(value):
        raise ValidationError(f"bad metric {text!r}: the number must be finite", "metric")
    return match.group(1), value


def parse_metrics(text: str) -> dict[str, float]:
    """Parse several ``name=value`` pairs separated by spaces or commas."""
    result: dict[str, float] = {}
    for part in re.split(r"[\s,]+", text.strip()):
        if part:
            name, value = parse_metric(part)
            result[name] = value
    return result
