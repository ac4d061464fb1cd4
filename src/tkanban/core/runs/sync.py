"""Experiment runs on hypothesis cards: a card is linked to the MLflow runs and DVCLive files
that test it, and a sync writes their new numbers into its research log as metric entries, so
the exit criteria are checked against them like any logged metric.

A sync reads the trackers first, outside any transaction, then writes each run's news in one
short write that compares with what the link last saw (``RunLink.seen``): a second sync, or
two at once, writes nothing twice. A tracker that cannot be reached writes nothing and is
reported; the next sync catches up.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlmodel import select

from tkanban.core.board.reads import board_id, board_of, board_setting
from tkanban.core.board.settings import set_board_setting
from tkanban.core.board.transaction import append_log, card_row, next_seq
from tkanban.core.errors import NotFoundError, TkanbanError, ValidationError
from tkanban.core.model.text import LINE_MAX, clean_name, from_outside, plural
from tkanban.core.runs.links import (
    LinkInfo,
    board_tracking_uri,
    criteria_metrics,
    links_of,
)
from tkanban.core.runs.trackers import (
    DEADLINE,
    Mlflow,
    RunState,
    TrackerDown,
    TrackerError,
    check_uri,
    parse_ref,
    read_dvclive,
)
from tkanban.core.storage.base import Store, dumps
from tkanban.core.storage.tables import Card, RunLink

SOURCES = {"mlflow": "MLflow run", "dvclive": "DVCLive"}
SYNC_DEADLINE = 30.0
"""Seconds one sync may take in all; runs not read by then wait for the next sync."""


@dataclass
class SyncReport:
    entries: int = 0
    """Research-log entries written."""
    linked: list[tuple[int, str]] = field(default_factory=list)
    """Runs newly linked by their tags: (card id, ref)."""
    problems: list[str] = field(default_factory=list)
    """Runs that could not be read (one line each, naming the run)."""
    warnings: list[str] = field(default_factory=list)
    """What was left out or cleaned of runs that were read (one line each, naming the run)."""
    met: list[int] = field(default_factory=list)
    """Cards whose every criterion a run has just met."""


def set_tracking_uri(store: Store, board: str, uri: str | None) -> str | None:
    """Keep the board's MLflow tracking URI (for the whole team), or forget it (None)."""
    uri = check_uri(uri) if uri else None
    set_board_setting(store, board, "tracking_uri", uri)
    return uri


def resolve_uri(store: Store, board: str, given: str | None) -> str | None:
    """``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else the board's own."""
    uri = given or os.environ.get("MLFLOW_TRACKING_URI") or board_tracking_uri(store, board)
    return check_uri(uri) if uri else None


def project_root(store: Store, board: str) -> Path | None:
    """The folder DVCLive paths are kept relative to, so that they resolve on every
    teammate's machine: the board's ``project-root`` setting, else the board file's folder
    (a database on a server has none)."""
    setting = board_setting(store, board, "project_root")
    if setting:
        return Path(setting).expanduser()
    path = getattr(store, "path", None)
    return Path(path).resolve().parent if isinstance(path, Path) else None


def kept_ref(ref: str, root: Path | None) -> str:
    """A DVCLive ref as the board keeps it: relative to ``root`` when under it."""
    kind, _, value = ref.partition(":")
    if kind != "dvclive" or root is None or not value.startswith("/"):
        return ref
    try:
        return f"dvclive:{Path(value).relative_to(root.resolve()).as_posix() or '.'}"
    except (ValueError, OSError, RuntimeError):
        return ref


def given_ref(text: str, root: Path | None) -> str:
    """What a user typed (a run, a URL, a path) as the ref the board keeps."""
    kind, value, _ = parse_ref(text)
    return kept_ref(f"{kind}:{value}", root)


