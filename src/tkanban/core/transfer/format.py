"""The export format as a typed model: what ``tkanban import`` accepts, checked before a byte
is written.

Every field is checked for its type and range, text by the same rules as text typed into the
board, and every reference (a card's lane, a log entry's card) against the records of the same
board. A problem is reported with the path of the record that holds it, such as
``boards[0].cards[12].position: not an integer``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import OUTCOMES, parse_criteria
from tkanban.core.model.evidence import MODES, RunDetail
from tkanban.core.model.records import DONE, KINDS, RELATIONS, TODO
from tkanban.core.model.text import (
    LINE_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    TITLE_MAX,
    clean,
    clean_labels,
    clean_name,
)
from tkanban.core.model.timebox import MAX_TIMEBOX
from tkanban.core.runs.trackers import check_uri

FORMAT = "tkanban-export"
FORMAT_VERSION = 5
"""2: cards carry ``labels`` and ``blocked``; 3: boards carry ``relations``; 4: boards carry
the experiment ``runs`` linked to their cards; 5: runs carry their ``detail`` and ``pinned``,
boards their ``settings`` (older files are read as boards without)."""
LOG_KINDS = ("create", "edit", "move", "archive", "restore", "note", "timebox", "extend",
             "outcome", "strike", "block", "unblock", "relate", "unrelate", "link", "unlink",
             "run", "pin", "unpin")
LATEST_TIME = 253_402_300_799.0
"""The last second of the year 9999: later times cannot be shown as dates."""


def _text(max_len: int, *, multiline: bool = False, required: bool = False) -> Any:
    def check(value: str) -> str:
        try:
            return clean(value, "text", max_len=max_len, multiline=multiline, required=required)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None

    return AfterValidator(check)


def _name(value: str) -> str:
    try:
        return clean_name(value, "name")
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


def _criteria(value: str) -> str:
    try:
        parse_criteria(value)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    return value


def _labels(value: str) -> str:
    """The labels column: space-separated, as ``clean_labels`` leaves them."""
    try:
        labels = " ".join(clean_labels([value]))
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    if labels != value:
        raise ValueError("labels are lower-case, sorted and separated by single spaces")
    return value


def _json_object(check_values: Callable[[str, Any], None]) -> Any:
    """A column holding a JSON object as text (``data``, ``metrics``)."""

    def check(value: str) -> str:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("not JSON") from None
        if not isinstance(parsed, dict):
            raise ValueError("not a JSON object")
        for key, item in parsed.items():
            check_values(key, item)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    return AfterValidator(check)


DETAIL_MAX = 4_000_000
"""Characters of one run's kept detail (its history, params) in an export."""
SETTINGS = {"tracking_uri", "sync_interval", "evidence", "project_root"}
"""The board settings an export carries (``tkanban config``)."""


def _run_detail(value: str) -> str:
    """A run's detail as ``RunDetail`` reads it back: what has another shape is dropped."""
    if len(value) > DETAIL_MAX:
        raise ValueError(f"over {DETAIL_MAX:,} characters")
    return RunDetail.from_text(value).to_text()


def _settings(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - SETTINGS)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(SETTINGS))})")
    for name, text in value.items():
        if name == "tracking_uri":
            try:
                check_uri(text)
            except ValidationError as exc:
                raise ValueError(str(exc)) from None
        elif name == "evidence" and text not in MODES:
            raise ValueError(f"evidence is one of {', '.join(MODES)}")
        else:
            clean(text, name, max_len=LINE_MAX, required=True)
    return value


def _metric(name: str, value: Any) -> None:
    try:
        clean(name, "metric name", max_len=64, required=True)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"metric {name!r} is not a finite number")


