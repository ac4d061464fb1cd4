"""The pure model: durations, countdowns, exit criteria, metrics, mentions, text rules."""

from __future__ import annotations

import pytest

from tkanban.core.errors import ValidationError
from tkanban.core.model.criteria import parse_criteria, parse_metric, parse_metrics
from tkanban.core.model.evidence import Point, all_met, judge
from tkanban.core.model.records import CardInfo
from tkanban.core.model.text import clean, visible
from tkanban.core.model.timebox import countdown, format_duration, parse_duration, short_left
from tkanban.core.storage.schema import find_mentions


def _card(card_id: int, box: int | None, start: float | None,
          stop: float | None = None) -> CardInfo:
    return CardInfo(id=card_id, title=f"c{card_id}", kind="task", lane="Test hypothesis",
                    lane_slug="test-hypothesis", lane_number=2, position=card_id,
                    outcome=None, conclusion="", description="", criteria="",
                    timebox_seconds=box, clock_start=start, clock_stop=stop, author="a",
                    assignee=None, archived=False, created_at=0.0, updated_at=0.0, version=1)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("4h", 14400), ("2d", 172800), ("1w", 604800), ("1d12h", 129600),
     ("1w 2d", 777600), (" 90M ", 5400)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5x", "", "h", "4", "-1h", "0m", "1.5h", "1h banana", "999w"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    assert format_duration(parse_duration("1d12h")) == "1d 12h"
    assert format_duration(None) == "-"


@pytest.mark.parametrize(
    ("remaining", "text"),
    [(2 * 86400 + 3 * 3600 + 14 * 60 + 7, "2d 03:14:07 left"), (59 * 60 + 58, "00:59:58 left"),
     (-(4 * 60 + 12), "00:04:12 over"), (0, "00:00:00 left"), (-86400 - 1, "1d 00:00:01 over")],
)
def test_countdown(remaining: float, text: str) -> None:
    assert countdown(remaining) == text


def test_short_left() -> None:
    assert short_left(2 * 86400 + 3 * 3600) == "2d 3h left"
    assert short_left(-3 * 3600) == "3h 0m over"
    assert short_left(30) == "<1m left"


def test_criteria_parse_and_judge() -> None:
    criteria = parse_criteria("precision >= 0.95 and recall > 0.7, f1==1")
    assert [str(c) for c in criteria] == ["precision >= 0.95", "recall > 0.7", "f1 == 1"]
    typed = [(name, Point(value, "logged by ann")) for name, value in
             {"precision": 0.96, "recall": 0.7}.items()]
    verdicts = judge(criteria, [], typed)
    assert [v.met for v in verdicts] == [True, False, None]
    assert not all_met(verdicts)
    assert all_met(judge(criteria[:1], [], [("precision", Point(0.95, "logged by ann"))]))


@pytest.mark.parametrize("text", ["auc >>= banana", "auc", "auc >= ", ">= 0.8", "auc => 0.8",
                                  "auc >= 0.8 or f1 > 0.2", "auc >= nan"])
def test_criteria_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_criteria(text)


def test_metrics() -> None:
    assert parse_metric("auc=0.83") == ("auc", 0.83)
    assert parse_metrics("auc=0.8, f1=0.5 loss=1e-3") == {"auc": 0.8, "f1": 0.5, "loss": 0.001}
    for bad in ("auc", "auc=high", "=0.3", "auc=inf"):
        with pytest.raises(ValidationError):
            parse_metric(bad)


def test_mentions() -> None:
    assert find_mentions("@bob can you review? cc @Alice.") == ["alice", "bob"]
    assert find_mentions("mail bob@example.com, bobby said so") == []
    assert find_mentions("@bobby") == ["bobby"]


def test_clean_text() -> None:
    assert clean("  Cafe\u0301 ", "title", max_len=10) == "Café"
    for bad in ("a\x1b]0;x\x07", "a\nb", "a\ud800", "\x9b31m"):
        with pytest.raises(ValidationError):
            clean(bad, "title", max_len=100)
    assert clean("line1\nline2\tx", "log", max_len=100, multiline=True) == "line1\nline2\tx"
    with pytest.raises(ValidationError):
        clean("x" * 11, "title", max_len=10)
    with pytest.raises(ValidationError):
        clean("   ", "title", max_len=10, required=True)


def test_visible_neutralises_escapes() -> None:
    shown = visible("a\x1b]52;c;ZXZpbA==\x07b\x9b\x7f")
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown.startswith("a\u241b]52")


def test_overdue_cards_match_each_cards_own_answer() -> None:
    from tkanban.core.model.records import BoardSnapshot, LaneCards, LaneInfo
    lane = LaneInfo(id=2, name="Test hypothesis", slug="test-hypothesis", number=2,
                    wip_limit=None)
    cards = [_card(1, 100, 0.0), _card(2, 50, 0.0), _card(3, None, 0.0),
             _card(4, 10, None), _card(5, 10, 0.0, stop=5.0), _card(6, 300, 0.0),
             _card(7, 100, 0.0)]
    snapshot = BoardSnapshot("main", [LaneCards(lane, cards)])
    for now in (0.0, 50.0, 50.5, 100.0, 100.5, 299.0, 301.0):
        expected = {c.id for c in cards if c.overdue(now)}
        got = snapshot.overdue_cards(now)
        assert {c.id for c in got} == expected, now
        deadlines = [c.deadline for c in got]
        assert None not in deadlines and deadlines == sorted(d for d in deadlines if d)
    assert [c.id for c in snapshot.overdue_cards(301.0)] == [2, 1, 7, 6]
