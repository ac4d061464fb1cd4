"""What holds a card up and how it is labelled: blocked cards and free labels, in the core, on
the command line, in the board, in the retro, and through export and import."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.board.blocked import block_card, unblock_card
from tkanban.core.board.phases import phase_refs
from tkanban.core.errors import ConflictError, ValidationError
from tkanban.core.model.filters import parse_filter
from tkanban.core.retro.figures import compute
from tkanban.core.storage import open_store
from tkanban.core.storage.base import Store

from .conftest import StepClock, run_cli
from .screen import screen_lines, screen_text
from .test_tui import board, press, seed

HOUR = 3600.0


def ok(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_labels_are_cleaned_sorted_and_edited(store: Store) -> None:
    card = ops.add_card(store, "main", "Label claims", author="ann",
                        labels=["Data", "gpu, client-x", "data"])
    assert card.labels == ("client-x", "data", "gpu")
    edited = ops.edit_card(store, card.id, author="bob", labels=["vision"])
    assert edited.labels == ("vision",) and edited.version == card.version + 1
    assert q.get_card(store, card.id).entries[-1].data == {"fields": ["labels"]}
    assert ops.edit_card(store, card.id, author="bob", labels=[]).labels == ()
    for bad in (["no spaces!"], ["-leading"], ["x" * 33], [f"l{i}" for i in range(11)]):
        with pytest.raises(ValidationError):
            ops.add_card(store, "main", "bad", author="ann", labels=bad)


def test_block_and_unblock_are_logged_and_versioned(store: Store, clock: StepClock) -> None:
    card = ops.add_card(store, "main", "Train on the new labels", author="ann")
    blocked = block_card(store, card.id, "labels from the client", author="ann")
    assert blocked.blocked == "labels from the client" and blocked.version == card.version + 1
    assert block_card(store, card.id, "labels from the client", author="ann") == blocked
    with pytest.raises(ConflictError):
        unblock_card(store, card.id, author="bob", expected_version=card.version)
    clock.advance(2 * HOUR)
    free = unblock_card(store, card.id, author="bob", expected_version=blocked.version)
    assert free.blocked is None
    with pytest.raises(ValidationError, match="is not blocked"):
        unblock_card(store, card.id, author="bob")
    with pytest.raises(ValidationError, match="reason"):
        block_card(store, card.id, "  ", author="ann")
    kinds = [(e.kind, e.author, e.text) for e in q.get_card(store, card.id).entries[1:]]
    assert kinds == [("block", "ann", "blocked: labels from the client"),
                     ("unblock", "bob", "unblocked (was: labels from the client)")]


def test_the_filter_finds_blocked_and_labelled_cards(store: Store) -> None:
    a = ops.add_card(store, "main", "a", author="ann", labels=["data", "gpu"])
    b = ops.add_card(store, "main", "b", author="ann", labels=["data"])
    ops.add_card(store, "main", "c", author="ann")
    block_card(store, b.id, "waiting", author="ann")
    cards = q.list_cards(store, "main")

    def found(text: str) -> list[str]:
        match = parse_filter(text).matcher(store.clock())
        return [card.title for card in cards if match(card)]

    assert found("label:data") == ["a", "b"]
    assert found("label:data label:gpu") == ["a"]
    assert found("blocked") == ["b"]
    assert found("blocked label:gpu") == []
    assert a.id != b.id


def test_retro_counts_blocked_time_and_labels(store: Store, clock: StepClock) -> None:
    clock.now = datetime(2026, 11, 2, tzinfo=UTC).timestamp()
    card = ops.add_card(store, "main", "Blocked a while", author="ann", labels=["data"])
    ops.move_card(store, card.id, "test-hypothesis", author="ann")  # the clock starts
    clock.advance(1 * HOUR)
    block_card(store, card.id, "GPU slot", author="ann")
    clock.advance(3 * HOUR)
    unblock_card(store, card.id, author="ann")
    clock.advance(2 * HOUR)
    ops.move_card(store, card.id, "done", author="ann")  # cycle 6 h, 3 h of it blocked
    other = ops.add_card(store, "main", "Still blocked", author="ann")
    block_card(store, other.id, "client", author="ann")
    clock.advance(5 * HOUR)
    cards, lanes = q.history(store, "main")
    retro = compute(cards, lanes, phase_refs(store, "main"), 2026, 11, clock())
    data = retro.to_json()
    assert data["cycle_time_seconds"]["median"] == 6 * HOUR
    assert data["cycle_time_without_blocked_seconds"]["median"] == 3 * HOUR
    assert data["blocked"] == [
        {"id": other.id, "title": "Still blocked", "seconds": 5 * HOUR, "still": True},
        {"id": card.id, "title": "Blocked a while", "seconds": 3 * HOUR, "still": False}]
    assert data["blocked_total_seconds"] == 8 * HOUR
    assert data["labels_closed"] == {"data": 1}
    text = retro.to_markdown()
    assert "blocked this month: 8h" in text and "(still blocked)" in text


def test_on_the_command_line_and_through_export(db: Path | str, new_db, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                ) -> None:
    card = ok(run_cli("add", "Label the claims", "--label", "data", "--label", "gpu,ops",
                      db=db, user="ann")).strip()
    ok(run_cli("add", "other", db=db))
    assert "blocked: waiting for the client" in ok(
        run_cli("block", card, "--reason", "waiting for the client", db=db))
    listed = json.loads(ok(run_cli("list", "--json", "--filter", "blocked label:gpu", db=db)))
    assert [(c["id"], c["labels"], c["blocked"]) for c in listed] == [
        (int(card), ["data", "gpu", "ops"], "waiting for the client")]
    assert "labels: data, gpu, ops" in ok(run_cli("list", db=db))
    shown = ok(run_cli("show", card, db=db))
    assert "blocked:  waiting for the client" in shown and "labels:   data, gpu, ops" in shown
    usage = run_cli("block", card, db=db)
    assert usage.returncode == 2 and "--reason" in usage.stderr
    exported = ok(run_cli("export", db=db))
    (tmp_path / "b.json").write_text(exported)
    copy = new_db()
    ok(run_cli("import", str(tmp_path / "b.json"), db=copy))
    assert ok(run_cli("export", db=copy)) == exported
    ok(run_cli("unblock", card, db=db))
    ok(run_cli("edit", card, "--label", "", db=db))
    assert json.loads(ok(run_cli("show", card, "--json", db=db)))["labels"] == []
    bad = run_cli("add", "x", "--label", "Bad Label!", db=db)
    assert bad.returncode == 1 and "bad label" in bad.stderr


@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_block_from_the_board_and_see_labels(store: Store, size: tuple[int, int]) -> None:
    (cid,) = seed(store, "Retrain")
    ops.edit_card(store, cid, author="ann", labels=["data", "gpu"])
    async with board(store, size) as (app, pilot):
        assert "‹data›" in screen_text(app)
        await press(app, pilot, "b")
        assert "Block #1" in screen_text(app)
        await pilot.press(*"GPU slot")
        await press(app, pilot, "ctrl+s")
        assert q.get_card(store, cid).card.blocked == "GPU slot"
        card_rows = [line for line in screen_lines(app) if "#1" in line]
        assert card_rows and "⊘" in card_rows[0]
        await press(app, pilot, "u")  # undo: unblocked again
        assert q.get_card(store, cid).card.blocked is None
        await press(app, pilot, "U")  # redo
        assert q.get_card(store, cid).card.blocked == "GPU slot"
        await press(app, pilot, "enter")
        text = screen_text(app)
        assert "GPU slot" in text and "data, gpu" in text
        await press(app, pilot, "b")  # in the card pane: unblocks at once
        assert q.get_card(store, cid).card.blocked is None


async def test_labels_in_the_card_form(store: Store) -> None:
    (cid,) = seed(store, "Retrain")
    async with board(store, (120, 35)) as (app, pilot):
        await press(app, pilot, "e")
        form = app.screen
        labels = form.query_one("#labels")
        labels.value = "vision, Data"  # type: ignore[attr-defined]
        await press(app, pilot, "ctrl+s")
        assert q.get_card(store, cid).card.labels == ("data", "vision")
        assert "‹data› ‹vis" in screen_text(app)  # truncated to the lane, the log count kept


def test_a_server_at_schema_3_is_upgraded(pg_server) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    from tkanban.core.storage.postgres import PG_WORDS
    from tkanban.core.storage.schema import BASE, BASE_VERSION, SCHEMA_VERSION

    name = pg_server.new_database()
    url = pg_server.url(name)
    with psycopg.connect(url) as conn:
        for statement in BASE.substitute(PG_WORDS).split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('application', 'tkanban'), "
                     "('schema', %s), ('requires', '0.1.0')", (str(BASE_VERSION),))
    store = open_store(url)
    ops.ensure_board(store, "main")
    assert ops.add_card(store, "main", "x", author="a", labels=["new"]).labels == ("new",)
    store.close()
    assert pg_server.psql("SELECT value FROM meta WHERE key = 'schema'", name).strip() == str(
        SCHEMA_VERSION)