def _plain_data(name: str, value: Any) -> None:
    """Entry data holds numbers, short texts (reasons, lane names) and lists of field names."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            try:
                clean(item, name, max_len=LONG_TEXT_MAX, multiline=True)
            except ValidationError as exc:
                raise ValueError(str(exc)) from None
        elif item is not None and not isinstance(item, bool | int | float):
            raise ValueError(f"{name!r} holds something other than text or numbers")


Id = Annotated[int, Field(ge=1, le=2**62)]
Count = Annotated[int, Field(ge=0, le=2**62)]
Time = Annotated[float, Field(ge=0, le=LATEST_TIME, allow_inf_nan=False)]
Name = Annotated[str, AfterValidator(_name)]
Seconds = Annotated[int, Field(ge=1, le=MAX_TIMEBOX)]


class _Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class LaneRow(_Record):
    id: Id
    name: Annotated[str, _text(NAME_MAX, required=True)]
    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    position: Count
    wip_limit: Annotated[int, Field(ge=1, le=10_000)] | None = None


class CardRow(_Record):
    id: Id
    lane_id: Id
    kind: Literal[KINDS]  # type: ignore[valid-type]
    title: Annotated[str, _text(TITLE_MAX, required=True)]
    description: Annotated[str, _text(LONG_TEXT_MAX, multiline=True)] = ""
    criteria: Annotated[str, _text(LINE_MAX), AfterValidator(_criteria)] = ""
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    conclusion: Annotated[str, _text(LINE_MAX)] = ""
    timebox_seconds: Seconds | None = None
    clock_start: Time | None = None
    clock_stop: Time | None = None
    author: Name
    assignee: Name | None = None
    position: Count
    archived: bool = False
    created_at: Time
    updated_at: Time
    version: Id = 1
    log_count: Count | None = None
    changed_seq: Count = 0
    labels: Annotated[str, AfterValidator(_labels)] = ""
    blocked: Annotated[str, _text(LINE_MAX, required=True)] | None = None


class LogRow(_Record):
    id: Id
    card_id: Id
    author: Name
    at: Time
    kind: Literal[LOG_KINDS]  # type: ignore[valid-type]
    text: Annotated[str, _text(LONG_TEXT_MAX, multiline=True)] = ""
    data: Annotated[str, _json_object(_plain_data)] = "{}"
    metrics: Annotated[str, _json_object(_metric)] = "{}"


class PhaseRow(_Record):
    id: Id
    name: Annotated[str, _text(TITLE_MAX, required=True)]
    goal: Annotated[str, _text(LINE_MAX)] = ""
    timebox_seconds: Seconds
    started_at: Time
    ended_at: Time | None = None
    decision: Literal["go", "stop"] | None = None
    note: Annotated[str, _text(LINE_MAX)] = ""
    author: Name
    decided_by: Name | None = None


class RelationRow(_Record):
    from_id: Id
    kind: Literal[RELATIONS]  # type: ignore[valid-type]
    to_id: Id
    author: Name
    at: Time


class RunRow(_Record):
    card_id: Id
    ref: Annotated[str, Field(pattern=r"^(mlflow:[A-Za-z0-9_-]{1,64}|dvclive:.{1,4000})$")]
    author: Name
    at: Time
    name: Annotated[str, _text(LINE_MAX)] = ""
    status: Annotated[str, Field(pattern=r"^[A-Za-z_]{0,20}$")] = ""
    url: Annotated[str, _text(LINE_MAX)] = ""
    seen: Annotated[str, _json_object(_metric)] = "{}"
    synced_at: Time | None = None
    pinned: bool = False
    detail: Annotated[str, AfterValidator(_run_detail)] = "{}"


class BoardRecord(_Record):
    name: Name
    created_at: Time
    lanes: list[LaneRow]
    cards: list[CardRow] = []
    log: list[LogRow] = []
    phases: list[PhaseRow] = []
    relations: list[RelationRow] = []
    runs: list[RunRow] = []
    settings: Annotated[dict[str, str], AfterValidator(_settings)] = {}


class Export(_Record):
    model_config = ConfigDict(strict=True, extra="ignore")
    format: Literal["tkanban-export"]
    format_version: Annotated[int, Field(ge=1, le=FORMAT_VERSION)]
    boards: list[BoardRecord]


_PHRASES = {
    "int_type": "not an integer", "int_parsing": "not an integer", "int_from_float":
    "not an integer", "float_type": "not a number", "float_parsing": "not a number",
    "string_type": "not text", "bool_type": "not true or false", "list_type": "not a list",
    "model_type": "not an object", "dict_type": "not an object",
    "model_attributes_type": "not an object", "missing": "missing",
    "extra_forbidden": "not a field of this format", "finite_number": "not a finite number",
    "string_pattern_mismatch": "may hold only a-z, 0-9 and '-'",
}


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the file"


def _phrase(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "literal_error":
        return f"not one of {ctx.get('expected')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return _PHRASES.get(kind, str(error["msg"]).lower())


def _fail(where: str, problem: str, more: int = 0) -> ValidationError:
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return ValidationError(f"{where}: {problem}{tail}")


def parse_export(data: Any) -> Export:
    """The export in ``data`` (parsed JSON) as typed records, or ``ValidationError`` naming
    the first record that is wrong."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError("not a tkanban export (no 'format': 'tkanban-export')")
    version = data.get("format_version", 0)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ValidationError("this export was written by a newer tkanban")
    try:
        export = Export.model_validate(data)
    except PydanticError as exc:
        errors = exc.errors()
        first = errors[0]
        raise _fail(_where(first["loc"]), _phrase(first), len(errors) - 1) from None
    _check_references(export)
    return export