def read_run(ref: str, uri: str | None, keep: Collection[str] = (),
             deadline: float = DEADLINE, root: Path | None = None,
             server: str = "") -> RunState:
    """The run behind ``ref`` as its tracker has it now (the metrics named in ``keep`` kept
    first when it has too many), read within ``deadline`` seconds; a relative DVCLive path
    is read under ``root``; a run linked by its URL is read on its own ``server`` (kept in
    its detail)."""
    if server:
        state = read_run(ref, server, keep, deadline, root)
        return replace(state, detail=replace(state.detail, server=server))
    kind, _, raw = ref.partition(":")
    if kind == "dvclive" and raw and not raw.startswith("/") and root is not None:
        state = read_dvclive(str(root / raw), keep)
        return replace(state, ref=ref)
    kind, value, named_uri = parse_ref(ref)
    if kind == "dvclive":
        return read_dvclive(value, keep)
    uri = named_uri or uri
    if uri is None:
        raise ValidationError("where is MLflow? give --tracking-uri, set MLFLOW_TRACKING_URI, or "
                              "keep one in the board: tkanban config tracking-uri URL",
                              "tracking_uri")
    return Mlflow(uri, deadline).run(value, keep)


def link_run(store: Store, card_id: int, ref: str, *, author: str,
             tracking_uri: str | None = None, deadline: float = DEADLINE,
             kept: bool = False) -> LinkInfo:
    """Link the run ``ref`` (``mlflow:RUN_ID``, a run's URL, or ``dvclive:PATH``) to a card,
    once it is found: a run that does not exist, or a file that holds no metrics, is refused
    and nothing is written. Its numbers reach the log at the next sync. A path is the user's
    (relative to the working folder); ``kept``: a ref as the board keeps it (relative to
    ``project_root``)."""
    author = clean_name(author, "user name")
    board = _board_of(store, card_id)
    uri = resolve_uri(store, board, tracking_uri)
    root = project_root(store, board)
    kind, _, raw = ref.partition(":")
    if kept and kind == "dvclive" and root is not None and not raw.startswith("/"):
        ref = f"dvclive:{root / raw}"  # as the board kept it (undoing an unlink)
    try:
        state = read_run(ref, uri, criteria_metrics(store, [card_id]).get(card_id, ()),
                         deadline)
    except TrackerDown:
        raise
    except TrackerError as exc:
        raise TrackerError(f"{_short(parse_ref(ref)[0] + ':' + parse_ref(ref)[1])}: "
                           f"{exc}") from None
    server = parse_ref(ref)[2]
    if server and server != uri:  # linked by its URL: the run lives on that server
        state = replace(state, detail=replace(state.detail, server=server))
    state = replace(state, ref=kept_ref(state.ref, root))
    with store.write() as session:
        card = card_row(session, card_id, for_update=True)
        if session.get(RunLink, (card_id, state.ref)) is not None:
            raise ValidationError(f"{state.ref} is already linked to #{card_id}", "ref")
        now = store.clock()
        session.add(RunLink(card_id=card_id, ref=state.ref, author=author, at=now,
                            name=state.name, status=state.status, url=state.url,
                            detail=state.detail.to_text()))
        card.updated_at = now
        append_log(session, card, author, now, "link",
             from_outside(f"linked {SOURCES[state.source]} {state.name} ({_short(state.ref)})",
                          LINE_MAX), {"ref": state.ref, "url": state.url}, mentions=False)
    return LinkInfo(card_id, state.ref, state.name, state.status, state.url, {}, None,
                    problems=state.problems)


def unlink_run(store: Store, card_id: int, ref: str, *, author: str) -> None:
    """Take a run off a card; what it already wrote in the log stays."""
    author = clean_name(author, "user name")
    wanted = _linked_ref(store, card_id, ref)
    kind = wanted.partition(":")[0]
    with store.write() as session:
        card = card_row(session, card_id)
        link = session.get(RunLink, (card_id, wanted))
        if link is None:
            raise NotFoundError(f"{wanted} is not linked to #{card_id}")
        session.delete(link)
        now = store.clock()
        card.updated_at = now
        append_log(session, card, author, now, "unlink",
             f"unlinked {SOURCES[kind]} {link.name} ({_short(wanted)})", {"ref": wanted})


