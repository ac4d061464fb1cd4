"""What ties cards together: blocks / blocked by, follows, relates to, duplicates; in the core,
on the command line, in the board and its card pane, through export and import, and on a board
another process changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.relations import relate, unrelate
from tkanban.core.errors import NotFoundError, ValidationError
from tkanban.core.model.filters import parse_filter
from tkanban.core.storage.base import Store
from tkanban.tui.screens.card import CardScreen

from .conftest import run_cli
from .screen import poll_until, screen_lines, screen_text
from .test_tui import board, press, seed


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return result.stdout


def links(store: Store, card_id: int) -> list[tuple[str, int]]:
    return list(q.get_card(store, card_id).card.links)


def test_each_relation_reads_from_both_cards(store: Store) -> None:
    a, b, c, d = seed(store, "Collect labels", "Train on them", "Baseline", "Baseline again")
    assert relate(store, a, "blocks", b, author="ann")
    assert relate(store, b, "follows", c, author="ann")
    assert relate(store, c, "relates to", a, author="ann")
    assert relate(store, d, "duplicates", c, author="ann")
    assert not relate(store, b, "blocked by", a, author="bob")  # the same tie, said backwards
    assert links(store, a) == [("blocks", b), ("relates-to", c)]
    assert links(store, b) == [("blocked-by", a), ("follows", c)]
    assert links(store, c) == [("followed-by", b), ("relates-to", a), ("duplicated-by", d)]
    assert links(store, d) == [("duplicates", c)]
    logged = [(e.kind, e.text) for e in q.get_card(store, b).entries[1:]]
    assert logged == [("relate", "blocked by #1"), ("relate", "follows #3")]
    listed = {card.id: card.to_json(store.clock()) for card in q.list_cards(store)}
    assert listed[b]["relations"] == [{"relation": "blocked-by", "card": a},
                                      {"relation": "follows", "card": c}]
    assert listed[b]["waiting_on"] == [a] and listed[a]["waiting_on"] == []


def test_a_card_waits_until_its_blockers_are_done(store: Store) -> None:
    a, b, c = seed(store, "labels", "GPU slot", "train")
    relate(store, c, "blocked-by", a, author="ann")
    relate(store, c, "blocked-by", b, author="ann")
    assert q.get_card(store, c).card.waiting_on == (a, b)
    ops.move_card(store, a, "done", author="ann")
    assert q.get_card(store, c).card.waiting_on == (b,)
    ops.archive_card(store, b, author="ann")  # off the board: nothing to wait on
    assert q.get_card(store, c).card.waiting_on == ()
    moved = ops.move_card(store, a, "todo", author="ann")  # back out of Done: waits again
    assert moved.links == (("blocks", c),)
    card = q.get_card(store, c).card
    assert card.waiting_on == (a,)
    assert card.waiting_warning("test-hypothesis") == (
        f"#{c} waits on #{a}, not in Done yet (moved anyway)")
    assert card.waiting_warning("todo") is None
    match = parse_filter("waiting").matcher(store.clock())
    assert [x.id for x in q.list_cards(store) if match(x)] == [c]
    assert ops.move_card(store, c, "test-hypothesis", author="ann").waiting_on == (a,)


def test_a_live_board_hears_that_a_card_no_longer_waits(store: Store) -> None:
    a, b = seed(store, "blocker", "waiter")
    relate(store, a, "blocks", b, author="ann")
    seq = q.load_board(store).seq
    ops.move_card(store, a, "done", author="bob")
    _, changed = q.changes_since(store, "main", seq)
    assert changed == {a: "done", b: "todo"}  # the waiter is redrawn without its mark


def test_loops_and_nonsense_are_refused(store: Store) -> None:
    a, b, c = seed(store, "a", "b", "c")
    relate(store, a, "blocks", b, author="ann")
    relate(store, b, "blocks", c, author="ann")
    with pytest.raises(ValidationError, match=r"#3 blocks #1 would close a loop \(#1 blocks "
                       r"#2, #2 blocks #3\): no card can wait on itself"):
        relate(store, c, "blocks", a, author="ann")
    with pytest.raises(ValidationError, match="would close a loop"):
        relate(store, a, "blocked by", c, author="ann")
    relate(store, b, "follows", a, author="ann")
    with pytest.raises(ValidationError, match="cannot grow out of itself"):
        relate(store, a, "follows", b, author="ann")
    relate(store, a, "duplicates", c, author="ann")
    with pytest.raises(ValidationError, match="not both"):
        relate(store, c, "duplicates", a, author="ann")
    with pytest.raises(ValidationError, match="itself"):
        relate(store, a, "relates-to", a, author="ann")
    with pytest.raises(ValidationError, match="no relation 'causes'"):
        relate(store, a, "causes", b, author="ann")
    with pytest.raises(NotFoundError, match="no card #99"):
        relate(store, a, "blocks", 99, author="ann")
    ops.archive_card(store, c, author="ann")
    with pytest.raises(NotFoundError, match="archived"):
        relate(store, b, "relates to", c, author="ann")
    ops.ensure_board(store, "other")
    elsewhere = ops.add_card(store, "other", "far away", author="ann").id
    with pytest.raises(ValidationError, match="different boards"):
        relate(store, a, "relates to", elsewhere, author="ann")
    assert links(store, a) == [("blocks", b), ("followed-by", b), ("duplicates", c)]


def test_unrelate_one_or_all(store: Store) -> None:
    a, b = seed(store, "a", "b")
    relate(store, a, "blocks", b, author="ann")
    relate(store, b, "relates to", a, author="ann")
    with pytest.raises(NotFoundError, match="#1 does not say it follows #2"):
        unrelate(store, a, "follows", b, author="ann")
    assert unrelate(store, b, "blocked-by", a, author="bob") == 1
    assert links(store, a) == [("relates-to", b)]
    assert unrelate(store, a, None, b, author="bob") == 1
    assert links(store, a) == links(store, b) == []
    with pytest.raises(NotFoundError, match="not related"):
        unrelate(store, a, None, b, author="bob")
    assert q.get_card(store, b).entries[-1].text == "no longer relates to #1"


def test_the_follows_chain_has_the_outcomes(store: Store) -> None:
    first, second, third, other = seed(store, "Bigger model", "More data", "Cleaner labels",
                                       "side idea")
    for card_id in (first, second, third, other):
        ops.edit_card(store, card_id, author="ann", kind="hypothesis")
    ops.set_outcome(store, first, "invalidated", "no gain", author="ann")
    ops.set_outcome(store, second, "validated", author="ann")
    relate(store, second, "follows", first, author="ann")
    relate(store, third, "follows", second, author="ann")
    relate(store, third, "follows", other, author="ann")  # the oldest one is the chain
    detail = q.get_card(store, third)
    assert [(c.id, c.outcome) for c in detail.chain] == [(first, "invalidated"),
                                                         (second, "validated")]


def test_on_the_command_line(db: Path | str) -> None:
    for title in ("Collect labels", "Train", "Baseline"):
        ok(run_cli("add", title, db=db, user="ann"))
    assert ok(run_cli("relate", "2", "blocked", "by", "1", db=db)).strip() == "#2 blocked by #1"
    assert ok(run_cli("relate", "2", "follows", "#3", db=db)).strip() == "#2 follows #3"
    assert ok(run_cli("relate", "1", "blocks", "2", db=db)).strip() == "#1 already blocks #2"
    loop = run_cli("relate", "2", "blocks", "1", db=db)
    assert loop.returncode == 1 and loop.stderr == (
        "tkanban: error: #2 blocks #1 would close a loop (#1 blocks #2): no card can wait on "
        "itself\n")
    for bad, says in ((("2", "1"), "say how #2 relates to #1"),
                      (("2", "blocks", "x"), "the last word must be the other card's id"),
                      (("2", "eats", "1"), "no relation 'eats'")):
        result = run_cli("relate", *bad, db=db)
        assert result.returncode == 1 and says in result.stderr and "Traceback" not in \
            result.stderr
    shown = ok(run_cli("show", "2", db=db))
    assert "grew out of: #3 (To do) → #2" in shown
    assert "blocked by:   #1 Collect labels (To do)" in shown
    assert "waiting on: #1 (not in Done)" in shown
    data = json.loads(ok(run_cli("show", "2", "--json", db=db)))
    assert data["waiting_on"] == [1]
    assert [(r["relation"], r["card"], r["title"]) for r in data["related"]] == [
        ("blocked-by", 1, "Collect labels"), ("follows", 3, "Baseline")]
    assert [r["card"] for r in data["grew_out_of"]] == [3]
    waiting = json.loads(ok(run_cli("list", "--json", "--filter", "waiting", db=db)))
    assert [c["id"] for c in waiting] == [2]
    moved = run_cli("move", "2", "2", db=db)
    assert moved.returncode == 0 and moved.stdout.startswith("#2 is in Test hypothesis")
    assert moved.stderr == "tkanban: warning: #2 waits on #1, not in Done yet (moved anyway)\n"
    assert run_cli("move", "2", "todo", db=db).stderr == ""  # back to To do: nothing to say
    assert ok(run_cli("unrelate", "2", "1", db=db)).strip() == "#2 and #1: 1 relation removed"
    missing = run_cli("unrelate", "2", "1", db=db)
    assert missing.returncode == 1 and "#2 and #1 are not related" in missing.stderr
    assert "relate 3 blocks 5" in ok(run_cli("relate", "--help"))


def test_export_import_keeps_relations(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                       ) -> None:
    for title in ("a", "b", "c"):
        ok(run_cli("add", title, db=db, user="ann"))
    ok(run_cli("relate", "1", "blocks", "2", db=db))
    ok(run_cli("relate", "3", "follows", "1", db=db))
    ok(run_cli("relate", "3", "duplicates", "2", db=db))
    exported = ok(run_cli("export", db=db))
    board = json.loads(exported)["boards"][0]
    assert [(r["from_id"], r["kind"], r["to_id"]) for r in board["relations"]] == [
        (1, "blocks", 2), (3, "duplicates", 2), (3, "follows", 1)]
    (tmp_path / "b.json").write_text(exported)
    copy = new_db()
    assert "3 relations" in ok(run_cli("import", str(tmp_path / "b.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    assert json.loads(ok(run_cli("show", "2", "--json", db=copy)))["waiting_on"] == [1]
    markdown = ok(run_cli("export", "--format", "markdown", db=copy))
    assert "- blocked by: #1 a" in markdown


@pytest.mark.parametrize("relations, says", [
    ([(1, "blocks", 2), (2, "blocks", 1)], "boards[0].relations: #1 blocks itself through #2"),
    ([(1, "follows", 1)], "boards[0].relations[0]: card #1 related to itself"),
    ([(1, "blocks", 7)], "boards[0].relations[0].to_id: no card #7 in this board"),
    ([(1, "relates", 2), (2, "relates", 1)], "boards[0].relations[1]: this relation appears "
     "twice"),
    ([(1, "duplicates", 2), (2, "duplicates", 1)], "two cards that duplicate each other"),
    ([(1, "causes", 2)], "boards[0].relations[0].kind: not one of"),
])
def test_bad_relations_in_an_import_are_refused(db_path: Path, tmp_path: Path,
                                                relations: list[tuple[int, str, int]],
                                                says: str) -> None:
    ok(run_cli("add", "a", db=db_path))
    ok(run_cli("add", "b", db=db_path))
    data = json.loads(ok(run_cli("export", db=db_path)))
    data["boards"][0]["relations"] = [{"from_id": f, "kind": k, "to_id": t, "author": "ann",
                                       "at": 1.0} for f, k, t in relations]
    (tmp_path / "bad.json").write_text(json.dumps(data))
    target = tmp_path / "new.db"
    result = run_cli("import", str(tmp_path / "bad.json"), db=target)
    assert result.returncode == 1 and says in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_relate_from_the_board_and_walk_the_pane(store: Store,
                                                       size: tuple[int, int]) -> None:
    blocker, waiter = seed(store, "Collect [b]labels[/b]", "Train on the labels")
    async with board(store, size) as (app, pilot):
        await press(app, pilot, "down", "c")  # on "Train on the labels"
        assert f"Relate #{waiter}" in screen_text(app)
        await pilot.press(*str(blocker))
        await press(app, pilot, "ctrl+s")  # "is blocked by" is the form's first choice
        assert links(store, waiter) == [("blocked-by", blocker)]
        rows = [line for line in screen_lines(app) if f"#{waiter}" in line]
        assert rows and "⧖" in rows[0]  # waits: its blocker is not in Done
        await press(app, pilot, "L")  # moved anyway, with a warning
        assert q.get_card(store, waiter).card.lane_slug == "test-hypothesis"
        assert "waits on #1, not in Done yet" in screen_text(app)
        await press(app, pilot, "enter")
        assert isinstance(app.screen, CardScreen)
        text = screen_text(app)
        assert "Relations (1)" in text and "blocked by" in text
        assert "Collect [b]labels[/b]" in text  # a title is data, never markup
        assert "waiting   ⧖ on #1" in text
        await press(app, pilot, "enter")  # opens the related card over this one
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == blocker
        assert "blocks" in screen_text(app)
        await press(app, pilot, "escape")
        assert isinstance(app.screen, CardScreen) and app.screen.card_id == waiter
        await press(app, pilot, "d")
        assert links(store, waiter) == []
        assert "Relations (0)" in screen_text(app)
        await press(app, pilot, "u")  # undo puts it back
        assert links(store, waiter) == [("blocked-by", blocker)]
        assert "Relations (1)" in screen_text(app)


async def test_a_loop_is_refused_in_the_form(store: Store) -> None:
    a, b = seed(store, "a", "b")
    async with board(store, (80, 24)) as (app, pilot):
        relate(store, a, "blocks", b, author="ann")  # another process, unseen by this board
        await press(app, pilot, "c")  # on a: "a is blocked by b" closes a loop
        await pilot.press(*str(b))
        await press(app, pilot, "ctrl+s")
        text = screen_text(app)
        assert "would close a loop" in text and f"Relate #{a}" in text  # the form stays
        await press(app, pilot, "escape")
        assert links(store, a) == [("blocks", b)]


async def test_the_chain_in_the_pane(store: Store) -> None:
    first, second, third = seed(store, "Bigger model", "More data", "Cleaner labels")
    for card_id in (first, second):
        ops.edit_card(store, card_id, author="ann", kind="hypothesis")
    ops.set_outcome(store, first, "invalidated", author="ann")
    ops.set_outcome(store, second, "validated", author="ann")
    relate(store, second, "follows", first, author="ann")
    relate(store, third, "follows", second, author="ann")
    async with board(store, (80, 24)) as (app, pilot):
        await press(app, pilot, "down", "down", "enter")
        lines = screen_lines(app)
        at = next(i for i, line in enumerate(lines) if "Grew out of" in line)
        assert "#1 Bigger model" in lines[at + 1] and "invalidated" in lines[at + 1]
        assert "#2 More data" in lines[at + 2] and "validated" in lines[at + 2]
        assert "#3 this card" in lines[at + 3]


async def test_another_process_unblocks_the_board(store: Store) -> None:
    blocker, waiter = seed(store, "blocker", "waiter")
    relate(store, blocker, "blocks", waiter, author="ann")
    async with board(store, (120, 35)) as (app, pilot):
        def marked() -> bool:
            return any("⧖" in line for line in screen_lines(app))

        assert marked()
        ops.move_card(store, blocker, "done", author="bob")
        await poll_until(app, pilot, lambda: not marked())
        assert not marked()
