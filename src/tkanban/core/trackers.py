"""Where experiment numbers live: MLflow runs, read through the tracking server's REST API with
the standard library's HTTP client (nothing to install, nothing imported until a board has a
run), and DVCLive output (``metrics.json``, or any JSON file of ``{"name": number}``).

Credentials come from MLflow's own variables (``MLFLOW_TRACKING_TOKEN``, or
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD``) and are never written into the
board, its log or the screen: a tracking URI with a password in it is refused.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from tkanban.core.errors import TkanbanError, ValidationError

METRICS_MAX = 10_000_000
"""Bytes a metrics file may hold (DVCLive's are a few hundred)."""
TIMEOUT = 10.0
"""Seconds an MLflow request may take."""
TAG_CARD, TAG_BOARD = "tkanban.card", "tkanban.board"
"""The run tags that link a run to its card by themselves."""
_RUN_ID = re.compile(r"^[0-9a-fA-F]{32}$|^[A-Za-z0-9_-]{8,64}$")
_UI_RUN = re.compile(r"/runs/([A-Za-z0-9_-]+)")


class TrackerError(TkanbanError):
    """The tracker cannot be reached or answers with an error: nothing was written."""


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


def check_uri(uri: str) -> str:
    """A tracking URI fit to keep in the board: http(s), and no password in it."""
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"not an http(s) tracking URI: {uri!r} (e.g. "
                              "http://mlflow.internal:5000)", "tracking_uri")
    if parts.username or parts.password:
        raise ValidationError("a tracking URI must not hold credentials: set "
                              "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
                              "MLFLOW_TRACKING_TOKEN) instead", "tracking_uri")
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
    return kind, str(Path(value.strip()).expanduser().resolve()), None


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


class Mlflow:
    """An MLflow tracking server, through its REST API."""

    def __init__(self, uri: str) -> None:
        self.uri = check_uri(uri)

    def _call(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.uri}/api/2.0/mlflow/{path}", method="POST" if body is not None else "GET",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **_auth()})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return dict(json.loads(answer.read() or b"{}"))
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read() or b"{}").get("message", "")
            except ValueError:
                message = ""
            if exc.code == 404 and path.startswith("runs/get"):
                raise NotARun(message or "no such run") from None
            raise TrackerError(f"MLflow at {self.uri} answered {exc.code}"
                               + (f": {message}" if message else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TrackerError(f"MLflow at {self.uri} cannot be reached ({reason})") from None

    def run(self, run_id: str) -> RunState:
        try:
            found = self._call(f"runs/get?run_id={quote(run_id)}")["run"]
        except NotARun:
            raise ValidationError(f"no MLflow run {run_id!r} at {self.uri}", "ref") from None
        return self._state(found)

    def _state(self, found: dict[str, Any]) -> RunState:
        info, data = found.get("info", {}), found.get("data", {})
        metrics: dict[str, float] = {}
        latest = (info.get("start_time") or 0) / 1000
        for metric in data.get("metrics", []):
            value = metric.get("value")
            if isinstance(value, int | float) and math.isfinite(value):
                metrics[str(metric["key"])] = float(value)
                latest = max(latest, (metric.get("timestamp") or 0) / 1000)
        run_id = info.get("run_id") or info.get("run_uuid", "")
        return RunState(f"mlflow:{run_id}", info.get("run_name", "") or run_id[:8],
                        info.get("status", ""), metrics, latest,
                        f"{self.uri}/#/experiments/{info.get('experiment_id')}/runs/{run_id}")

    def tagged(self) -> list[tuple[str, str, str | None]]:
        """Runs tagged with a card: (run id, the card's id as tagged, the board tagged)."""
        experiments = self._call("experiments/search", {"max_results": 1000})
        ids = [e["experiment_id"] for e in experiments.get("experiments", [])]
        found: list[tuple[str, str, str | None]] = []
        token = None
        while ids:
            body: dict[str, Any] = {"experiment_ids": ids, "max_results": 1000,
                                    "filter": f"tags.`{TAG_CARD}` LIKE '%'"}
            if token:
                body["page_token"] = token
            page = self._call("runs/search", body)
            for run in page.get("runs", []):
                tags = {t["key"]: t["value"] for t in run.get("data", {}).get("tags", [])}
                info = run.get("info", {})
                found.append((info.get("run_id") or info.get("run_uuid", ""),
                              tags.get(TAG_CARD, ""), tags.get(TAG_BOARD)))
            token = page.get("next_page_token")
            if not token:
                break
        return found


class NotARun(Exception):
    pass


# --- DVCLive -------------------------------------------------------------------------------------


def _flatten(data: dict[str, Any], prefix: str, out: dict[str, float], where: Path) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, f"{name}/", out, where)
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
                value):
            raise ValidationError(f"{where} is not a metrics file: {name!r} is not a number",
                                  "ref")
        elif name != "step":  # DVCLive's step counter is not a result
            out[name] = float(value)


def read_dvclive(path: str) -> RunState:
    """A DVCLive output folder (its ``metrics.json``) or a JSON file of numbers."""
    where = Path(path)
    file = where / "metrics.json" if where.is_dir() else where
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would never end
            raise ValidationError(f"{file} is not a metrics file: not a regular file", "ref")
        if info.st_size > METRICS_MAX:
            raise ValidationError(f"{file} is not a metrics file: {info.st_size:,} bytes",
                                  "ref")
        raw = file.read_text(encoding="utf-8")
        stamp = info.st_mtime
    except FileNotFoundError:
        raise ValidationError(f"no metrics file at {file}", "ref") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"{file} cannot be read: {exc}", "ref") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValidationError(f"{file} is not a metrics file: not JSON", "ref") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{file} is not a metrics file: not an object of numbers", "ref")
    metrics: dict[str, float] = {}
    _flatten(data, "", metrics, file)
    if not metrics:
        raise ValidationError(f"{file} is not a metrics file: it holds no metric", "ref")
    name = where.name if where.is_dir() else f"{where.parent.name}/{where.name}"
    return RunState(f"dvclive:{where}", name, "file", metrics, stamp, str(file),
                    source="dvclive")