def _unique(items: list[Any], field: str, where: str, seen: dict[Any, str]) -> None:
    for i, item in enumerate(items):
        value = getattr(item, field)
        if value in seen:
            raise _fail(f"{where}[{i}].{field}", f"{value!r} appears twice (also {seen[value]})")
        seen[value] = f"{where}[{i}]"


def _check_references(export: Export) -> None:
    """Ids unique in the file, and every reference pointing inside its own board."""
    names: dict[Any, str] = {}
    lane_ids: dict[Any, str] = {}
    card_ids: dict[Any, str] = {}
    entry_ids: dict[Any, str] = {}
    phase_ids: dict[Any, str] = {}
    for b, board in enumerate(export.boards):
        at = f"boards[{b}]"
        _unique([board], "name", "boards", names)
        if not board.lanes:
            raise _fail(f"{at}.lanes", "a board needs its lanes")
        _unique(board.lanes, "id", f"{at}.lanes", lane_ids)
        _unique(board.lanes, "slug", f"{at}.lanes", {})
        _unique(board.lanes, "position", f"{at}.lanes", {})
        slugs = {lane.slug for lane in board.lanes}
        for needed in (TODO, DONE):
            if needed not in slugs:
                raise _fail(f"{at}.lanes", f"the lane {needed!r} is missing")
        lanes = {lane.id for lane in board.lanes}
        _unique(board.cards, "id", f"{at}.cards", card_ids)
        cards = {card.id for card in board.cards}
        for i, card in enumerate(board.cards):
            if card.lane_id not in lanes:
                raise _fail(f"{at}.cards[{i}].lane_id", f"no lane {card.lane_id} in this board")
        _unique(board.log, "id", f"{at}.log", entry_ids)
        for i, entry in enumerate(board.log):
            if entry.card_id not in cards:
                raise _fail(f"{at}.log[{i}].card_id", f"no card #{entry.card_id} in this board")
        _check_relations(board.relations, cards, f"{at}.relations")
        seen_runs: set[tuple[int, str]] = set()
        for i, run in enumerate(board.runs):
            if run.card_id not in cards:
                raise _fail(f"{at}.runs[{i}].card_id", f"no card #{run.card_id} in this board")
            if (run.card_id, run.ref) in seen_runs:
                raise _fail(f"{at}.runs[{i}]", "this run is linked twice to the card")
            seen_runs.add((run.card_id, run.ref))
        _unique(board.phases, "id", f"{at}.phases", phase_ids)
        running = [i for i, phase in enumerate(board.phases) if phase.ended_at is None]
        if len(running) > 1:
            raise _fail(f"{at}.phases[{running[1]}]", "a second phase still running")


def _check_relations(relations: list[Any], cards: set[int], where: str) -> None:
    """Relations between cards of the board, each once, and no loop of ``blocks`` or
    ``follows`` (the board would show a card waiting on itself)."""
    seen: set[tuple[int, str, int]] = set()
    edges: dict[str, dict[int, list[int]]] = {"blocks": {}, "follows": {}}
    for i, rel in enumerate(relations):
        for end in ("from_id", "to_id"):
            if getattr(rel, end) not in cards:
                raise _fail(f"{where}[{i}].{end}", f"no card #{getattr(rel, end)} in this board")
        if rel.from_id == rel.to_id:
            raise _fail(f"{where}[{i}]", f"card #{rel.from_id} related to itself")
        key = (rel.from_id, rel.kind, rel.to_id)
        if key in seen or (rel.kind == "relates" and (rel.to_id, rel.kind, rel.from_id) in seen):
            raise _fail(f"{where}[{i}]", "this relation appears twice")
        if rel.kind == "duplicates" and (rel.to_id, rel.kind, rel.from_id) in seen:
            raise _fail(f"{where}[{i}]", "two cards that duplicate each other")
        seen.add(key)
        if rel.kind in edges:
            edges[rel.kind].setdefault(rel.from_id, []).append(rel.to_id)
    for kind, graph in edges.items():
        state: dict[int, int] = {}  # 1: on the current path, 2: done
        for start in sorted(graph):
            if state.get(start):
                continue
            stack = [(start, iter(graph[start]))]
            state[start] = 1
            while stack:
                node, nexts = stack[-1]
                step = next(nexts, None)
                if step is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(step) == 1:
                    raise _fail(where, f"#{step} {kind} itself through #{node}: a loop")
                elif not state.get(step):
                    state[step] = 1
                    stack.append((step, iter(graph.get(step, ()))))
