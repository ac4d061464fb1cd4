"""A board on a real PostgreSQL server (started by the tests as the postgres user)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.board import board, seed, settle
from tests.helpers.cli import Outcome, ok, one_line_error, run_cli
from tests.helpers.pgserver import PASSWORD, USER, PgServer
from tests.helpers.screen import screen_lines, screen_text
from tkanban.core.board import cards as ops
from tkanban.core.board import reads as q
from tkanban.core.storage import open_store
from tkanban.core.storage.schema import SCHEMA_VERSION, TABLES


async def wait_until(check: object, timeout: float = 20) -> None:
    start = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - start < timeout, "timed out"
        await asyncio.sleep(0.1)


def last_queries(server: PgServer, database: str) -> list[str]:
    """When each connection to ``database`` last started a query (live, unlike the
    statistics counters, which a backend may flush seconds later)."""
    return server.psql("SELECT pid || ' ' || query_start FROM pg_stat_activity WHERE "
                       f"datname = '{database}' ORDER BY pid").splitlines()


def server_error(result: Outcome, text: str) -> str:
    """Exit 1, one line on stderr holding ``text``, and never the password."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    return lines[0]


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


@pytest.mark.parametrize("password", ["pa/ss", "pa#ss", "pa?ss", "p@ss:w/d?#x", "s3cret"])
def test_no_password_is_printed_however_the_url_is_written(pg_server: Any,
                                                           password: str) -> None:
    host = pg_server.url(pg_server.new_database())
    parts = host.split("@", 1)[1]
    for url in (f"postgresql://tk:{password}@{parts}",
                f"postgresql://tk@{parts}?password={password}"):
        result = run_cli("list", db=url)
        said = result.stdout + result.stderr
        assert result.returncode != 0 or password == "s3cret"
        assert password not in said.replace("tk:s3cret", ""), said
        assert "Traceback" not in said
    broken = run_cli("list", db="postgresql://tk:x@[::1")
    assert "not a valid postgresql:// URL" in one_line_error(broken)


def test_schema_marks_on_a_server_are_one_line(pg_server: Any) -> None:
    url = pg_server.url(pg_server.new_database())
    assert run_cli("add", "x", db=url).returncode == 0
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = 'abc' WHERE key = 'schema'")
    assert "schema mark is not a number" in one_line_error(run_cli("list", db=url))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    line = one_line_error(run_cli("list", db=url))
    assert "written by a newer tkanban (board schema 99" in line and "this is" not in line


def test_a_file_board_moves_to_the_server_and_back_losslessly(tmp_path: Path,
                                                              pg_server: PgServer) -> None:
    file = tmp_path / "team.db"
    ok(run_cli("demo", db=file))
    card = ok(run_cli("add", "We believe @bob's [b]idea[/b] works", "--criteria", "auc > 0.8",
                      db=file)).strip()
    ok(run_cli("log", card, "tried it, @carol: [@click=app.quit]x[/] \u202e ñ 🧪", "--metric",
               "auc=0.8123456789", db=file))
    exported = ok(run_cli("export", db=file))
    (tmp_path / "b.json").write_text(exported)
    url = pg_server.url(pg_server.new_database())
    assert "imported" in ok(run_cli("import", str(tmp_path / "b.json"), db=url))
    assert ok(run_cli("export", db=url)) == exported
    assert ok(run_cli("list", "--json", db=url)) == ok(run_cli("list", "--json", db=file))
    assert ok(run_cli("mentions", "--json", db=url, user="bob")) == ok(
        run_cli("mentions", "--json", db=file, user="bob"))
    # and back to a file
    (tmp_path / "c.json").write_text(ok(run_cli("export", db=url)))
    back = tmp_path / "back.db"
    ok(run_cli("import", str(tmp_path / "c.json"), db=back))
    assert ok(run_cli("export", db=back)) == exported
    # ids given by the import do not collide with the next card
    new_id = int(ok(run_cli("add", "after the move", db=url)).strip())
    assert new_id > max(c["id"] for c in json.loads(ok(run_cli("list", "--json", "--archived",
                                                               db=file))))


