"""The command line's arguments: every command, its options and its help."""

from __future__ import annotations

import argparse
from typing import Any

from tkanban import __version__

PROG = "tkanban"
EDIT = "\0edit"
"""``--description`` given without a value: write it in the user's editor."""


BIGGEST = 2**62
"""Ids and counts beyond this are typing mistakes (and beyond what a database column holds)."""


def number(value: str) -> int:
    """A whole number of sane size (``--position``, a WIP limit)."""
    try:
        found = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if abs(found) > BIGGEST:
        raise argparse.ArgumentTypeError(f"too large: {value!r}")
    return found


def card_id(value: str) -> int:
    """A card's number, as the board shows it (``12`` or ``#12``)."""
    try:
        found = int(value.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a card number: {value!r}") from None
    if not 1 <= found <= BIGGEST:
        raise argparse.ArgumentTypeError(f"no card has the number {value!r}")
    return found


def port(value: str) -> int:
    found = number(value)
    if not 1 <= found <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {value!r}")
    return found


def sessions(value: str) -> int:
    found = number(value)
    if not 1 <= found <= 1000:
        raise argparse.ArgumentTypeError(f"sessions from 1 to 1000, not {value!r}")
    return found


def seconds(value: str) -> float:
    """A positive number of seconds, at most a day."""
    try:
        found = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not 0.1 <= found <= 86400:
        raise argparse.ArgumentTypeError(f"seconds from 0.1 to 86400, not {value!r}")
    return found


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("board file")
    group.add_argument("--db", metavar="PATH|URL", default=argparse.SUPPRESS,
                       help="board file, or a PostgreSQL database as postgresql://user@host/db "
                            "(needs tkanban[postgres]; default: $TKANBAN_DB, else the user data "
                            "folder)")
    group.add_argument("--board", metavar="NAME", default=argparse.SUPPRESS,
                       help="board inside the file or database (default: main)")
    group.add_argument("--user", metavar="NAME", default=argparse.SUPPRESS,
                       help="who you are (default: $TKANBAN_USER, else your login)")
    group.add_argument("--storage", choices=["auto", "local", "network"],
                       default=argparse.SUPPRESS,
                       help="where the file lives: detected from the mount table and sync-tool "
                       "markers (auto), or forced; local also trusts the file's locking where "
                       "auto would open it read-only (sshfs, nolock, a sync folder: use it when "
                       "only this machine writes); network polls less often and waits longer "
                       "for locks")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="A keyboard-driven Kanban board for machine-learning teams. "
        "With no command, opens the board in the terminal.",
        epilog="Lanes: 1 todo, 2 test-hypothesis, 3 review-hypothesis, 4 update-model, "
        "5 review-model, 6 done (number, slug or name). Time boxes: 30m 4h 2d 1w 1d12h.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--sync-interval", type=seconds, metavar="SECONDS", dest="sync_every",
                        help="the open board syncs its experiment runs this often (default: "
                        "the board's setting, else 60)")
    parser.add_argument("--tracking-uri", metavar="URL", dest="board_tracking_uri",
                        help="the MLflow tracking server the open board syncs with")
    parser.add_argument("--served", action="store_true", help=argparse.SUPPRESS)
    # (the board as tkanban serve runs it for a browser tab: it starts no process)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common], **kw)

    p = command("add", "add a card and print its id")
    p.add_argument("title")
    p.add_argument("--kind", choices=["hypothesis", "task"],
                   help="hypothesis or task (default: hypothesis when --criteria is given)")
    p.add_argument("--lane", default="todo", help="lane to add to (default: todo)")
    p.add_argument("--timebox", metavar="DURATION", help="time box, e.g. 4h, 2d, 1w")
    p.add_argument("--criteria", help='exit criteria, e.g. "precision >= 0.95 and recall > 0.7"')
    p.add_argument("--description", default="", help="longer description")
    p.add_argument("--assignee", metavar="NAME", help="who works on it")
    p.add_argument("--label", action="append", default=[], metavar="LABEL",
                   help="a free label, e.g. data or gpu (repeatable)")

    p = command("list", "list cards")
    p.add_argument("--lane", help="only this lane")
    p.add_argument("--filter", metavar="TEXT",
                   help="as / in the board: words, @user, kind:hypothesis, label:data, "
                   "blocked, waiting, overdue")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--archived", action="store_true",
                   help="include archived cards (marked archived; 'tkanban restore ID' puts "
                   "one back)")

    p = command("show", "show a card with its research log")
    p.add_argument("id", type=card_id)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("move", "move a card to a lane; a hypothesis entering Done needs --outcome")
    p.add_argument("id", type=card_id)
    p.add_argument("lane", help="number, slug or name")
    p.add_argument("--outcome", choices=["validated", "invalidated", "inconclusive"])
    p.add_argument("--note", default="", help="one-line conclusion for the outcome")
    p.add_argument("--position", type=number, help="place in the lane, 1 = top")

    p = command("log", "append to a card's research log",
                epilog="With no TEXT (and no --metric), the entry is read from standard input "
                "when it is a pipe, else written in $VISUAL / $EDITOR (vi by default); an "
                "editor that fails or leaves the text empty logs nothing.")
    p.add_argument("id", type=card_id)
    p.add_argument("text", nargs="?", default=None,
                   help="the entry (up to 20,000 characters); '-' reads it from standard input")
    p.add_argument("--metric", action="append", default=[], metavar="NAME=VALUE",
                   help="a measurement, e.g. auc=0.83 (repeatable)")

    p = command("edit", "change a card's title, description, criteria, assignee or labels")
    p.add_argument("id", type=card_id)
    p.add_argument("--title")
    p.add_argument("--description", nargs="?", const=EDIT,
                   help="new description; with no text, edit the current one in $VISUAL / "
                   "$EDITOR ('-' reads it from standard input)")
    p.add_argument("--criteria")
    p.add_argument("--assignee", help="a user name, or '' for nobody")
    p.add_argument("--kind", choices=["hypothesis", "task"])
    p.add_argument("--label", action="append", metavar="LABEL",
                   help="the card's labels, replacing those it has (repeatable; "
                   "--label '' clears them)")

    p = command("block", "mark a card blocked, saying what holds it up")
    p.add_argument("id", type=card_id)
    p.add_argument("--reason", required=True, help="what the card waits for")

    p = command("unblock", "take the block off a card")
    p.add_argument("id", type=card_id)

    relations = ("RELATION is blocks, blocked-by, follows (grew out of the other's result), "
                 "followed-by, relates-to, duplicates or duplicated-by; two words work too "
                 "('blocked by').")
    p = command("relate", "tie one card to another: 'relate 3 blocks 5', 'relate 9 follows 4'",
                epilog=relations + " A card whose blockers are not in Done waits; a loop of "
                "blocks or follows is refused.")
    p.add_argument("id", type=card_id, metavar="ID")
    p.add_argument("words", nargs="+", metavar="RELATION OTHER_ID")

    p = command("unrelate", "untie two cards: 'unrelate 3 blocks 5', or every tie: "
                "'unrelate 3 5'", epilog=relations)
    p.add_argument("id", type=card_id, metavar="ID")
    p.add_argument("words", nargs="+", metavar="[RELATION] OTHER_ID")

    tracking = ("MLflow is --tracking-uri, else $MLFLOW_TRACKING_URI, else the board's own "
                "('tkanban config tracking-uri URL'); credentials come from "
                "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME and _PASSWORD.")
    p = command("link", "link an experiment run to a card: mlflow:RUN_ID, a run's URL, or "
                "dvclive:PATH", epilog="PATH is a DVCLive output folder or any JSON file of "
                "{\"name\": number}. A training script can link its own run with "
                "mlflow.set_tag(\"tkanban.card\", ID). " + tracking)
    p.add_argument("id", type=card_id)
    p.add_argument("ref", metavar="RUN")
    p.add_argument("--tracking-uri", metavar="URL", help="the MLflow tracking server")

    p = command("unlink", "take a run off a card (what it logged stays)")
    p.add_argument("id", type=card_id)
    p.add_argument("ref", metavar="RUN")

    p = command("sync", "write linked runs' new metrics into their cards' logs",
                epilog="Runs tagged tkanban.card=ID are linked first. A second sync with "
                "nothing new writes nothing. " + tracking)
    p.add_argument("id", type=card_id, nargs="?", help="only this card")
    p.add_argument("--tracking-uri", metavar="URL", help="the MLflow tracking server")

    p = command("reorder", "put a card at a place in its lane (1 = top priority)")
    p.add_argument("id", type=card_id)
    p.add_argument("position", type=number)

    p = command("archive", "take a card off the board (it stays in the file)")
    p.add_argument("id", type=card_id)

    p = command("restore", "put an archived card back, on top of the lane it left")
    p.add_argument("id", type=card_id)

    p = command("timebox", "set or extend a card's time box")
    p.add_argument("id", type=card_id)
    p.add_argument("duration", help="e.g. 4h, 2d, 1w, 1d12h")
    p.add_argument("--reason", default="", help="why (required once the box is running)")

    p = command("outcome", "record a hypothesis's outcome")
    p.add_argument("id", type=card_id)
    p.add_argument("outcome", choices=["validated", "invalidated", "inconclusive"])
    p.add_argument("--note", default="", help="one-line conclusion")

    p = command("export", "write the board as JSON (lossless) or Markdown")
    p.add_argument("--format", choices=["json", "markdown"], default="json")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    p = command("import", "load a JSON export into a new board file")
    p.add_argument("file", help="a file written by 'tkanban export' ('-' for stdin)")

    from tkanban.cli.events import since_arg

    types = ("TYPE is an event type (card.added, card.moved, card.edited, card.archived, "
             "card.restored, card.blocked, card.unblocked, card.related, card.unrelated, "
             "log.added, log.struck, outcome.recorded, timebox.set, timebox.extended, "
             "timebox.expired, wip.exceeded, phase.started, phase.ended) or a family (card, "
             "log, timebox …).")
    p = command("events", "the board's changes as JSON lines, one event each",
                epilog="Each event has a stable id, its type, the time, the actor, the board "
                "and, for a card, the card as 'list --json' shows it. " + types)
    p.add_argument("--since", type=since_arg, metavar="ID",
                   help="only events after this id ('latest': only new ones; default: all)")
    p.add_argument("--follow", "-f", action="store_true",
                   help="stay open and print new events as they happen")
    p.add_argument("--type", action="append", default=[], metavar="TYPE",
                   help="only events of this type or family (repeatable)")
    p.add_argument("--mention", metavar="USER", help="only log entries that mention USER")

    p = command("watch", "deliver the board's events to commands and webhooks, as they happen",
                epilog="--exec runs COMMAND with /bin/sh for each event, the event's JSON on "
                "its standard input and its fields in TKANBAN_EVENT_ID, _TYPE, _AT, _ACTOR, "
                "_BOARD, _SUMMARY, _CARD_ID, _CARD_TITLE, _CARD_LANE, _CARD_ASSIGNEE, _TEXT, "
                "_MENTIONS, _FROM and _TO. --webhook POSTs the JSON (--format slack: a "
                "{\"text\": ...} body for Slack and Mattermost incoming webhooks). A failed "
                "delivery is retried with backoff without holding up the next events. The "
                "board keeps where the watcher named --name got to: restarted, it goes on "
                "from there (an event may come twice; its id tells). " + types)
    p.add_argument("--exec", action="append", default=[], metavar="COMMAND",
                   help="a shell command to run for each event (repeatable)")
    p.add_argument("--webhook", action="append", default=[], metavar="URL",
                   help="an http(s) URL to POST each event to (repeatable)")
    p.add_argument("--format", choices=["json", "slack"], default="json",
                   help="webhook body: the event's JSON, or Slack/Mattermost {\"text\": ...}")
    p.add_argument("--name", default="watch",
                   help="the watcher's name: the board keeps where it got to (default: watch)")
    p.add_argument("--since", type=since_arg, metavar="ID",
                   help="start after this event id instead of where --name got to (first run: "
                   "'latest')")
    p.add_argument("--type", action="append", default=[], metavar="TYPE",
                   help="only events of this type or family (repeatable)")
    p.add_argument("--mention", metavar="USER", help="only log entries that mention USER")
    p.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS",
                   help="how long a hook may take before it counts as failed (default: 10)")
    p.add_argument("--give-up", default="1d", metavar="DURATION",
                   help="stop retrying an event after failing this long: 90s, 30m, 1d "
                   "(default: 1d)")
    p.add_argument("--once", action="store_true",
                   help="deliver the events there are, then exit (for cron)")

    p = command("mentions", "log entries that mention you")
    p.add_argument("--json", action="store_true")

    p = command("phase", "board-level time boxes with a go/stop decision")
    phase = p.add_subparsers(dest="phase_command", metavar="ACTION", required=True)
    ps = phase.add_parser("start", help="start a phase", parents=[common])
    ps.add_argument("name")
    ps.add_argument("--timebox", required=True, metavar="DURATION")
    ps.add_argument("--goal", default="", help='e.g. "continue if AUC > 0.80"')
    pe = phase.add_parser("end", help="end the running phase", parents=[common])
    pe.add_argument("--decision", required=True, choices=["go", "stop"])
    pe.add_argument("--note", default="")
    pl = phase.add_parser("list", help="list phases and their decisions", parents=[common])
    pl.add_argument("--json", action="store_true")

    p = command("lane", "lanes and their WIP limits")
    lane = p.add_subparsers(dest="lane_command", metavar="ACTION", required=True)
    ll = lane.add_parser("limit", help="set a lane's WIP limit (0 for none)", parents=[common])
    ll.add_argument("lane")
    ll.add_argument("limit", type=number)
    lane.add_parser("list", help="list lanes", parents=[common])

    command("check", "check the whole board file for damage (SQLite's full integrity check)")

    p = command("backup", "copy the board file, consistently, while others may be writing")
    p.add_argument("dest", metavar="PATH", help="the new file to write (it must not exist)")

    p = command("retro", "the monthly retro: learnings and flow figures")
    p.add_argument("--month", metavar="YYYY-MM", help="the month (default: this month, UTC)")
    p.add_argument("--format", choices=["markdown", "json", "html"], default="markdown",
                   help="html: one self-contained page with the charts as SVG (needs "
                   "tkanban[report]): retro --format html > retro.html")

    p = command("serve", "the board in a web browser (needs tkanban[serve])",
                epilog="Every browser tab that opens the page runs the board as the user who "
                "started the server, with the same keys and live refresh. The page opens only "
                "with the token in the URL it prints (kept by the browser as a cookie), only "
                "from its own origin, and only for the host names it serves: another web page "
                "cannot drive it. No editor or other process is started by a served board. "
                "It listens on 127.0.0.1 only unless --host says otherwise; whoever has the "
                "URL acts as you, and over plain http the token crosses the network in clear: "
                "put a proxy with TLS in front to share it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=port, default=8000, help="port (default: 8000)")
    p.add_argument("--token", metavar="TOKEN",
                   help="the token the page needs (default: $TKANBAN_SERVE_TOKEN, else a new "
                   "random one each start)")
    p.add_argument("--allow-host", metavar="NAME", action="append", default=[],
                   help="another host name the browser may use to reach it (the machine's "
                   "name behind --host 0.0.0.0, say); repeat for more")
    p.add_argument("--max-sessions", type=sessions, default=8, metavar="N",
                   help="boards open in browsers at once, at most (default: 8)")

    command("demo", "fill a board with a realistic example")

    p = command("keys", "the board's keys in force (your config.toml applied)")
    p.add_argument("--json", action="store_true")

    p = command("config", "your settings file (config.toml), and the board's own settings")
    config = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config.add_parser("path", help="print where config.toml is read from", parents=[common])
    for name, metavar, what in (
            ("tracking-uri", "URL", "the board's MLflow tracking server, shared by the whole "
             "team (kept in the board; no credentials)"),
            ("sync-interval", "SECONDS", "how often an open board syncs its runs (kept in the "
             "board; default 60)")):
        setting = config.add_parser(name, parents=[common], help=what, description=what)
        setting.add_argument("value", nargs="?", metavar=metavar)
        setting.add_argument("--clear", action="store_true", help="forget it")
    return parser
