"""Where experiment numbers live: MLflow runs, read through the tracking server's REST API with
the standard library's HTTP client (nothing to install, nothing imported until a board has a
run), and DVCLive output (``metrics.json``, or any JSON file of ``{"name": number}``).

Credentials come from MLflow's own variables (``MLFLOW_TRACKING_TOKEN``, or
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``) and are never written into the
board, its log or the screen: a tracking URI with a password in it is refused.

What a tracker or a metrics file says is untrusted input, like a pasted text: each request has
a deadline for the whole answer and a size bound (``net``); the answer's shape is checked
(pydantic, as an import is); names and statuses are cleaned to the rules typed text obeys
(characters a terminal acts on shown as marks, lengths bounded), numbers out of range and
metric names no criterion could name are left out, and each such thing is a problem naming
the run (``RunState.problems``) rather than a failure of the whole sync.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as ShapeError

from tkanban.core import net
from tkanban.core.errors import TkanbanError, ValidationError
from tkanban.core.model.evidence import PARAMS_MAX, RunDetail, thin
from tkanban.core.model.text import LINE_MAX, from_outside, metric_name

METRICS_MAX = 10_000_000
"""Bytes a metrics file may hold (DVCLive's are a few hundred)."""
ANSWER_MAX = 16_000_000
"""Bytes an MLflow answer may hold."""
DEADLINE = 10.0
"""Seconds an MLflow request may take, from sending it to the last byte of its answer."""
METRICS_PER_RUN = 1000
"""Metrics kept of one run (those a criterion names first, then by name)."""
DEPTH_MAX = 16
"""Levels of nesting a metrics file may use."""
PAGES_MAX = 50
"""Pages of tagged runs read in one sync (1,000 runs a page)."""
STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
LATEST_TIME = 253_402_300_799.0
"""The last second of the year 9999: a later time is not a time."""
TAG_CARD, TAG_BOARD = "tkanban.card", "tkanban.board"
"""The run tags that link a run to its card by themselves."""
TAG_COMMIT = "mlflow.source.git.commit"
HISTORY_ASKED = 25_000
"""Points of one metric's history asked of MLflow (then thinned to what is kept)."""
TSV_ROWS_MAX = 100_000
"""Rows of a DVCLive history file read."""
_RUN_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[A-Za-z0-9_-]{8,64}$")
_UI_RUN = re.compile(r"/runs/([A-Za-z0-9_-]+)")
_EXPERIMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class TrackerError(TkanbanError):
    """A run's answer cannot be used (its shape, its JSON): nothing was written of it."""


class TrackerDown(TrackerError):
    """The tracker cannot be reached, is too slow, or answers with an error: nothing was
    written, and no other of its runs is asked for in the same sync."""


@dataclass(frozen=True)
class RunState:
    """A run as a sync reads it."""

    ref: str
    name: str
    status: str
    """RUNNING, FINISHED, FAILED, KILLED or SCHEDULED for MLflow; ``file`` for DVCLive."""
    metrics: dict[str, float]
    at: float
    """When its latest metric was written (epoch seconds)."""
    url: str = ""
    source: str = field(default="mlflow")
    problems: tuple[str, ...] = ()
    """What was left out or cleaned of what the tracker said (one line each)."""
    detail: RunDetail = field(default_factory=RunDetail)
    """Its criterion metrics' history, params, times and commit."""


def check_uri(uri: str) -> str:
    """A tracking URI fit to keep in the board: http(s), and no password in it."""
    try:
        parts = urlsplit(uri.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        hostname = None
    if hostname is None or parts.scheme not in ("http", "https") or len(uri) > LINE_MAX:
        raise ValidationError(f"not an http(s) tracking URI: {from_outside(uri, 80)!r} (e.g. "
                              "http://mlflow.internal:5000)", "tracking_uri")
    if parts.username or parts.password:
        raise ValidationError("a tracking URI must not hold credentials: set "
                              "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
                              "MLFLOW_TRACKING_TOKEN) instead", "tracking_uri")
    if from_outside(uri.strip(), LINE_MAX) != uri.strip():
        raise ValidationError("a tracking URI must not hold control characters", "tracking_uri")
    return uri.strip().rstrip("/")


def parse_ref(text: str) -> tuple[str, str, str | None]:
    """What ``tkanban link`` was given: (``mlflow`` or ``dvclive``, the run id or the
    absolute path, the tracking URI a run's URL names, if it was one)."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        match = _UI_RUN.search(text)
        if match is None:
            raise ValidationError(f"not the URL of an MLflow run: {text!r} (it shows "
                                  "…/#/experiments/1/runs/RUN_ID)", "ref")
        base = text.split("/#", 1)[0] if "/#" in text else text[:match.start()].rsplit(
            "/experiments", 1)[0]
        return "mlflow", match.group(1), check_uri(base)
    kind, sep, value = text.partition(":")
    if not sep or kind not in ("mlflow", "dvclive") or not value.strip():
        raise ValidationError(f"say mlflow:RUN_ID, a run's URL, or dvclive:PATH, not {text!r}",
                              "ref")
    if kind == "mlflow":
        if not _RUN_ID.match(value.strip()):
            raise ValidationError(f"not an MLflow run id: {value!r}", "ref")
        return kind, value.strip(), None
    if from_outside(value, 4000) != value:
        raise ValidationError("a DVCLive path must not hold control characters", "ref")
    try:
        return kind, str(Path(value.strip()).expanduser().resolve()), None
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise ValidationError(f"{value.strip()} cannot be followed: {exc}", "ref") from None


def _number(value: Any) -> float | None:
    """A metric's value as a float, or None for anything else (a text, a list, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > 2**1023:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _epoch(milliseconds: Any) -> float | None:
    """A time MLflow gives in milliseconds, as epoch seconds (None when it is no time)."""
    number = _number(milliseconds)
    if number is None or not 0 <= number / 1000 <= LATEST_TIME:
        return None
    return number / 1000


def _kept_metrics(found: dict[str, float], keep: Collection[str], problems: list[str]) -> dict[
        str, float]:
    """At most ``METRICS_PER_RUN`` metrics: those named in ``keep`` first, then by name."""
    if len(found) <= METRICS_PER_RUN:
        return found
    order = sorted(found, key=lambda name: (name not in keep, name))
    problems.append(f"it has {len(found):,} metrics; the first {METRICS_PER_RUN:,} are kept "
                    "(those the criteria name first)")
    return {name: found[name] for name in order[:METRICS_PER_RUN]}


def _metric(key: str, value: Any, problems: list[str], bad: dict[str, int]) -> tuple[
        str, float] | None:
    """One metric, if both its name and its value are usable (else counted in ``bad``)."""
    name = metric_name(key)
    number = _number(value)
    if name is None:
        bad["names"] = bad.get("names", 0) + 1
        if bad["names"] == 1:
            problems.append(f"metric name {from_outside(key, 40)!r} left out (a metric name "
                            "is up to 64 characters, no control characters)")
        return None
    if number is None:
        bad["values"] = bad.get("values", 0) + 1
        if bad["values"] == 1:
            problems.append(f"metric {name!r} left out: {_what(value)} is not a finite number")
        return None
    return name, number


def _what(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a value out of range"
    return f"a {type(value).__name__}" if not isinstance(value, str) else \
        f"the text {from_outside(value, 20)!r}"


def _left_out(bad: dict[str, int], problems: list[str]) -> None:
    more = sum(bad.values()) - len(bad)
    if more > 0:
        problems.append(f"and {more:,} more metrics left out")


# --- MLflow --------------------------------------------------------------------------------------


def _auth() -> dict[str, str]:
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = (os.environ.get("MLFLOW_TRACKING_USERNAME"),
                      os.environ.get("MLFLOW_TRACKING_PASSWORD"))
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Metric(_Shape):
    key: str
    value: Any = None
    timestamp: Any = None


class _Tag(_Shape):
    key: str
    value: str = ""


class _Info(_Shape):
    run_id: str = ""
    run_uuid: str = ""
    run_name: str = ""
    status: str = ""
    start_time: Any = None
    end_time: Any = None
    experiment_id: str | int | None = None


class _Param(_Shape):
    key: str
    value: Any = ""


class _Data(_Shape):
    metrics: list[_Metric] = []
    tags: list[_Tag] = []
    params: list[_Param] = []


class _Step(_Shape):
    value: Any = None
    step: Any = 0


class _History(_Shape):
    metrics: list[_Step] = []


class _Run(_Shape):
    info: _Info
    data: _Data = _Data()


class _Experiment(_Shape):
    experiment_id: str


def _shape(model: type[_Shape], data: Any) -> Any:
    """``data`` checked against ``model``; a ``TrackerError`` saying where it is not."""
    try:
        return model.model_validate(data)
    except ShapeError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the answer"
        raise TrackerError(f"unexpected answer ({where}: "
                           f"{from_outside(error['msg'], 80)})") from None


class Mlflow:
    """An MLflow tracking server, through its REST API."""

    def __init__(self, uri: str, deadline: float = DEADLINE) -> None:
        self.uri = check_uri(uri)
        self.deadline = deadline

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            answer = net.request(
                f"{self.uri}/api/2.0/mlflow/{path}", method="POST" if body is not None else "GET",
                body=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": "application/json", **_auth()},
                deadline=self.deadline, max_bytes=ANSWER_MAX)
        except net.NetError as exc:
            if exc.status is None or 300 <= exc.status < 400:
                raise TrackerDown(f"MLflow at {self.uri} cannot be reached ({exc})") from None
            message = _message(exc.body)
            if exc.status == 404 and path.startswith("runs/get"):
                raise NotARun(message or "no such run") from None
            raise TrackerDown(f"MLflow at {self.uri} answered {exc.status}"
                              + (f": {message}" if message else "")) from None
        try:
            data = json.loads(answer.body or b"{}")
        except RecursionError:
            raise TrackerError("unexpected answer (JSON nested too deeply)") from None
        except ValueError:
            raise TrackerError("unexpected answer (not JSON)") from None
        if not isinstance(data, dict):
            raise TrackerError("unexpected answer (JSON that is not an object)")
        return data

    def run(self, run_id: str, keep: Collection[str] = ()) -> RunState:
        try:
            found = self._call(f"runs/get?run_id={quote(run_id)}")
        except NotARun:
            raise ValidationError(f"no MLflow run {run_id!r} at {self.uri}", "ref") from None
        if not isinstance(found.get("run"), dict):
            raise TrackerError("unexpected answer (no run in it)")
        state = self._state(_shape(_Run, found["run"]), run_id, keep)
        history, problems = {}, list(state.problems)
        for name in sorted(set(keep) & set(state.metrics)):
            try:
                points = self.history(run_id, name)
            except TrackerError as exc:  # the run was read: its history waits for next time
                problems.append(f"the history of {name!r} was not read ({exc})")
                continue
            if points:
                history[name] = points
        return replace(state, detail=replace(state.detail, history=history),
                       problems=tuple(problems))

    def history(self, run_id: str, metric: str) -> list[tuple[int, float]]:
        """A metric's values by step (``metrics/get-history``), thinned to
        ``evidence.HISTORY_MAX``; values that are no finite number are left out."""
        answer = self._call(f"metrics/get-history?run_id={quote(run_id)}&metric_key="
                            f"{quote(metric)}&max_results={HISTORY_ASKED}")
        points = sorted((int(step), number) for item in _shape(_History, answer).metrics
                        if (number := _number(item.value)) is not None
                        and (step := _number(item.step)) is not None and abs(step) < 2**53)
        return thin(points)

    def _state(self, found: _Run, asked: str, keep: Collection[str]) -> RunState:
        info = found.info
        run_id = info.run_id or info.run_uuid
        if run_id != asked:
            raise TrackerError(f"unexpected answer (another run: {from_outside(run_id, 16)!r})")
        problems: list[str] = []
        metrics: dict[str, float] = {}
        bad: dict[str, int] = {}
        latest = _epoch(info.start_time) or 0.0
        for metric in found.data.metrics:
            kept = _metric(metric.key, metric.value, problems, bad)
            if kept is not None:
                metrics[kept[0]] = kept[1]
                latest = max(latest, _epoch(metric.timestamp) or 0.0)
        _left_out(bad, problems)
        metrics = _kept_metrics(metrics, keep, problems)
        name = from_outside(info.run_name, LINE_MAX) or run_id[:8]
        if name != info.run_name and info.run_name:
            problems.append(f"its name held characters a terminal acts on, or was too long; "
                            f"kept as {from_outside(name, 40)!r}")
        status = info.status if info.status in STATUSES else "UNKNOWN"
        if status != info.status:
            problems.append(f"unknown status {from_outside(info.status, 20)!r}")
        experiment = str(info.experiment_id or "")
        url = (f"{self.uri}/#/experiments/{experiment}/runs/{run_id}"
               if _EXPERIMENT_ID.match(experiment) else f"{self.uri}/#/runs/{run_id}")
        params = {from_outside(p.key, 64): from_outside(str(p.value), LINE_MAX)
                  for p in found.data.params[:PARAMS_MAX]}
        tags = {t.key: t.value for t in found.data.tags}
        detail = RunDetail(params=params, started=_epoch(info.start_time),
                           ended=_epoch(info.end_time),
                           commit=from_outside(tags.get(TAG_COMMIT, ""), 64))
        return RunState(f"mlflow:{run_id}", name, status, metrics, latest,
                        url if len(url) <= LINE_MAX else "", problems=tuple(problems),
                        detail=detail)

    def tagged(self) -> tuple[list[tuple[str, str, str | None]], list[str]]:
        """Runs tagged with a card: (run id, the card's id as tagged, the board tagged); and
        a line for each run whose answer could not be used."""
        experiments = self._call("experiments/search", {"max_results": 1000})
        ids = []
        for item in _items(experiments, "experiments"):
            try:
                ids.append(_Experiment.model_validate(item).experiment_id)
            except ShapeError:
                continue
        found: list[tuple[str, str, str | None]] = []
        problems: list[str] = []
        token: Any = None
        for _ in range(PAGES_MAX if ids else 0):
            body: dict[str, Any] = {"experiment_ids": ids, "max_results": 1000,
                                    "filter": f"tags.`{TAG_CARD}` LIKE '%'"}
            if isinstance(token, str) and token:
                body["page_token"] = token
            page = self._call("runs/search", body)
            for item in _items(page, "runs"):
                try:
                    run = _Run.model_validate(item)
                except ShapeError:
                    problems.append("a tagged run's answer has an unexpected shape; left out")
                    continue
                run_id = run.info.run_id or run.info.run_uuid
                if not _RUN_ID.match(run_id):
                    problems.append(f"a tagged run has no usable id "
                                    f"({from_outside(run_id, 16)!r}); left out")
                    continue
                tags = {t.key: t.value for t in run.data.tags}
                found.append((run_id, tags.get(TAG_CARD, ""), tags.get(TAG_BOARD)))
            token = page.get("next_page_token")
            if not token:
                break
        return found, problems


def _items(answer: dict[str, Any], key: str) -> list[Any]:
    items = answer.get(key, [])
    return items if isinstance(items, list) else []


def _message(body: bytes) -> str:
    """The ``message`` of an MLflow error answer, cleaned, if it has one."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        return ""
    message = data.get("message", "") if isinstance(data, dict) else ""
    return from_outside(message, 200) if isinstance(message, str) else ""


class NotARun(Exception):
    pass


# --- DVCLive -------------------------------------------------------------------------------------


def _flatten(data: dict[str, Any], prefix: str, out: dict[str, Any], depth: int = 0) -> None:
    if depth > DEPTH_MAX:
        raise ValueError(f"nested deeper than {DEPTH_MAX} levels")
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}/", out, depth + 1)
        elif name != "step":  # DVCLive's step counter is not a result
            out[name] = value


def read_dvclive(path: str, keep: Collection[str] = ()) -> RunState:
    """A DVCLive output folder (its ``metrics.json``) or a JSON file of numbers."""
    where = Path(path)
    try:
        file = where / "metrics.json" if where.is_dir() else where
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would never end
            raise ValidationError(f"{file} is not a metrics file: not a regular file", "ref")
        if info.st_size > METRICS_MAX:
            raise ValidationError(f"{file} is not a metrics file: {info.st_size:,} bytes",
                                  "ref")
        with file.open("rb") as handle:
            raw = handle.read(METRICS_MAX + 1).decode("utf-8")
        stamp = info.st_mtime
    except FileNotFoundError:
        raise ValidationError(f"no metrics file at {where}", "ref") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ValidationError(f"{where} cannot be read: {reason}", "ref") from None
    if len(raw) > METRICS_MAX:
        raise ValidationError(f"{file} is not a metrics file: it grew past "
                              f"{METRICS_MAX:,} bytes", "ref")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ValidationError(f"{file} is not a metrics file: nested too deeply", "ref") from None
    except ValueError:
        raise ValidationError(f"{file} is not a metrics file: not JSON", "ref") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{file} is not a metrics file: not an object of numbers", "ref")
    found: dict[str, Any] = {}
    try:
        _flatten(data, "", found)
    except ValueError as exc:
        raise ValidationError(f"{file} is not a metrics file: {exc}", "ref") from None
    for key, value in found.items():  # a file of numbers, or not a metrics file at all
        if _number(value) is None:
            what = "is out of range" if isinstance(value, int | float) and not isinstance(
                value, bool) else "is not a number"
            raise ValidationError(f"{file} is not a metrics file: {from_outside(key, 40)!r} "
                                  f"{what}", "ref")
    problems: list[str] = []
    bad: dict[str, int] = {}
    metrics = dict(kept for key, value in found.items()
                   if (kept := _metric(key, value, problems, bad)) is not None)
    if not metrics:
        raise ValidationError(f"{file} is not a metrics file: it holds no usable metric"
                              + (f" ({problems[0]})" if problems else ""), "ref")
    _left_out(bad, problems)
    metrics = _kept_metrics(metrics, keep, problems)
    name = where.name if file != where else f"{where.parent.name}/{where.name}"
    history = {}
    if file != where:  # a DVCLive folder: each metric's steps are in plots/metrics/NAME.tsv
        for metric in sorted(set(keep) & set(metrics)):
            points = _tsv_history(where / "plots" / "metrics" / f"{metric}.tsv", problems)
            if points:
                history[metric] = points
    return RunState(f"dvclive:{where}", from_outside(name, LINE_MAX), "file", metrics, stamp,
                    from_outside(str(file), LINE_MAX), source="dvclive",
                    problems=tuple(problems), detail=RunDetail(history=history))


def _tsv_history(file: Path, problems: list[str]) -> list[tuple[int, float]]:
    """A metric's steps from DVCLive's ``plots/metrics/NAME.tsv`` (a header, then
    ``step<TAB>value`` rows, maybe a timestamp column): bounded, rows that are no numbers
    left out; a missing file is no history, an unreadable one a problem."""
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > METRICS_MAX:
            problems.append(f"{file.name}: not a history file; left out")
            return []
        with file.open(encoding="utf-8") as handle:
            lines = handle.read(METRICS_MAX).splitlines()[:TSV_ROWS_MAX + 1]
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError, RuntimeError) as exc:
        problems.append(f"{file.name} cannot be read ({getattr(exc, 'strerror', None) or exc})")
        return []
    if not lines:
        return []
    header = lines[0].split("\t")
    if "step" not in header:
        problems.append(f"{file.name}: no step column; its history is left out")
        return []
    step_at = header.index("step")
    value_at = next((i for i, name in enumerate(header) if name == file.stem),
                    next((i for i, name in enumerate(header)
                          if name not in ("step", "timestamp")), None))
    if value_at is None:
        return []
    points, bad = [], 0
    for line in lines[1:]:
        cells = line.split("\t")
        try:
            step, value = int(cells[step_at]), float(cells[value_at])
        except (ValueError, IndexError):
            bad += 1
            continue
        if math.isfinite(value) and abs(step) < 2**53:
            points.append((step, value))
        else:
            bad += 1
    if bad:
        problems.append(f"{file.name}: {bad:,} rows that are no numbers left out")
    return thin(sorted(points))