def test_an_empty_database_is_set_up_on_first_write_only(pg_server: PgServer) -> None:
    name = pg_server.new_database()
    url = pg_server.url(name)
    server_error(run_cli("list", db=url), "there is no board at")
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert pg_server.psql(tables, name).strip() == "0", "reading never sets up"
    ok(run_cli("add", "first", db=url))
    assert int(pg_server.psql(tables, name)) == len(TABLES)
    marks = pg_server.psql("SELECT key || '=' || value FROM meta WHERE key IN "
                           "('application', 'schema') ORDER BY key", name).split()
    assert marks == ["application=tkanban", f"schema={SCHEMA_VERSION}"]


def test_a_newer_schema_is_refused(pg_server: PgServer) -> None:
    name = pg_server.new_database()
    url = pg_server.url(name)
    ok(run_cli("add", "first", db=url))
    pg_server.psql("UPDATE meta SET value = '99' WHERE key = 'schema'; "
                   "UPDATE meta SET value = '9.1' WHERE key = 'requires'", name)
    server_error(run_cli("list", db=url), "needs tkanban >= 9.1")
    server_error(run_cli("add", "second", db=url), "needs tkanban >= 9.1")


def test_another_applications_tables_are_left_untouched(pg_server: PgServer) -> None:
    name = pg_server.new_database()
    pg_server.psql("CREATE TABLE card (id int, owner text); INSERT INTO card VALUES (1, 'x'); "
                   f"GRANT ALL ON card TO {USER}", name)
    url = pg_server.url(name)
    server_error(run_cli("add", "mine", db=url), "not tkanban's")
    assert pg_server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
                          name).strip() == "1"
    assert pg_server.psql("SELECT owner FROM card", name).strip() == "x"


def test_several_boards_share_one_database(pg_server: PgServer) -> None:
    url = pg_server.url(pg_server.new_database())
    ok(run_cli("--board", "vision", "add", "a vision card", db=url))
    ok(run_cli("--board", "nlp", "add", "an nlp card", db=url))
    ok(run_cli("--board", "nlp", "add", "another nlp card", db=url))
    vision = json.loads(ok(run_cli("--board", "vision", "list", "--json", db=url)))
    nlp = json.loads(ok(run_cli("--board", "nlp", "list", "--json", db=url)))
    assert [c["title"] for c in vision] == ["a vision card"]
    assert [c["title"] for c in nlp] == ["an nlp card", "another nlp card"]
    server_error(run_cli("--board", "speech", "list", db=url), "boards here: nlp, vision")


def test_login_problems_are_one_clear_line(pg_server: PgServer) -> None:
    name = pg_server.new_database()
    server_error(run_cli("list", db=pg_server.url(name, password="wrong")),
                   f"the server refused the login of {USER}")
    server_error(run_cli("list", db=pg_server.url("no_such_db")), "no such database")
    closed = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:1/{name}"
    line = server_error(run_cli("list", db=closed), "cannot reach the server")
    assert f"postgresql://{USER}@127.0.0.1:1/{name}" in line
    locked_out = pg_server.new_database(owner="postgres")  # tk may not create tables there
    server_error(run_cli("add", "x", db=pg_server.url(locked_out)), "no permission")


def test_libpq_passwords_work(pg_server: PgServer, isolated_home: Path) -> None:
    name = pg_server.new_database()
    bare = pg_server.url(name, password=None)
    server_error(run_cli("add", "x", db=bare, env={"PGPASSFILE": "/nonexistent"}),
                   "refused the login")
    ok(run_cli("add", "via PGPASSWORD", db=bare, env={"PGPASSWORD": PASSWORD}))
    pgpass = isolated_home / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:{name}:{USER}:{PASSWORD}\n")
    pgpass.chmod(0o600)
    ok(run_cli("add", "via .pgpass", db=bare))
    service = isolated_home / "pg_service.conf"
    service.write_text(f"[team]\nhost=127.0.0.1\nport={pg_server.port}\ndbname={name}\n"
                       f"user={USER}\n")
    listed = ok(run_cli("list", db="postgresql:///?service=team",
                        env={"PGSERVICEFILE": str(service)}))
    assert "via PGPASSWORD" in listed and "via .pgpass" in listed