def pin_run(store: Store, card_id: int, ref: str | None, *, author: str) -> str | None:
    """Judge the card on the linked run ``ref`` alone (None: on all its evidence again).
    Returns the run pinned before, if one was."""
    author = clean_name(author, "user name")
    wanted = None if ref is None else _linked_ref(store, card_id, ref)
    with store.write() as session:
        card = card_row(session, card_id)
        links = session.exec(select(RunLink).where(RunLink.card_id == card_id)).all()
        if wanted is not None and wanted not in {link.ref for link in links}:
            raise NotFoundError(f"{wanted} is not linked to #{card_id}"
                                + ("" if links else " (it has no runs: tkanban link first)"))
        before = next((link for link in links if link.pinned), None)
        if (before.ref if before else None) == wanted:
            return wanted  # nothing changes: nothing written
        for link in links:
            link.pinned = link.ref == wanted
        now = store.clock()
        card.updated_at = now
        if wanted is None:
            assert before is not None
            append_log(session, card, author, now, "unpin",
                       f"judged on all its evidence again (was {_short(before.ref)} alone)",
                       {"ref": before.ref}, mentions=False)
        else:
            name = next(link.name for link in links if link.ref == wanted)
            append_log(session, card, author, now, "pin",
                       from_outside(f"judged on {SOURCES[wanted.split(':', 1)[0]]} {name} "
                                    f"({_short(wanted)}) alone", LINE_MAX),
                       {"ref": wanted}, mentions=False)
        return before.ref if before else None


def _linked_ref(store: Store, card_id: int, text: str) -> str:
    """The ref of the card's run that ``text`` names: as shown (``dvclive:runs/a``), or as
    typed (a path, a URL, ``mlflow:ID``)."""
    linked = {link.ref for link in links_of(store, None, card_id)}
    if text.strip() in linked:
        return text.strip()
    return given_ref(text, project_root(store, _board_of(store, card_id)))


def _board_of(store: Store, card_id: int) -> str:
    board = board_of(store, card_id)
    if board is None:
        raise NotFoundError(f"no card #{card_id}")
    return board


def _short(ref: str) -> str:
    kind, _, value = ref.partition(":")
    return f"{kind}:{value[:8]}" if kind == "mlflow" else ref


def sync(store: Store, board: str, card_id: int | None = None, *,
         tracking_uri: str | None = None,
         criteria_met: Callable[[Store, int], bool] | None = None,
         deadline: float = SYNC_DEADLINE, clock: Callable[[], float] = time.monotonic
         ) -> SyncReport:
    """Link runs tagged with a card, then write every linked run's news into its card's log.
    ``criteria_met(store, card_id)`` says whether a card's criteria are all met (checked
    before and after, to report cards a run has just satisfied).

    The whole sync ends within ``deadline`` seconds: a tracker too slow to answer leaves the
    runs not yet read for the next sync, and says so. A run whose answer is bad is a problem
    naming it; the others go on."""
    report = SyncReport()
    ends = clock() + deadline

    def left() -> float:
        return min(DEADLINE, ends - clock())

    uri = resolve_uri(store, board, tracking_uri)
    down = uri is not None and not _link_tagged(store, board, card_id, uri, report, left())
    links = links_of(store, board, card_id)
    wanted = criteria_metrics(store, sorted({link.card_id for link in links}))
    root = project_root(store, board)
    for n, link in enumerate(links):
        if down and link.source == "mlflow" and not link.detail.server:
            continue  # the tracker is away: said once
        if left() <= 0:
            report.problems.append(f"the sync stopped after {deadline:g} s; "
                                   f"{plural(len(links) - n, 'run')} left for the next one")
            break
        label = f"#{link.card_id} {_short(link.ref)}"
        try:
            state = read_run(link.ref, uri, wanted.get(link.card_id, ()), left(), root,
                             link.detail.server)
        except TrackerDown as exc:
            report.problems.append(str(exc))
            down = down or not link.detail.server
            continue
        except TkanbanError as exc:
            report.problems.append(f"{label}: {exc}")
            continue
        report.warnings += [f"{label} ({state.name}): {problem}" for problem in state.problems]
        if not _has_news(link, state):
            continue  # no write, so no open board reloads for nothing
        try:
            before = criteria_met(store, link.card_id) if criteria_met else False
            if _write_news(store, link, state):
                report.entries += 1
                if criteria_met and not before and criteria_met(store, link.card_id):
                    report.met.append(link.card_id)
        except (ValidationError, NotFoundError) as exc:  # this run's data, not the board
            report.problems.append(f"{label}: {exc}")
    return report


