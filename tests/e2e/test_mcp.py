"""`tkanban mcp` driven by the official MCP SDK's client over stdio, as a coding agent would:
on a file (with the board open in tmux, showing each change live) and on PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.helpers.cli import ok, run_cli, tkanban_exe
from tests.helpers.pgserver import PgServer
from tests.helpers.tmux import Terminal, terminal_env

WRITES = {"add_card", "log_entry", "move_card", "close_card", "link_run"}
READS = {"list_cards", "show_card", "mentions", "retro"}


def agent(db: Path | str, *extra: str) -> Client:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TKANBAN_")}
    return Client(StdioServerParameters(
        command=tkanban_exe()[0], args=[*tkanban_exe()[1:], "--db", str(db), "--user", "agent",
                                        "mcp", *extra], env=env))


def answer(result: Any) -> Any:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text) if len(result.content) == 1 else [
        json.loads(part.text) for part in result.content]


async def work_on_a_hypothesis(db: Path | str, live: Terminal | None = None) -> None:
    async with agent(db) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == READS | WRITES
        card = answer(await client.call_tool("add_card", {
            "title": "We believe gradient boosting reaches accuracy 0.9", "kind": "hypothesis",
            "criteria": "accuracy >= 0.9", "timebox": "3d", "lane": "test-hypothesis"}))
        assert (card["id"], card["lane"], card["author"]) == (1, "Test hypothesis", "agent")
        if live:
            live.wait_for(lambda screen: "gradient" in screen)
        entry = answer(await client.call_tool("log_entry", {
            "id": 1, "text": "5-fold CV on the March data, @bob have a look",
            "metrics": {"accuracy": 0.93}}))
        assert entry["metrics"] == {"accuracy": 0.93} and entry["mentions"] == ["bob"]
        shown = answer(await client.call_tool("show_card", {"id": 1}))
        assert shown["criteria_status"][0]["met"] is True
        if live:
            live.wait_for(lambda screen: "✓  ✎ 2" in screen)  # its criteria mark

        refused = await client.call_tool("move_card", {"id": 1, "lane": "done"})
        line = run_cli("move", "1", "done", db=db).stderr.strip()
        assert refused.is_error and refused.content[0].text.endswith(line)  # the SDK names
        # the tool first: "Error executing tool move_card: tkanban: error: …"
        assert "needs an outcome" in line
        closed = answer(await client.call_tool("close_card", {
            "id": 1, "outcome": "validated", "note": "0.93 in 5-fold CV"}))
        assert (closed["lane"], closed["outcome"]) == ("Done", "validated")
        if live:
            live.wait_for(lambda screen: "✓ validated" in screen)
        missing = await client.call_tool("show_card", {"id": 99})
        assert missing.is_error and missing.content[0].text.endswith("tkanban: error: no card #99")
        listed = answer(await client.call_tool("list_cards", {"filter": "kind:hypothesis"}))
        assert [c["id"] for c in (listed if isinstance(listed, list) else [listed])] == [1]
        board = await client.read_resource("tkanban://board")
        assert "#1 [Done] hypothesis: We believe gradient boosting" in board.contents[0].text
    log = json.loads(ok(run_cli("show", "1", "--json", db=db)))["log"]
    assert [(e["kind"], e["author"]) for e in log] == [
        ("create", "agent"), ("note", "agent"), ("outcome", "agent"), ("move", "agent")]
    events = [json.loads(line) for line in ok(run_cli("events", db=db)).splitlines()]
    assert {e["actor"] for e in events} == {"agent"}
    async with agent(db, "--read-only") as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == READS


@pytest.mark.file_only
async def test_an_agent_works_a_hypothesis_seen_live_on_the_board(tmp_path: Path) -> None:
    db = tmp_path / "board.db"
    live = Terminal([*tkanban_exe(), "--db", str(db)], 120, 35, terminal_env())
    try:
        live.wait_for(lambda screen: "Done" in screen)
        await work_on_a_hypothesis(db, live)
    finally:
        live.close()


@pytest.mark.server
@pytest.mark.file_only
async def test_an_agent_works_a_hypothesis_on_postgresql(pg_server: PgServer) -> None:
    await work_on_a_hypothesis(str(pg_server.url(pg_server.new_database())))