def test_without_the_driver_a_url_names_the_extra(pg_server: PgServer,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from tkanban.cli import main

    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    assert main(["--db", pg_server.url("anything"), "list"]) == 1
    assert "pip install 'tkanban[postgres]'" in capsys.readouterr().err


async def test_a_change_elsewhere_is_heard_without_polling(pg_server: PgServer) -> None:
    """Two boards open on the server; a move in one shows in the other, which never polls, at
    once; and idle boards send the server no query."""
    from tkanban.tui.app import TkanbanApp

    name = pg_server.new_database()
    url = pg_server.url(name)
    mine, theirs = open_store(url), open_store(url)
    ops.ensure_board(mine, "main")
    (cid,) = seed(mine, "watched")
    # mine polls as the real board does (each second: the poll must cost the server nothing);
    # theirs never polls (so the move can only reach it by being told)
    app = TkanbanApp(mine, "main", "alice", poll_interval=1.0)
    watcher = TkanbanApp(theirs, "main", "bob", poll_interval=3600)
    async with app.run_test(size=(120, 35)) as pilot:
        await settle(app, pilot)
        async with watcher.run_test(size=(120, 35)) as their:
            await settle(watcher, their)
            # the opening ends with a check in the background: wait for the boards to be idle
            before, start = last_queries(pg_server, name), time.monotonic()
            while True:
                await asyncio.sleep(1.5)
                now = last_queries(pg_server, name)
                if now == before:
                    break
                assert time.monotonic() - start < 10, "the boards never stopped querying"
                before = now
            assert len(before) >= 2, "the boards hold connections (one listens)"
            await asyncio.sleep(3)
            assert last_queries(pg_server, name) == before, "an idle board sent queries"
            await pilot.press("L")
            start = time.monotonic()
            while watcher.board_screen.snapshot.find(cid)[0] != 1:
                assert time.monotonic() - start < 2, "the move never reached the other board"
                await asyncio.sleep(0.01)
            await settle(watcher, their)
            assert "watched" in screen_text(watcher)
    mine.close()
    theirs.close()


@pytest.mark.parametrize("how", ["restart", "terminate"])
async def test_a_server_that_goes_away_keeps_the_move_and_writes_it_once(
        pg_server: PgServer, how: str) -> None:
    name = pg_server.new_database()
    url = pg_server.url(name)
    store = open_store(url)
    ops.ensure_board(store, "main")
    (cid,) = seed(store, "survives")
    async with board(store, (120, 35)) as (app, pilot):
        if how == "restart":
            pg_server.stop()
        else:
            pg_server.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           f"datname = '{name}'")
        try:
            await pilot.press("L")  # move right, while the server is away
            await pilot.pause()
            assert app.board_screen.snapshot.find(cid)[0] == 1, "the move shows at once"
            if how == "restart":
                await wait_until(lambda: "reconnecting" in screen_lines(app)[-1])
                assert PASSWORD not in screen_text(app)
        finally:
            if how == "restart":
                pg_server.start()
        await wait_until(lambda: not app.control.lock.locked())
        await settle(app, pilot)
        await wait_until(lambda: "reconnecting" not in screen_lines(app)[-1])
    check = open_store(url)
    card = q.get_card(check, cid)
    assert card.card.lane_slug == "test-hypothesis"
    assert [e.kind for e in card.entries].count("move") == 1, "written once"
    check.close()
    store.close()


def test_other_urls_are_refused_and_create_nothing(tmp_path: Path) -> None:
    for url in ("sqlite:///" + str(tmp_path / "b.db"), "postgresql+psycopg://tk@localhost/kanban"):
        line = server_error(run_cli("add", "x", db=url), "cannot open a ")
        assert "postgresql://" in line
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]