def sync_one(store: Store, link: LinkInfo, tracking_uri: str | None = None) -> bool:
    """Sync one linked run; True when it wrote an entry."""
    keep = criteria_metrics(store, [link.card_id]).get(link.card_id, ())
    board = board_of(store, link.card_id)
    root = project_root(store, board) if board else None
    return _write_news(store, link, read_run(link.ref, tracking_uri, keep, root=root,
                                             server=link.detail.server))


def _link_tagged(store: Store, board: str, card_id: int | None, uri: str,
                 report: SyncReport, deadline: float) -> bool:
    """Link the runs tagged with a card of the board; False when the tracker is away."""
    try:
        tagged, problems = Mlflow(uri, deadline).tagged()
    except TrackerDown as exc:
        report.problems.append(str(exc))
        return False
    except TrackerError as exc:
        report.problems.append(f"the runs tagged with a card: {exc}")
        return True
    report.warnings += problems
    with store.reading() as conn:
        bid = board_id(conn, board)
        known = {(r[0], r[1]) for r in conn.execute(
            "SELECT l.card_id, l.ref FROM run_link l JOIN card c ON c.id = l.card_id "
            "WHERE c.board_id = ?", (bid,))}
        cards = {r[0] for r in conn.execute(
            "SELECT id FROM card WHERE board_id = ? AND archived = ?", (bid, False))}
    for run_id, card_text, tagged_board in tagged:
        if not card_text.strip().lstrip("#").isdigit():
            continue
        target = int(card_text.strip().lstrip("#"))
        if tagged_board and tagged_board != board:  # card ids are the file's: a tag of the
            continue                                # board only tells files' boards apart
        if target not in cards or (card_id is not None and target != card_id):
            continue
        if (target, f"mlflow:{run_id}") in known:
            continue
        try:
            link_run(store, target, f"mlflow:{run_id}", author="mlflow", tracking_uri=uri,
                     deadline=deadline)
        except ValidationError:
            continue  # linked meanwhile by another sync
        except TkanbanError as exc:
            report.problems.append(str(exc))
            continue
        report.linked.append((target, f"mlflow:{run_id}"))
    return True


def _has_news(link: LinkInfo, state: RunState) -> bool:
    """Whether the run differs from what its link saw at the last sync (read before it; the
    write compares again, under the board's write lock)."""
    return (link.synced_at is None or link.metrics != state.metrics
            or (link.name, link.status, link.url) != (state.name, state.status, state.url)
            or link.detail != state.detail)


def _write_news(store: Store, link: LinkInfo, state: RunState) -> bool:
    """Write what changed since the last sync (one entry for changed metrics); keep the run's
    name and status. True when an entry was written."""
    metrics = state.metrics
    with store.write() as session:
        row = session.get(RunLink, (link.card_id, link.ref))
        card = session.get(Card, link.card_id)
        if row is None or card is None:
            return False  # unlinked meanwhile
        seen = json.loads(row.seen or "{}")
        changed = {k: v for k, v in metrics.items() if seen.get(k) != v}
        now = store.clock()
        status_changed = (row.status, row.name) != (state.status, state.name)
        row.name, row.status, row.url, row.synced_at = state.name, state.status, state.url, now
        row.seen = dumps(metrics)
        detail_changed = row.detail != state.detail.to_text()
        row.detail = state.detail.to_text()
        if not changed:
            if status_changed or detail_changed:  # open boards redraw the card
                card.changed_seq = next_seq(session)
            return False
        author = "mlflow" if state.source == "mlflow" else "dvclive"
        text = from_outside(f"{SOURCES[state.source]} {state.name} ({_short(state.ref)}), "
                            f"{state.status.lower()}", LINE_MAX)
        append_log(session, card, author, min(state.at, now) or now, "run", text,
             {"source": state.source, "ref": state.ref, "run": state.name,
              "status": state.status.lower(), "url": state.url}, changed, mentions=False)
        card.updated_at = now
        return True

